/// A named tensor of a V2 request (an input) or response (an output).
///
/// The data is kept in the binary tensor data extension's representation (little-endian,
/// row-major, `BYTES` length-prefixed), whatever form it arrived in, so the binary wire form costs no
/// conversion and the JSON form converts once. Every initializer validates the shape against the data:
/// no negative dimension, no overflowing element count, and byte count = element count × element size
/// (for `BYTES`: exactly element-count length-prefixed strings).
public struct InferenceTensor: Sendable, Equatable {
    /// The tensor's name (`image`, `clicks`, `mask_prob`, …).
    public var name: String
    /// The element type.
    public private(set) var datatype: TensorDatatype
    /// Dimensions, outermost first. `[]` is a scalar (one element).
    public private(set) var shape: [Int]
    /// Extra parameters sent with the tensor, minus `binary_data_size` (a framing detail the codec
    /// adds and removes itself).
    public var parameters: InferenceParameters
    /// The data in binary-extension representation.
    public private(set) var rawBytes: [UInt8]

    /// Creates a tensor from its binary representation.
    ///
    /// - Throws: `InferenceProtocolError` (`.invalidTensor`) when the shape is invalid or does not
    ///   match the byte count, when `BOOL` bytes are not 0/1, or when `BYTES` framing is broken.
    public init(
        name: String, datatype: TensorDatatype, shape: [Int], rawBytes: [UInt8], parameters: InferenceParameters = [:]
    ) throws(InferenceProtocolError) {
        try Self.validate(name: name, datatype: datatype, shape: shape, rawBytes: rawBytes)
        self.name = name
        self.datatype = datatype
        self.shape = shape
        self.rawBytes = rawBytes
        self.parameters = parameters
    }

    /// Creates a tensor of fixed-size elements (`[UInt8]`, `[Float]`, `[Int32]`, …).
    ///
    /// - Throws: `.invalidTensor` when `values.count` is not the shape's element count.
    public init<T: TensorElement>(
        name: String, shape: [Int], values: [T], parameters: InferenceParameters = [:]
    ) throws(InferenceProtocolError) {
        try self.init(
            name: name, datatype: T.tensorDatatype, shape: shape, rawBytes: T.encodeLittleEndian(values),
            parameters: parameters)
    }

    /// Creates a `BYTES` tensor of UTF-8 strings.
    ///
    /// - Throws: `.invalidTensor` when `strings.count` is not the shape's element count.
    public init(name: String, shape: [Int], strings: [String], parameters: InferenceParameters = [:])
        throws(InferenceProtocolError)
    {
        try self.init(name: name, shape: shape, byteStrings: strings.map { Array($0.utf8) }, parameters: parameters)
    }

    /// Creates a `BYTES` tensor of raw byte strings.
    ///
    /// - Throws: `.invalidTensor` when the count does not match the shape or an element is 4 GiB or more.
    public init(name: String, shape: [Int], byteStrings: [[UInt8]], parameters: InferenceParameters = [:])
        throws(InferenceProtocolError)
    {
        var raw: [UInt8] = []
        raw.reserveCapacity(byteStrings.reduce(0) { $0 + 4 + $1.count })
        for element in byteStrings {
            guard let length = UInt32(exactly: element.count) else {
                throw .tensor("tensor '\(name)': a BYTES element of \(element.count) bytes exceeds 4 GiB")
            }
            withUnsafeBytes(of: length.littleEndian) { raw.append(contentsOf: $0) }
            raw.append(contentsOf: element)
        }
        try self.init(name: name, datatype: .bytes, shape: shape, rawBytes: raw, parameters: parameters)
    }

    /// Number of elements (product of the shape; 1 for a scalar).
    public var elementCount: Int {
        // Validated at construction, so this cannot overflow.
        shape.reduce(1, *)
    }

    /// The elements as `T`.
    ///
    /// - Throws: `.invalidTensor` when the tensor's datatype is not `T`'s (e.g. asking FP32 data for `[UInt8]`).
    public func values<T: TensorElement>(as type: T.Type = T.self) throws(InferenceProtocolError) -> [T] {
        guard datatype == T.tensorDatatype else {
            throw .tensor(
                "tensor '\(name)' has datatype \(datatype.rawValue), expected \(T.tensorDatatype.rawValue)")
        }
        return T.decodeLittleEndian(rawBytes)
    }

    /// The elements of a `BYTES` tensor as raw byte strings.
    ///
    /// - Throws: `.invalidTensor` when the datatype is not `BYTES`.
    public func byteStrings() throws(InferenceProtocolError) -> [[UInt8]] {
        guard datatype == .bytes else {
            throw .tensor("tensor '\(name)' has datatype \(datatype.rawValue), expected BYTES")
        }
        var out: [[UInt8]] = []
        out.reserveCapacity(elementCount)
        var offset = 0
        while offset < rawBytes.count {
            let length = Int(Self.loadUInt32LE(rawBytes, at: offset))
            out.append(Array(rawBytes[(offset + 4)..<(offset + 4 + length)]))
            offset += 4 + length
        }
        return out
    }

