import Foundation
import Synchronization

/// Bounds the proxy's pixel work, so that a burst of large images cannot take its memory or CPU:
///
/// - pixel memory: every segment call reserves `width × height × bytesPerPixel` bytes for its
///   whole life (decode, crop, paste-back, mask encodings all work at full resolution), and the
///   reservations of calls in flight stay within `maxBytes`;
/// - decodes: at most `maxConcurrent` images are decoded at once (CPU).
///
/// A call that does not fit is refused at once (the caller answers 503 `busy` with `Retry-After`),
/// not queued: queued calls would hold their request bodies in memory while they wait. One call
/// is always admitted when none is in flight, so no image within the pixel limit is refused for
/// ever. Sizes come from the file's header (or the cached image), before any pixel is decoded.
public final class DecodeGate: Sendable {
    /// Bytes of memory one call needs per image pixel at its peak, measured on a 6300 × 6300 PNG
    /// whose mask covers the image: 3 (RGB) + the full-resolution mask, resampled probability,
    /// component labels and transposed copy for the RLE.
    public static let bytesPerPixel = 10

    /// The default decode concurrency: the CPU count, at least 2.
    public static var defaultMaxConcurrent: Int { max(2, ProcessInfo.processInfo.activeProcessorCount) }

    /// Decodes at once at most.
    public let maxConcurrent: Int
    /// Reserved pixel memory of calls in flight at most, bytes.
    public let maxBytes: Int
    private let state = Mutex((decoding: 0, calls: 0, bytes: 0))

    /// Creates a gate.
    public init(maxConcurrent: Int, maxBytes: Int) {
        self.maxConcurrent = max(1, maxConcurrent)
        self.maxBytes = max(1, maxBytes)
    }

    /// The memory a call on a `width × height` image reserves.
    public static func cost(width: Int, height: Int) -> Int { width * height * bytesPerPixel }

    /// Reserves `bytes` for a call; `false` when it does not fit now.
    public func tryReserve(bytes: Int) -> Bool {
        state.withLock { state in
            guard state.calls == 0 || state.bytes + bytes <= maxBytes else { return false }
            state.calls += 1
            state.bytes += bytes
            return true
        }
    }

    /// Returns a reservation of ``tryReserve(bytes:)``.
    public func release(bytes: Int) {
        state.withLock { state in
            state.calls -= 1
            state.bytes -= bytes
        }
    }

    /// Takes a decode slot; `false` when `maxConcurrent` decodes run.
    public func tryStartDecode() -> Bool {
        state.withLock { state in
            guard state.decoding < maxConcurrent else { return false }
            state.decoding += 1
            return true
        }
    }

    /// Returns a decode slot.
    public func endDecode() {
        state.withLock { state in state.decoding -= 1 }
    }

    /// Decodes running, calls holding reservations, and reserved bytes now.
    public var load: (decoding: Int, calls: Int, bytes: Int) { state.withLock { $0 } }
}
