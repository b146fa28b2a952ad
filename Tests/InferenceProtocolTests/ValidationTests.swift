import InferenceProtocol
import Testing

@Suite("Shape, size and framing validation")
struct ValidationTests {
    func decodeError(_ json: String) -> InferenceProtocolError? {
        #expect(throws: InferenceProtocolError.self) {
            try InferenceRequest(decoding: Array(json.utf8), framing: .json)
        }
    }

    @Test("negative dimensions are refused")
    func negativeDimension() {
        let error = #expect(throws: InferenceProtocolError.self) {
            try InferenceTensor(name: "x", datatype: .uint8, shape: [2, -1], rawBytes: [])
        }
        #expect(error?.message == "tensor 'x': shape [2, -1] has negative dimension -1 at index 1")
    }

    @Test("element counts that overflow are refused, not trapped")
    func overflow() {
        let error = #expect(throws: InferenceProtocolError.self) {
            try InferenceTensor(name: "x", datatype: .uint8, shape: [Int.max, 3], rawBytes: [])
        }
        #expect(error?.message == "tensor 'x': shape [\(Int.max), 3] has too many elements")
        let bytesError = #expect(throws: InferenceProtocolError.self) {
            try InferenceTensor(name: "x", datatype: .fp64, shape: [Int.max / 4], rawBytes: [])
        }
        #expect(bytesError?.message == "tensor 'x': shape [\(Int.max / 4)] is too large in bytes")
    }

    @Test("byte count must be element count × element size")
    func byteCount() {
        let error = #expect(throws: InferenceProtocolError.self) {
            try InferenceTensor(name: "image", datatype: .uint8, shape: [2, 2, 3], rawBytes: [UInt8](repeating: 0, count: 11))
        }
        #expect(error?.message == "tensor 'image': UINT8 shape [2, 2, 3] needs 12 elements × 1 bytes = 12 bytes, got 11")
    }

    @Test("BOOL bytes must be 0 or 1")
    func boolBytes() {
        let error = #expect(throws: InferenceProtocolError.self) {
            try InferenceTensor(name: "b", datatype: .bool, shape: [2], rawBytes: [1, 2])
        }
        #expect(error?.message == "tensor 'b': BOOL element 1 is byte 2, expected 0 or 1")
    }

    @Test("JSON schema errors name the path")
    func jsonErrors() {
        #expect(decodeError("{")?.code == .invalidJSON)
        #expect(
            decodeError(#"{"inputs":[{"name":"a","shape":[1],"datatype":"FLOAT","data":[1]}]}"#)?.message
                .hasPrefix("inputs[0] (tensor 'a'): unknown datatype 'FLOAT'; expected one of BOOL, UINT8") == true)
        #expect(
            decodeError(#"{"inputs":[{"name":"a","datatype":"UINT8","data":[1]}]}"#)?.message
                == "invalid JSON: missing key 'shape' at inputs[0]")
        let range = decodeError(#"{"inputs":[{"name":"a","shape":[2],"datatype":"UINT8","data":[1, 300]}]}"#)
        #expect(range?.code == .invalidJSON)
        #expect(range?.message == "invalid JSON at inputs[0].data[1]: 300.0 is not an integer in UINT8's range 0…255")
        let fraction = decodeError(#"{"inputs":[{"name":"a","shape":[2,1],"datatype":"INT32","data":[[1], [2.5]]}]}"#)
        #expect(fraction?.message == "invalid JSON at inputs[0].data[1][0]: 2.5 is not an integer in INT32's range -2147483648…2147483647")
        let wide = decodeError(#"{"inputs":[{"name":"a","shape":[1],"datatype":"UINT64","data":[-1]}]}"#)
        #expect(wide?.message == "invalid JSON at inputs[0].data[0]: not an integer in UINT64's range 0…18446744073709551615")
        let float = decodeError(#"{"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1e39]}]}"#)
        #expect(float?.message == "invalid JSON at inputs[0].data[0]: 1e+39 is out of range for FP32")
        let kind = decodeError(#"{"inputs":[{"name":"a","shape":[2],"datatype":"FP32","data":[1, "x"]}]}"#)
        #expect(kind?.message.hasPrefix("invalid JSON at inputs[0].data[1]") == true)
        #expect(
            decodeError(#"{"inputs":[{"name":"a","shape":[2],"datatype":"FP32"}]}"#)?.message
                == "input 0 ('a') has neither data nor parameters.binary_data_size")
        #expect(decodeError(#"{"id":"x"}"#)?.message == "invalid JSON: missing key 'inputs' at top level")
    }

    @Test("binary sizes must add up to the body")
    func binarySizes() throws {
        func body(_ sizes: [Int], extra: Int) -> ([UInt8], Int) {
            let inputs = sizes.enumerated().map { i, s in
                #"{"name":"t\#(i)","shape":[\#(s)],"datatype":"UINT8","parameters":{"binary_data_size":\#(s)}}"#
            }
            let json = Array(#"{"inputs":[\#(inputs.joined(separator: ","))]}"#.utf8)
            return (json + [UInt8](repeating: 7, count: sizes.reduce(0, +) + extra), json.count)
        }
        let (ok, okLength) = body([3, 2], extra: 0)
        let request = try InferenceRequest(
            decoding: ok, framing: MessageFraming(jsonLength: okLength, style: .inferenceHeaderContentLength))
        #expect(request.inputs.map(\.rawBytes) == [[7, 7, 7], [7, 7]])

        let (long, longLength) = body([3, 2], extra: 4)
        let leftover = #expect(throws: InferenceProtocolError.self) {
            try InferenceRequest(decoding: long, framing: MessageFraming(jsonLength: longLength, style: .sagemakerContentType))
        }
        #expect(leftover?.code == .invalidFraming)
        #expect(leftover?.message.hasPrefix("4 bytes of binary data follow the last binary tensor") == true)

        let (short, shortLength) = body([3, 2], extra: -1)
        let missing = #expect(throws: InferenceProtocolError.self) {
            try InferenceRequest(decoding: short, framing: MessageFraming(jsonLength: shortLength, style: .sagemakerContentType))
        }
        #expect(missing?.message == "input 't1' declares binary_data_size 2 but only 1 bytes of binary data remain")

        let noBinary = #expect(throws: InferenceProtocolError.self) {
            try InferenceRequest(decoding: Array(ok[0..<okLength]), framing: .json)
        }
        #expect(noBinary?.code == .invalidFraming)

        let sizeMismatch = Array(#"{"inputs":[{"name":"a","shape":[4],"datatype":"UINT8","parameters":{"binary_data_size":3}}]}"#.utf8)
        let mismatch = #expect(throws: InferenceProtocolError.self) {
            try InferenceRequest(
                decoding: sizeMismatch + [1, 2, 3],
                framing: MessageFraming(jsonLength: sizeMismatch.count, style: .inferenceHeaderContentLength))
        }
        #expect(mismatch?.message == "tensor 'a': UINT8 shape [4] needs 4 elements × 1 bytes = 4 bytes, got 3")
    }

    @Test("content types and header lengths")
    func framingHeaders() throws {
        let unsupported = #expect(throws: InferenceProtocolError.self) {
            try MessageFraming(contentType: "image/jpeg", inferenceHeaderContentLength: nil, bodyLength: 10)
        }
        #expect(unsupported?.code == .unsupportedMediaType)
        #expect(try MessageFraming(contentType: nil, inferenceHeaderContentLength: nil, bodyLength: 3) == .json)
        #expect(
            try MessageFraming(contentType: "application/json; charset=utf-8", inferenceHeaderContentLength: nil, bodyLength: 3)
                == .json)
        #expect(
            try MessageFraming(contentType: nil, inferenceHeaderContentLength: "2", bodyLength: 3)
                == MessageFraming(jsonLength: 2, style: .inferenceHeaderContentLength))
        let octet = #expect(throws: InferenceProtocolError.self) {
            try MessageFraming(contentType: "application/octet-stream", inferenceHeaderContentLength: nil, bodyLength: 3)
        }
        #expect(octet?.code == .invalidFraming)
        let outside = #expect(throws: InferenceProtocolError.self) {
            try MessageFraming(contentType: nil, inferenceHeaderContentLength: "11", bodyLength: 10)
        }
        #expect(outside?.message == "Inference-Header-Content-Length 11 is outside the body (1…10 bytes)")
        let notNumber = #expect(throws: InferenceProtocolError.self) {
            try MessageFraming(
                contentType: "application/vnd.sagemaker-triton.binary+json;json-header-size=abc",
                inferenceHeaderContentLength: nil, bodyLength: 10)
        }
        #expect(notNumber?.message == "json-header-size 'abc' is not a whole number")
        let disagree = #expect(throws: InferenceProtocolError.self) {
            try MessageFraming(
                contentType: "application/vnd.sagemaker-triton.binary+json;json-header-size=4",
                inferenceHeaderContentLength: "5", bodyLength: 10)
        }
        #expect(disagree?.message == "Inference-Header-Content-Length 5 disagrees with json-header-size 4")
    }
}
