import FewClickCore

/// A pixel's hard constraint in the cut.
enum HardLabel: UInt8, Sendable {
    /// No constraint: the energy decides.
    case free = 0
    /// Fixed to the object (disks at the extreme points and positive clicks).
    case object = 1
    /// Fixed to the background (outside the box, disks at negative clicks).
    case background = 2
}

/// The hard constraints and the box, from the clicks: everything outside the box of the extreme
/// points and positive clicks is background, small disks at the extreme points and positive clicks
/// are object, disks at negative clicks background.
struct HardConstraints: Sendable {
    /// Per crop pixel, row-major.
    var labels: [HardLabel]
    /// The hard-background box (half-open, clipped to the crop).
    var box: PixelBox
    /// Indices of hard-object pixels (for connectivity post-processing), increasing.
    var objectSeeds: [Int]

    /// The constraints of `clicks` on a `width × height` crop (`boxSlack`, `extremeRadius` and
    /// `clickRadius` of `settings`, in pixels).
    init(clicks: [Click], width w: Int, height h: Int, settings: GraphCutSettings) {
        let n = w * h
        let boxClicks = clicks.filter { $0.kind != .negative }
        var box = PixelBox.bounding(boxClicks.map(\.point)) ?? PixelBox(x0: 0, y0: 0, x1: w, y1: h)
        box = box.expanded(dx: settings.boxSlack, dy: settings.boxSlack).clipped(width: w, height: h)
        // Clicks entirely outside the crop clip to an inverted box: make it a well-formed empty one.
        box = PixelBox(x0: box.x0, y0: box.y0, x1: max(box.x0, box.x1), y1: max(box.y0, box.y1))
        var labels = [HardLabel](repeating: .background, count: n)
        for y in box.y0..<box.y1 {
            for x in box.x0..<box.x1 { labels[y * w + x] = .free }
        }
        func disk(_ c: Click, radius: Double, value: HardLabel) {
            let (cx, cy) = c.point.pixel
            let r = Int(radius.rounded(.down))
            let r2 = radius * radius
            let ys = max(box.y0, cy - r), ye = min(box.y1 - 1, cy + r)
            let xs = max(box.x0, cx - r), xe = min(box.x1 - 1, cx + r)
            guard ys <= ye, xs <= xe else { return }
            for y in ys...ye {
                for x in xs...xe {
                    let dx = Double(x - cx), dy = Double(y - cy)
                    if dx * dx + dy * dy <= r2 { labels[y * w + x] = value }
                }
            }
        }
        if !box.isEmpty {
            for c in clicks {
                switch c.kind {
                case .extreme: disk(c, radius: settings.extremeRadius, value: .object)
                case .positive: disk(c, radius: settings.clickRadius, value: .object)
                case .negative: disk(c, radius: settings.clickRadius, value: .background)
                }
            }
        }
        var objectSeeds: [Int] = []
        for i in 0..<n where labels[i] == .object { objectSeeds.append(i) }
        self.labels = labels
        self.box = box
        self.objectSeeds = objectSeeds
    }
}
