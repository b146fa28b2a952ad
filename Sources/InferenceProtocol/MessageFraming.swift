#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How a binary message says where its JSON part ends.
public enum BinaryHeaderStyle: Sendable, Hashable {
    /// KServe/Triton: header `Inference-Header-Content-Length: N`, `Content-Type: application/octet-stream`.
    case inferenceHeaderContentLength
    /// SageMaker's Triton containers (SageMaker forwards no custom headers):
    /// `Content-Type: application/vnd.sagemaker-triton.binary+json;json-header-size=N`.
    case sagemakerContentType
}

/// The media types and header names of the protocol.
public enum InferenceMediaType {
    /// Plain JSON messages.
    public static let json = "application/json"
    /// Binary messages framed by `Inference-Header-Content-Length`.
    public static let octetStream = "application/octet-stream"
    /// SageMaker Triton binary messages (followed by `;json-header-size=N`).
    public static let sagemakerTritonBinary = "application/vnd.sagemaker-triton.binary+json"
    /// The `json-header-size` media-type parameter name.
    public static let jsonHeaderSizeParameter = "json-header-size"
    /// The HTTP header giving the JSON length of a binary message.
    public static let inferenceHeaderContentLength = "Inference-Header-Content-Length"

    /// `application/vnd.sagemaker-triton.binary+json;json-header-size=N`.
    public static func sagemakerTritonBinary(jsonHeaderSize: Int) -> String {
        "\(sagemakerTritonBinary);\(jsonHeaderSizeParameter)=\(jsonHeaderSize)"
    }
}

/// Where the JSON part of a received message ends: the whole body, or the first `jsonLength` bytes
/// with binary tensor data after them.
public struct MessageFraming: Sendable, Hashable {
    /// Length of the JSON part in bytes, or nil when the whole body is JSON.
    public var jsonLength: Int?
    /// Which header gave the length (nil for plain JSON).
    public var style: BinaryHeaderStyle?

    /// A body that is all JSON.
    public static let json = MessageFraming(jsonLength: nil, style: nil)

    /// Creates a framing.
    public init(jsonLength: Int?, style: BinaryHeaderStyle?) {
        self.jsonLength = jsonLength
        self.style = style
    }

    /// The framing a message's headers announce.
    ///
    /// Accepted `Content-Type`s: none (JSON), `application/json`, `application/octet-stream` (then
    /// `Inference-Header-Content-Length` is required), and
    /// `application/vnd.sagemaker-triton.binary+json` with or without `json-header-size=N` (without: JSON).
    /// Parameters such as `charset` are ignored; names compare case-insensitively.
    ///
    /// - Parameters:
    ///   - contentType: the `Content-Type` header value, if any.
    ///   - inferenceHeaderContentLength: the `Inference-Header-Content-Length` header value, if any.
    ///   - bodyLength: the body's length in bytes (the JSON length must be 1…bodyLength).
    /// - Throws: `.unsupportedMediaType` for any other content type; `.invalidFraming` for a length
    ///   that is not a number, out of range, or two lengths that disagree.
    public init(contentType: String?, inferenceHeaderContentLength: String?, bodyLength: Int)
        throws(InferenceProtocolError)
    {
        var headerLength: Int?
        if let value = inferenceHeaderContentLength {
            headerLength = try Self.parseLength(
                value, what: InferenceMediaType.inferenceHeaderContentLength, bodyLength: bodyLength)
        }
        var sagemakerLength: Int?
        if let contentType, !contentType.allSatisfy(\.isWhitespace) {
            let (mediaType, parameters) = Self.parseMediaType(contentType)
            try Self.checkMediaType(mediaType, of: contentType)
            if mediaType == InferenceMediaType.octetStream, headerLength == nil {
                throw .framing(
                    "Content-Type application/octet-stream needs an Inference-Header-Content-Length header "
                        + "giving the length of the JSON part")
            }
            if mediaType == InferenceMediaType.sagemakerTritonBinary,
                let value = parameters[InferenceMediaType.jsonHeaderSizeParameter]
            {
                sagemakerLength = try Self.parseLength(value, what: "json-header-size", bodyLength: bodyLength)
            }
        }
        switch (headerLength, sagemakerLength) {
        case (nil, nil): self = .json
        case (let h?, nil): self = MessageFraming(jsonLength: h, style: .inferenceHeaderContentLength)
        case (nil, let s?): self = MessageFraming(jsonLength: s, style: .sagemakerContentType)
        case (let h?, let s?):
            guard h == s else {
                throw .framing("Inference-Header-Content-Length \(h) disagrees with json-header-size \(s)")
            }
            self = MessageFraming(jsonLength: s, style: .sagemakerContentType)
        }
    }

