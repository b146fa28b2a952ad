import PixelKernels

/// A suggested next corrective click: the pixel where the model is least sure of its own answer,
/// and the sign of the click that would correct the answer there.
public struct ClickSuggestion: Sendable, Equatable {
    /// Column of the suggested pixel (in the coordinates of the maps it was computed on).
    public var x: Int
    /// Row of the suggested pixel.
    public var y: Int
    /// `true`: the answer says background there but the model believes it may be object (a positive
    /// click would add it); `false`: the answer says object but may be wrong (a negative click).
    public var positive: Bool
    /// How strongly the model doubts its answer at the pixel, 0…1 (the belief's probability of the
    /// other label there).
    public var doubt: Double

    /// Creates a suggestion.
    public init(x: Int, y: Int, positive: Bool, doubt: Double) {
        self.x = x
        self.y = y
        self.positive = positive
        self.doubt = doubt
    }
}

/// The next-click hint: where the model is least sure of the mask it answered.
///
/// Inputs are two maps of the same size (probability × 255): the *answer* the mask is thresholded
/// from (≥ 128 is object) and the model's *belief*, its soft estimate before any hard decision
/// (for `clicknet-graphcut` the network's probability before the graph cut; for a model without a
/// separate belief, the answer itself). A pixel's doubt is the belief's probability of the label
/// the answer did *not* pick. The doubtful pixels (doubt ≥ `minimumDoubt`) form two regions: answer
/// background the model thinks may be object (→ positive click) and answer object it thinks may be
/// background (→ negative click). The suggestion is the pixel maximising
/// `doubt × distance to the region's outside`, the middle of the largest, most doubtful region —
/// the same "deep inside the error" placement the standard simulated clicker uses on true errors.
/// Pixels within `clickRadius` of an earlier click are skipped (the model already knows them), and
/// so are pixels closer than `minimumDepth` to their region's edge (slivers along the boundary,
/// where a click would change next to nothing).
public enum NextClickHint {
    /// Default smallest doubt a pixel needs to count (belief probability of the other label).
    public static let defaultMinimumDoubt = 0.3
    /// Default radius in pixels around earlier clicks where no hint is placed.
    public static let defaultClickRadius = 5.0
    /// Default smallest distance in pixels from a suggested pixel to the edge of its doubtful region.
    public static let defaultMinimumDepth = 2.0

    /// The hint for one answer.
    ///
    /// - Parameters:
    ///   - answer: the map the mask comes from (≥ 128 = object).
    ///   - belief: the model's soft belief, same size as `answer`; `nil` uses `answer`.
    ///   - clicks: every click so far, in the maps' pixel coordinates.
    ///   - minimumDoubt: the smallest doubt (0…1) a pixel needs to be suggested.
    ///   - clickRadius: pixels closer than this to a click are never suggested.
    ///   - minimumDepth: pixels closer than this to the outside of their doubtful region are never
    ///     suggested (distance to the nearest pixel outside it, in pixels).
    /// - Returns: the suggestion, or `nil` when no pixel is doubtful enough (or the sizes differ).
    public static func suggest(
        answer: GrayImage, belief: GrayImage?, clicks: [Click], minimumDoubt: Double = defaultMinimumDoubt,
        clickRadius: Double = defaultClickRadius, minimumDepth: Double = defaultMinimumDepth
    ) -> ClickSuggestion? {
        let w = answer.width, h = answer.height
        let belief = belief ?? answer
        guard w > 0, h > 0, belief.width == w, belief.height == h else { return nil }
        let n = w * h
        let threshold = max(1, min(255, Int((minimumDoubt * 255).rounded(.up))))
        // Doubt of each pixel (0…255) and the two regions.
        var doubt = [UInt8](repeating: 0, count: n)
        var addRegion = [UInt8](repeating: 0, count: n)
        var removeRegion = [UInt8](repeating: 0, count: n)
        for i in 0..<n {
            let object = answer.pixels[i] >= 128
            let d = object ? 255 - belief.pixels[i] : belief.pixels[i]
            doubt[i] = d
            if Int(d) >= threshold {
                if object { removeRegion[i] = 1 } else { addRegion[i] = 1 }
            }
        }
        // No hint next to what the labeler already clicked.
        let r = max(0, clickRadius)
        let r2 = r * r
        for c in clicks where c.x.isFinite && c.y.isFinite {
            let cx = c.x.rounded(.down), cy = c.y.rounded(.down)
            let x0 = max(0, Int(max(-1, cx - r))), x1 = min(w - 1, Int(min(Double(w), cx + r)))
            let y0 = max(0, Int(max(-1, cy - r))), y1 = min(h - 1, Int(min(Double(h), cy + r)))
            guard x0 <= x1, y0 <= y1 else { continue }
            for y in y0...y1 {
                for x in x0...x1 {
                    let dx = Double(x) - cx, dy = Double(y) - cy
                    if dx * dx + dy * dy <= r2 {
                        addRegion[y * w + x] = 0
                        removeRegion[y * w + x] = 0
                    }
                }
            }
        }
        var best: ClickSuggestion?
        var bestScore = 0.0
        let depth2 = max(0, minimumDepth) * max(0, minimumDepth)
        for (region, positive) in [(addRegion, true), (removeRegion, false)] {
            guard region.contains(1) else { continue }
            let dt = DistanceTransform.squaredDistanceToZero(region, width: w, height: h, outsideIsZero: true)
            for i in 0..<n where region[i] != 0 && dt[i] >= depth2 {
                let score = dt[i].squareRoot() * Double(doubt[i])
                if score > bestScore {
                    bestScore = score
                    best = ClickSuggestion(x: i % w, y: i / w, positive: positive, doubt: Double(doubt[i]) / 255)
                }
            }
        }
        return best
    }
}
