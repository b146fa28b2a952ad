/// One value of a V2 `parameters` object: `$string | $number | $boolean`.
///
/// JSON integers decode as `.int`, other numbers as `.double`.
public enum InferenceParameter: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A boolean.
    case bool(Bool)
    /// An integer (the protocol's int64 parameters, e.g. `binary_data_size`).
    case int(Int64)
    /// A non-integer number.
    case double(Double)
    /// A string.
    case string(String)

    /// Decodes a JSON scalar; arrays, objects and null are rejected.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? c.decode(Int64.self) {
            self = .int(i)
        } else if let d = try? c.decode(Double.self) {
            self = .double(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else {
            throw DecodingError.dataCorruptedError(
                in: c, debugDescription: "a parameter must be a string, a number or a boolean")
        }
    }

    /// Encodes the value as a JSON scalar.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        }
    }

    /// The value when it is a boolean.
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    /// The value when it is an integer (or a double with an exact integer value).
    public var intValue: Int64? {
        switch self {
        case .int(let i): i
        case .double(let d): Int64(exactly: d)
        default: nil
        }
    }
    /// The value when it is a string.
    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    /// The value as a number (integer or not).
    public var doubleValue: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }

    /// The value as JSON would show it.
    public var description: String {
        switch self {
        case .bool(let b): "\(b)"
        case .int(let i): "\(i)"
        case .double(let d): "\(d)"
        case .string(let s): "\"\(s)\""
        }
    }
}

/// A V2 `parameters` object: names to scalar values. Empty means absent on the wire.
public typealias InferenceParameters = [String: InferenceParameter]

/// Names of the parameters the binary tensor data extension defines.
public enum BinaryDataParameter {
    /// `binary_data_size` (int64) on a request input or response output: the tensor's data follows
    /// the JSON header as this many raw bytes.
    public static let size = "binary_data_size"
    /// `binary_data` (bool) on a requested output: return this output as binary data.
    public static let output = "binary_data"
    /// `binary_data_output` (bool) on the request: default for every output's `binary_data`.
    public static let allOutputs = "binary_data_output"
}
