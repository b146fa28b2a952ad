import FewClickCore
import PixelKernels

/// The simulated labeler of the evaluation protocol (README "Evaluation and load tests"): extreme points
/// from the ground truth, then the standard corrective-click rule.
///
/// Coordinates: every click is placed at a pixel *centre*, `(x + 0.5, y + 0.5)` for pixel `(x, y)`;
/// models and the wire format floor coordinates (`Point.pixel`), so the click lands on exactly that
/// pixel everywhere in the stack.
///
/// Pixels set in the ignore mask are never clicked and count as neither false negatives nor false
/// positives. The ground truth used for placement is `groundTruth ∧ ¬ignore`.
public struct ClickSimulator: Sendable {
    /// The object, at image size.
    public let groundTruth: Mask
    /// Pixels left out of IoU and click placement, or nil.
    public let ignore: Mask?

    /// Creates a simulator for one object. `ignore`, when given, must have the ground truth's size.
    public init(groundTruth: Mask, ignore: Mask? = nil) {
        if let ignore {
            precondition(ignore.width == groundTruth.width && ignore.height == groundTruth.height,
                         "ignore mask size mismatch")
        }
        self.groundTruth = groundTruth
        self.ignore = ignore
    }

    /// Image width in pixels.
    public var width: Int { groundTruth.width }
    /// Image height in pixels.
    public var height: Int { groundTruth.height }

    /// The four extreme points, in the order leftmost, rightmost, topmost, bottommost, as `.extreme`
    /// clicks at pixel centres.
    ///
    /// For each side the candidates are the object pixels on the extreme column (row) — with
    /// `perturbation` > 0, those within `perturbation` pixels of it — and `rng` picks one uniformly
    /// (candidates in row-major order; one draw per side, in the order above).
    ///
    /// - Returns: nil when the object has no pixel outside the ignore mask.
    public func extremePoints(perturbation: Int = 0, rng: inout SplitMix64) -> [Click]? {
        let w = width, h = height
        var minX = w, maxX = -1, minY = h, maxY = -1
        let gt = groundTruth.bits
        let ign = ignore?.bits
        for y in 0..<h {
            for x in 0..<w where gt[y * w + x] != 0 && (ign == nil || ign![y * w + x] == 0) {
                minX = min(minX, x); maxX = max(maxX, x)
                minY = min(minY, y); maxY = max(maxY, y)
            }
        }
        guard maxX >= 0 else { return nil }
        let pert = max(0, perturbation)
        let sides: [(Int, Int) -> Bool] = [
            { x, _ in x <= minX + pert },
            { x, _ in x >= maxX - pert },
            { _, y in y <= minY + pert },
            { _, y in y >= maxY - pert },
        ]
        var clicks: [Click] = []
        for isCandidate in sides {
            var candidates: [Int] = []
            for y in minY...maxY {
                for x in minX...maxX where gt[y * w + x] != 0 && (ign == nil || ign![y * w + x] == 0) && isCandidate(x, y) {
                    candidates.append(y * w + x)
                }
            }
            let pick = candidates[rng.index(below: candidates.count)]
            clicks.append(Click(x: Double(pick % w) + 0.5, y: Double(pick / w) + 0.5, kind: .extreme))
        }
        return clicks
    }

