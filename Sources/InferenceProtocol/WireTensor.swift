#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A tensor as it appears in the JSON part of a message: `data` is present in the JSON form and
/// absent when the tensor travels as binary data (then `parameters.binary_data_size` is set).
///
/// JSON `data` is decoded type-directed (by `datatype`) straight into the binary representation;
/// nested arrays (`[[1, 2], [3, 4]]`) and flat arrays are both accepted, as the protocol allows.
struct WireTensor: Codable {
    var name: String
    var datatype: TensorDatatype
    var shape: [Int]
    var parameters: InferenceParameters
    /// Binary representation of the JSON `data`, and the number of JSON elements it held.
    var data: (bytes: [UInt8], count: Int)?

    enum CodingKeys: String, CodingKey { case name, datatype, shape, parameters, data }

    init(name: String, datatype: TensorDatatype, shape: [Int], parameters: InferenceParameters, data: (bytes: [UInt8], count: Int)?) {
        self.name = name
        self.datatype = datatype
        self.shape = shape
        self.parameters = parameters
        self.data = data
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let where_ = codingPathString(decoder.codingPath)
        name = try c.decode(String.self, forKey: .name)
        let typeName = try c.decode(String.self, forKey: .datatype)
        guard let datatype = TensorDatatype(rawValue: typeName) else {
            throw InferenceProtocolError.json(
                "\(where_) (tensor '\(name)'): unknown datatype '\(typeName)'; expected one of "
                    + TensorDatatype.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self.datatype = datatype
        shape = try c.decode([Int].self, forKey: .shape)
        parameters = try c.decodeIfPresent(InferenceParameters.self, forKey: .parameters) ?? [:]
        if c.contains(.data), try !c.decodeNil(forKey: .data) {
            guard datatype.hasJSONForm else {
                throw InferenceProtocolError.json(
                    "\(where_) (tensor '\(name)'): \(datatype.rawValue) data has no JSON form; send it as binary data")
            }
            var elements = try c.nestedUnkeyedContainer(forKey: .data)
            var bytes: [UInt8] = []
            if let size = datatype.elementByteSize,
                let count = try? InferenceTensor.checkedElementCount(name: name, shape: shape)
            {
                // A hint only (the data decides); capped so a lying shape cannot allocate much.
                let (total, overflow) = count.multipliedReportingOverflow(by: size)
                bytes.reserveCapacity(overflow ? 0 : min(total, 1 << 24))
            }
            var count = 0
            try Self.decodeElements(&elements, datatype, into: &bytes, count: &count)
            data = (bytes, count)
        } else {
            data = nil
        }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(datatype, forKey: .datatype)
        try c.encode(shape, forKey: .shape)
        if !parameters.isEmpty { try c.encode(parameters, forKey: .parameters) }
        if let data {
            var elements = c.nestedUnkeyedContainer(forKey: .data)
            try Self.encodeElements(data.bytes, datatype, name: name, into: &elements)
        }
    }

    // MARK: - JSON data ⇄ binary representation

    /// Decodes the elements of one array level, recursing into nested arrays.
    private static func decodeElements(
        _ c: inout any UnkeyedDecodingContainer, _ datatype: TensorDatatype, into bytes: inout [UInt8], count: inout Int
    ) throws {
        // Arrays at one level are usually all scalars or all arrays: try the kind that worked last first.
        var nested = false
        while !c.isAtEnd {
            if nested, var inner = try? c.nestedUnkeyedContainer() {
                try decodeElements(&inner, datatype, into: &bytes, count: &count)
                continue
            }
            do {
                try decodeScalar(&c, datatype, into: &bytes)
                count += 1
            } catch DecodingError.typeMismatch(let type, let context) {
                guard var inner = try? c.nestedUnkeyedContainer() else {
                    throw DecodingError.typeMismatch(type, context)
                }
                nested = true
                try decodeElements(&inner, datatype, into: &bytes, count: &count)
            }
        }
    }

    private static func decodeScalar(
        _ c: inout any UnkeyedDecodingContainer, _ datatype: TensorDatatype, into bytes: inout [UInt8]
    ) throws {
        switch datatype {
        case .bool: bytes.append(try c.decode(Bool.self) ? 1 : 0)
        case .uint8: bytes.append(try integer(&c, UInt8.self, datatype))
        case .int8: bytes.append(UInt8(bitPattern: try integer(&c, Int8.self, datatype)))
        case .uint16: appendLE(try integer(&c, UInt16.self, datatype), to: &bytes)
        case .int16: appendLE(try integer(&c, Int16.self, datatype), to: &bytes)
        case .uint32: appendLE(try integer(&c, UInt32.self, datatype), to: &bytes)
        case .int32: appendLE(try integer(&c, Int32.self, datatype), to: &bytes)
        case .uint64: appendLE(try integer(&c, UInt64.self, datatype), to: &bytes)
        case .int64: appendLE(try integer(&c, Int64.self, datatype), to: &bytes)
        case .fp32:
            let index = c.currentIndex
            let d = try c.decode(Double.self)
            let f = Float(d)
            guard f.isFinite else {
                throw InferenceProtocolError.json(
                    "invalid JSON at \(codingPathString(c.codingPath))[\(index)]: \(d) is out of range for FP32")
            }
            appendLE(f.bitPattern, to: &bytes)
        case .fp64: appendLE(try c.decode(Double.self).bitPattern, to: &bytes)
        case .bytes:
            let utf8 = Array(try c.decode(String.self).utf8)
            appendLE(UInt32(truncatingIfNeeded: utf8.count), to: &bytes)
            bytes.append(contentsOf: utf8)
        case .fp16, .bf16:
            preconditionFailure("checked by the caller: no JSON form")
        }
    }

    /// Decodes an integer element with a precise error for non-integers and out-of-range values
    /// (Foundation's own error for those is a bare "not valid JSON" with no location).
    private static func integer<T: FixedWidthInteger & Decodable>(
        _ c: inout any UnkeyedDecodingContainer, _ type: T.Type, _ datatype: TensorDatatype
    ) throws -> T {
        // The path is built only on error: it allocates, and this runs once per element.
        let index = c.currentIndex
        func location(_ c: any UnkeyedDecodingContainer) -> String {
            "invalid JSON at \(codingPathString(c.codingPath))[\(index)]"
        }
        if T.bitWidth == 64 {
            // Doubles cannot hold every 64-bit integer: decode the type itself.
            do {
                return try c.decode(T.self)
            } catch let error as DecodingError {
                throw error  // type mismatches (e.g. a nested array) go to the caller
            } catch {
                // Foundation reports out-of-range numbers with an internal error type.
                throw InferenceProtocolError.json("\(location(c)): not an integer in \(datatype.rawValue)'s range \(T.min)…\(T.max)")
            }
        }
        let d = try c.decode(Double.self)
        guard let v = T(exactly: d) else {
            throw InferenceProtocolError.json(
                "\(location(c)): \(d) is not an integer in \(datatype.rawValue)'s range \(T.min)…\(T.max)")
        }
        return v
    }

    private static func encodeElements(
        _ bytes: [UInt8], _ datatype: TensorDatatype, name: String, into c: inout any UnkeyedEncodingContainer
    ) throws {
        func each<T: FixedWidthInteger>(_: T.Type, _ body: (T, Int) throws -> Void) rethrows {
            let size = MemoryLayout<T>.size
            try bytes.withUnsafeBytes { raw in
                for i in 0..<(raw.count / size) {
                    try body(T(littleEndian: raw.loadUnaligned(fromByteOffset: i * size, as: T.self)), i)
                }
            }
        }
        switch datatype {
        case .bool: for b in bytes { try c.encode(b != 0) }
        case .uint8: for b in bytes { try c.encode(b) }
        case .int8: for b in bytes { try c.encode(Int8(bitPattern: b)) }
        case .uint16: try each(UInt16.self) { v, _ in try c.encode(v) }
        case .int16: try each(UInt16.self) { v, _ in try c.encode(Int16(bitPattern: v)) }
        case .uint32: try each(UInt32.self) { v, _ in try c.encode(v) }
        case .int32: try each(UInt32.self) { v, _ in try c.encode(Int32(bitPattern: v)) }
        case .uint64: try each(UInt64.self) { v, _ in try c.encode(v) }
        case .int64: try each(UInt64.self) { v, _ in try c.encode(Int64(bitPattern: v)) }
        case .fp32:
            try each(UInt32.self) { v, i in
                let f = Float(bitPattern: v)
                guard f.isFinite else { throw nonFinite(name, "FP32", i) }
                try c.encode(f)
            }
        case .fp64:
            try each(UInt64.self) { v, i in
                let d = Double(bitPattern: v)
                guard d.isFinite else { throw nonFinite(name, "FP64", i) }
                try c.encode(d)
            }
        case .bytes:
            var offset = 0
            var index = 0
            while offset + 4 <= bytes.count {
                let length = Int(InferenceTensor.loadUInt32LE(bytes, at: offset))
                let element = bytes[(offset + 4)..<(offset + 4 + length)]
                guard let s = String(validating: element, as: UTF8.self) else {
                    throw InferenceProtocolError(
                        .encodingFailed,
                        "tensor '\(name)': BYTES element \(index) is not UTF-8 and has no JSON form; send it as binary data")
                }
                try c.encode(s)
                offset += 4 + length
                index += 1
            }
        case .fp16, .bf16:
            throw InferenceProtocolError(
                .encodingFailed, "tensor '\(name)': \(datatype.rawValue) has no JSON form; send it as binary data")
        }
    }

    private static func nonFinite(_ name: String, _ type: String, _ index: Int) -> InferenceProtocolError {
        InferenceProtocolError(
            .encodingFailed,
            "tensor '\(name)': \(type) element \(index) is not finite, which JSON cannot carry; send it as binary data")
    }
}

@inline(__always)
func appendLE<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
}

/// `inputs[0].shape[2]`-style rendering of a coding path.
func codingPathString(_ path: [any CodingKey]) -> String {
    var out = ""
    for key in path {
        if let i = key.intValue {
            out += "[\(i)]"
        } else {
            out += out.isEmpty ? key.stringValue : ".\(key.stringValue)"
        }
    }
    return out.isEmpty ? "top level" : out
}

/// A client-safe description of a `DecodingError`, naming where in the JSON it happened.
func describe(_ error: DecodingError) -> String {
    switch error {
    case .typeMismatch(_, let context), .valueNotFound(_, let context):
        return "invalid JSON at \(codingPathString(context.codingPath)): \(context.debugDescription)"
    case .keyNotFound(let key, let context):
        return "invalid JSON: missing key '\(key.stringValue)' at \(codingPathString(context.codingPath))"
    case .dataCorrupted(let context):
        if context.codingPath.isEmpty {
            return "invalid JSON: \(context.debugDescription)"
        }
        return "invalid JSON at \(codingPathString(context.codingPath)): \(context.debugDescription)"
    @unknown default:
        return "invalid JSON: \(error)"
    }
}
