import Foundation
import InferenceProtocol
import Testing

/// Messages taken from the published protocol documents (KServe "Open Inference Protocol (V2)" and
/// Triton's "Binary Tensor Data Extension"), decoded exactly as written where they are valid.
@Suite("Published protocol examples")
struct PublishedExamplesTests {
    @Test("KServe inference request example decodes, and its BOOL shape erratum is reported precisely")
    func kserveRequestExample() throws {
        // Verbatim from the KServe V2 document: input1 declares shape [3] but carries one element.
        let published = """
            {
              "id" : "42",
              "inputs" : [
                {
                  "name" : "input0",
                  "shape" : [ 2, 2 ],
                  "datatype" : "UINT32",
                  "data" : [ 1, 2, 3, 4 ]
                },
                {
                  "name" : "input1",
                  "shape" : [ 3 ],
                  "datatype" : "BOOL",
                  "data" : [ true ]
                }
              ],
              "outputs" : [
                {
                  "name" : "output0"
                }
              ]
            }
            """
        let error = #expect(throws: InferenceProtocolError.self) {
            try InferenceRequest(decoding: Array(published.utf8), framing: .json)
        }
        #expect(error?.code == .invalidTensor)
        #expect(error?.message == "input 'input1': shape [3] needs 3 elements, JSON data has 1")

        let corrected = published.replacingOccurrences(of: "[ true ]", with: "[ true, false, true ]")
        let request = try InferenceRequest(decoding: Array(corrected.utf8), framing: .json)
        #expect(request.id == "42")
        #expect(try request.input(named: "input0")?.values(as: UInt32.self) == [1, 2, 3, 4])
        #expect(request.input(named: "input0")?.shape == [2, 2])
        #expect(try request.input(named: "input1")?.values(as: Bool.self) == [true, false, true])
        #expect(request.outputs == [RequestedOutput(name: "output0")])
    }

    @Test("KServe inference response example decodes")
    func kserveResponseExample() throws {
        // From the KServe V2 document (the published text lacks the comma after "42"; added here).
        let json = """
            {
              "id" : "42",
              "outputs" : [
                {
                  "name" : "output0",
                  "shape" : [ 3, 2 ],
                  "datatype"  : "FP32",
                  "data" : [ 1.0, 1.1, 2.0, 2.1, 3.0, 3.1 ]
                }
              ]
            }
            """
        let response = try InferenceResponse(decoding: Array(json.utf8), framing: .json)
        #expect(response.id == "42")
        #expect(try response.output(named: "output0")?.values(as: Float.self) == [1.0, 1.1, 2.0, 2.1, 3.0, 3.1])
    }

    @Test("KServe nested and flat tensor data mean the same tensor")
    func nestedData() throws {
        func decode(_ data: String) throws -> InferenceTensor? {
            let json = #"{"inputs":[{"name":"t","shape":[2,2],"datatype":"INT32","data":\#(data)}]}"#
            return try InferenceRequest(decoding: Array(json.utf8), framing: .json).inputs.first
        }
        let nested = try decode("[[1, 2], [4, 5]]")
        let flat = try decode("[1, 2, 4, 5]")
        #expect(nested == flat)
        #expect(try flat?.values(as: Int32.self) == [1, 2, 4, 5])
    }

    @Test("Triton binary request example: UINT32 [2,2] and BOOL [3] after the JSON, 19 bytes")
    func tritonBinaryRequest() throws {
        let header = """
            {
              "model_name" : "mymodel",
              "inputs" : [
                {
                  "name" : "input0",
                  "shape" : [ 2, 2 ],
                  "datatype" : "UINT32",
                  "parameters" : {
                    "binary_data_size" : 16
                  }
                },
                {
                  "name" : "input1",
                  "shape" : [ 3 ],
                  "datatype" : "BOOL",
                  "parameters" : {
                    "binary_data_size" : 3
                  }
                }
              ],
              "outputs" : [
                {
                  "name" : "output0",
                  "parameters" : {
                    "binary_data" : true
                  }
                }
              ]
            }
            """
        let json = Array(header.utf8)
        let input0: [UInt8] = [1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0, 1, 0, 0]
        let input1: [UInt8] = [1, 0, 1]
        let body = json + input0 + input1
        #expect(body.count == json.count + 19)
        let framing = try MessageFraming(
            contentType: "application/octet-stream", inferenceHeaderContentLength: String(json.count),
            bodyLength: body.count)
        #expect(framing == MessageFraming(jsonLength: json.count, style: .inferenceHeaderContentLength))
        let request = try InferenceRequest(decoding: body, framing: framing)
        #expect(try request.input(named: "input0")?.values(as: UInt32.self) == [1, 2, 3, 256])
        #expect(try request.input(named: "input1")?.values(as: Bool.self) == [true, false, true])
        #expect(request.input(named: "input0")?.parameters.isEmpty == true, "binary_data_size is consumed")
        #expect(request.outputs?.first?.binaryData == true)
    }

    @Test("Triton binary response example: FP32 [3,2] as 24 bytes after the JSON")
    func tritonBinaryResponse() throws {
        let header = """
            {
              "outputs" : [
                {
                  "name" : "output0",
                  "shape" : [ 3, 2 ],
                  "datatype"  : "FP32",
                  "parameters" : {
                    "binary_data_size" : 24
                  }
                }
              ]
            }
            """
        let values: [Float] = [0.5, -1, 2, 3.25, 4, 1e-3]
        let raw = values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
        let body = Array(header.utf8) + raw
        let response = try InferenceResponse(
            decoding: body, framing: MessageFraming(jsonLength: header.utf8.count, style: .inferenceHeaderContentLength))
        #expect(try response.output(named: "output0")?.values(as: Float.self) == values)
        #expect(response.modelName == "")
    }

    @Test("SageMaker Triton content type carries the JSON length")
    func sagemakerContentType() throws {
        let framing = try MessageFraming(
            contentType: "application/vnd.sagemaker-triton.binary+json;json-header-size=120",
            inferenceHeaderContentLength: nil, bodyLength: 500)
        #expect(framing == MessageFraming(jsonLength: 120, style: .sagemakerContentType))
        let spaced = try MessageFraming(
            contentType: "Application/VND.Sagemaker-Triton.Binary+JSON; JSON-Header-Size=\"7\"",
            inferenceHeaderContentLength: nil, bodyLength: 7)
        #expect(spaced.jsonLength == 7)
        // Without the parameter the body is plain JSON, as in Triton's SageMaker server.
        let plain = try MessageFraming(
            contentType: "application/vnd.sagemaker-triton.binary+json", inferenceHeaderContentLength: nil,
            bodyLength: 10)
        #expect(plain == .json)
    }
}
