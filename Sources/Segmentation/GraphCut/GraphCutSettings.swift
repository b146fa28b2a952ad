import Foundation

/// Every tunable of the graph-cut engine, with the defaults chosen on the coco128-dev set
/// (extreme + corrective clicks protocol). Units: pixels are crop pixels; energies are in nats
/// (natural-log likelihood units), the scale of the colour-model terms.
public struct GraphCutSettings: Sendable, Equatable, Codable {
    /// Gaussian components in each colour model (object and background), 1…8. Default 5.
    public var components: Int = 5
    /// Colour-model refits + cuts for the first mask (4 extreme points only). Default 2 (4 is no more
    /// accurate on the dev set once the contour seeds the models, and slower).
    public var iterations: Int = 2
    /// Refits + cuts for a corrective click when the previous mask is given (warm start). Default 1.
    public var refineIterations: Int = 1
    /// Weight γ of the contrast-sensitive pairwise term, in nats per unit of boundary length
    /// (`γ · exp(-β‖Δc‖²) / distance`, β = 1 / (2·mean‖Δc‖²) over 8-neighbour pairs). Default 10
    /// (GrabCut uses 50, which over-smooths thin parts once the contour prior is there).
    public var smoothness: Double = 10
    /// Variance added to each colour-model covariance diagonal, in squared 0…255 colour units. Default 4.
    public var varianceFloor: Double = 4
    /// Pixels the hard-background box (bounding box of extreme points and positive clicks) is grown by
    /// on each side. Default 0.
    public var boxSlack: Int = 0
    /// Radius in pixels of the hard-foreground disk around each extreme point (clipped to the box). Default 2.
    public var extremeRadius: Double = 2
    /// Radius in pixels of the hard disk around each corrective click. Default 5.
    public var clickRadius: Double = 5

    /// Whether to trace the cheapest paths along image edges between consecutive extreme points
    /// (left → top → right → bottom → left) and use the closed contour they form. Default true.
    public var boundaryPaths: Bool = true
    /// How far (fraction of the box's width/height) a boundary path may stray outside the rectangle
    /// spanned by the two extreme points it joins. Default 0: each quarter of the contour stays in
    /// its own rectangle, which on the dev set beats any slack.
    public var pathSlack: Double = 0
    /// Cost floor of a pixel for path tracing (the cost is `floor + exp(-edge/edgeScale)` with `edge`
    /// the colour gradient relative to its mean over the crop). Default 0.05.
    public var pathCostFloor: Double = 0.05
    /// Divisor of the relative edge strength in the path cost. Default 0.3.
    public var pathEdgeScale: Double = 0.3
    /// Soft prior towards the object inside the contour, nats per pixel. Default 3.
    public var insidePrior: Double = 3
    /// Soft prior towards the background between the contour and the box, nats per pixel. Default 3.
    public var outsidePrior: Double = 3
    /// Whether the first object colour model is fitted to the inside of the contour (true) or the
    /// whole box (false, classic GrabCut). Default true.
    public var contourInitialModel: Bool = true

    /// Soft prior at a corrective click towards its label, nats per pixel, fading linearly to 0 at
    /// `clickPriorRadius` geodesic pixels. Default 10 (it must beat the contour prior and the colour
    /// models near the click: a click says the labelling there is wrong).
    public var clickPrior: Double = 10
    /// Geodesic reach of a click's soft prior, in pixels of path length. Default 60.
    public var clickPriorRadius: Double = 60
    /// Fraction of `clickPriorRadius` within which a click's label also seeds the colour models on
    /// the warm start (pixels nearest to that click). Default 0.5.
    public var clickRegionFraction: Double = 0.5
    /// How much colour edges lengthen geodesic paths from a click: step cost `1 + this · edge`
    /// (edge relative to its mean). Default 2.
    public var clickEdgeWeight: Double = 2
    /// Multiplier of the contour priors (`insidePrior`, `outsidePrior`) on corrective clicks, when the
    /// previous mask already carries what the contour said. Default 0.3.
    public var correctionContourScale: Double = 0.3
    /// On a corrective click with a previous mask, only a square window of half-side
    /// `localWindow · clickPriorRadius` around the newest click is re-cut (the rest keeps the previous
    /// labels), which makes a click cheap and keeps its effect local; 0 re-cuts the whole box.
    /// Default 1 (a window of 121 × 121 crop pixels at most).
    public var localWindow: Double = 1
    /// Soft prior towards the previous mask's label on corrective clicks, nats per pixel. Default 0.
    public var previousPrior: Double = 0

    /// `clicknet-graphcut` only: nats of object prior per unit of the network's log-odds on the first
    /// mask (4 extreme points). Default 1.
    public var networkPrior: Double = 1
    /// `clicknet-graphcut` only: the same on corrective clicks. Default 0.5.
    public var networkCorrectionPrior: Double = 0.5
    /// `clicknet-graphcut` only: the network's log-odds are clamped to ± this before weighting. Default 6.
    public var networkLogOddsClamp: Double = 6
    /// `clicknet-graphcut` only: answer the first mask (4 extreme points, no corrective click) with the
    /// network's own probability map instead of cutting; corrective clicks are cut. Default false.
    public var networkFirstMask: Bool = false
    /// `clicknet-graphcut` only: multiplier of the contour priors when the network's prior is there;
    /// 0 skips the contour altogether (the network already gives the shape). Default 0.
    public var networkContourScale: Double = 0

