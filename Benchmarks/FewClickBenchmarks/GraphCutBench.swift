import Evaluation
import FewClickCore
import Foundation
import ImageCodec
import PixelKernels
import Segmentation

/// `fewclick-benchmarks graphcut [dataset-dir] [limit] [clicks] [export-dir]`: times the graph-cut
/// model on dataset objects at the proxy's default crop (`CropSettings.default`): the first mask
/// from the 4 extreme points, then `clicks` corrective clicks, both placed by the evaluation's
/// `ClickSimulator` exactly as `fewclick eval` places them, each a warm start from the previous mask
/// with a session key, as the endpoint sees them.
///
/// Prints p50/p90 of the per-call time of `segment` (thread CPU time, which other processes on a
/// shared machine do not inflate, and wall time). With `export-dir`, also writes every call's crop,
/// clicks and previous mask (`<instance>_<k>.*`, k = 0 for the first mask) and the per-call CPU times
/// (`fewclick_times.json`), so that `Benchmarks/grabcut_opencv.py` can time OpenCV's GrabCut on
/// exactly the same crops and clicks and print the ratios.
enum GraphCutBench {
    static func run(arguments: [String]) throws {
        let dataset = arguments.count > 0 ? arguments[0] : "../shared/datasets/coco128-dev"
        let limit = arguments.count > 1 ? Int(arguments[1]) ?? 60 : 60
        let clickCount = arguments.count > 2 ? Int(arguments[2]) ?? 5 : 5
        let exportDir = arguments.count > 3 ? arguments[3] : nil
        if let exportDir { try FileManager.default.createDirectory(atPath: exportDir, withIntermediateDirectories: true) }

        let data: EvaluationDataset
        do {
            data = try EvaluationDataset(contentsOf: URL(fileURLWithPath: dataset))
        } catch {
            print("graphcut: \(error)")
            return
        }
        // An even spread over the dataset rather than its first images.
        let rows = data.instances
        let step = max(1, rows.count / max(1, limit))
        let picked = stride(from: 0, to: rows.count, by: step).prefix(limit).map { rows[$0] }

        let model = GraphCutModel()
        var firstCPU: [Double] = [], firstWall: [Double] = [], clickCPU: [Double] = [], clickWall: [Double] = []
        var cropPixels: [Int] = []
        var images: [String: RGBImage] = [:]
        for instance in picked {
            let image: RGBImage
            if let cached = images[instance.image] {
                image = cached
            } else {
                guard let bytes = FileManager.default.contents(atPath: data.url(instance.image).path) else { continue }
                image = try ImageFile.decodeRGB([UInt8](bytes))
                images = [instance.image: image]
            }
            let gt = try data.loadMask(instance.mask)
            let ignore = try instance.ignore.map { try data.loadMask($0) }
            guard gt.width == image.width, gt.height == image.height else { continue }
            // The evaluation protocol's own labeler: the same extreme points and clicks as
            // `fewclick eval` (default seed, no perturbation) up to `clicks` corrections.
            let simulator = ClickSimulator(groundTruth: gt, ignore: ignore)
            var rng = SplitMix64(seed: 0, instance: instance.id)
            guard var clicks = simulator.extremePoints(rng: &rng) else { continue }
            var previous: Mask?
            for k in 0...clickCount {
                // The proxy's own crop and paste-back, as the endpoint sees the call.
                let (plan, input) = SegmentPipeline.modelInput(
                    image: image, clicks: clicks, previousMask: previous, settings: .default, sessionKey: instance.id)
                let cpu0 = threadCPUSeconds(), wall0 = ContinuousClock.now
                let probability = try model.segment(input)
                let cpu = (threadCPUSeconds() - cpu0) * 1000
                let wall = (ContinuousClock.now - wall0) / .milliseconds(1)
                if k == 0 {
                    firstCPU.append(cpu); firstWall.append(wall)
                    cropPixels.append(plan.cropWidth * plan.cropHeight)
                } else {
                    clickCPU.append(cpu); clickWall.append(wall)
                }
                if let exportDir { try export(input, name: "\(instance.id)_\(k)", to: exportDir) }
                let prediction = try SegmentPipeline.fullResolutionMask(from: probability, plan: plan)
                previous = prediction
                if k == clickCount { break }
                guard let next = simulator.nextClick(prediction: prediction, clicked: clicks) else { break }
                clicks.append(next)
            }
        }
        func pct(_ xs: [Double], _ p: Double) -> String {
            guard !xs.isEmpty else { return "-" }
            let s = xs.sorted()
            return String(format: "%.1f", s[min(s.count - 1, Int((Double(s.count - 1) * p).rounded()))])
        }
        if let exportDir {
            let times = try JSONSerialization.data(withJSONObject: ["first": firstCPU, "click": clickCPU])
            _ = FileManager.default.createFile(atPath: "\(exportDir)/fewclick_times.json", contents: times)
        }
        print("graphcut on \(firstCPU.count) objects of \(dataset), crops up to \(CropSettings.default.maxSide) px (median \(pct(cropPixels.map(Double.init), 0.5)) px²)")
        print("  first mask  cpu p50 \(pct(firstCPU, 0.5)) ms  p90 \(pct(firstCPU, 0.9)) ms   wall p50 \(pct(firstWall, 0.5)) ms  p90 \(pct(firstWall, 0.9)) ms")
        print("  click (\(clickCPU.count))  cpu p50 \(pct(clickCPU, 0.5)) ms  p90 \(pct(clickCPU, 0.9)) ms   wall p50 \(pct(clickWall, 0.5)) ms  p90 \(pct(clickWall, 0.9)) ms")
        maxFlowMicrobench()
    }

