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
