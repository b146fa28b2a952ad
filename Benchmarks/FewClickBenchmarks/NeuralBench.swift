import Foundation
import NeuralNet
import Synchronization

/// `fewclick-benchmarks neural [weights] [iterations] [sizes] [--json] [--verbose]`: forward-pass
/// time of a `NeuralNet` network (default `Models/clicknet/clicknet.safetensors`) at each size
/// (default 224,256,320), p50/p90 of wall time over `iterations` calls (default 30) after 3 warm-up
/// calls, in three modes:
/// - `1 thread`: one call at a time, each on one thread (what every endpoint worker does);
/// - `2 threads`: one call at a time on a 2-thread OpenMP team (`threadsPerCall: 2`), the same
///   thread count as ONNX Runtime's `intra_op_num_threads=2` and `torch.set_num_threads(2)`;
/// - `2 × 1 thread`: two calls at once on two threads (two endpoint workers), per-call latency.
///
/// Also prints the time to create a size's plan, the bytes each call uses (activation arena + scratchpad + output) and, with
/// `--verbose`, which oneDNN implementation runs each layer. `--json` adds one `NEURAL_JSON {...}`
/// line per row for `Benchmarks/neural_bench.py`, which runs this next to ONNX Runtime and PyTorch.
enum NeuralBench {
    static func run(arguments: [String]) throws {
        let flags = Set(arguments.filter { $0.hasPrefix("--") })
        let positional = arguments.filter { !$0.hasPrefix("--") }
        let path = positional.count > 0 ? positional[0] : "Models/clicknet/clicknet.safetensors"
        let iterations = positional.count > 1 ? max(1, Int(positional[1]) ?? 30) : 30
        let sizes = positional.count > 2 ? positional[2].split(separator: ",").compactMap { Int($0) } : [224, 256, 320]
        guard FileManager.default.fileExists(atPath: path) else {
            print("neural: no weights at \(path) (export them with infra/training, or run Benchmarks/neural_bench.py)")
            return
        }
        let url = URL(fileURLWithPath: path)
        let single = try NeuralNetwork(contentsOf: url, threadsPerCall: 1)
        let pair = try NeuralNetwork(contentsOf: url, threadsPerCall: 2)
        print("neural: \(path), \(single.metadata["fewclick.model"] ?? "?") \(single.metadata["fewclick.version"] ?? ""), \(iterations) calls per row (wall ms)")
        print("size  mode           p50 ms   p90 ms   memory/call")
        for size in sizes {
            let input = plausibleInput(channels: single.inputChannels, size: size)
            let created = ContinuousClock.now
            try single.prepare(height: size, width: size)
            let creation = (ContinuousClock.now - created) / .milliseconds(1)
            let memory = try single.memoryPerCall(height: size, width: size)
            print("\(size)  plan creation (primitives, JIT, weight reorders): \(String(format: "%.0f", creation)) ms")
            if flags.contains("--verbose") {
                for (layer, implementation) in try single.implementations(height: size, width: size) {
                    print("  \(layer): \(implementation)")
                }
            }
            let rows: [(String, [Double])] = [
                ("1 thread", try sequential(single, input, size, iterations)),
                ("2 threads", try sequential(pair, input, size, iterations)),
                ("2 × 1 thread", try concurrent(single, input, size, iterations)),
            ]
            for (mode, times) in rows {
                let (p50, p90) = (percentile(times, 0.5), percentile(times, 0.9))
                print(
                    "\(String(size).padding(toLength: 6, withPad: " ", startingAt: 0))\(mode.padding(toLength: 15, withPad: " ", startingAt: 0))"
                        + "\(format(p50))\(format(p90))   \(String(format: "%.1f", Double(memory) / 1_048_576)) MiB")
                if flags.contains("--json") {
                    print(
                        "NEURAL_JSON {\"size\": \(size), \"mode\": \"\(mode)\", \"p50\": \(p50), \"p90\": \(p90), \"memory\": \(memory), \"weights\": \(single.weightBytes)}")
                }
            }
        }
        print("weights in oneDNN layouts: \(String(format: "%.1f", Double(single.weightBytes) / 1_048_576)) MiB per network")
    }

    /// Normalised colour noise plus sparse guidance planes, like the training code's reference input.
    static func plausibleInput(channels: Int, size: Int) -> [Float] {
        var state: UInt64 = UInt64(size)
        func next() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24)
        }
        let plane = size * size
        return (0..<(channels * plane)).map { i in i < 3 * plane ? next() * 4 - 2 : (next() > 0.97 ? 1 : 0) }
    }

    static func sequential(_ network: NeuralNetwork, _ input: [Float], _ size: Int, _ n: Int) throws -> [Double] {
        for _ in 0..<3 { _ = try network.forward(input, height: size, width: size) }
        var times: [Double] = []
        for _ in 0..<n {
            let start = ContinuousClock.now
            _ = try network.forward(input, height: size, width: size)
            times.append((ContinuousClock.now - start) / .milliseconds(1))
        }
        return times
    }

    /// Two threads, each making `n` calls back to back; every call's latency.
    static func concurrent(_ network: NeuralNetwork, _ input: [Float], _ size: Int, _ n: Int) throws -> [Double] {
        let times = Mutex<[Double]>([])
        let failure = Mutex<String?>(nil)
        let group = DispatchGroup()
        for _ in 0..<2 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    for k in 0..<(n + 3) {
                        let start = ContinuousClock.now
                        _ = try network.forward(input, height: size, width: size)
                        let ms = (ContinuousClock.now - start) / .milliseconds(1)
                        if k >= 3 { times.withLock { $0.append(ms) } }
                    }
                } catch {
                    failure.withLock { $0 = "\(error)" }
                }
            }
        }
        group.wait()
        if let message = failure.withLock({ $0 }) { throw NeuralBenchError(message: message) }
        return times.withLock { $0 }
    }

    struct NeuralBenchError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    static func percentile(_ values: [Double], _ q: Double) -> Double {
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))]
    }

    static func format(_ ms: Double) -> String {
        String(format: "%.2f", ms).padding(toLength: 9, withPad: " ", startingAt: 0)
    }
}