    /// Refuses a `Content-Type` whose media type is not one that
    /// `init(contentType:inferenceHeaderContentLength:bodyLength:)` accepts, without looking at
    /// lengths: lets a server answer 415 before reading the body. An absent or blank value passes (JSON).
    ///
    /// - Throws: `.unsupportedMediaType`, the same error the initializer throws for that content type.
    public static func checkMediaType(of contentType: String?) throws(InferenceProtocolError) {
        guard let contentType, !contentType.allSatisfy(\.isWhitespace) else { return }
        try checkMediaType(parseMediaType(contentType).0, of: contentType)
    }

    /// Throws `.unsupportedMediaType` unless `mediaType` (parsed from `contentType`) is JSON,
    /// octet-stream or SageMaker Triton binary.
    private static func checkMediaType(_ mediaType: String, of contentType: String) throws(InferenceProtocolError) {
        switch mediaType {
        case InferenceMediaType.json, InferenceMediaType.octetStream, InferenceMediaType.sagemakerTritonBinary:
            return
        default:
            throw InferenceProtocolError(
                .unsupportedMediaType,
                "unsupported Content-Type '\(contentType)'; use application/json, application/octet-stream with "
                    + "Inference-Header-Content-Length, or application/vnd.sagemaker-triton.binary+json;json-header-size=N")
        }
    }

    private static func parseLength(_ value: String, what: String, bodyLength: Int) throws(InferenceProtocolError) -> Int {
        let trimmed = trimmedSpaces(value)
        guard let n = Int(trimmed), trimmed.unicodeScalars.allSatisfy(\.isASCII) else {
            throw .framing("\(what) '\(value)' is not a whole number")
        }
        guard n >= 1, n <= bodyLength else {
            throw .framing("\(what) \(n) is outside the body (1…\(bodyLength) bytes)")
        }
        return n
    }

    /// Lowercased media type and parameters (names lowercased, values unquoted).
    static func parseMediaType(_ value: String) -> (String, [String: String]) {
        let parts = value.split(separator: ";", omittingEmptySubsequences: false)
        let mediaType = parts.first.map { trimmedSpaces($0).lowercased() } ?? ""
        var parameters: [String: String] = [:]
        for part in parts.dropFirst() {
            guard let eq = part.firstIndex(of: "=") else { continue }
            let key = trimmedSpaces(part[..<eq]).lowercased()
            var v = trimmedSpaces(part[part.index(after: eq)...])
            if v.count >= 2, v.hasPrefix("\""), v.hasSuffix("\"") { v = String(v.dropFirst().dropLast()) }
            parameters[key] = v
        }
        return (mediaType, parameters)
    }
}

/// An encoded message, ready to send: body plus the headers that describe its framing.
public struct EncodedInferenceMessage: Sendable, Equatable {
    /// The HTTP body.
    public var body: [UInt8]
    /// The `Content-Type` to send.
    public var contentType: String
    /// The `Inference-Header-Content-Length` to send, when the style uses it and there is binary data.
    public var inferenceHeaderContentLength: Int?
    /// Length of the JSON part (equal to `body.count` when there is no binary data).
    public var jsonLength: Int

    /// All headers to send (`Content-Type`, and `Inference-Header-Content-Length` when set);
    /// `Content-Length` is left to the HTTP layer.
    public var headers: [(name: String, value: String)] {
        var out = [(name: "Content-Type", value: contentType)]
        if let n = inferenceHeaderContentLength {
            out.append((name: InferenceMediaType.inferenceHeaderContentLength, value: String(n)))
        }
        return out
    }

    /// Whether tensors follow the JSON part.
    public var hasBinaryData: Bool { jsonLength < body.count || inferenceHeaderContentLength != nil }
}

// MARK: - Encoding and decoding whole messages

private struct WireRequest: Codable {
    var id: String?
    var parameters: InferenceParameters?
    var inputs: [WireTensor]
    var outputs: [RequestedOutput]?
}

private struct WireResponse: Codable {
    var modelName: String
    var modelVersion: String?
    var id: String?
    var parameters: InferenceParameters?
    var outputs: [WireTensor]

    enum CodingKeys: String, CodingKey {
        case modelName = "model_name", modelVersion = "model_version", id, parameters, outputs
    }

    init(modelName: String, modelVersion: String?, id: String?, parameters: InferenceParameters?, outputs: [WireTensor]) {
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.id = id
        self.parameters = parameters
        self.outputs = outputs
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // Required by the protocol, but some servers leave it out: a missing name decodes as "".
        modelName = try c.decodeIfPresent(String.self, forKey: .modelName) ?? ""
        modelVersion = try c.decodeIfPresent(String.self, forKey: .modelVersion)
        id = try c.decodeIfPresent(String.self, forKey: .id)
        parameters = try c.decodeIfPresent(InferenceParameters.self, forKey: .parameters)
        outputs = try c.decode([WireTensor].self, forKey: .outputs)
    }
}

