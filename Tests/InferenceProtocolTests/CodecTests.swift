import InferenceProtocol
import Testing

@Suite("Tensors and message codec")
struct CodecTests {
    static func sampleRequest() throws -> InferenceRequest {
        InferenceRequest(
            id: "req-1", parameters: ["session": .string("img-7"), "binary_data_output": .bool(true)],
            inputs: [
                try InferenceTensor(name: "image", shape: [2, 3, 3], values: (0..<18).map { UInt8($0 * 13) }),
                try InferenceTensor(name: "clicks", shape: [2, 3], values: [1.5, 2, 2, 10.25, -3, 0] as [Float]),
                try InferenceTensor(name: "names", shape: [3], strings: ["a", "", "ü€"]),
                try InferenceTensor(name: "i64", shape: [2], values: [Int64.min, Int64.max]),
                try InferenceTensor(name: "u64", shape: [1], values: [UInt64.max]),
                try InferenceTensor(name: "i16", shape: [2], values: [Int16.min, 7]),
                try InferenceTensor(name: "u16", shape: [1], values: [UInt16.max]),
                try InferenceTensor(name: "i8", shape: [2], values: [Int8.min, Int8.max]),
                try InferenceTensor(name: "u32", shape: [1], values: [UInt32.max]),
                try InferenceTensor(name: "f64", shape: [2], values: [Double.pi, -0.5]),
                try InferenceTensor(name: "flag", shape: [], values: [true]),
                try InferenceTensor(name: "empty", shape: [0, 3], values: [] as [Float]),
            ],
            outputs: [RequestedOutput(name: "mask_prob", binaryData: true)])
    }

    @Test("request round trip, JSON form")
    func requestJSON() throws {
        let request = try Self.sampleRequest()
        let message = try request.encoded(binaryInputs: false)
        #expect(message.contentType == "application/json")
        #expect(message.inferenceHeaderContentLength == nil)
        #expect(!message.hasBinaryData)
        let framing = try MessageFraming(
            contentType: message.contentType, inferenceHeaderContentLength: nil, bodyLength: message.body.count)
        #expect(try InferenceRequest(decoding: message.body, framing: framing) == request)
    }

    @Test("request round trip, binary with Inference-Header-Content-Length")
    func requestBinaryHeader() throws {
        let request = try Self.sampleRequest()
        let message = try request.encoded(binaryInputs: true, style: .inferenceHeaderContentLength)
        #expect(message.contentType == "application/octet-stream")
        let headerLength = try #require(message.inferenceHeaderContentLength)
        #expect(message.body.count == headerLength + request.inputs.reduce(0) { $0 + $1.rawBytes.count })
        #expect(message.headers.map(\.name) == ["Content-Type", "Inference-Header-Content-Length"])
        let framing = try MessageFraming(
            contentType: message.contentType, inferenceHeaderContentLength: String(headerLength),
            bodyLength: message.body.count)
        #expect(try InferenceRequest(decoding: message.body, framing: framing) == request)
    }

