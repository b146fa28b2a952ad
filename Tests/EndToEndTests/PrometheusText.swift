/// A strict reader of the Prometheus text exposition format (version 0.0.4), for checking what the
/// services' `GET /metrics` answer.
///
/// It refuses (throws) anything a Prometheus server would refuse or that breaks the format's rules:
/// a sample before its family's `# TYPE`, a `# TYPE` twice or of an unknown type, a bad metric or
/// label name, an unterminated or badly escaped label value, a repeated label, a value that is not a
/// number, the same series twice, a missing final newline; for counters a negative value; for
/// histograms a sample other than `_bucket` (with `le`), `_sum`, `_count`, buckets that are not
/// cumulative, or no `+Inf` bucket equal to `_count`.
struct PrometheusText {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    struct FormatError: Error, CustomStringConvertible {
        var description: String
        init(_ line: Int, _ message: String) { description = "line \(line): \(message)" }
    }

    /// Family name → type (`counter`, `gauge`, `histogram`, `summary`, `untyped`).
    private(set) var types: [String: String] = [:]
    private(set) var samples: [Sample] = []

    init(_ text: String) throws {
        guard text.isEmpty || text.hasSuffix("\n") else { throw FormatError(0, "the last line has no newline") }
        var seen = Set<String>()
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated() {
            let number = index + 1
            let line = Substring(raw)
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                try comment(line, number)
                continue
            }
            let sample = try Self.sample(line, number)
            guard let family = family(of: sample.name) else {
                throw FormatError(number, "\(sample.name) has no # TYPE line before it")
            }
            let key = sample.name + "{" + sample.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") + "}"
            guard seen.insert(key).inserted else { throw FormatError(number, "series \(key) appears twice") }
            if types[family] == "counter", !(sample.value >= 0) {
                throw FormatError(number, "counter \(sample.name) is \(sample.value)")
            }
            if types[family] == "histogram", sample.name == family + "_bucket", sample.labels["le"] == nil {
                throw FormatError(number, "\(sample.name) has no le label")
            }
            samples.append(sample)
        }
        try checkHistograms()
    }

    /// The value of the series `name{labels}` (exactly these labels), if present.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    /// The value, 0 when the series does not exist (a counter not yet incremented for these labels).
    func count(_ name: String, _ labels: [String: String] = [:]) -> Double { value(name, labels) ?? 0 }

    /// The samples named `name`.
    func samples(named name: String) -> [Sample] { samples.filter { $0.name == name } }

    private mutating func comment(_ line: Substring, _ number: Int) throws {
        let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[0] == "#", parts[1] == "TYPE" || parts[1] == "HELP" else { return }
        let name = String(parts[2])
        guard Self.isMetricName(name) else { throw FormatError(number, "bad metric name '\(name)'") }
        guard parts[1] == "TYPE" else { return }
        guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]) else {
            throw FormatError(number, "bad TYPE line '\(line)'")
        }
        guard types[name] == nil else { throw FormatError(number, "a second TYPE line for \(name)") }
        guard !samples.contains(where: { family(of: $0.name) == name }) else {
            throw FormatError(number, "TYPE line for \(name) after its samples")
        }
        types[name] = String(parts[3])
    }

    /// The declared family a sample name belongs to.
    private func family(of name: String) -> String? {
        if types[name] != nil { return name }
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if let type = types[base], type == "histogram" || (type == "summary" && suffix != "_bucket") { return base }
        }
        return nil
    }

    private static func sample(_ line: Substring, _ number: Int) throws -> Sample {
        var rest = line[...]
        let name = String(rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" })
        guard isMetricName(name) else { throw FormatError(number, "bad metric name in '\(line)'") }
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let label = String(rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
                guard isLabelName(label) else { throw FormatError(number, "bad label name in '\(line)'") }
                rest = rest.dropFirst(label.count)
                guard rest.hasPrefix("=\"") else { throw FormatError(number, "label \(label) has no =\" in '\(line)'") }
                rest = rest.dropFirst(2)
                var value = ""
                while true {
                    guard let character = rest.first else { throw FormatError(number, "unterminated label value in '\(line)'") }
                    rest = rest.dropFirst()
                    if character == "\"" { break }
                    if character == "\\" {
                        switch rest.first {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: throw FormatError(number, "bad escape in '\(line)'")
                        }
                        rest = rest.dropFirst()
                    } else {
                        value.append(character)
                    }
                }
                guard labels.updateValue(value, forKey: label) == nil else {
                    throw FormatError(number, "label \(label) twice in '\(line)'")
                }
                if rest.first == "," { rest = rest.dropFirst() } else if rest.first != "}" {
                    throw FormatError(number, "expected , or } in '\(line)'")
                }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { throw FormatError(number, "no space before the value in '\(line)'") }
        let fields = rest.dropFirst().split(separator: " ", omittingEmptySubsequences: false)
        guard (1...2).contains(fields.count), let value = parseValue(fields[0]) else {
            throw FormatError(number, "bad value in '\(line)'")
        }
        if fields.count == 2, Int64(fields[1]) == nil { throw FormatError(number, "bad timestamp in '\(line)'") }
        return Sample(name: name, labels: labels, value: value)
    }

    private static func parseValue(_ text: Substring) -> Double? {
        switch text {
        case "+Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default:
            guard text.allSatisfy({ $0.isNumber || "+-.eE".contains($0) }) else { return nil }
            return Double(text)
        }
    }

    private func checkHistograms() throws {
        for (histogram, type) in types where type == "histogram" {
            let family = histogram
            var groups: [[String: String]: [(le: Double, count: Double)]] = [:]
            for sample in samples {
                if sample.name == family + "_bucket" {
                    var key = sample.labels
                    let le = key.removeValue(forKey: "le")!
                    guard let bound = Self.parseValue(Substring(le)) else { throw FormatError(0, "\(family): bad le '\(le)'") }
                    groups[key, default: []].append((bound, sample.value))
                } else if sample.name.hasPrefix(family), self.family(of: sample.name) == family,
                    ![family + "_sum", family + "_count"].contains(sample.name)
                {
                    throw FormatError(0, "\(sample.name) is not a histogram series")
                }
            }
            for (labels, buckets) in groups {
                let sorted = buckets.sorted { $0.le < $1.le }
                guard zip(sorted, sorted.dropFirst()).allSatisfy({ $0.count <= $1.count }) else {
                    throw FormatError(0, "\(family)\(labels): buckets are not cumulative")
                }
                guard let last = sorted.last, last.le == .infinity else {
                    throw FormatError(0, "\(family)\(labels): no +Inf bucket")
                }
                guard value(family + "_count", labels) == last.count, value(family + "_sum", labels) != nil else {
                    throw FormatError(0, "\(family)\(labels): _count differs from the +Inf bucket, or no _sum")
                }
            }
        }
    }

    static func isMetricName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first == "_" || first == ":" else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }
    }

    static func isLabelName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first == "_" else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }
}
