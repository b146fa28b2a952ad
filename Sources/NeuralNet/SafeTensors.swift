import Foundation

/// A parsed safetensors file (https://github.com/huggingface/safetensors): an 8-byte little-endian
/// header length N, N bytes of JSON header (tensor name → dtype, shape, `data_offsets` relative to
/// the end of the header, plus an optional `__metadata__` string map), then the raw little-endian
/// tensor bytes.
///
/// Only `F32` and `F16` tensors are accepted (F16 is widened to Float on read). Every offset, size
/// and shape is checked on `init`, so a tensor read never goes outside the file; malformed input of
/// any kind is a `NeuralNetError`, never a crash.
public struct SafeTensors: Sendable {
    /// Element types this reader accepts.
    public enum DType: String, Sendable, Hashable {
        /// IEEE 754 binary32, little-endian.
        case f32 = "F32"
        /// IEEE 754 binary16, little-endian (widened to Float on read).
        case f16 = "F16"

        /// Bytes per element.
        public var size: Int { self == .f32 ? 4 : 2 }
    }

    /// One tensor's header entry.
    public struct TensorInfo: Sendable, Hashable {
        /// Storage type.
        public let dtype: DType
        /// Dimensions, outermost first (row-major); `[]` is a scalar.
        public let shape: [Int]
        /// The tensor's bytes within the data section (after the header).
        public let byteRange: Range<Int>
        /// Number of elements (the product of `shape`).
        public var count: Int { shape.reduce(1, *) }
    }

    /// The `__metadata__` map (empty when the file has none).
    public let metadata: [String: String]
    /// Every tensor's header entry by name.
    public let tensors: [String: TensorInfo]
    private let data: Data
    private let dataStart: Int

    /// The largest JSON header accepted (the reference implementation's limit), bytes.
    public static let maximumHeaderSize = 100_000_000

    /// Reads and validates a file; the bytes are memory-mapped when possible.
    /// - Throws: `NeuralNetError.truncated` if the file cannot be read or ends early, and the
    ///   errors of `init(data:)`.
    public init(contentsOf url: URL) throws(NeuralNetError) {
        let bytes: Data
        do {
            bytes = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw .truncated("cannot read \(url.path): \(error.localizedDescription)")
        }
        try self.init(data: bytes)
    }

    /// Parses and validates a file held in memory.
    /// - Throws: `NeuralNetError.truncated` (shorter than 8 bytes, or the header length runs past
    ///   the end), `.invalidHeader` (not a JSON object of well-formed entries, non-string metadata),
    ///   `.unsupportedDType` (anything but F32/F16), `.invalidOffsets` (outside the data section,
    ///   overlapping another tensor, or not shape × element size bytes).
    public init(data: Data) throws(NeuralNetError) {
        // Re-base so that integer indices start at 0 whatever slice we were given.
        let data = data.startIndex == 0 ? data : Data(data)
        guard data.count >= 8 else { throw .truncated("\(data.count) bytes, shorter than the 8-byte header length") }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(data[i]) << (8 * UInt64(i)) }
        guard length <= UInt64(data.count - 8) else {
            throw .truncated("header length \(length) runs past the end of the \(data.count)-byte file")
        }
        let headerLength = Int(length)
        guard headerLength <= Self.maximumHeaderSize else {
            throw .invalidHeader("header of \(headerLength) bytes exceeds \(Self.maximumHeaderSize)")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + headerLength)))
        } catch {
            throw .invalidHeader("header is not JSON (\(error.localizedDescription))")
        }
        guard let header = object as? [String: Any] else { throw .invalidHeader("header is not a JSON object") }

        let dataStart = 8 + headerLength
        let dataCount = data.count - dataStart
        var metadata: [String: String] = [:]
        var tensors: [String: TensorInfo] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else { throw .invalidHeader("__metadata__ is not an object") }
                for (key, entry) in map {
                    guard let string = entry as? String else {
                        throw .invalidHeader("__metadata__ value for \(key) is not a string")
                    }
                    metadata[key] = string
                }
                continue
            }
            tensors[name] = try Self.entry(name, value, dataCount: dataCount)
        }
        // Tensors may not share bytes.
        let ordered = tensors.sorted { ($0.value.byteRange.lowerBound, $0.key) < ($1.value.byteRange.lowerBound, $1.key) }
        for (previous, next) in zip(ordered, ordered.dropFirst())
        where next.value.byteRange.lowerBound < previous.value.byteRange.upperBound {
            throw .invalidOffsets("tensors \(previous.key) and \(next.key) overlap")
        }
        self.metadata = metadata
        self.tensors = tensors
        self.data = data
        self.dataStart = dataStart
    }

    private static func entry(_ name: String, _ value: Any, dataCount: Int) throws(NeuralNetError) -> TensorInfo {
        guard let fields = value as? [String: Any] else { throw .invalidHeader("entry \(name) is not an object") }
        guard let dtypeName = fields["dtype"] as? String else { throw .invalidHeader("entry \(name) has no dtype") }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw .unsupportedDType("tensor \(name) is \(dtypeName); only F32 and F16 are supported")
        }
        guard let shape = integers(fields["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
            throw .invalidHeader("entry \(name) has no valid shape (non-negative integers)")
        }
        guard let offsets = integers(fields["data_offsets"]), offsets.count == 2 else {
            throw .invalidHeader("entry \(name) has no valid data_offsets [begin, end]")
        }
        let (begin, end) = (offsets[0], offsets[1])
        guard begin >= 0, begin <= end, end <= dataCount else {
            throw .invalidOffsets("tensor \(name) at [\(begin), \(end)) is outside the \(dataCount)-byte data section")
        }
        var bytes = dtype.size
        for dim in shape {
            let (product, overflow) = bytes.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw .invalidOffsets("tensor \(name): shape \(shape) overflows") }
            bytes = product
        }
        guard bytes == end - begin else {
            throw .invalidOffsets("tensor \(name): shape \(shape) × \(dtype.size) bytes = \(bytes), offsets span \(end - begin)")
        }
        return TensorInfo(dtype: dtype, shape: shape, byteRange: begin..<end)
    }

    /// A JSON array of integers (exactly integral numbers within ±2^53), or nil.
    private static func integers(_ value: Any?) -> [Int]? {
        guard let array = value as? [Any] else { return nil }
        var result: [Int] = []
        result.reserveCapacity(array.count)
        for element in array {
            if let int = element as? Int {
                result.append(int)
            } else if let double = element as? Double, double.rounded() == double, abs(double) < 9.0e15 {
                result.append(Int(double))
            } else {
                return nil
            }
        }
        return result
    }

    /// A tensor's header entry.
    /// - Throws: `NeuralNetError.missingTensor` if the file has no tensor of that name.
    public func info(_ name: String) throws(NeuralNetError) -> TensorInfo {
        guard let info = tensors[name] else { throw .missingTensor("the weights file has no tensor \(name)") }
        return info
    }

    /// A tensor's elements as Float, row-major (F16 widened).
    /// - Throws: `NeuralNetError.missingTensor` if the file has no tensor of that name.
    public func floats(_ name: String) throws(NeuralNetError) -> [Float] {
        let info = try info(name)
        let count = info.count
        let start = dataStart + info.byteRange.lowerBound
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                let base = raw.baseAddress!.advanced(by: start)
                switch info.dtype {
                case .f32:
                    for i in 0..<count {
                        out[i] = Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                    }
                case .f16:
                    for i in 0..<count {
                        let bits = UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                        out[i] = Float(Float16(bitPattern: bits))
                    }
                }
            }
            initialized = count
        }
    }
}
