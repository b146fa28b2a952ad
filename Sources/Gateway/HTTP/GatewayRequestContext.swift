import Hummingbird
import NIOCore

/// The per-request context of the gateway: Hummingbird's core storage plus the request id and the
/// client's address.
public struct GatewayRequestContext: RequestContext {
    /// Hummingbird's own per-request values.
    public var coreContext: CoreRequestContextStorage
    /// The request id (`X-Request-Id` from the client when well-formed, otherwise generated).
    public var requestID: String
    /// The client's IP address, when the transport knows it.
    public var sourceIP: String?

    /// Creates the context for a request arriving on `source.channel`.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.requestID = ""
        self.sourceIP = source.channel.remoteAddress?.ipAddress
    }
}
