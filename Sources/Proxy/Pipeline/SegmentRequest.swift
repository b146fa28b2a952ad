import FewClickAPI
import FewClickCore
import Foundation
import LambdaKit

/// A `POST /v1/segment` body after validation against the image (see `validate`).
public struct SegmentRequest: Sendable {
    /// Where the image comes from.
    public enum ImageSource: Sendable, Equatable {
        /// The file's bytes (already base64-decoded).
        case data([UInt8])
        /// The `imageId` of an earlier response.
        case id(String)
        /// A URL to fetch (checked against the allowlist when fetched, see `ImageURLPolicy`).
        case url(String)
    }

    /// The image source.
    public var image: ImageSource
    /// The 4 extreme points, as given.
    public var extremePoints: [Point]
    /// The corrective clicks, in order.
    public var clicks: [Click]
    /// The previous mask, still encoded (decoded and checked against the image by `validate`).
    public var previousMask: COCORLE?
    /// The encodings to return.
    public var outputs: Set<MaskOutput>
    /// The polygon tolerance in pixels.
    public var polygonTolerance: Double
    /// Whether the answer carries a next-click hint.
    public var suggest = false

    /// Every click for the model: extreme points first, then corrective clicks.
    public var allClicks: [Click] {
        extremePoints.map { Click(x: $0.x, y: $0.y, kind: .extreme) } + clicks
    }

    /// The default `outputs`.
    public static let defaultOutputs: Set<MaskOutput> = [.rle, .polygons]
    /// The default `polygonTolerance` in pixels.
    public static let defaultPolygonTolerance = 1.0

    /// Parses a body: JSON syntax and types, the image source, the counts and kinds of points and
    /// outputs. Checks that need the image size are in `validate(width:height:)`.
    ///
    /// - Throws: `ProxyError` 400 `invalid_json` (not strict RFC 8259 JSON, or not an object) /
    ///   `invalid_request` / `invalid_base64`, or 422 `missing_image`, `ambiguous_image`, `invalid_image_id`,
    ///   `invalid_extreme_points`, `invalid_click`, `too_many_clicks`, `invalid_outputs`,
    ///   `unknown_output`, `invalid_polygon_tolerance`, `invalid_previous_mask`.
    public static func parse(_ body: [UInt8], maxClicks: Int) throws(ProxyError) -> SegmentRequest {
        do {
            // JSONDecoder accepts trailing commas and other JSON5 leniencies: check RFC 8259 first.
            try StrictJSON.validateObject(body)
        } catch {
            throw .invalidJSON(error.message)
        }
        let wire: SegmentRequestBody
        do {
            wire = try JSONDecoder().decode(SegmentRequestBody.self, borrowing: body)
        } catch let error as DecodingError {
            throw classify(error)
        } catch {
            throw .invalidJSON("the body is not valid JSON")
        }
        return try parse(wire, maxClicks: maxClicks)
    }

    /// Parses an already decoded body (see `parse(_:maxClicks:)`).
    public static func parse(_ wire: SegmentRequestBody, maxClicks: Int) throws(ProxyError) -> SegmentRequest {
        guard let image = wire.image else {
            throw .unprocessable(.missingImage, "image is required: {\"data\": base64} or {\"id\": imageId}")
        }
        let given = [image.data != nil, image.id != nil, image.url != nil].filter { $0 }.count
        guard given == 1 else {
            if given == 0 {
                throw .unprocessable(.missingImage, "image must have one of data, id or url")
            }
            throw .unprocessable(.ambiguousImage, "image must have exactly one of data, id or url")
        }
        let source: ImageSource
        if let data = image.data {
            guard let bytes = decodeBase64(data), !bytes.isEmpty else {
                throw .invalidBase64("image.data is not valid base64")
            }
            source = .data(bytes)
        } else if let id = image.id {
            guard ImageID.isValid(id) else {
                throw .unprocessable(.invalidImageID, "image.id must be \"sha256:\" followed by 64 hex digits")
            }
            source = .id(id.lowercased())
        } else {
            source = .url(image.url ?? "")
        }

        guard let rawPoints = wire.extremePoints else {
            throw .unprocessable(.invalidExtremePoints, "extremePoints is required: 4 points [x, y]")
        }
        guard rawPoints.count == 4 else {
            throw .unprocessable(
                .invalidExtremePoints, "extremePoints must have exactly 4 points, got \(rawPoints.count)")
        }
        var points: [Point] = []
        for (i, pair) in rawPoints.enumerated() {
            guard pair.count == 2, pair[0].isFinite, pair[1].isFinite else {
                throw .unprocessable(.invalidExtremePoints, "extremePoints[\(i)] must be [x, y] with finite numbers")
            }
            points.append(Point(x: pair[0], y: pair[1]))
        }

        let wireClicks = wire.clicks ?? []
        guard wireClicks.count <= maxClicks else {
            throw .unprocessable(
                .tooManyClicks, "clicks has \(wireClicks.count) entries; the limit is \(maxClicks)")
        }
        var clicks: [Click] = []
        for (i, click) in wireClicks.enumerated() {
            guard click.x.isFinite, click.y.isFinite else {
                throw .unprocessable(.invalidClick, "clicks[\(i)] must have finite x and y")
            }
            clicks.append(click.click)
        }

        var outputs = defaultOutputs
        if let names = wire.outputs {
            guard !names.isEmpty else {
                throw .unprocessable(.invalidOutputs, "outputs must name at least one of rle, polygons, png")
            }
            outputs = []
            for name in names {
                guard let output = MaskOutput(rawValue: name) else {
                    throw .unprocessable(
                        .unknownOutput, "outputs: unknown encoding \"\(name.prefix(40))\"; known: rle, polygons, png")
                }
                outputs.insert(output)
            }
        }

        let tolerance = wire.polygonTolerance ?? defaultPolygonTolerance
        guard tolerance.isFinite, tolerance >= 0 else {
            throw .unprocessable(.invalidPolygonTolerance, "polygonTolerance must be a number ≥ 0")
        }
        return SegmentRequest(
            image: source, extremePoints: points, clicks: clicks, previousMask: wire.previousMask, outputs: outputs,
            polygonTolerance: tolerance, suggest: wire.suggest ?? false)
    }