    /// The elements of a `BYTES` tensor as strings.
    ///
    /// - Throws: `.invalidTensor` when the datatype is not `BYTES` or an element is not valid UTF-8.
    public func strings() throws(InferenceProtocolError) -> [String] {
        var out: [String] = []
        for (i, element) in try byteStrings().enumerated() {
            guard let s = String(validating: element, as: UTF8.self) else {
                throw .tensor("tensor '\(name)': element \(i) is not valid UTF-8")
            }
            out.append(s)
        }
        return out
    }

    // MARK: - Validation

    /// The element count of `shape`, or an error naming the tensor when a dimension is negative or the
    /// product overflows.
    static func checkedElementCount(name: String, shape: [Int]) throws(InferenceProtocolError) -> Int {
        var count = 1
        for (i, d) in shape.enumerated() {
            guard d >= 0 else {
                throw .tensor("tensor '\(name)': shape \(shape) has negative dimension \(d) at index \(i)")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw .tensor("tensor '\(name)': shape \(shape) has too many elements") }
            count = product
        }
        return count
    }

    /// The byte size of `count` fixed-size elements, overflow-checked.
    static func checkedByteCount(name: String, shape: [Int], count: Int, elementSize: Int)
        throws(InferenceProtocolError) -> Int
    {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: elementSize)
        guard !overflow else { throw .tensor("tensor '\(name)': shape \(shape) is too large in bytes") }
        return bytes
    }

    static func validate(name: String, datatype: TensorDatatype, shape: [Int], rawBytes: [UInt8])
        throws(InferenceProtocolError)
    {
        let count = try checkedElementCount(name: name, shape: shape)
        if let size = datatype.elementByteSize {
            let expected = try checkedByteCount(name: name, shape: shape, count: count, elementSize: size)
            guard rawBytes.count == expected else {
                throw .tensor(
                    "tensor '\(name)': \(datatype.rawValue) shape \(shape) needs \(count) elements × \(size) bytes = "
                        + "\(expected) bytes, got \(rawBytes.count)")
            }
            if datatype == .bool, let bad = rawBytes.firstIndex(where: { $0 > 1 }) {
                throw .tensor("tensor '\(name)': BOOL element \(bad) is byte \(rawBytes[bad]), expected 0 or 1")
            }
        } else {
            var offset = 0
            var elements = 0
            while offset < rawBytes.count {
                guard rawBytes.count - offset >= 4 else {
                    throw .tensor(
                        "tensor '\(name)': BYTES element \(elements) has a truncated 4-byte length prefix at byte \(offset)")
                }
                let length = Int(loadUInt32LE(rawBytes, at: offset))
                guard rawBytes.count - offset - 4 >= length else {
                    throw .tensor(
                        "tensor '\(name)': BYTES element \(elements) declares \(length) bytes but only "
                            + "\(rawBytes.count - offset - 4) remain")
                }
                offset += 4 + length
                elements += 1
            }
            guard elements == count else {
                throw .tensor("tensor '\(name)': BYTES shape \(shape) needs \(count) elements, data has \(elements)")
            }
        }
    }

    static func loadUInt32LE(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16
            | UInt32(bytes[offset + 3]) << 24
    }
}

/// A Swift type that is the element type of a fixed-size V2 datatype.
///
/// Conformances: `Bool` (BOOL), `UInt8`, `UInt16`, `UInt32`, `UInt64`, `Int8`, `Int16`, `Int32`,
/// `Int64`, `Float` (FP32), `Double` (FP64).
public protocol TensorElement: Sendable {
    /// The V2 datatype of this element type.
    static var tensorDatatype: TensorDatatype { get }
    /// The values as little-endian bytes.
    static func encodeLittleEndian(_ values: [Self]) -> [UInt8]
    /// Values from little-endian bytes; `bytes.count` is a multiple of the element size.
    static func decodeLittleEndian(_ bytes: [UInt8]) -> [Self]
}

/// A tensor element stored as a fixed-width bit pattern. Integers, floats and `Bool` share one
/// implementation of `TensorElement` through it: a memcpy on little-endian hosts, a byte swap per
/// element otherwise.
public protocol FixedWidthTensorElement: TensorElement {
    /// The unsigned integer type of the same size.
    associatedtype Bits: FixedWidthInteger
    /// The value's bit pattern.
    var tensorBits: Bits { get }
    /// The value with this bit pattern.
    init(tensorBits: Bits)
}

extension FixedWidthTensorElement {
    /// The values as little-endian bytes.
    public static func encodeLittleEndian(_ values: [Self]) -> [UInt8] {
        let size = MemoryLayout<Bits>.size
        if isLittleEndianHost {
            return values.withUnsafeBytes { Array($0) }
        }
        var out = [UInt8](repeating: 0, count: values.count * size)
        out.withUnsafeMutableBytes { dst in
            for (i, v) in values.enumerated() {
                dst.storeBytes(of: v.tensorBits.littleEndian, toByteOffset: i * size, as: Bits.self)
            }
        }
        return out
    }