    /// The next corrective click for `prediction`, by the standard rule: FN = gt ∧ ¬pred and
    /// FP = ¬gt ∧ pred (ignore pixels excluded), each padded by one pixel of zeros; exact Euclidean
    /// distance transform of each; zeroed at the pixels of `clicked`; the click is positive iff
    /// max(dt_FN) > max(dt_FP) (a tie gives a negative click), at the first maximal pixel of that
    /// transform in row-major order.
    ///
    /// With an empty prediction this is the click-only protocol's first click: the object pixel
    /// farthest from the object's boundary.
    ///
    /// - Returns: nil when no error pixel is left outside the clicked pixels (both maxima are 0):
    ///   there is nothing to correct.
    public func nextClick(prediction: Mask, clicked: [Click]) -> Click? {
        precondition(prediction.width == width && prediction.height == height, "prediction size mismatch")
        let w = width, h = height
        var fn = Mask(width: w, height: h)
        var fp = Mask(width: w, height: h)
        let gt = groundTruth.bits, pred = prediction.bits
        if let ign = ignore?.bits {
            for i in 0..<(w * h) where ign[i] == 0 {
                fn.bits[i] = gt[i] & (pred[i] ^ 1)
                fp.bits[i] = (gt[i] ^ 1) & pred[i]
            }
        } else {
            for i in 0..<(w * h) {
                fn.bits[i] = gt[i] & (pred[i] ^ 1)
                fp.bits[i] = (gt[i] ^ 1) & pred[i]
            }
        }
        var clickedPixels: [Int] = []
        for c in clicked {
            let (x, y) = c.point.pixel
            if x >= 0, y >= 0, x < w, y < h { clickedPixels.append(y * w + x) }
        }
        let bestFN = Self.farthestPixel(fn, clicked: clickedPixels)
        let bestFP = Self.farthestPixel(fp, clicked: clickedPixels)
        let dFN = bestFN?.squaredDistance ?? 0, dFP = bestFP?.squaredDistance ?? 0
        if dFN == 0 && dFP == 0 { return nil }
        let positive = dFN > dFP
        let index = positive ? bestFN!.index : bestFP!.index
        return Click(x: Double(index % w) + 0.5, y: Double(index / w) + 0.5, kind: positive ? .positive : .negative)
    }

    /// Whether a labeler who sees `hint` (the answer's next-click hint) would place it: its pixel
    /// lies in the current error with the hint's sign (a positive hint on a false negative, a
    /// negative hint on a false positive), outside the ignore mask, and is not already clicked.
    public func agrees(hint: Click, prediction: Mask, clicked: [Click]) -> Bool {
        precondition(prediction.width == width && prediction.height == height, "prediction size mismatch")
        guard hint.kind != .extreme, hint.x.isFinite, hint.y.isFinite else { return false }
        let (x, y) = hint.point.pixel
        guard x >= 0, y >= 0, x < width, y < height else { return false }
        if let ignore, ignore[x, y] { return false }
        guard !clicked.contains(where: { $0.point.pixel == (x, y) }) else { return false }
        let truth = groundTruth[x, y], predicted = prediction[x, y]
        return hint.kind == .positive ? (truth && !predicted) : (!truth && predicted)
    }

    /// The first pixel (row-major) of maximal distance to the outside of `region` (padded by one pixel
    /// of zeros), after zeroing the distance at `clicked` pixels; nil when the region is empty.
    /// Distances are squared, in pixels².
    static func farthestPixel(_ region: Mask, clicked: [Int]) -> (index: Int, squaredDistance: Double)? {
        // The transform is computed on the region's bounding box only. That is exact: outside the box
        // every pixel is a zero, the ring just outside is all zeros (or the padding), and any zero
        // farther out is no nearer than its projection onto that ring.
        guard let box = region.boundingBox else { return nil }
        let w = region.width, x0 = box.x0, y0 = box.y0, bw = box.width, bh = box.height
        let sub = region.cropped(to: box).bits
        var dt = DistanceTransform.squaredDistanceToZero(sub, width: bw, height: bh, outsideIsZero: true)
        for i in clicked {
            let x = i % w - x0, y = i / w - y0
            if x >= 0, y >= 0, x < bw, y < bh { dt[y * bw + x] = 0 }
        }
        var best = 0, bestValue = -1.0
        for i in 0..<dt.count where dt[i] > bestValue {
            best = i; bestValue = dt[i]
        }
        return ((best / bw + y0) * w + best % bw + x0, bestValue)
    }
}
