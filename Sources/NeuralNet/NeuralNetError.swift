/// Why a weights file, a graph or a forward pass was refused. Each kind has a static factory;
/// `message` says what exactly was wrong (tensor names, byte offsets, shapes) and is safe to log.
///
/// A struct over a private code (as `SigV4Error`), so new kinds do not break callers; compare kinds
/// with `isSameKind(as:)`.
public struct NeuralNetError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case truncated
        case invalidHeader
        case invalidOffsets
        case unsupportedDType
        case missingTensor
        case wrongShape
        case invalidGraph
        case invalidInput
        case runtime
    }

    private let code: Code
    /// A human-readable explanation of the refusal.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The file ends before its 8-byte header length, its header, or its tensor data.
    public static func truncated(_ message: String) -> NeuralNetError { NeuralNetError(.truncated, message) }
    /// The safetensors JSON header is not valid JSON or not the expected structure.
    public static func invalidHeader(_ message: String) -> NeuralNetError { NeuralNetError(.invalidHeader, message) }
    /// A tensor's `data_offsets` lie outside the data, overlap another tensor's, or do not match
    /// its shape × dtype size.
    public static func invalidOffsets(_ message: String) -> NeuralNetError { NeuralNetError(.invalidOffsets, message) }
    /// A tensor is stored in a dtype other than `F32` or `F16`.
    public static func unsupportedDType(_ message: String) -> NeuralNetError {
        NeuralNetError(.unsupportedDType, message)
    }
    /// The graph names a tensor the file does not hold.
    public static func missingTensor(_ message: String) -> NeuralNetError { NeuralNetError(.missingTensor, message) }
    /// A tensor's shape does not fit the layer that uses it, or two values' shapes do not fit an op.
    public static func wrongShape(_ message: String) -> NeuralNetError { NeuralNetError(.wrongShape, message) }
    /// The graph metadata is missing or malformed: unknown op or value, duplicate output, bad field.
    public static func invalidGraph(_ message: String) -> NeuralNetError { NeuralNetError(.invalidGraph, message) }
    /// The input given to `forward` does not match the network (element count, size, channels).
    public static func invalidInput(_ message: String) -> NeuralNetError { NeuralNetError(.invalidInput, message) }
    /// oneDNN refused to create or run a primitive (its status is in the message).
    public static func runtime(_ message: String) -> NeuralNetError { NeuralNetError(.runtime, message) }

    /// Whether two errors are of the same kind (messages are ignored).
    public func isSameKind(as other: NeuralNetError) -> Bool { code == other.code }

    public var description: String {
        switch code {
        case .truncated: "truncated weights file: \(message)"
        case .invalidHeader: "invalid safetensors header: \(message)"
        case .invalidOffsets: "invalid tensor offsets: \(message)"
        case .unsupportedDType: "unsupported dtype: \(message)"
        case .missingTensor: "missing tensor: \(message)"
        case .wrongShape: "wrong shape: \(message)"
        case .invalidGraph: "invalid graph: \(message)"
        case .invalidInput: "invalid input: \(message)"
        case .runtime: "oneDNN error: \(message)"
        }
    }
}
