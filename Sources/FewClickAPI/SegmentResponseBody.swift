import FewClickCore

/// A mask encoding the client can ask for in `outputs`.
public enum MaskOutput: String, Sendable, CaseIterable, Codable {
    /// COCO compressed RLE (column-major), `{"size": [h, w], "counts": "…"}`.
    case rle
    /// Polygons with holes: one entry per connected part, each a list of flat rings
    /// `[x0, y0, x1, y1, …]`, the outer ring first and then the holes (pixel-corner coordinates).
    case polygons
    /// A base64 PNG, 8-bit gray, 0 background / 255 object, full image size.
    case png
}

/// The JSON body of a successful `POST /v1/segment` answer (README "API: `POST /v1/segment`"): the
/// one definition the proxy encodes and clients decode. Encoded with ``APIJSON`` (keys sorted).
public struct SegmentResponseBody: Sendable, Codable, Equatable {
    /// The mask, in the encodings asked for, with its box and area.
    public struct MaskBody: Sendable, Codable, Equatable {
        /// COCO RLE, when asked for.
        public var rle: COCORLE?
        /// Polygons with holes (see `MaskOutput.polygons`), when asked for.
        public var polygons: [[[Double]]]?
        /// Base64 PNG (0/255), when asked for.
        public var png: String?
        /// Bounding box `[x, y, width, height]` in pixels; `[0, 0, 0, 0]` for an empty mask.
        public var bbox: [Int]
        /// Number of object pixels.
        public var area: Int

        /// Creates a mask body.
        public init(rle: COCORLE?, polygons: [[[Double]]]?, png: String?, bbox: [Int], area: Int) {
            self.rle = rle
            self.polygons = polygons
            self.png = png
            self.bbox = bbox
            self.area = area
        }
    }

    /// The model that produced the mask.
    public struct Model: Sendable, Codable, Equatable {
        /// The model's name, e.g. `"graphcut"`.
        public var name: String
        /// The model's version.
        public var version: String

        /// Creates a model description.
        public init(name: String, version: String) {
            self.name = name
            self.version = version
        }
    }

    /// Time per stage in milliseconds.
    public struct Timings: Sendable, Codable, Equatable {
        /// base64 and image decoding (or the cache lookup), previous-mask decoding.
        public var decode: Double
        /// Cropping, scaling and tensor encoding.
        public var preprocess: Double
        /// The model (the endpoint's own measure when it sends one, else the whole round trip).
        public var model: Double
        /// Response decoding, paste-back and mask encodings.
        public var postprocess: Double
        /// The whole request inside the proxy.
        public var total: Double

        /// Creates timings.
        public init(decode: Double, preprocess: Double, model: Double, postprocess: Double, total: Double) {
            self.decode = decode
            self.preprocess = preprocess
            self.model = model
            self.postprocess = postprocess
            self.total = total
        }
    }

    /// A suggested next corrective click (`"suggest": true` in the request), in the shape of a
    /// request's click, so a client can send it back as is: the centre of the image pixel where the
    /// model is least sure of this mask (`NextClickHint`; `x + 0.5`, `y + 0.5`) and the likely sign
    /// (`true`: the mask leaves the pixel out but it may be object; `false`: the mask has it but may
    /// be wrong).
    public typealias Suggestion = SegmentRequestBody.WireClick

    /// `sha256:<hex>` of the image file (``ImageID``): send it as `image.id` in later calls.
    public var imageId: String
    /// Image width in pixels.
    public var width: Int
    /// Image height in pixels.
    public var height: Int
    /// The mask.
    public var mask: MaskBody
    /// The model.
    public var model: Model
    /// Stage timings.
    public var timingsMs: Timings
    /// The next-click hint: only when the request asked (`suggest`) and the model doubts some pixel.
    public var suggestion: Suggestion?

    /// Creates a response body.
    public init(
        imageId: String, width: Int, height: Int, mask: MaskBody, model: Model, timingsMs: Timings,
        suggestion: Suggestion? = nil
    ) {
        self.imageId = imageId
        self.width = width
        self.height = height
        self.mask = mask
        self.model = model
        self.timingsMs = timingsMs
        self.suggestion = suggestion
    }
}