extension InferenceRequest {
    /// Encodes the request.
    ///
    /// - Parameters:
    ///   - binaryInputs: send every input as binary data after the JSON (true), or inline as JSON (false).
    ///   - style: how a binary message announces its JSON length.
    /// - Throws: `.encodingFailed` when an input has no JSON form and `binaryInputs` is false
    ///   (FP16/BF16, NaN, non-UTF-8 BYTES).
    public func encoded(binaryInputs: Bool = true, style: BinaryHeaderStyle = .inferenceHeaderContentLength)
        throws(InferenceProtocolError) -> EncodedInferenceMessage
    {
        try encodeMessage(tensors: inputs, binary: { _ in binaryInputs }, style: style) { wire in
            WireRequest(id: id, parameters: parameters.isEmpty ? nil : parameters, inputs: wire, outputs: outputs)
        }
    }

    /// Decodes a request body.
    ///
    /// - Parameters:
    ///   - body: the HTTP body.
    ///   - framing: from `MessageFraming(contentType:inferenceHeaderContentLength:bodyLength:)`.
    /// - Throws: `.invalidJSON` (syntax or schema, with the JSON path), `.invalidTensor` (shape/data
    ///   disagree), `.invalidFraming` (binary sizes do not add up to the body).
    public init(decoding body: [UInt8], framing: MessageFraming) throws(InferenceProtocolError) {
        let (wire, binary): (WireRequest, ArraySlice<UInt8>?) = try decodeJSONPart(body, framing: framing)
        self.init(
            id: wire.id, parameters: wire.parameters ?? [:],
            inputs: try assembleTensors(wire.inputs, binary: binary, role: "input"), outputs: wire.outputs)
    }
}

extension InferenceResponse {
    /// Encodes the response.
    ///
    /// - Parameters:
    ///   - binaryOutputs: names of the outputs to send as binary data; the rest go inline as JSON.
    ///   - style: how a binary message announces its JSON length.
    /// - Throws: `.encodingFailed` when a JSON output has no JSON form.
    public func encoded(binaryOutputs: Set<String>, style: BinaryHeaderStyle = .inferenceHeaderContentLength)
        throws(InferenceProtocolError) -> EncodedInferenceMessage
    {
        try encodeMessage(tensors: outputs, binary: { binaryOutputs.contains($0.name) }, style: style) { wire in
            WireResponse(
                modelName: modelName, modelVersion: modelVersion, id: id,
                parameters: parameters.isEmpty ? nil : parameters, outputs: wire)
        }
    }

    /// Encodes the response with every output binary (true) or every output JSON (false).
    ///
    /// - Throws: `.encodingFailed` when a JSON output has no JSON form.
    public func encoded(binary: Bool, style: BinaryHeaderStyle = .inferenceHeaderContentLength)
        throws(InferenceProtocolError) -> EncodedInferenceMessage
    {
        try encoded(binaryOutputs: binary ? Set(outputs.map(\.name)) : [], style: style)
    }

    /// Decodes a response body (see `InferenceRequest.init(decoding:framing:)` for the errors).
    public init(decoding body: [UInt8], framing: MessageFraming) throws(InferenceProtocolError) {
        let (wire, binary): (WireResponse, ArraySlice<UInt8>?) = try decodeJSONPart(body, framing: framing)
        self.init(
            modelName: wire.modelName, modelVersion: wire.modelVersion, id: wire.id,
            parameters: wire.parameters ?? [:],
            outputs: try assembleTensors(wire.outputs, binary: binary, role: "output"))
    }
}

private func encodeMessage<W: Encodable>(
    tensors: [InferenceTensor], binary: (InferenceTensor) -> Bool, style: BinaryHeaderStyle,
    header: ([WireTensor]) -> W
) throws(InferenceProtocolError) -> EncodedInferenceMessage {
    var wire: [WireTensor] = []
    var binaryParts: [[UInt8]] = []
    for t in tensors {
        var parameters = t.parameters
        if binary(t) {
            parameters[BinaryDataParameter.size] = .int(Int64(t.rawBytes.count))
            wire.append(WireTensor(name: t.name, datatype: t.datatype, shape: t.shape, parameters: parameters, data: nil))
            binaryParts.append(t.rawBytes)
        } else {
            parameters[BinaryDataParameter.size] = nil
            wire.append(
                WireTensor(
                    name: t.name, datatype: t.datatype, shape: t.shape, parameters: parameters,
                    data: (t.rawBytes, t.elementCount)))
        }
    }
    let json: [UInt8]
    do {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        json = Array(try encoder.encode(header(wire)))
    } catch let error as InferenceProtocolError {
        throw error
    } catch {
        throw InferenceProtocolError(.encodingFailed, "cannot encode message JSON: \(error)")
    }
    if binaryParts.isEmpty {
        return EncodedInferenceMessage(
            body: json, contentType: InferenceMediaType.json, inferenceHeaderContentLength: nil, jsonLength: json.count)
    }
    // The one copy of each binary tensor: an HTTP body is one contiguous buffer (curl sends it in
    // place with CURLOPT_POSTFIELDS, SigV4 hashes it, NIO writes it).
    var body = json
    body.reserveCapacity(json.count + binaryParts.reduce(0) { $0 + $1.count })
    for part in binaryParts { body.append(contentsOf: part) }
    switch style {
    case .inferenceHeaderContentLength:
        return EncodedInferenceMessage(
            body: body, contentType: InferenceMediaType.octetStream, inferenceHeaderContentLength: json.count,
            jsonLength: json.count)
    case .sagemakerContentType:
        return EncodedInferenceMessage(
            body: body, contentType: InferenceMediaType.sagemakerTritonBinary(jsonHeaderSize: json.count),
            inferenceHeaderContentLength: nil, jsonLength: json.count)
    }
}

