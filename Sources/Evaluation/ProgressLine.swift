import Foundation

/// A progress line on standard error: redrawn in place at most 5 times a second on a terminal, and
/// written as a plain line at most every 30 s otherwise (so CI logs stay short).
public final class ProgressLine: Sendable {
    private struct State {
        var lastDraw: ContinuousClock.Instant?
        var drewInPlace = false
    }
    private let state = Locked(State())
    private let start = ContinuousClock.now
    private let isTerminal: Bool
    private let prefix: String

    /// A progress line whose messages start with `prefix`.
    public init(prefix: String) {
        self.prefix = prefix
        isTerminal = isatty(STDERR_FILENO) != 0
    }

    /// Seconds since creation.
    public var elapsedSeconds: Double {
        let (s, atto) = (ContinuousClock.now - start).components
        return Double(s) + Double(atto) / 1e18
    }

    /// Reports `done` of `total` items, with the ETA from the rate so far.
    public func update(done: Int, total: Int) {
        let elapsed = elapsedSeconds
        var text = "\(prefix) \(done)/\(total)"
        if done > 0 && done < total {
            let eta = elapsed / Double(done) * Double(total - done)
            text += String(format: ", %.0f s elapsed, ETA %.0f s", elapsed, eta)
        } else {
            text += String(format: ", %.0f s", elapsed)
        }
        show(text, force: done == total)
    }

    /// Shows a free-form status text (throttled like `update`; `force` bypasses the throttle).
    public func show(_ text: String, force: Bool = false) {
        let now = ContinuousClock.now
        let interval: Duration = isTerminal ? .milliseconds(200) : .seconds(30)
        let draw = state.withLock { s -> Bool in
            if !force, let last = s.lastDraw, now - last < interval { return false }
            s.lastDraw = now
            s.drewInPlace = isTerminal
            return true
        }
        guard draw else { return }
        let line = isTerminal ? "\r\u{1B}[2K" + text : text + "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Ends an in-place line with a newline.
    public func finish() {
        let needsNewline = state.withLock { s -> Bool in
            defer { s.drewInPlace = false }
            return s.drewInPlace
        }
        if needsNewline { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
