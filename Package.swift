// swift-tools-version: 6.2
//
// fewclick: a few-click segmentation labeling backend.
// The module graph mirrors the architecture in README.md:
//
//   gateway (Gateway)  ──Invoke API──▶  proxy (Proxy, LambdaKit)  ──SageMaker/KServe V2──▶  endpoint (Endpoint)
//
// Targets form layers and every dependency points down (README "Module graph", which lists every
// arrow; .ci/check_module_graph.py, run by `swift test`, checks it against this file):
//
//   commands   EndpointCommand, ProxyCommand, GatewayCommand, FewClickCommand, FewClickBenchmarks,
//              CommandSupport (their shared log bootstrap and listening line)
//   services   Endpoint, Proxy, Gateway, Evaluation (none depends on another)
//   protocols  FewClickAPI (the public API's wire types), InferenceProtocol (KServe V2),
//              SegmentationWire (the proxy↔endpoint tensor contract), LambdaKit, AWSSigV4,
//              ServerLimits, Observability
//   models     Segmentation (the models and SegmentPipeline; no wire format)
//   core       FewClickCore (pure Swift data types and encodings), ImageCodec (libjpeg-turbo, libspng),
//              CurlHTTP (the only HTTP client, on libcurl)
//   kernels    PixelKernels (hot loops, -Ounchecked in release), NeuralNet (oneDNN)
//   system     CTurboJPEG, CSPNG, CHiredis, CDNNL, CCurl
//
// Sideways arrows only inside kernels, core, protocols (ImageCodec → FewClickCore, LambdaKit →
// ServerLimits, …) and commands (→ CommandSupport). Test targets sit on top and may use any layer.
import PackageDescription

/// Swift settings shared by every target: Swift 6 language mode is the package default.
let strict: [SwiftSetting] = []

/// Pixel kernels drop integer-overflow checks in release so loops vectorise.
let kernels: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