private func decodeJSONPart<W: Decodable>(_ body: [UInt8], framing: MessageFraming)
    throws(InferenceProtocolError) -> (W, ArraySlice<UInt8>?)
{
    let jsonLength = framing.jsonLength ?? body.count
    guard jsonLength >= 0, jsonLength <= body.count else {
        throw .framing("JSON length \(jsonLength) is outside the body (\(body.count) bytes)")
    }
    let wire: W
    do {
        // JSONDecoder reads Data: the JSON part is copied (small in a binary message, which carries
        // its tensors after it).
        wire = try JSONDecoder().decode(W.self, from: Data(body[0..<jsonLength]))
    } catch let error as InferenceProtocolError {
        throw error
    } catch let error as DecodingError {
        throw .json(describe(error))
    } catch {
        throw .json("invalid JSON: \(error)")
    }
    return (wire, framing.jsonLength == nil ? nil : body[jsonLength...])
}

/// Joins JSON tensors with their binary data, in order, and validates every tensor.
private func assembleTensors(_ wire: [WireTensor], binary: ArraySlice<UInt8>?, role: String)
    throws(InferenceProtocolError) -> [InferenceTensor]
{
    var out: [InferenceTensor] = []
    out.reserveCapacity(wire.count)
    var offset = binary?.startIndex ?? 0
    for (index, w) in wire.enumerated() {
        var parameters = w.parameters
        let raw: [UInt8]
        if let sizeParameter = parameters.removeValue(forKey: BinaryDataParameter.size) {
            guard let size64 = sizeParameter.intValue, size64 >= 0, let size = Int(exactly: size64) else {
                throw .framing(
                    "\(role) '\(w.name)': binary_data_size must be a non-negative integer, got \(sizeParameter)")
            }
            guard w.data == nil else {
                throw .framing("\(role) '\(w.name)' has both JSON data and binary_data_size; send one or the other")
            }
            guard let binary else {
                throw .framing(
                    "\(role) '\(w.name)' has binary_data_size \(size) but the message has no binary part "
                        + "(no Inference-Header-Content-Length or json-header-size)")
            }
            let available = binary.endIndex - offset
            guard size <= available else {
                throw .framing(
                    "\(role) '\(w.name)' declares binary_data_size \(size) but only \(available) bytes of binary data remain")
            }
            // A tensor owns its bytes: one copy out of the body (a slice would keep the whole body alive).
            raw = Array(binary[offset..<(offset + size)])
            offset += size
        } else if let data = w.data {
            let expected = try InferenceTensor.checkedElementCount(name: w.name, shape: w.shape)
            guard data.count == expected else {
                throw .tensor(
                    "\(role) '\(w.name)': shape \(w.shape) needs \(expected) elements, JSON data has \(data.count)")
            }
            raw = data.bytes
        } else {
            throw .json("\(role) \(index) ('\(w.name)') has neither data nor parameters.binary_data_size")
        }
        out.append(
            try InferenceTensor(name: w.name, datatype: w.datatype, shape: w.shape, rawBytes: raw, parameters: parameters))
    }
    if let binary, offset != binary.endIndex {
        throw .framing(
            "\(binary.endIndex - offset) bytes of binary data follow the last binary tensor; "
                + "binary_data_size values must add up to the body length minus the JSON length")
    }
    return out
}

/// `s` without leading and trailing spaces and tabs (HTTP optional whitespace).
func trimmedSpaces<S: StringProtocol>(_ s: S) -> String {
    var sub = Substring(s)
    while let first = sub.first, first == " " || first == "\t" { sub.removeFirst() }
    while let last = sub.last, last == " " || last == "\t" { sub.removeLast() }
    return String(sub)
}
