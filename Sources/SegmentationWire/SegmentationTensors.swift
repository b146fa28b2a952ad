import FewClickCore
import InferenceProtocol
import Segmentation

/// The tensor contract between the proxy and the endpoint (README "The services": the endpoint's tensors).
public enum SegmentationTensors {
    /// Input `image`: UINT8 [H, W, 3], the crop, RGB interleaved.
    public static let image = "image"
    /// Input `clicks`: FP32 [N, 3], rows (x, y, kind) in crop pixels; kind 0 negative, 1 positive, 2 extreme.
    public static let clicks = "clicks"
    /// Optional input `prev_mask`: UINT8 [H, W], the previous probability map (0–255).
    public static let previousMask = "prev_mask"
    /// Output `mask_prob`: UINT8 [H, W], probability × 255.
    public static let maskProbability = "mask_prob"
    /// Optional output `mask_belief`: UINT8 [H, W], the model's soft belief (probability × 255) behind
    /// `mask_prob` (`SegmentationModel.segmentWithBelief`; equal to `mask_prob` for a model without a
    /// separate belief). Sent only when the request lists it in `outputs`; the proxy asks for it to
    /// compute the next-click hint.
    public static let maskBelief = "mask_belief"
    /// Optional request parameter `session` (string): passed to the model as `SegmentationInput.sessionKey`.
    public static let sessionParameter = "session"

    /// Input tensor metadata (`-1` = any size).
    public static let inputMetadata = [
        TensorMetadata(name: image, datatype: .uint8, shape: [-1, -1, 3]),
        TensorMetadata(name: clicks, datatype: .fp32, shape: [-1, 3]),
        TensorMetadata(name: previousMask, datatype: .uint8, shape: [-1, -1]),
    ]
    /// Output tensor metadata.
    public static let outputMetadata = [
        TensorMetadata(name: maskProbability, datatype: .uint8, shape: [-1, -1]),
        TensorMetadata(name: maskBelief, datatype: .uint8, shape: [-1, -1]),
    ]

    /// Builds the V2 request the endpoint expects for a model input (what the proxy sends).
    ///
    /// - Parameters:
    ///   - input: crop, clicks in crop pixels, optional previous map and session key.
    ///   - id: optional request id, echoed by the endpoint.
    ///   - binaryOutput: ask for `mask_prob` as binary data (true) or JSON (false).
    ///   - belief: also ask for `mask_belief` (same framing).
    public static func request(
        for input: SegmentationInput, id: String? = nil, binaryOutput: Bool = true, belief: Bool = false
    ) throws(InferenceProtocolError) -> InferenceRequest
    {
        var inputs = [
            try InferenceTensor(
                name: image, shape: [input.image.height, input.image.width, 3], values: input.image.pixels),
            try InferenceTensor(
                name: clicks, shape: [input.clicks.count, 3],
                values: input.clicks.flatMap { [Float($0.x), Float($0.y), Float($0.kind.rawValue)] }),
        ]
        if let previous = input.previousMask {
            inputs.append(
                try InferenceTensor(name: previousMask, shape: [previous.height, previous.width], values: previous.pixels))
        }
        var parameters: InferenceParameters = [:]
        if let key = input.sessionKey { parameters[sessionParameter] = .string(key) }
        var outputs = [RequestedOutput(name: maskProbability, binaryData: binaryOutput)]
        if belief { outputs.append(RequestedOutput(name: maskBelief, binaryData: binaryOutput)) }
        return InferenceRequest(id: id, parameters: parameters, inputs: inputs, outputs: outputs)
    }

