import Foundation

extension JSONDecoder {
    /// Decodes a value from `bytes` in place: the `Data` the decoder reads borrows the array's
    /// storage for the call (no copy of a body of up to 6 MB); it does not outlive the call.
    public func decode<T: Decodable>(_ type: T.Type, borrowing bytes: [UInt8]) throws -> T {
        try bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, raw.count > 0 else { return try decode(type, from: Data()) }
            let data = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: raw.count, deallocator: .none)
            return try decode(type, from: data)
        }
    }
}
