import FewClickCore

/// What the cut's labels go through before they become the answer: only the object parts connected
/// to object seeds are kept, and small background holes are filled.
enum PostProcess {
    /// Keeps the object parts 8-connected to object seeds and fills holes of at most `maxHoleArea`
    /// pixels (`GraphCutSettings.maxHoleArea`; 0 fills none).
    static func apply(_ labels: inout [UInt8], width: Int, height: Int, hard: HardConstraints, maxHoleArea: Int) {
        if !hard.objectSeeds.isEmpty {
            labels = keepingSeeded(labels, width: width, height: height, seeds: hard.objectSeeds)
        }
        if maxHoleArea > 0 {
            fillHoles(&labels, width: width, height: height, hard: hard, maxArea: maxHoleArea)
        }
    }

    /// The object parts (8-connected) of the 0/1 `labels` that contain one of the `seeds` (pixel
    /// indices); the rest becomes background.
    static func keepingSeeded(_ labels: [UInt8], width w: Int, height h: Int, seeds: [Int]) -> [UInt8] {
        let mask = Mask(width: w, height: h, bits: labels)
        return mask.keepingComponents(containing: seeds.map { (x: $0 % w, y: $0 / w) }, connectivity: .eight).bits
    }

    /// Fills background components (4-connected) of at most `maxArea` pixels that touch neither the
    /// crop border nor a hard-background pixel.
    ///
    /// Outside the box every pixel is hard background and reaches the crop border through such
    /// pixels, so only components inside the box are searched, and one that borders a pixel outside
    /// the box touches the crop border.
    static func fillHoles(_ labels: inout [UInt8], width w: Int, height h: Int, hard: HardConstraints, maxArea: Int) {
        let box = hard.box
        let bw = box.width
        guard bw > 0, box.height > 0 else { return }
        var visited = [UInt8](repeating: 0, count: bw * box.height)
        var component: [Int] = []
        var stack: [Int] = []
        for sy in box.y0..<box.y1 {
            for sx in box.x0..<box.x1 {
                let start = sy * w + sx
                guard labels[start] == 0 && visited[(sy - box.y0) * bw + (sx - box.x0)] == 0 else { continue }
                component.removeAll(keepingCapacity: true)
                var touchesBorder = false
                var hasHardBackground = false
                visited[(sy - box.y0) * bw + (sx - box.x0)] = 1
                stack.append(start)
                while let i = stack.popLast() {
                    component.append(i)
                    let x = i % w, y = i / w
                    if x == 0 || y == 0 || x == w - 1 || y == h - 1 { touchesBorder = true }
                    if hard.labels[i] == .background { hasHardBackground = true }
                    // The 4 neighbours, without an array literal per pixel.
                    func visit(_ nx: Int, _ ny: Int) {
                        guard nx >= 0, nx < w, ny >= 0, ny < h else { return }
                        guard box.contains(x: nx, y: ny) else { touchesBorder = true; return }
                        let j = ny * w + nx, v = (ny - box.y0) * bw + (nx - box.x0)
                        if labels[j] == 0 && visited[v] == 0 { visited[v] = 1; stack.append(j) }
                    }
                    visit(x - 1, y); visit(x + 1, y); visit(x, y - 1); visit(x, y + 1)
                }
                if !touchesBorder && !hasHardBackground && component.count <= maxArea {
                    for i in component { labels[i] = 1 }
                }
            }
        }
    }
}