    /// Reads and validates a request's tensors into a model input.
    ///
    /// - Throws: `InputError` with a client-safe message (HTTP 400) for a missing, unknown, duplicate
    ///   or malformed tensor, an image over `maxImagePixels`, more than `maxClicks` clicks, a click
    ///   kind other than 0/1/2, non-finite coordinates, or a `prev_mask` of another size.
    package static func input(from request: InferenceRequest, maxImagePixels: Int, maxClicks: Int) throws(InputError)
        -> SegmentationInput
    {
        var seen = Set<String>()
        for t in request.inputs {
            guard [image, clicks, previousMask].contains(t.name) else {
                throw InputError("unexpected input '\(t.name)'; inputs are image, clicks and optional prev_mask")
            }
            guard seen.insert(t.name).inserted else { throw InputError("input '\(t.name)' is given twice") }
        }
        guard let imageTensor = request.input(named: image) else { throw InputError("missing input 'image'") }
        guard let clickTensor = request.input(named: clicks) else { throw InputError("missing input 'clicks'") }

        guard imageTensor.datatype == .uint8, imageTensor.shape.count == 3, imageTensor.shape[2] == 3 else {
            throw InputError(
                "input 'image' must be UINT8 [H, W, 3], got \(imageTensor.datatype.rawValue) \(imageTensor.shape)")
        }
        let height = imageTensor.shape[0], width = imageTensor.shape[1]
        guard height > 0, width > 0 else { throw InputError("input 'image' is empty: shape \(imageTensor.shape)") }
        guard height <= maxImagePixels / width else {
            throw InputError("input 'image' has \(width)×\(height) pixels; the limit is \(maxImagePixels)")
        }

        guard clickTensor.datatype == .fp32, clickTensor.shape.count == 2, clickTensor.shape[1] == 3 else {
            throw InputError(
                "input 'clicks' must be FP32 [N, 3] rows of (x, y, kind), got \(clickTensor.datatype.rawValue) "
                    + "\(clickTensor.shape)")
        }
        let n = clickTensor.shape[0]
        guard n <= maxClicks else { throw InputError("input 'clicks' has \(n) rows; the limit is \(maxClicks)") }
        let values: [Float]
        do { values = try clickTensor.values(as: Float.self) } catch { throw InputError(error.message) }
        var parsed: [Click] = []
        parsed.reserveCapacity(n)
        for row in 0..<n {
            let x = values[row * 3], y = values[row * 3 + 1], k = values[row * 3 + 2]
            guard x.isFinite, y.isFinite else {
                throw InputError("input 'clicks' row \(row): coordinates must be finite numbers")
            }
            guard let code = Int(exactly: k), let kind = ClickKind(rawValue: code) else {
                throw InputError(
                    "input 'clicks' row \(row): kind \(k) is not 0 (negative), 1 (positive) or 2 (extreme)")
            }
            parsed.append(Click(x: Double(x), y: Double(y), kind: kind))
        }

        var previous: GrayImage?
        if let maskTensor = request.input(named: previousMask) {
            guard maskTensor.datatype == .uint8, maskTensor.shape == [height, width] else {
                throw InputError(
                    "input 'prev_mask' must be UINT8 [\(height), \(width)] like the image, got "
                        + "\(maskTensor.datatype.rawValue) \(maskTensor.shape)")
            }
            previous = GrayImage(width: width, height: height, pixels: maskTensor.rawBytes)
        }

        var sessionKey: String?
        if let session = request.parameters[sessionParameter] {
            guard let s = session.stringValue else {
                throw InputError("parameter 'session' must be a string, got \(session)")
            }
            sessionKey = s
        }
        return SegmentationInput(
            image: RGBImage(width: width, height: height, pixels: imageTensor.rawBytes), clicks: parsed,
            previousMask: previous, sessionKey: sessionKey)
    }
}

/// A request whose tensors do not fit the contract (HTTP 400).
package struct InputError: Error {
    package var message: String
    package init(_ message: String) { self.message = message }
}

extension SegmentationTensors {
    /// The `mask_prob` output of a response as a probability map (what the proxy reads back).
    ///
    /// - Throws: `InferenceProtocolError` (`.invalidTensor`) when the output is missing, not UINT8
    ///   [H, W], or not of the expected size.
    public static func probabilityMap(from response: InferenceResponse, width: Int, height: Int)
        throws(InferenceProtocolError) -> GrayImage
    {
        guard let map = try map(maskProbability, from: response, width: width, height: height) else {
            throw InferenceProtocolError(.invalidTensor, "response has no output 'mask_prob'")
        }
        return map
    }

    /// The `mask_belief` output of a response, or nil when the response has none (an endpoint that
    /// predates it, or a request that did not ask).
    ///
    /// - Throws: `InferenceProtocolError` (`.invalidTensor`) when it is present but not UINT8 [H, W]
    ///   of the expected size.
    public static func beliefMap(from response: InferenceResponse, width: Int, height: Int)
        throws(InferenceProtocolError) -> GrayImage?
    {
        try map(maskBelief, from: response, width: width, height: height)
    }

    private static func map(_ name: String, from response: InferenceResponse, width: Int, height: Int)
        throws(InferenceProtocolError) -> GrayImage?
    {
        guard let output = response.output(named: name) else { return nil }
        guard output.datatype == .uint8, output.shape == [height, width] else {
            throw InferenceProtocolError(
                .invalidTensor,
                "output '\(name)' must be UINT8 [\(height), \(width)], got \(output.datatype.rawValue) \(output.shape)")
        }
        return GrayImage(width: width, height: height, pixels: output.rawBytes)
    }
}
