import Foundation
import Logging
import ServiceLifecycle

/// The Lambda custom-runtime loop (what a `provided.al2023` `bootstrap` runs).
///
/// `while !Task.isCancelled { next invocation → handle → post the result or the error }`.
/// A handler error is posted to `/error` and the loop goes on; a Runtime API failure ends
/// `run()` with that error (Lambda then restarts the execution environment).
/// Each invocation sets `_X_AMZN_TRACE_ID` from `Lambda-Runtime-Trace-Id` (or unsets it), as
/// AWS's runtimes do, and hands the deadline to the handler in its `LambdaContext`.
public struct LambdaRuntime<Handler: LambdaHandler>: Service {
    /// The function.
    public let handler: Handler
    /// The Runtime API.
    public let transport: any LambdaRuntimeTransport
    /// The runtime's logger.
    public let logger: Logger
    /// Stop after this many invocations (tests); `nil` runs until cancelled.
    public let maxInvocations: Int?

    /// Creates a runtime.
    public init(
        handler: Handler, transport: any LambdaRuntimeTransport, logger: Logger, maxInvocations: Int? = nil
    ) {
        self.handler = handler
        self.transport = transport
        self.logger = logger
        self.maxInvocations = maxInvocations
    }

    /// Runs the loop until cancellation (graceful shutdown cancels the pending long poll) or
    /// `maxInvocations`. Throws the transport's error when the Runtime API fails.
    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            var handled = 0
            while !Task.isCancelled {
                if let maxInvocations, handled >= maxInvocations { break }
                let invocation: LambdaInvocation
                do {
                    invocation = try await transport.nextInvocation()
                } catch where Task.isCancelled {
                    break
                }
                await handle(invocation)
                handled += 1
            }
        }
    }

    /// Handles one invocation and posts its outcome (a failed post is logged: the Runtime API
    /// then times the invocation out, and the next long poll shows whether it is still there).
    func handle(_ invocation: LambdaInvocation) async {
        if let traceId = invocation.traceId {
            setenv("_X_AMZN_TRACE_ID", traceId, 1)
        } else {
            unsetenv("_X_AMZN_TRACE_ID")
        }
        let context = LambdaContext(
            requestId: invocation.requestId, deadlineEpochMilliseconds: invocation.deadlineEpochMilliseconds,
            invokedFunctionArn: invocation.invokedFunctionArn, traceId: invocation.traceId, logger: logger)
        do {
            let result = try await handler.handle(invocation.event, context: context)
            do {
                try await transport.reportResult(requestId: invocation.requestId, result: result)
            } catch {
                context.logger.error("could not post the result: \(error)")
            }
        } catch {
            let report = LambdaFunctionError(error)
            context.logger.error("function error \(report.errorType): \(report.errorMessage)")
            do {
                try await transport.reportError(requestId: invocation.requestId, error: report)
            } catch {
                context.logger.error("could not post the function error: \(error)")
            }
        }
    }

    /// Builds the handler with `makeHandler` and runs the loop; when `makeHandler` throws, posts
    /// the error to `/init/error` and rethrows it (the process should then exit non-zero).
    public static func run(
        transport: any LambdaRuntimeTransport, logger: Logger, makeHandler: () async throws -> Handler
    ) async throws {
        let handler: Handler
        do {
            handler = try await makeHandler()
        } catch {
            let report = LambdaFunctionError(error)
            logger.critical("init failed \(report.errorType): \(report.errorMessage)")
            try? await transport.reportInitError(report)
            throw error
        }
        try await LambdaRuntime(handler: handler, transport: transport, logger: logger).run()
    }
}