    /// Max-flow alone on a 384 × 384 GrabCut-like grid (two noisy regions, contrast-weighted edges).
    static func maxFlowMicrobench() {
        let w = 384, h = 384, n = w * h
        var terminal = [Int32](repeating: 0, count: n)
        var edges = [Int32](repeating: 0, count: n * 8)
        var state: UInt64 = 12345
        func rnd() -> Int32 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int32(truncatingIfNeeded: (state >> 33) % 200) - 100
        }
        for y in 0..<h {
            for x in 0..<w {
                let i = y * w + x
                let inside = (x - 192) * (x - 192) + (y - 192) * (y - 192) < 120 * 120
                terminal[i] = (inside ? 60 : -60) + rnd() * 2
                for d in 0..<8 { edges[i * 8 + d] = 320 + rnd() }
            }
        }
        var labels = [UInt8](repeating: 0, count: n)
        let solver = GridMaxFlow()
        var times: [Double] = []
        for _ in 0..<5 {
            let t0 = threadCPUSeconds()
            terminal.withUnsafeBufferPointer { t in
                edges.withUnsafeBufferPointer { e in
                    labels.withUnsafeMutableBufferPointer { l in
                        _ = solver.solve(width: w, height: h, terminal: t, edges: e, labels: l)
                    }
                }
            }
            times.append((threadCPUSeconds() - t0) * 1000)
        }
        print(String(format: "  max-flow 384×384 8-connected: best %.1f ms cpu of 5", times.min() ?? 0))
    }

    static func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Writes one call's crop (`<name>.png`), its crop-space clicks (`<name>.json`: `extremePoints`
    /// as [x, y] and `clicks` as [x, y, "positive"|"negative"]) and, for a corrective click, the
    /// previous mask in crop space (`<name>_prev.png`).
    static func export(_ input: SegmentationInput, name: String, to dir: String) throws {
        let png = try ImageFile.encodePNG(input.image)
        _ = FileManager.default.createFile(atPath: "\(dir)/\(name).png", contents: Data(png))
        let points = input.clicks.filter { $0.kind == .extreme }.map { [$0.x, $0.y] }
        let clicks: [[Any]] = input.clicks.filter { $0.kind != .extreme }.map { [$0.x, $0.y, $0.kind == .positive ? "positive" : "negative"] }
        let json = try JSONSerialization.data(withJSONObject: ["extremePoints": points, "clicks": clicks])
        _ = FileManager.default.createFile(atPath: "\(dir)/\(name).json", contents: json)
        if let previous = input.previousMask {
            let prev = try ImageFile.encodePNG(previous)
            _ = FileManager.default.createFile(atPath: "\(dir)/\(name)_prev.png", contents: Data(prev))
        }
    }
}
