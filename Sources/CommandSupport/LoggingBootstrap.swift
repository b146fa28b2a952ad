import ArgumentParser
import Foundation
import Logging

/// Sends every log to standard error at one level, the same way in every command: `name` (a `--log-level`
/// value), else `$LOG_LEVEL`, else `fallback`; a name that is not a `Logger.Level` (any case) is a
/// command-line error, never a silent default.
/// - Returns: the level every handler logs at.
@discardableResult
public func bootstrapLogging(
    level name: String?, fallback: String = "info",
    environment: [String: String] = ProcessInfo.processInfo.environment
) throws(ValidationError) -> Logger.Level {
    let level = try logLevel(named: name, fallback: fallback, environment: environment)
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
    return level
}

/// The level `bootstrapLogging` logs at: `name` (a `--log-level` value), else `$LOG_LEVEL`, else
/// `fallback`, in any case.
/// - Throws: a command-line error naming the levels when the name is not a `Logger.Level`.
public func logLevel(
    named name: String?, fallback: String = "info", environment: [String: String] = ProcessInfo.processInfo.environment
) throws(ValidationError) -> Logger.Level {
    let levelName = name ?? environment["LOG_LEVEL"] ?? fallback
    guard let level = Logger.Level(rawValue: levelName.lowercased()) else {
        throw ValidationError(
            "unknown log level '\(levelName)'; use trace, debug, info, notice, warning, error or critical")
    }
    return level
}
