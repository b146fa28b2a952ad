/// Any JSON value, kept as sent.
///
/// API Gateway puts free-form documents in a few places of its events (the REST authorizer
/// context, whose values may be strings, numbers or booleans; HTTP API `jwt`/`lambda`/`iam`
/// authorizer objects; `requestContext.authentication`). They are decoded into this type so
/// that no event AWS publishes fails to decode because of a value shape we did not foresee.
public enum JSONValue: Sendable, Hashable, Codable {
    /// JSON `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number (JSON numbers are decoded as `Double`; integers up to 2^53 are exact).
    case number(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object.
    case object([String: JSONValue])

    /// Decodes any JSON value.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    /// Encodes the value as the JSON it came from.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// The value as a string when it is a scalar: strings as they are, booleans as
    /// `"true"`/`"false"`, integral numbers without a fraction (`1`, not `1.0`), other numbers
    /// in Swift's shortest form. `nil` for `null`, arrays and objects.
    ///
    /// API Gateway itself stringifies REST authorizer context values this way before they reach
    /// a mapping template, so callers can treat the context as `[String: String]`.
    public var stringValue: String? {
        switch self {
        case .string(let value): return value
        case .bool(let value): return value ? "true" : "false"
        case .number(let value):
            if value.rounded() == value, abs(value) < 9.007_199_254_740_992e15 { return String(Int64(value)) }
            return String(value)
        case .null, .array, .object: return nil
        }
    }

    /// The members when the value is an object, otherwise `nil`.
    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }
}
