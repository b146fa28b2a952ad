import FewClickCore
import Foundation
import HTTPTypes
import Hummingbird
import ImageCodec

/// Settings of the labeling UI the gateway serves: the Ground Truth template's script for any
/// client (`GET /ui/fewclick-ui.js`) and, when enabled, the local demo page (`GET /demo`).
public struct DemoSettings: Sendable {
    /// Folder holding `fewclick-ui.js` and `template.liquid.html` (the repository's `infra/groundtruth`).
    public var uiDirectory: String
    /// Whether `/demo` and its sample images are served (off by default; `fewclick up` turns it on).
    public var demoEnabled: Bool
    /// Label list offered by the demo page.
    public var labels: [String]
    /// Lifetime of the token embedded in each demo page.
    public var tokenTTL: Duration

    /// Creates settings; defaults: demo off, labels `object`, `background-object`, 12 h demo tokens.
    public init(
        uiDirectory: String, demoEnabled: Bool = false, labels: [String] = ["object", "other-object"],
        tokenTTL: Duration = .seconds(12 * 3600)
    ) {
        self.uiDirectory = uiDirectory
        self.demoEnabled = demoEnabled
        self.labels = labels
        self.tokenTTL = tokenTTL
    }
}

/// A generated sample image for the demo page, with its object's true mask (COCO RLE), so anyone
/// (and the browser test) can check what the service returns.
struct DemoSample: Sendable {
    let name: String
    let description: String
    let png: [UInt8]
    let width: Int
    let height: Int
    let truth: COCORLE
}

/// Serves the UI script, the demo page rendered from the Ground Truth template, and generated samples.
struct DemoSite: Sendable {
    let settings: DemoSettings
    let issuer: TokenIssuer
    let samples: [DemoSample]
    /// The UI files, read once at start-up (no blocking file I/O on request paths); nil when missing.
    let script: [UInt8]?
    let template: [UInt8]?

    init(settings: DemoSettings, secret: [UInt8]) async throws {
        self.settings = settings
        self.issuer = try await TokenIssuer(secret: secret)
        self.samples = settings.demoEnabled ? try DemoSite.makeSamples() : []
        let folder = URL(fileURLWithPath: settings.uiDirectory)
        self.script = FileManager.default.contents(atPath: folder.appendingPathComponent("fewclick-ui.js").path).map { [UInt8]($0) }
        self.template = FileManager.default.contents(atPath: folder.appendingPathComponent("template.liquid.html").path)
            .map { [UInt8]($0) }
    }

    /// Registers the routes on `router`.
    func register(on router: Router<GatewayRequestContext>) {
        router.get("/ui/fewclick-ui.js") { _, _ in
            let bytes = try uiFile(script, named: "fewclick-ui.js")
            return Response(
                status: .ok,
                headers: [.contentType: "application/javascript; charset=utf-8", .cacheControl: "no-cache"],
                body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        guard settings.demoEnabled else { return }
        router.get("/demo") { request, _ in
            let index = request.uri.queryParameters.get("sample", as: Int.self) ?? 0
            guard samples.indices.contains(index) else {
                throw GatewayError(.notFound, code: "sample_not_found", message: "no demo sample \(index)")
            }
            let html = try await renderDemoPage(sample: index)
            return Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: html)))
        }
        router.get("/demo/samples.json") { _, _ in
            struct Entry: Encodable {
                let name, description, url: String
                let width, height: Int
                let truth: COCORLE
            }
            struct Index: Encodable { let samples: [Entry] }
            let index = Index(samples: samples.enumerated().map { i, s in
                Entry(name: s.name, description: s.description, url: "/demo/samples/\(i).png",
                      width: s.width, height: s.height, truth: s.truth)
            })
            let data = try JSONEncoder().encode(index)
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.get("/demo/samples/:file") { _, context in
            let file = context.parameters.get("file") ?? ""
            guard file.hasSuffix(".png"), let index = Int(file.dropLast(4)), samples.indices.contains(index) else {
                throw GatewayError(.notFound, code: "sample_not_found", message: "no demo sample \(file)")
            }
            return Response(
                status: .ok, headers: [.contentType: "image/png", .cacheControl: "max-age=3600"],
                body: .init(byteBuffer: ByteBuffer(bytes: samples[index].png)))
        }
    }

