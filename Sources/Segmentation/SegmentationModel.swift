import FewClickCore

/// What a segmentation model gets for one call: the crop the proxy prepared and the clicks in the
/// crop's pixel coordinates.
public struct SegmentationInput: Sendable {
    /// The crop: the extreme-point box plus the proxy's margin ring, scaled so its longer side is at
    /// most the proxy's configured size.
    public var image: RGBImage
    /// Every click so far, in crop pixel coordinates, in the order they were made: the four
    /// `.extreme` clicks first, then corrective `.positive` / `.negative` clicks.
    public var clicks: [Click]
    /// The previous answer for this object, as a probability map (0–255) of the crop's size, when the
    /// caller has one (corrective clicks). Models may use it to warm-start.
    public var previousMask: GrayImage?
    /// An opaque key naming the image and crop this call is about (the proxy sends the image id),
    /// which a model may use to cache per-object state between calls. Nil: no caching.
    public var sessionKey: String?

    /// Creates a model input.
    public init(image: RGBImage, clicks: [Click], previousMask: GrayImage? = nil, sessionKey: String? = nil) {
        self.image = image
        self.clicks = clicks
        self.previousMask = previousMask
        self.sessionKey = sessionKey
    }

    /// The `.extreme` clicks.
    public var extremePoints: [Click] { clicks.filter { $0.kind == .extreme } }

    /// The checks of the models that work on the crop's pixels (`graphcut`, `clicknet`): a non-empty
    /// crop, at least one extreme point, and click coordinates that are finite and within ±10⁷ pixels
    /// (far beyond any crop, so pixel arithmetic stays in range; clicks outside the crop are allowed).
    ///
    /// - Parameter model: the model's name, for the message.
    /// - Throws: `SegmentationError` naming the problem.
    func checkCropAndClicks(model: String) throws(SegmentationError) {
        guard image.width > 0, image.height > 0 else { throw SegmentationError("empty image") }
        guard clicks.contains(where: { $0.kind == .extreme }) else {
            throw SegmentationError("\(model) needs the extreme points")
        }
        for c in clicks where !(c.x.isFinite && c.y.isFinite && abs(c.x) < 1e7 && abs(c.y) < 1e7) {
            throw SegmentationError("click coordinates must be finite and within ±10⁷ pixels")
        }
    }
}

/// A model that cannot be loaded (weights missing or corrupt, bad settings): a start-up error for
/// that model, with a message naming the file and the problem.
public struct ModelLoadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, naming the file.
    public let description: String
    /// The same text as ``description``: every library error has a `message` (README "Development").
    public var message: String { description }

    /// Creates an error.
    public init(_ description: String) { self.description = description }
}

/// Why a model refused an input. Maps to HTTP 400 at the endpoint.
public struct SegmentationError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A human-readable reason, safe to return to a client.
    public let description: String
    /// The same text as ``description``: every library error has a `message` (README "Development").
    public var message: String { description }

    /// Creates an error with a client-safe message.
    public init(_ description: String) { self.description = description }
}

/// A segmentation model: crop + clicks in, per-pixel object probability out.
///
/// This is the seam between the services and the algorithm: the graph-cut engine, the honest
/// baselines and any future learned model implement it, and nothing else in the stack changes.
/// Implementations must be deterministic for the same input and safe to call concurrently.
public protocol SegmentationModel: Sendable {
    /// The name clients use to select the model (`graphcut`, `box`, …).
    var name: String { get }
    /// A version string reported with every answer.
    var version: String { get }
    /// Segments one object.
    ///
    /// - Returns: a probability map (probability × 255) with exactly the crop's width and height.
    /// - Throws: `SegmentationError` when the input cannot be segmented (e.g. no extreme points).
    func segment(_ input: SegmentationInput) throws -> GrayImage
    /// Segments one object and also returns the model's soft belief, for the next-click hint
    /// (`NextClickHint`). The default calls ``segment(_:)`` and has no separate belief.
    ///
    /// - Returns: the answer (exactly what ``segment(_:)`` returns) and, for a model whose answer is a
    ///   hard decision over a softer estimate, that estimate (same size).
    /// - Throws: as ``segment(_:)``.
    func segmentWithBelief(_ input: SegmentationInput) throws -> SegmentationOutput
}

/// A model's answer with its soft belief (`SegmentationModel.segmentWithBelief`).
public struct SegmentationOutput: Sendable {
    /// The probability map (probability × 255), crop-sized: what ``SegmentationModel/segment(_:)`` returns.
    public var answer: GrayImage
    /// The model's estimate before its hard decisions (probability × 255, crop-sized), e.g. the
    /// network's probability under `clicknet-graphcut`'s graph cut; nil when the answer is the belief.
    public var belief: GrayImage?

    /// Creates an output.
    public init(answer: GrayImage, belief: GrayImage? = nil) {
        self.answer = answer
        self.belief = belief
    }
}

extension SegmentationModel {
    /// The answer of ``segment(_:)`` with no separate belief.
    public func segmentWithBelief(_ input: SegmentationInput) throws -> SegmentationOutput {
        SegmentationOutput(answer: try segment(input))
    }
}
