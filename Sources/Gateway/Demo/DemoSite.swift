import FewClickCore
import Foundation
import HTTPTypes
import Hummingbird

/// Settings of the labeling UI the gateway serves: the Ground Truth template's script for any
/// client (`GET /ui/fewclick-ui.js`) and, when enabled, the local demo page (`GET /demo`).
public struct DemoSettings: Sendable {
    /// Folder holding `fewclick-ui.js` and `template.liquid.html` (the repository's `infra/groundtruth`).
    public var uiDirectory: String
    /// Whether `/demo` and its sample images are served (off by default; `fewclick up` turns it on).
    /// The demo answers only when the gateway binds a loopback address.
    public var demoEnabled: Bool
    /// Label list offered by the demo page.
    public var labels: [String]
    /// Lifetime of the demo tokens the page fetches from `POST /demo/token`, at most
    /// ``maximumTokenTTL`` (longer values are cut to it).
    public var tokenTTL: Duration
    /// The demo page's sample images (`GET /demo/samples.json`, `/demo/samples/N.png`, `/demo?sample=N`),
    /// made by the command that starts the gateway (the `gateway` executable generates two scenes),
    /// so the service itself encodes no images.
    public var samples: [DemoSample]

    /// Whether `host` (a `--host` value) is a loopback address: `127.0.0.0/8`, `::1` or `localhost`.
    /// The demo is served only on such a bind.
    public static func isLoopback(host: String) -> Bool {
        let h = host.lowercased()
        if h == "localhost" || h == "::1" || h == "[::1]" { return true }
        let parts = h.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// The longest demo token lifetime: 15 minutes.
    public static let maximumTokenTTL = Duration.seconds(15 * 60)

    /// Creates settings; defaults: demo off, labels `object`, `other-object`, 10-minute demo tokens,
    /// no samples.
    public init(
        uiDirectory: String, demoEnabled: Bool = false, labels: [String] = ["object", "other-object"],
        tokenTTL: Duration = .seconds(10 * 60), samples: [DemoSample] = []
    ) {
        self.uiDirectory = uiDirectory
        self.demoEnabled = demoEnabled
        self.labels = labels
        self.tokenTTL = min(tokenTTL, Self.maximumTokenTTL)
        self.samples = samples
    }
}

/// A sample image for the demo page, with its object's true mask (COCO RLE), so anyone (and the
/// browser test) can check what the service returns.
public struct DemoSample: Sendable {
    /// Short name, shown in the page's image list.
    public var name: String
    /// One line saying what the image shows.
    public var description: String
    /// The image as a PNG file, served as is.
    public var png: [UInt8]
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// The object's true mask (`width` × `height`).
    public var truth: COCORLE

    /// Creates a sample.
    public init(name: String, description: String, png: [UInt8], width: Int, height: Int, truth: COCORLE) {
        self.name = name
        self.description = description
        self.png = png
        self.width = width
        self.height = height
        self.truth = truth
    }
}

/// Serves the UI script, the demo page rendered from the Ground Truth template, and the configured samples.
///
/// The demo never hands out a token of the gateway's own secret. Its page carries no token at all:
/// the script asks `POST /demo/token` for a short-lived demo token (``DemoTokens``: random, held in
/// this process's memory only, at most 15 minutes) and calls `POST /demo/v1/segment`, the only
/// route that accepts such tokens; `/v1/segment` never does. Every demo route answers only when the
/// gateway binds a loopback address (403 `demo_requires_loopback` otherwise) and only to a `Host`
/// that names the loopback interface (`127.0.0.1`, `localhost`, `[::1]`: 403 `demo_host_not_allowed`
/// otherwise, which defeats DNS rebinding); the two POST routes also need the page's own `Origin`
/// (403 `demo_origin_not_allowed`), so another site cannot use them from a visitor's browser.
struct DemoSite: Sendable {
    let settings: DemoSettings
    let samples: [DemoSample]
    /// The UI files, read once at start-up (no blocking file I/O on request paths); nil when missing.
    let script: [UInt8]?
    let template: [UInt8]?
    /// Whether the gateway binds a loopback address (the demo is refused otherwise).
    let bindsLoopback: Bool
    let tokens: DemoTokens
    let segment: SegmentRoute