    /// Values from little-endian bytes.
    public static func decodeLittleEndian(_ bytes: [UInt8]) -> [Self] {
        let size = MemoryLayout<Bits>.size
        let count = bytes.count / size
        return [Self](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.withUnsafeBytes { src in
                if isLittleEndianHost, MemoryLayout<Self>.size == size {
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: src[0..<(count * size)]))
                } else {
                    for i in 0..<count {
                        let raw = src.loadUnaligned(fromByteOffset: i * size, as: Bits.self)
                        (buffer.baseAddress! + i).initialize(to: Self(tensorBits: Bits(littleEndian: raw)))
                    }
                }
            }
            initialized = count
        }
    }
}

let isLittleEndianHost = 1.littleEndian == 1

extension UInt8: FixedWidthTensorElement {
    /// UINT8.
    public static var tensorDatatype: TensorDatatype { .uint8 }
    /// The bit pattern.
    public var tensorBits: UInt8 { self }
    /// The value of a bit pattern.
    public init(tensorBits: UInt8) { self = tensorBits }
    /// The values themselves: a UINT8 tensor shares the array's storage (copy-on-write), so an
    /// image crop or mask becomes a tensor without a copy.
    public static func encodeLittleEndian(_ values: [UInt8]) -> [UInt8] { values }
    /// The bytes themselves, shared (copy-on-write).
    public static func decodeLittleEndian(_ bytes: [UInt8]) -> [UInt8] { bytes }
}
extension UInt16: FixedWidthTensorElement {
    /// UINT16.
    public static var tensorDatatype: TensorDatatype { .uint16 }
    /// The bit pattern.
    public var tensorBits: UInt16 { self }
    /// The value of a bit pattern.
    public init(tensorBits: UInt16) { self = tensorBits }
}
extension UInt32: FixedWidthTensorElement {
    /// UINT32.
    public static var tensorDatatype: TensorDatatype { .uint32 }
    /// The bit pattern.
    public var tensorBits: UInt32 { self }
    /// The value of a bit pattern.
    public init(tensorBits: UInt32) { self = tensorBits }
}
extension UInt64: FixedWidthTensorElement {
    /// UINT64.
    public static var tensorDatatype: TensorDatatype { .uint64 }
    /// The bit pattern.
    public var tensorBits: UInt64 { self }
    /// The value of a bit pattern.
    public init(tensorBits: UInt64) { self = tensorBits }
}
extension Int8: FixedWidthTensorElement {
    /// INT8.
    public static var tensorDatatype: TensorDatatype { .int8 }
    /// The bit pattern.
    public var tensorBits: UInt8 { UInt8(bitPattern: self) }
    /// The value of a bit pattern.
    public init(tensorBits: UInt8) { self.init(bitPattern: tensorBits) }
}
extension Int16: FixedWidthTensorElement {
    /// INT16.
    public static var tensorDatatype: TensorDatatype { .int16 }
    /// The bit pattern.
    public var tensorBits: UInt16 { UInt16(bitPattern: self) }
    /// The value of a bit pattern.
    public init(tensorBits: UInt16) { self.init(bitPattern: tensorBits) }
}
extension Int32: FixedWidthTensorElement {
    /// INT32.
    public static var tensorDatatype: TensorDatatype { .int32 }
    /// The bit pattern.
    public var tensorBits: UInt32 { UInt32(bitPattern: self) }
    /// The value of a bit pattern.
    public init(tensorBits: UInt32) { self.init(bitPattern: tensorBits) }
}
extension Int64: FixedWidthTensorElement {
    /// INT64.
    public static var tensorDatatype: TensorDatatype { .int64 }
    /// The bit pattern.
    public var tensorBits: UInt64 { UInt64(bitPattern: self) }
    /// The value of a bit pattern.
    public init(tensorBits: UInt64) { self.init(bitPattern: tensorBits) }
}
extension Float: FixedWidthTensorElement {
    /// FP32.
    public static var tensorDatatype: TensorDatatype { .fp32 }
    /// The bit pattern.
    public var tensorBits: UInt32 { bitPattern }
    /// The value of a bit pattern.
    public init(tensorBits: UInt32) { self.init(bitPattern: tensorBits) }
}
extension Double: FixedWidthTensorElement {
    /// FP64.
    public static var tensorDatatype: TensorDatatype { .fp64 }
    /// The bit pattern.
    public var tensorBits: UInt64 { bitPattern }
    /// The value of a bit pattern.
    public init(tensorBits: UInt64) { self.init(bitPattern: tensorBits) }
}
extension Bool: FixedWidthTensorElement {
    /// BOOL (one byte, 0 or 1).
    public static var tensorDatatype: TensorDatatype { .bool }
    /// The bit pattern.
    public var tensorBits: UInt8 { self ? 1 : 0 }
    /// The value of a bit pattern.
    public init(tensorBits: UInt8) { self = tensorBits != 0 }
}