let package = Package(
    name: "fewclick",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "endpoint", targets: ["EndpointCommand"]),
        .executable(name: "proxy", targets: ["ProxyCommand"]),
        .executable(name: "gateway", targets: ["GatewayCommand"]),
        .executable(name: "fewclick", targets: ["FewClickCommand"]),
        .executable(name: "fewclick-benchmarks", targets: ["FewClickBenchmarks"]),
        .library(name: "FewClickCore", targets: ["FewClickCore"]),
        .library(name: "FewClickAPI", targets: ["FewClickAPI"]),
        .library(name: "Segmentation", targets: ["Segmentation"]),
        .library(name: "ImageCodec", targets: ["ImageCodec"]),
        .library(name: "CurlHTTP", targets: ["CurlHTTP"]),
        .library(name: "InferenceProtocol", targets: ["InferenceProtocol"]),
        .library(name: "LambdaKit", targets: ["LambdaKit"]),
        .library(name: "AWSSigV4", targets: ["AWSSigV4"]),
        .library(name: "NeuralNet", targets: ["NeuralNet"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/swift-otel/swift-w3c-trace-context.git", from: "1.0.0"),
        // Already in the graph through Hummingbird; named for ServerLimits' channel handler.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
    ],
    targets: [
        // MARK: - Pure Swift foundation

        .target(name: "FewClickCore", dependencies: ["PixelKernels"], swiftSettings: strict),
        .target(name: "PixelKernels", swiftSettings: kernels),
        // The models, and SegmentPipeline (crop plan → model input, probability map → mask, next-click
        // hint): model-space steps that the proxy and in-process evaluation both call, so they sit here
        // rather than in the Proxy service. The learned click model runs on NeuralNet.
        .target(
            name: "Segmentation", dependencies: ["FewClickCore", "PixelKernels", "NeuralNet"],
            swiftSettings: strict),

        // MARK: - System libraries

        .systemLibrary(
            name: "CTurboJPEG", path: "Sources/System/CTurboJPEG", pkgConfig: "libturbojpeg",
            providers: [.apt(["libturbojpeg0-dev"])]),
        .systemLibrary(
            name: "CSPNG", path: "Sources/System/CSPNG", pkgConfig: "spng",
            providers: [.apt(["libspng-dev"])]),
        // hiredis (Debian libhiredis-dev): the proxy's shared image store on Redis. No pkgConfig:
        // hiredis.pc's -D_FILE_OFFSET_BITS=64 is a flag SwiftPM refuses (a warning on every build);
        // the header is <hiredis/hiredis.h> on the default include path.
        .systemLibrary(name: "CHiredis", path: "Sources/System/CHiredis", providers: [.apt(["libhiredis-dev"])]),
        // oneDNN (Debian libdnnl-dev, v2 C API, OpenMP runtime): the CPU neural-network runtime.
        .systemLibrary(name: "CDNNL", path: "Sources/System/CDNNL", providers: [.apt(["libdnnl-dev"])]),
        // libcurl's setopt/getinfo are C variadics, which Swift cannot call: a tiny C shim wraps them.
        .target(name: "CCurl", path: "Sources/System/CCurl", linkerSettings: [.linkedLibrary("curl")]),

        .target(name: "NeuralNet", dependencies: ["CDNNL"], swiftSettings: strict),
        .target(name: "ImageCodec", dependencies: ["FewClickCore", "CTurboJPEG", "CSPNG"], swiftSettings: strict),
        .target(
            name: "CurlHTTP",
            dependencies: ["CCurl"],
            swiftSettings: strict),

        // MARK: - Wire protocols

        // The public API's request, answer and error bodies, error codes and image ids: the one
        // definition the gateway, the proxy and clients (Evaluation, tests) share.
        .target(name: "FewClickAPI", dependencies: ["FewClickCore"], swiftSettings: strict),
        .target(name: "InferenceProtocol", swiftSettings: strict),
        // SegmentationTensors: the proxy↔endpoint tensor contract (a model input as V2 tensors and
        // back). Its own target, above the two it joins, so the model layer knows no wire format and
        // InferenceProtocol stays a plain KServe V2 library without the models (and oneDNN) under it.
        .target(
            name: "SegmentationWire", dependencies: ["FewClickCore", "Segmentation", "InferenceProtocol"],
            swiftSettings: strict),
        .target(
            // Signs CurlHTTP requests: headers are CurlHTTP's HTTPHeaderField.
            name: "AWSSigV4", dependencies: ["CurlHTTP", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),
        .target(
            name: "LambdaKit",
            dependencies: [
                "CurlHTTP", "ServerLimits",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),

        // Metrics (Prometheus text on GET /metrics), W3C trace propagation and the access log, shared
        // by the three services.
        .target(
            name: "Observability",
            dependencies: [
                "CurlHTTP", "FewClickCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "W3CTraceContext", package: "swift-w3c-trace-context"),
            ],
            swiftSettings: strict),

        // Connection limits, timeouts and framing errors shared by the three HTTP servers.
        .target(
            name: "ServerLimits",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),

        // MARK: - Services (libraries, so tests run them in-process)

        .target(
            name: "Endpoint",
            dependencies: [
                "FewClickCore", "Segmentation", "InferenceProtocol", "ServerLimits",
                "Observability",
                "SegmentationWire",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .target(
            name: "Proxy",
            dependencies: [
                "FewClickCore", "ImageCodec", "InferenceProtocol", "CurlHTTP", "LambdaKit", "Segmentation", "AWSSigV4",
                "Observability",
                "FewClickAPI",
                "CHiredis",
                "SegmentationWire",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .target(
            name: "Gateway",
            dependencies: [
                // FewClickCore: Duration's units, StrictJSON, the demo samples' COCORLE; no image codec
                // (the `gateway` executable makes the demo's PNGs).
                "CurlHTTP", "LambdaKit", "FewClickCore", "ServerLimits",
                "Observability",
                "FewClickAPI",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .target(
            name: "Evaluation",
            dependencies: [
                "FewClickCore", "ImageCodec", "Segmentation", "CurlHTTP",
                "PixelKernels",
                "FewClickAPI",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strict),

        // MARK: - Executables (argument parsing and service lifecycle only)

        // What the service commands share: one log bootstrap and the `NAME listening on HOST:PORT` line.
        .target(
            name: "CommandSupport",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),

        .executableTarget(
            name: "EndpointCommand",
            dependencies: [
                "Endpoint", "Segmentation", "ServerLimits", "CommandSupport",
                "Observability",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "ProxyCommand",
            dependencies: [
                "Proxy", "LambdaKit", "ServerLimits", "CommandSupport",
                "Observability",
                "CurlHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "GatewayCommand",
            dependencies: [
                "Gateway", "LambdaKit", "ServerLimits", "CommandSupport",
                "Observability",
                // The demo's sample images are generated and PNG-encoded here (DemoSamples).
                "CurlHTTP", "FewClickCore", "ImageCodec",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "FewClickCommand",
            dependencies: [
                "Evaluation", "FewClickCore", "Gateway",
                "CurlHTTP", "Segmentation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "FewClickBenchmarks",
            dependencies: [
                "FewClickCore", "ImageCodec", "Segmentation", "InferenceProtocol", "CurlHTTP", "Endpoint", "Evaluation", "Proxy",
                "NeuralNet",
                "PixelKernels", "SegmentationWire",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/FewClickBenchmarks",
            swiftSettings: strict),

        // MARK: - Tests

        .testTarget(
            name: "FewClickCoreTests", dependencies: ["FewClickCore"],
            // rle_vectors.json is read by path; the generator script is not a resource.
            exclude: ["Fixtures"]),
        .testTarget(name: "ImageCodecTests", dependencies: ["ImageCodec", "FewClickCore", "CTurboJPEG"]),
        .testTarget(name: "FewClickAPITests", dependencies: ["FewClickAPI", "FewClickCore"]),
        .testTarget(
            name: "CommandSupportTests",
            dependencies: ["CommandSupport", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log")]),
        .testTarget(
            name: "ObservabilityTests",
            dependencies: ["Observability", .product(name: "Tracing", package: "swift-distributed-tracing")]),
        .testTarget(name: "SegmentationWireTests", dependencies: ["SegmentationWire", "Segmentation", "InferenceProtocol", "FewClickCore"]),
        .testTarget(name: "PixelKernelsTests", dependencies: ["PixelKernels", "FewClickCore"]),
        .testTarget(
            name: "ServerLimitsTests",
            dependencies: ["ServerLimits", .product(name: "Hummingbird", package: "hummingbird")]),
        .testTarget(
            name: "SegmentationTests", dependencies: ["Segmentation", "FewClickCore", "PixelKernels", "Evaluation", "NeuralNet"],
            // clicknet's input-plane fixture (from infra/training) is read by path (#filePath).
            exclude: ["Fixtures"]),
        .testTarget(
            name: "CurlHTTPTests",
            dependencies: [
                "CurlHTTP", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .testTarget(name: "InferenceProtocolTests", dependencies: ["InferenceProtocol"]),
        .testTarget(
            name: "EndpointTests",
            dependencies: [
                "Endpoint", "Segmentation", "InferenceProtocol", "CurlHTTP", "FewClickCore",
                "SegmentationWire",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // invoke_boto3.py is run by path from the tests (boto3 client check).
            exclude: ["Scripts"]),
        .testTarget(
            name: "LambdaKitTests",
            dependencies: [
                "LambdaKit", "CurlHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // AWS's published sample events, read by path (#filePath).
            exclude: ["Fixtures"]),
        .testTarget(
            name: "ServiceTests",
            dependencies: [
                "Proxy", "Gateway", "Endpoint", "LambdaKit", "CurlHTTP", "FewClickCore", "ImageCodec",
                "Segmentation", "InferenceProtocol",
                "Observability",
                "AWSSigV4", "SegmentationWire", "ServerLimits",
                "FewClickAPI",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
                // RSA key generation for the JWKS tests' own identity provider.
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]),
        .testTarget(
            name: "AWSSigV4Tests", dependencies: ["AWSSigV4", "CurlHTTP"],
            // Vectors are read from the source tree (#filePath); the generator script is not a resource.
            exclude: ["Fixtures"]),
        .testTarget(
            name: "EvaluationTests",
            dependencies: [
                "Evaluation", "FewClickCore", "Segmentation", "ImageCodec",
                // GatewayModeTests run the client against the real gateway + proxy + endpoint in-process.
                "FewClickAPI", "Gateway", "Proxy", "Endpoint", "LambdaKit", "CurlHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "NeuralNetTests", dependencies: ["NeuralNet", "FewClickCore"],
            // Parity fixtures (safetensors from infra/training) are read by path (#filePath).
            exclude: ["Fixtures"]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["CurlHTTP", "FewClickCore", "ImageCodec", "FewClickAPI"],
            // Python clients (http.client, slow headers) are run by path from the tests.
            exclude: ["Scripts"]),
    ],
    swiftLanguageModes: [.v6]
)