    @Test("request round trip, binary with the SageMaker Triton content type")
    func requestBinarySageMaker() throws {
        let request = try Self.sampleRequest()
        let message = try request.encoded(binaryInputs: true, style: .sagemakerContentType)
        #expect(message.inferenceHeaderContentLength == nil)
        #expect(
            message.contentType
                == "application/vnd.sagemaker-triton.binary+json;json-header-size=\(message.jsonLength)")
        let framing = try MessageFraming(
            contentType: message.contentType, inferenceHeaderContentLength: nil, bodyLength: message.body.count)
        #expect(try InferenceRequest(decoding: message.body, framing: framing) == request)
    }

    @Test("response round trip with some outputs binary and some JSON")
    func responseMixed() throws {
        let response = InferenceResponse(
            modelName: "box", modelVersion: "1", id: "x", parameters: ["model_time_ms": .double(1.5)],
            outputs: [
                try InferenceTensor(name: "mask_prob", shape: [2, 2], values: [0, 255, 255, 0] as [UInt8]),
                try InferenceTensor(name: "score", shape: [1], values: [0.75] as [Float]),
            ])
        let message = try response.encoded(binaryOutputs: ["mask_prob"])
        #expect(message.body.count == message.jsonLength + 4)
        let decoded = try InferenceResponse(
            decoding: message.body,
            framing: MessageFraming(
                contentType: message.contentType,
                inferenceHeaderContentLength: message.inferenceHeaderContentLength.map(String.init),
                bodyLength: message.body.count))
        #expect(decoded == response)
        let allJSON = try response.encoded(binary: false)
        #expect(try InferenceResponse(decoding: allJSON.body, framing: .json) == response)
    }

    @Test("a UINT8 tensor shares its array (no copy); the binary message is the JSON part, then the bytes as given")
    func uint8SharedAndFramed() throws {
        let pixels = (0..<36).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let tensor = try InferenceTensor(name: "image", shape: [4, 3, 3], values: pixels)
        func address(_ bytes: [UInt8]) -> UInt { bytes.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } }
        #expect(address(tensor.rawBytes) == address(pixels))
        #expect(address(try tensor.values(as: UInt8.self)) == address(pixels))
        let request = InferenceRequest(
            id: "r",
            inputs: [tensor, try InferenceTensor(name: "clicks", shape: [1, 3], values: [1, 2, 2] as [Float])],
            outputs: [RequestedOutput(name: "mask_prob", binaryData: true)])
        let message = try request.encoded(binaryInputs: true)
        let json = #"{"id":"r","inputs":[{"datatype":"UINT8","name":"image","parameters":{"binary_data_size":36},"shape":[4,3,3]},{"datatype":"FP32","name":"clicks","parameters":{"binary_data_size":12},"shape":[1,3]}],"outputs":[{"name":"mask_prob","parameters":{"binary_data":true}}]}"#
        #expect(String(decoding: message.body.prefix(message.jsonLength), as: UTF8.self) == json)
        #expect(message.body == Array(json.utf8) + pixels + [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40, 0, 0, 0, 0x40])
        #expect(message.inferenceHeaderContentLength == json.utf8.count)
    }

    @Test("BYTES binary form is a 4-byte little-endian length per element")
    func bytesLayout() throws {
        let t = try InferenceTensor(name: "s", shape: [2], strings: ["hi", "abc"])
        #expect(t.rawBytes == [2, 0, 0, 0, 104, 105, 3, 0, 0, 0, 97, 98, 99])
        #expect(try t.strings() == ["hi", "abc"])
        let error = #expect(throws: InferenceProtocolError.self) {
            try InferenceTensor(name: "s", datatype: .bytes, shape: [2], rawBytes: [2, 0, 0, 0, 104, 105, 9, 0])
        }
        #expect(error?.message == "tensor 's': BYTES element 1 has a truncated 4-byte length prefix at byte 6")
    }

    @Test("FP16 travels as raw binary, and is refused as JSON")
    func fp16() throws {
        let t = try InferenceTensor(name: "h", datatype: .fp16, shape: [2], rawBytes: [0x00, 0x3C, 0x00, 0xC0])
        let request = InferenceRequest(inputs: [t])
        let binary = try request.encoded(binaryInputs: true)
        let decoded = try InferenceRequest(
            decoding: binary.body, framing: MessageFraming(jsonLength: binary.jsonLength, style: .inferenceHeaderContentLength))
        #expect(decoded.inputs.first?.rawBytes == [0x00, 0x3C, 0x00, 0xC0])
        let error = #expect(throws: InferenceProtocolError.self) { try request.encoded(binaryInputs: false) }
        #expect(error?.code == .encodingFailed)
        let json = #"{"inputs":[{"name":"h","shape":[1],"datatype":"FP16","data":[1.0]}]}"#
        let decodeError = #expect(throws: InferenceProtocolError.self) {
            try InferenceRequest(decoding: Array(json.utf8), framing: .json)
        }
        #expect(decodeError?.message == "inputs[0] (tensor 'h'): FP16 data has no JSON form; send it as binary data")
    }

    @Test("NaN cannot be written as JSON")
    func nanJSON() throws {
        let response = InferenceResponse(
            modelName: "m", outputs: [try InferenceTensor(name: "p", shape: [2], values: [1, .nan] as [Float])])
        let error = #expect(throws: InferenceProtocolError.self) { try response.encoded(binary: false) }
        #expect(
            error?.message
                == "tensor 'p': FP32 element 1 is not finite, which JSON cannot carry; send it as binary data")
        #expect(throws: Never.self) { try response.encoded(binary: true) }
    }

    @Test("typed access checks the datatype")
    func typedAccess() throws {
        let t = try InferenceTensor(name: "clicks", shape: [1, 3], values: [1, 2, 1] as [Float])
        let error = #expect(throws: InferenceProtocolError.self) { try t.values(as: UInt8.self) }
        #expect(error?.message == "tensor 'clicks' has datatype FP32, expected UINT8")
        #expect(try t.values(as: Float.self) == [1, 2, 1])
        #expect(t.elementCount == 3)
    }
}
