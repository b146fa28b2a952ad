// fewclick-benchmarks <suite> [arguments]: runs one benchmark suite (release build:
// `swift run -c release fewclick-benchmarks v2`). Each suite lives in its own file and registers here.

import Foundation

let suites: [(name: String, summary: String, run: ([String]) async throws -> Void)] = [
    ("v2", "KServe V2 round-trip latency over loopback (CurlClient → endpoint, zero model); arg: iterations",
     { try await V2RoundTrip.run(arguments: $0) }),
    ("graphcut", "graph-cut model time per call on dataset crops (first mask, clicks) + max-flow alone; args: [dataset] [limit] [clicks] [export-dir]",
     { try GraphCutBench.run(arguments: $0) }),
    ("neural", "NeuralNet forward-pass time p50/p90 at 224/256/320 on 1 and 2 threads + memory per call; args: [weights] [iterations] [sizes] [--json] [--verbose]",
     { try NeuralBench.run(arguments: $0) }),
    ("faults", "failure behaviour of `fewclick up` + Redis under load at concurrency 8 (SIGSTOP/kill/restart endpoint and proxy, stop Redis); args: [--soak [SECONDS]] [--interval S] [--model M] [--stop-seconds S] [--concurrency N]",
     { try await Faults.run(arguments: $0) }),
    ("hops", "what the gateway and proxy hops add to a segment call through `fewclick up` (by id, with image.data): p50/p90 of wall, model, wall − model, wall − proxy total; args: [--calls N] [--model M] [--side PX] [--bin-dir DIR]",
     { try await Hops.run(arguments: $0) }),
]

let arguments = Array(CommandLine.arguments.dropFirst())
guard let name = arguments.first, let suite = suites.first(where: { $0.name == name }) else {
    print("usage: fewclick-benchmarks <suite> [arguments]\nsuites:")
    for s in suites { print("  \(s.name)  \(s.summary)") }
    exit(arguments.isEmpty ? 0 : 2)
}
do {
    try await suite.run(Array(arguments.dropFirst()))
} catch {
    // A bad flag or a failed run is a message and status 1, not a crash with a backtrace.
    FileHandle.standardError.write(Data("fewclick-benchmarks \(name): \(error)\n".utf8))
    exit(1)
}
