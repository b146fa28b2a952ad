import ArgumentParser
import CommandSupport
import Logging
import Testing

/// What the service commands share. `bootstrapLogging` itself sets the process-wide logging system
/// once, so its level rule is tested through `logLevel`, which it calls.
@Suite("Command support")
struct CommandSupportTests {
    @Test("the level: --log-level, else $LOG_LEVEL, else the command's default; any case")
    func levelPrecedence() throws {
        #expect(try logLevel(named: "DEBUG", environment: ["LOG_LEVEL": "error"]) == .debug)
        #expect(try logLevel(named: nil, environment: ["LOG_LEVEL": "Warning"]) == .warning)
        #expect(try logLevel(named: nil, fallback: "notice", environment: [:]) == .notice)
        #expect(try logLevel(named: nil, environment: [:]) == .info)
    }

    @Test("an unknown level is a command-line error naming the levels, never a silent default")
    func unknownLevel() {
        for (name, environment) in [("verbose", [String: String]()), (nil, ["LOG_LEVEL": "loud"])] as [(String?, [String: String])] {
            let error = #expect(throws: ValidationError.self) { try logLevel(named: name, environment: environment) }
            let shown = name ?? environment["LOG_LEVEL"] ?? ""
            #expect(error?.message == "unknown log level '\(shown)'; use trace, debug, info, notice, warning, error or critical")
        }
    }

    @Test("the listening line scripts parse")
    func listening() {
        #expect(listeningLine("proxy", host: "127.0.0.1", port: 40123) == "proxy listening on 127.0.0.1:40123\n")
    }
}