    init(settings: DemoSettings, host: String, segment: SegmentRoute) {
        self.settings = settings
        self.samples = settings.demoEnabled ? settings.samples : []
        let folder = URL(fileURLWithPath: settings.uiDirectory)
        self.script = FileManager.default.contents(atPath: folder.appendingPathComponent("fewclick-ui.js").path).map { [UInt8]($0) }
        self.template = FileManager.default.contents(atPath: folder.appendingPathComponent("template.liquid.html").path)
            .map { [UInt8]($0) }
        self.bindsLoopback = DemoSettings.isLoopback(host: host)
        self.tokens = DemoTokens()
        self.segment = segment
    }

    /// Registers the routes on `router`.
    func register(on router: Router<GatewayRequestContext>) {
        router.get("/ui/fewclick-ui.js") { _, _ in try scriptResponse() }
        guard settings.demoEnabled else { return }
        router.get("/demo/ui/fewclick-ui.js") { request, _ in
            try checkHost(request)
            return try scriptResponse()
        }
        router.get("/demo") { request, _ in
            try checkHost(request)
            let index = request.uri.queryParameters.get("sample", as: Int.self) ?? 0
            guard samples.indices.contains(index) else {
                throw GatewayError(.notFound, code: "sample_not_found", message: "no demo sample \(index)")
            }
            let html = try renderDemoPage(sample: index)
            return Response(
                status: .ok,
                headers: [
                    .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                    .init("Content-Security-Policy")!: "frame-ancestors 'none'",
                    .init("X-Frame-Options")!: "DENY",
                ],
                body: .init(byteBuffer: ByteBuffer(string: html)))
        }
        router.post("/demo/token") { request, _ in
            try checkHost(request)
            try checkOrigin(request)
            let requested = request.uri.queryParameters.get("ttl", as: Int.self).map { Duration.seconds(max(1, $0)) }
            let ttl = min(requested ?? settings.tokenTTL, settings.tokenTTL)
            let token = tokens.issue(ttl: ttl)
            struct Body: Encodable {
                let token: String
                let tokenType = "demo"
                let expiresIn: Int64
            }
            return Response.json(
                status: .ok, Body(token: token, expiresIn: ttl.components.seconds), headers: [.cacheControl: "no-store"])
        }
        router.post("/demo/v1/segment") { request, context in
            try checkHost(request)
            try checkOrigin(request)
            let claims: VerifiedClaims
            do throws(TokenError) {
                claims = try tokens.verify(try BearerToken.parse(request.headers[.authorization]))
            } catch {
                throw GatewayError(error, requiredScope: nil)
            }
            // The proxy serves /v1/segment: forward under that path.
            var head = request.head
            head.path = ProxyEventBuilder.resource
            return try await segment.forward(Request(head: head, body: request.body), claims: claims, context: context)
        }
        router.get("/demo/samples.json") { request, _ in
            try checkHost(request)
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
        router.get("/demo/samples/:file") { request, context in
            try checkHost(request)
            let file = context.parameters.get("file") ?? ""
            guard file.hasSuffix(".png"), let index = Int(file.dropLast(4)), samples.indices.contains(index) else {
                throw GatewayError(.notFound, code: "sample_not_found", message: "no demo sample \(file)")
            }
            return Response(
                status: .ok, headers: [.contentType: "image/png", .cacheControl: "max-age=3600"],
                body: .init(byteBuffer: ByteBuffer(bytes: samples[index].png)))
        }
    }

    private func scriptResponse() throws -> Response {
        let bytes = try uiFile(script, named: "fewclick-ui.js")
        return Response(
            status: .ok,
            headers: [.contentType: "application/javascript; charset=utf-8", .cacheControl: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// Refuses the demo on a non-loopback bind, and requests whose `Host` is not a loopback name.
    func checkHost(_ request: Request) throws(GatewayError) {
        guard bindsLoopback else {
            throw GatewayError(
                .forbidden, code: "demo_requires_loopback",
                message: "the demo page is served only when the gateway binds a loopback address (--host 127.0.0.1); "
                    + "deploy the Ground Truth template with job tokens instead")
        }
        let host = request.head.authority ?? request.headers[.init("Host")!]
        guard let host, Self.isLoopback(hostHeader: host) else {
            throw GatewayError(
                .forbidden, code: "demo_host_not_allowed",
                message: "the demo answers only on loopback names: open http://127.0.0.1:PORT/demo (Host was \(String((host ?? "none").prefix(100))))")
        }
    }

    /// Requires the request's `Origin` to be this page's own origin, `http://` + its `Host`.
    func checkOrigin(_ request: Request) throws(GatewayError) {
        let host = request.head.authority ?? request.headers[.init("Host")!] ?? ""
        guard let origin = request.headers[.origin], origin.lowercased() == "http://" + host.lowercased() else {
            throw GatewayError(
                .forbidden, code: "demo_origin_not_allowed",
                message: "demo tokens are used only by the demo page itself (Origin must be http://\(String(host.prefix(100))))")
        }
    }

    /// Whether a `Host` header value (`name[:port]`, `[v6][:port]`) names the loopback interface.
    static func isLoopback(hostHeader: String) -> Bool {
        var name = Substring(hostHeader)
        if name.hasPrefix("[") {
            guard let close = name.firstIndex(of: "]") else { return false }
            let rest = name[name.index(after: close)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && rest.dropFirst().allSatisfy(\.isNumber)) else { return false }
            name = name[...close]
        } else if let colon = name.lastIndex(of: ":") {
            guard name[name.index(after: colon)...].allSatisfy(\.isNumber) else { return false }
            name = name[..<colon]
        }
        return DemoSettings.isLoopback(host: String(name))
    }

    private func uiFile(_ bytes: [UInt8]?, named name: String) throws -> [UInt8] {
        guard let bytes else {
            throw GatewayError(
                .internalServerError, code: "ui_not_found", message: "the UI file \(name) is not installed on this gateway")
        }
        return bytes
    }

    /// The Ground Truth template with its Liquid values filled from local configuration: no token
    /// (the page fetches short-lived demo tokens), the demo's own API path, and the workspace
    /// settings in `window.fewclickDemo`. The Crowd HTML Elements script is left out (it needs the
    /// internet); the UI then uses its plain form.
    func renderDemoPage(sample: Int) throws -> String {
        guard let template = String(bytes: try uiFile(template, named: "template.liquid.html"), encoding: .utf8) else {
            throw GatewayError(.internalServerError, code: "ui_not_found", message: "the template is not UTF-8")
        }
        let labels = String(decoding: try JSONEncoder().encode(settings.labels), as: UTF8.self)
        let values: [String: String] = [
            "task.input.gatewayUrl": "/demo",
            "task.input.token": "",
            "task.input.taskObject | grant_read_access": "/demo/samples/\(sample).png",
            "task.input.labels | to_json": labels,
        ]
        let page = try DemoSite.fillLiquid(template, values: values)
            .split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.contains("assets.crowd.aws") }
            .joined(separator: "\n")
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>fewclick — labeling demo</title>
            <style>html,body{height:100%;margin:0}body{display:flex;flex-direction:column}
            crowd-form{flex:1;display:flex;flex-direction:column;min-height:0}#fewclick-root{flex:1;min-height:0}
            short-instructions,full-instructions{display:none}</style>
            <script>window.fewclickDemo = {"workspace": true, "tokenUrl": "/demo/token", "samplesUrl": "/demo/samples.json", "suggest": true};</script>
            </head><body>
            \(page)
            </body></html>
            """
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
}
