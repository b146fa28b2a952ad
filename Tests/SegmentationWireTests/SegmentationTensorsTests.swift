import FewClickCore
import InferenceProtocol
import Segmentation
import SegmentationWire
import Testing

/// The proxy ↔ endpoint tensor contract on its own: a model input as V2 tensors and back, what the
/// endpoint refuses, and how the proxy reads the maps back.
@Suite("Segmentation tensors")
struct SegmentationTensorsTests {
    static func input(width: Int = 6, height: Int = 4, previous: Bool = true, session: String? = "sha256:ab") -> SegmentationInput {
        var rng = SplitMix64(seed: 5)
        let pixels = (0..<width * height * 3).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        return SegmentationInput(
            image: RGBImage(width: width, height: height, pixels: pixels),
            clicks: [Click(x: 0.5, y: 1, kind: .extreme), Click(x: 5, y: 3.25, kind: .extreme), Click(x: 2, y: 2, kind: .negative)],
            previousMask: previous ? GrayImage(width: width, height: height, pixels: (0..<width * height).map { UInt8($0 * 7 % 256) }) : nil,
            sessionKey: session)
    }

    /// `request` → the wire (either framing) → `input`: what the endpoint hands its model.
    static func roundTrip(_ request: InferenceRequest, style: BinaryHeaderStyle, binary: Bool) throws -> InferenceRequest {
        let message = try request.encoded(binaryInputs: binary, style: style)
        let framing = try MessageFraming(
            contentType: message.contentType, inferenceHeaderContentLength: message.inferenceHeaderContentLength.map(String.init),
            bodyLength: message.body.count)
        return try InferenceRequest(decoding: message.body, framing: framing)
    }

    @Test("an input survives request → message → input, binary and JSON, both header styles", arguments: [
        (BinaryHeaderStyle.inferenceHeaderContentLength, true), (.sagemakerContentType, true), (.inferenceHeaderContentLength, false),
    ])
    func roundTrip(style: BinaryHeaderStyle, binary: Bool) throws {
        for original in [Self.input(), Self.input(previous: false, session: nil)] {
            let request = try SegmentationTensors.request(for: original, id: "req-7", binaryOutput: true, belief: true)
            #expect(request.id == "req-7")
            #expect(request.outputs?.map(\.name) == [SegmentationTensors.maskProbability, SegmentationTensors.maskBelief])
            let decoded = try Self.roundTrip(request, style: style, binary: binary)
            let back = try SegmentationTensors.input(from: decoded, maxImagePixels: 1000, maxClicks: 10)
            #expect(back.image == original.image)
            #expect(back.clicks == original.clicks)
            #expect(back.previousMask == original.previousMask)
            #expect(back.sessionKey == original.sessionKey)
        }
    }

    @Test("malformed tensors are refused with the client-safe message the endpoint answers (400)")
    func refusals() throws {
        let good = try SegmentationTensors.request(for: Self.input())
        func refusal(_ edit: (inout InferenceRequest) throws -> Void, maxImagePixels: Int = 1000, maxClicks: Int = 10) throws -> String? {
            var request = good
            try edit(&request)
            do {
                _ = try SegmentationTensors.input(from: request, maxImagePixels: maxImagePixels, maxClicks: maxClicks)
                return nil
            } catch {
                return error.message
            }
        }
        #expect(try refusal { _ in } == nil)
        #expect(try refusal { $0.inputs.append(try InferenceTensor(name: "extra", shape: [1], values: [UInt8(1)])) }
            == "unexpected input 'extra'; inputs are image, clicks and optional prev_mask")
        #expect(try refusal { $0.inputs.append($0.inputs[1]) } == "input 'clicks' is given twice")
        #expect(try refusal { $0.inputs.removeFirst() } == "missing input 'image'")
        #expect(try refusal({ _ in }, maxImagePixels: 23) == "input 'image' has 6×4 pixels; the limit is 23")
        #expect(try refusal({ _ in }, maxClicks: 2) == "input 'clicks' has 3 rows; the limit is 2")
        #expect(try refusal { $0.inputs[1] = try InferenceTensor(name: "clicks", shape: [1, 3], values: [Float(1), 1, 3]) }
            == "input 'clicks' row 0: kind 3.0 is not 0 (negative), 1 (positive) or 2 (extreme)")
        #expect(try refusal { $0.inputs[1] = try InferenceTensor(name: "clicks", shape: [1, 3], values: [Float.nan, 1, 1]) }
            == "input 'clicks' row 0: coordinates must be finite numbers")
        #expect(try refusal { $0.inputs[2] = try InferenceTensor(name: "prev_mask", shape: [4, 5], values: [UInt8](repeating: 0, count: 20)) }
            == "input 'prev_mask' must be UINT8 [4, 6] like the image, got UINT8 [4, 5]")
        #expect(try refusal { $0.parameters[SegmentationTensors.sessionParameter] = .int(3) }?
            .hasPrefix("parameter 'session' must be a string") == true)
    }

    @Test("the proxy reads mask_prob (required) and mask_belief (optional) back at the crop's size")
    func maps() throws {
        let probability = try InferenceTensor(
            name: SegmentationTensors.maskProbability, shape: [2, 3], values: [UInt8(0), 50, 100, 150, 200, 250])
        let response = InferenceResponse(modelName: "test", outputs: [probability])
        #expect(try SegmentationTensors.probabilityMap(from: response, width: 3, height: 2)
            == GrayImage(width: 3, height: 2, pixels: [0, 50, 100, 150, 200, 250]))
        #expect(try SegmentationTensors.beliefMap(from: response, width: 3, height: 2) == nil)
        #expect(throws: InferenceProtocolError.self) {
            try SegmentationTensors.probabilityMap(from: response, width: 2, height: 3)
        }
        #expect(throws: InferenceProtocolError.self) {
            try SegmentationTensors.probabilityMap(from: InferenceResponse(modelName: "test", outputs: []), width: 3, height: 2)
        }
    }
}
