/// An ordered list of HTTP header fields with case-insensitive lookup.
///
/// Names keep the spelling they arrived with (API Gateway 1.0 keeps the client's spelling, 2.0
/// lower-cases them); lookups compare names ASCII case-insensitively, as HTTP requires.
public struct HeaderFields: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    /// One header field.
    public struct Field: Sendable, Equatable, Hashable {
        /// The name as sent.
        public var name: String
        /// The value.
        public var value: String

        /// Creates a field.
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The fields in order.
    public private(set) var fields: [Field]

    /// Creates a list from fields in order.
    public init(_ fields: [Field] = []) { self.fields = fields }

    /// Creates a list from `name: value` literals in order.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.fields = elements.map { Field($0.0, $0.1) }
    }

    /// The first value of `name` (case-insensitive), or `nil`; setting replaces every field of
    /// that name with one (or removes them all when set to `nil`).
    public subscript(name: String) -> String? {
        get { fields.first { Self.same($0.name, name) }?.value }
        set {
            fields.removeAll { Self.same($0.name, name) }
            if let newValue { fields.append(Field(name, newValue)) }
        }
    }

    /// Every value of `name` (case-insensitive), in order.
    public func values(_ name: String) -> [String] {
        fields.filter { Self.same($0.name, name) }.map(\.value)
    }

    /// Appends a field (keeping any others of the same name).
    public mutating func append(_ name: String, _ value: String) {
        fields.append(Field(name, value))
    }

    /// Whether a field named `name` (case-insensitive) is present.
    public func contains(_ name: String) -> Bool { fields.contains { Self.same($0.name, name) } }

    /// Iterates the fields in order.
    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }

    /// The number of fields.
    public var count: Int { fields.count }

    static func same(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && a.lowercased() == b.lowercased()
    }
}

extension HeaderFields {
    /// A payload 1.0 message's `headers` and `multiValueHeaders` merged as API Gateway merges them:
    /// every `multiValueHeaders` value (names sorted), then each `headers` entry (names sorted)
    /// whose name, case-insensitively, is not in `multiValueHeaders`.
    init(payload1Headers headers: [String: String], multiValueHeaders: [String: [String]]) {
        self.init()
        var seen = Set<String>()
        for (name, values) in multiValueHeaders.sorted(by: { $0.key < $1.key }) {
            seen.insert(name.lowercased())
            for value in values { append(name, value) }
        }
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) where !seen.contains(name.lowercased()) {
            append(name, value)
        }
    }
}
