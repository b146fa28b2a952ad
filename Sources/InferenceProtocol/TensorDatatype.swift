/// A tensor element type of the Open Inference Protocol (KServe V2), by its wire name.
///
/// Binary representation (binary tensor data extension): little-endian, row-major, no padding;
/// `BOOL` is one byte (0 or 1); `BYTES` is, per element, a 4-byte little-endian length followed by
/// that many bytes. `FP16` and `BF16` travel only as binary data (JSON has no 16-bit float).
public enum TensorDatatype: String, Sendable, Hashable, Codable, CaseIterable {
    /// Boolean, one byte per element on the wire.
    case bool = "BOOL"
    /// Unsigned 8-bit integer.
    case uint8 = "UINT8"
    /// Unsigned 16-bit integer.
    case uint16 = "UINT16"
    /// Unsigned 32-bit integer.
    case uint32 = "UINT32"
    /// Unsigned 64-bit integer.
    case uint64 = "UINT64"
    /// Signed 8-bit integer.
    case int8 = "INT8"
    /// Signed 16-bit integer.
    case int16 = "INT16"
    /// Signed 32-bit integer.
    case int32 = "INT32"
    /// Signed 64-bit integer.
    case int64 = "INT64"
    /// IEEE 754 half precision; raw bytes only (no JSON form).
    case fp16 = "FP16"
    /// bfloat16; raw bytes only (no JSON form).
    case bf16 = "BF16"
    /// IEEE 754 single precision.
    case fp32 = "FP32"
    /// IEEE 754 double precision.
    case fp64 = "FP64"
    /// Variable-length byte strings (JSON: strings; binary: 4-byte LE length prefix per element).
    case bytes = "BYTES"

    /// Bytes per element in the binary representation, or nil for `BYTES` (variable length).
    public var elementByteSize: Int? {
        switch self {
        case .bool, .uint8, .int8: 1
        case .uint16, .int16, .fp16, .bf16: 2
        case .uint32, .int32, .fp32: 4
        case .uint64, .int64, .fp64: 8
        case .bytes: nil
        }
    }

    /// Whether the type has a JSON representation (everything except `FP16` and `BF16`).
    public var hasJSONForm: Bool { self != .fp16 && self != .bf16 }
}