    private func uiFile(_ bytes: [UInt8]?, named name: String) throws -> [UInt8] {
        guard let bytes else {
            throw GatewayError(
                .internalServerError, code: "ui_not_found", message: "the UI file \(name) is not installed on this gateway")
        }
        return bytes
    }

    /// The Ground Truth template with its Liquid values filled from local configuration. The
    /// Crowd HTML Elements script is left out (it needs the internet); the UI then uses its plain form.
    func renderDemoPage(sample: Int) async throws -> String {
        guard let template = String(bytes: try uiFile(template, named: "template.liquid.html"), encoding: .utf8) else {
            throw GatewayError(.internalServerError, code: "ui_not_found", message: "the template is not UTF-8")
        }
        let token = try await issuer.issue(subject: "demo", ttl: settings.tokenTTL)
        let labels = String(decoding: try JSONEncoder().encode(settings.labels), as: UTF8.self)
        let values: [String: String] = [
            "task.input.gatewayUrl": "",
            "task.input.token": token,
            "task.input.taskObject | grant_read_access": "/demo/samples/\(sample).png",
            "task.input.labels | to_json": labels,
        ]
        return try DemoSite.fillLiquid(template, values: values)
            .split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.contains("assets.crowd.aws") }
            .joined(separator: "\n")
    }

    /// Replaces each `{{ expression }}` of `template` by `values[expression]`.
    /// - Throws: when the template uses an expression the demo cannot fill.
    static func fillLiquid(_ template: String, values: [String: String]) throws -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw GatewayError(.internalServerError, code: "template_error", message: "unclosed {{ in the template")
            }
            let expression = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            guard let value = values[expression] else {
                throw GatewayError(
                    .internalServerError, code: "template_error", message: "the demo cannot fill {{ \(expression) }}")
            }
            out += value
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    // MARK: - Generated samples

    /// Two deterministic scenes: a textured ellipse on a textured background, and a ring-shaped
    /// object (with a hole) beside a shadow-like weak boundary.
    static func makeSamples() throws -> [DemoSample] {
        [
            try makeSample(
                name: "ellipse", description: "an orange textured ellipse on a green-grey textured background",
                width: 480, height: 360,
                inside: { x, y in
                    let dx = (Double(x) + 0.5 - 230) / 120, dy = (Double(y) + 0.5 - 180) / 80
                    return dx * dx + dy * dy <= 1
                },
                object: { x, y, n in (UInt8(200 + n / 4), UInt8(110 + n / 3), UInt8(40 + n / 4)) },
                background: { x, y, n in (UInt8(70 + n / 2), UInt8(110 + n / 2), UInt8(80 + n / 3)) }),
            try makeSample(
                name: "ring", description: "a blue ring (an object with a hole) on a light, shaded background",
                width: 400, height: 300,
                inside: { x, y in
                    let dx = Double(x) + 0.5 - 200, dy = Double(y) + 0.5 - 150
                    let r2 = dx * dx + dy * dy
                    return r2 <= 100 * 100 && r2 >= 40 * 40
                },
                object: { x, y, n in (UInt8(40 + n / 4), UInt8(70 + n / 4), UInt8(180 + n / 4)) },
                background: { x, y, n in
                    let shade = x > 200 ? 60 : 0
                    return (UInt8(210 - shade + n / 4), UInt8(205 - shade + n / 4), UInt8(190 - shade + n / 4))
                }),
        ]
    }

    private static func makeSample(
        name: String, description: String, width: Int, height: Int,
        inside: (Int, Int) -> Bool,
        object: (Int, Int, Int) -> (UInt8, UInt8, UInt8),
        background: (Int, Int, Int) -> (UInt8, UInt8, UInt8)
    ) throws -> DemoSample {
        var image = RGBImage(width: width, height: height)
        var mask = Mask(width: width, height: height)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for y in 0..<height {
            for x in 0..<width {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let noise = Int(state >> 58)  // 0..63
                if inside(x, y) {
                    mask[x, y] = true
                    image[x, y] = object(x, y, noise)
                } else {
                    image[x, y] = background(x, y, noise)
                }
            }
        }
        let png = try ImageFile.encodePNG(image)
        return DemoSample(
            name: name, description: description, png: png, width: width, height: height, truth: mask.cocoRLE())
    }
}
