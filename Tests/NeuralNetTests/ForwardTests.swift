import FewClickCore
import Foundation
import Testing

@testable import NeuralNet

@Suite("Forward pass")
struct ForwardTests {
    @Test("matches the naive reference on every op, at several sizes (odd ones too)", arguments: [(32, 32), (17, 23), (40, 24)])
    func reference(size: (Int, Int)) throws {
        let mini = MiniNetwork()
        let network = try NeuralNetwork(data: mini.file())
        var rng = SplitMix64(seed: UInt64(size.0 * 100 + size.1))
        let input = rng.floats(7 * size.0 * size.1)
        let out = try network.forward(input, height: size.0, width: size.1)
        let expected = mini.reference(input, height: size.0, width: size.1)
        #expect((out.channels, out.height, out.width) == (1, size.0, size.1))
        #expect(maxAbsDifference(out.values, expected.v) < 1e-4)
        // The same plan again gives the same bytes.
        #expect(try network.forward(input, height: size.0, width: size.1).values == out.values)
    }

    @Test("F16 storage reads as the F16-rounded weights")
    func f16() throws {
        let mini = MiniNetwork(dtype: "F16")
        let network = try NeuralNetwork(data: mini.file())
        var rng = SplitMix64(seed: 5)
        let input = rng.floats(7 * 24 * 24)
        let out = try network.forward(input, height: 24, width: 24)
        #expect(maxAbsDifference(out.values, mini.reference(input, height: 24, width: 24).v) < 1e-4)
    }

    @Test("concurrent calls on several threads give the single-thread answers")
    func concurrent() throws {
        let network = try NeuralNetwork(data: MiniNetwork().file())
        let sizes = [(32, 32), (24, 40)]
        var rng = SplitMix64(seed: 9)
        let inputs = sizes.map { rng.floats(7 * $0.0 * $0.1) }
        let expected = try zip(inputs, sizes).map { try network.forward($0, height: $1.0, width: $1.1).values }
        let failures = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            let k = i % 2
            for _ in 0..<5 {
                let out = try? network.forward(inputs[k], height: sizes[k].0, width: sizes[k].1)
                if out?.values != expected[k] { failures.withLock { $0 += 1 } }
            }
        }
        #expect(failures.withLock { $0 } == 0)
    }

    @Test("memory per call is the arena plus scratchpad plus output, and plans use oneDNN's JIT kernels")
    func memory() throws {
        let network = try NeuralNetwork(data: MiniNetwork().file())
        let bytes = try network.memoryPerCall(height: 64, width: 64)
        #expect(bytes > 64 * 64 * 4)
        // Bounded by holding every value at once.
        #expect(bytes < 64 * 64 * 4 * 200)
        let implementations = try network.implementations(height: 64, width: 64)
        #expect(!implementations.isEmpty)
    }
}

import Synchronization