    /// Checks the request against the image: points and clicks inside it, and the previous mask
    /// of its size. Returns the decoded previous mask.
    ///
    /// - Throws: `ProxyError` 422 `extreme_point_outside_image`, `click_outside_image`,
    ///   `invalid_previous_mask`, `previous_mask_size_mismatch`.
    public func validate(width: Int, height: Int) throws(ProxyError) -> Mask? {
        func inside(_ x: Double, _ y: Double) -> Bool { x >= 0 && y >= 0 && x < Double(width) && y < Double(height) }
        for (i, p) in extremePoints.enumerated() where !inside(p.x, p.y) {
            throw .unprocessable(
                .extremePointOutsideImage,
                "extremePoints[\(i)] (\(p.x), \(p.y)) is outside the \(width)×\(height) image")
        }
        for (i, c) in clicks.enumerated() where !inside(c.x, c.y) {
            throw .unprocessable(
                .clickOutsideImage, "clicks[\(i)] (\(c.x), \(c.y)) is outside the \(width)×\(height) image")
        }
        guard let rle = previousMask else { return nil }
        guard rle.size == [height, width] else {
            throw .unprocessable(
                .previousMaskSizeMismatch,
                "previousMask.size is \(rle.size); the image is [\(height), \(width)] ([height, width])")
        }
        do {
            return try Mask(cocoRLE: rle, maxPixels: width * height)
        } catch {
            throw .unprocessable(.invalidPreviousMask, "previousMask is not a valid COCO RLE: \(error.message)")
        }
    }

    /// Decodes strict base64 (see `strictBase64Whitespace`); missing padding is accepted. `nil` when invalid.
    ///
    /// Foundation decodes padded base64 without whitespace only: text of that form (what `btoa` and
    /// `base64 -w0` write) is decoded as it is, other text from a cleaned, padded copy. The decoded
    /// `Data` is copied once into the `[UInt8]` the codecs read (Foundation decodes into `Data` only).
    static func decodeBase64(_ text: String) -> [UInt8]? {
        guard let whitespace = strictBase64Whitespace(text) else { return nil }
        if whitespace == 0, text.utf8.count % 4 == 0 {
            return Data(base64Encoded: text).map { [UInt8]($0) }
        }
        var cleaned = [UInt8]()
        cleaned.reserveCapacity(text.utf8.count + 2)
        for byte in text.utf8 where byte != 0x20 && byte != 0x0A && byte != 0x0D && byte != 0x09 {
            cleaned.append(byte)
        }
        while cleaned.count % 4 != 0 { cleaned.append(UInt8(ascii: "=")) }
        return Data(base64Encoded: Data(cleaned)).map { [UInt8]($0) }
    }

    /// Strict base64 check (standard alphabet, optional padding, ASCII whitespace allowed), so that
    /// garbage is not silently skipped by the lenient decoder: the number of whitespace bytes, nil
    /// when `text` is not base64.
    static func strictBase64Whitespace(_ text: String) -> Int? {
        var count = 0
        var padding = 0
        var whitespace = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"):
                if padding > 0 { return nil }
                count += 1
            case UInt8(ascii: "="):
                padding += 1
                if padding > 2 { return nil }
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"):
                whitespace += 1
            default:
                return nil
            }
        }
        return count % 4 != 1 && (padding == 0 || (count + padding) % 4 == 0) ? whitespace : nil
    }

    /// Maps a decoding error to a client error naming the member.
    static func classify(_ error: DecodingError) -> ProxyError {
        func path(_ context: DecodingError.Context) -> String {
            var text = ""
            for key in context.codingPath {
                if let i = key.intValue { text += "[\(i)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
            }
            return text.isEmpty ? "the body" : text
        }
        switch error {
        case .dataCorrupted(let context):
            if context.codingPath.first?.stringValue == "previousMask" {
                return .unprocessable(.invalidPreviousMask, "previousMask is not a valid COCO RLE")
            }
            return context.codingPath.isEmpty
                ? .invalidJSON("the body is not valid JSON") : .invalidRequest("\(path(context)) is invalid")
        case .typeMismatch(let type, let context):
            if context.codingPath.isEmpty { return .invalidJSON("the body must be a JSON object") }
            return .invalidRequest("\(path(context)) has the wrong type (expected \(describe(type)))")
        case .valueNotFound(let type, let context):
            return .invalidRequest("\(path(context)) must not be null (expected \(describe(type)))")
        case .keyNotFound(let key, let context):
            let at = path(context)
            return .invalidRequest("\(at == "the body" ? "" : at + ".")\(key.stringValue) is required")
        @unknown default:
            return .invalidRequest("the body does not match the API")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Double.Type, is Int.Type: return "a number"
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        default:
            let name = String(describing: type)
            return name.hasPrefix("Array") ? "an array" : "an object"
        }
    }
}
