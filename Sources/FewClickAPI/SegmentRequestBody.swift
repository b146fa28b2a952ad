import FewClickCore
import Foundation

/// The JSON body of `POST /v1/segment` (README "API: `POST /v1/segment`"), as sent: the one
/// definition the proxy decodes and clients (the evaluation's `GatewayClient`, tests) encode.
///
/// Every member is optional here so that the proxy, not the JSON decoder, decides what a missing
/// member means (the proxy's `SegmentRequest.parse` turns this into a checked request or an error
/// with one of the ``APIErrorCode``s). Unknown members are ignored. Members that are nil are left
/// out of the encoded JSON.
public struct SegmentRequestBody: Sendable, Codable, Equatable {
    /// Where the image comes from: exactly one of `data`, `id`, `url`.
    public struct Image: Sendable, Codable, Equatable {
        /// The JPEG or PNG file, base64 (standard alphabet, padding optional, whitespace allowed).
        public var data: String?
        /// The `imageId` of an earlier response: `sha256:<64 hex digits>` (``ImageID``).
        public var id: String?
        /// An image URL, fetched when it matches the deployment's allowlist (`proxy serve
        /// --image-url-allow`); without an allowlist it answers 422 `url_not_enabled`.
        public var url: String?

        /// Creates an image reference.
        public init(data: String? = nil, id: String? = nil, url: String? = nil) {
            self.data = data
            self.id = id
            self.url = url
        }

        /// The image file's bytes (JPEG or PNG), sent base64 in `data`.
        public init(fileBytes: some Sequence<UInt8>) {
            self.init(data: Data(fileBytes).base64EncodedString())
        }
    }

    /// A corrective click.
    public struct WireClick: Sendable, Codable, Equatable {
        /// Column in pixels (0 ≤ x < width).
        public var x: Double
        /// Row in pixels (0 ≤ y < height).
        public var y: Double
        /// `true`: "this is the object"; `false`: "this is background".
        public var positive: Bool

        /// Creates a click.
        public init(x: Double, y: Double, positive: Bool) {
            self.x = x
            self.y = y
            self.positive = positive
        }

        /// A corrective `Click` (FewClickCore) on the wire: `positive` when its kind is `.positive`.
        /// Extreme points are not clicks on the wire (they travel in `extremePoints`).
        public init(_ click: Click) {
            self.init(x: click.x, y: click.y, positive: click.kind == .positive)
        }

        /// The click as a positive or negative corrective `Click` (FewClickCore).
        public var click: Click { Click(x: x, y: y, kind: positive ? .positive : .negative) }
    }

    /// The image.
    public var image: Image?
    /// The 4 extreme points `[[x, y], …]`, any order.
    public var extremePoints: [[Double]]?
    /// Corrective clicks, in the order they were made.
    public var clicks: [WireClick]?
    /// The mask of the previous answer, COCO RLE `{"size": [h, w], "counts": "…"}`.
    public var previousMask: COCORLE?
    /// Which encodings to return: any of `rle`, `polygons`, `png`. Default `["rle", "polygons"]`.
    public var outputs: [String]?
    /// Douglas–Peucker tolerance of the polygons in pixels (≥ 0). Default 1.
    public var polygonTolerance: Double?
    /// Ask for a next-click hint (`SegmentResponseBody.suggestion`). Default false.
    public var suggest: Bool?

    /// Creates a body.
    public init(
        image: Image?, extremePoints: [[Double]]?, clicks: [WireClick]? = nil, previousMask: COCORLE? = nil,
        outputs: [String]? = nil, polygonTolerance: Double? = nil, suggest: Bool? = nil
    ) {
        self.image = image
        self.extremePoints = extremePoints
        self.clicks = clicks
        self.previousMask = previousMask
        self.outputs = outputs
        self.polygonTolerance = polygonTolerance
        self.suggest = suggest
    }
}

extension SegmentRequestBody {
    /// A labeling client's request for all `clicks` so far, in image pixels: the extreme points among
    /// them go to `extremePoints` (in order), the corrective ones to `clicks` (always present, maybe
    /// empty).
    ///
    /// - Parameters:
    ///   - image: the image (its bytes on the first call, its `imageId` afterwards).
    ///   - clicks: every click of the session so far, extreme points first.
    ///   - previousMask: the mask of the last answer, if any.
    ///   - outputs: the encodings asked for; default the RLE only.
    ///   - suggest: ask for the next-click hint; `false` leaves `suggest` out of the JSON.
    public init(
        image: Image, clicks: [Click], previousMask: COCORLE?, outputs: [MaskOutput] = [.rle], suggest: Bool = false
    ) {
        self.init(
            image: image, extremePoints: clicks.filter { $0.kind == .extreme }.map { [$0.x, $0.y] },
            clicks: clicks.filter { $0.kind != .extreme }.map(WireClick.init),
            previousMask: previousMask, outputs: outputs.map(\.rawValue), suggest: suggest ? true : nil)
    }
}
