import Foundation

/// Writes `NAME listening on HOST:PORT` on standard output, whatever the log level: the one parseable
/// line every `serve` command prints once bound, for scripts and tests that start a server on port 0
/// (README "Services"). The same line is also logged.
public func printListeningLine(_ name: String, host: String, port: Int) {
    FileHandle.standardOutput.write(Data(listeningLine(name, host: host, port: port).utf8))
}

/// The line ``printListeningLine(_:host:port:)`` writes, newline included.
public func listeningLine(_ name: String, host: String, port: Int) -> String {
    "\(name) listening on \(host):\(port)\n"
}