    /// Background holes inside the object smaller than this many pixels are filled. Default 30.
    public var maxHoleArea: Int = 30
    /// Width in pixels of the probability ramp across the cut: the probability moves from 0.5 to about
    /// 0.5 ± 0.38 over this distance from the boundary. Default 2.
    public var probabilityRamp: Double = 2
    /// Energy quantisation: integer capacity units per nat for the max-flow solver. Default 64.
    public var flowScale: Double = 64

    /// The defaults.
    public static let `default` = GraphCutSettings()

    /// Creates settings with the defaults; change fields afterwards.
    public init() {}
}

extension GraphCutSettings {
    /// A settings object that cannot be used; the message names the field and the problem.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        /// What is wrong.
        public var message: String
        /// The ``message``.
        public var description: String { message }
    }

    /// `base` (default: the defaults) with the fields present in `json` (a JSON object holding any
    /// subset of the fields, by their Swift names) replaced, then checked with ``validate()``.
    ///
    /// - Throws: ``Invalid`` when `json` is not an object, names an unknown field, gives a field
    ///   the wrong type, or a value out of range.
    public static func overriding(json: Data, base: GraphCutSettings = .default) throws(Invalid) -> GraphCutSettings {
        guard let defaults = try? JSONEncoder().encode(base),
            var merged = (try? JSONSerialization.jsonObject(with: defaults)) as? [String: Any],
            let overrides = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any]
        else { throw Invalid(message: "settings are not a JSON object") }
        let unknown = Set(overrides.keys).subtracting(merged.keys)
        guard unknown.isEmpty else {
            throw Invalid(message: "unknown graphcut settings \(unknown.sorted().joined(separator: ", "))")
        }
        merged.merge(overrides) { _, new in new }
        let settings: GraphCutSettings
        do {
            let data = try JSONSerialization.data(withJSONObject: merged)
            settings = try JSONDecoder().decode(GraphCutSettings.self, from: data)
        } catch {
            throw Invalid(message: "a graphcut setting has the wrong type (\(error))")
        }
        try settings.validate()
        return settings
    }

    /// Checks every field against its documented range.
    ///
    /// - Throws: ``Invalid`` naming the first field out of range.
    public func validate() throws(Invalid) {
        func check(_ ok: Bool, _ field: String, _ range: String) throws(Invalid) {
            if !ok { throw Invalid(message: "graphcut setting \(field) must be \(range)") }
        }
        func finite(_ v: Double, _ field: String, min: Double, max: Double) throws(Invalid) {
            try check(v.isFinite && v >= min && v <= max, field, "a number in \(min.formatted)…\(max.formatted)")
        }
        try check((1...8).contains(components), "components", "1…8")
        try check((1...20).contains(iterations), "iterations", "1…20")
        try check((1...20).contains(refineIterations), "refineIterations", "1…20")
        try finite(smoothness, "smoothness", min: 0, max: 1000)
        try finite(varianceFloor, "varianceFloor", min: 0, max: 10_000)
        try check((0...1000).contains(boxSlack), "boxSlack", "0…1000")
        try finite(extremeRadius, "extremeRadius", min: 0, max: 100)
        try finite(clickRadius, "clickRadius", min: 0, max: 100)
        try finite(pathSlack, "pathSlack", min: 0, max: 1)
        try finite(pathCostFloor, "pathCostFloor", min: 0.001, max: 100)
        try finite(pathEdgeScale, "pathEdgeScale", min: 0.001, max: 100)
        try finite(insidePrior, "insidePrior", min: 0, max: 100)
        try finite(outsidePrior, "outsidePrior", min: 0, max: 100)
        try finite(clickPrior, "clickPrior", min: 0, max: 100)
        try finite(clickPriorRadius, "clickPriorRadius", min: 0, max: 1000)
        try finite(clickRegionFraction, "clickRegionFraction", min: 0, max: 1)
        try finite(clickEdgeWeight, "clickEdgeWeight", min: 0, max: 100)
        try finite(correctionContourScale, "correctionContourScale", min: 0, max: 10)
        try finite(localWindow, "localWindow", min: 0, max: 100)
        try finite(previousPrior, "previousPrior", min: 0, max: 100)
        try finite(networkPrior, "networkPrior", min: 0, max: 100)
        try finite(networkCorrectionPrior, "networkCorrectionPrior", min: 0, max: 100)
        try finite(networkLogOddsClamp, "networkLogOddsClamp", min: 0, max: 50)
        try finite(networkContourScale, "networkContourScale", min: 0, max: 10)
        try check((0...1_000_000).contains(maxHoleArea), "maxHoleArea", "0…1000000")
        try finite(probabilityRamp, "probabilityRamp", min: 0.1, max: 100)
        try finite(flowScale, "flowScale", min: 1, max: 1024)
    }
}

extension Double {
    /// Shortest decimal form for messages ("0.1", "1000").
    fileprivate var formatted: String {
        self == rounded() && abs(self) < 1e15 ? String(Int(self)) : String(self)
    }
}
