/// A V2 inference request (`POST /v2/models/{name}/infer`, and the SageMaker `POST /invocations` body).
///
/// Encode with `encoded(binaryInputs:style:)`, decode with `init(decoding:framing:)`; both handle the
/// JSON form and the binary tensor data extension.
public struct InferenceRequest: Sendable, Equatable {
    /// An identifier the server echoes in its response.
    public var id: String?
    /// Request parameters (e.g. `binary_data_output`, or model-specific ones such as `session`).
    public var parameters: InferenceParameters
    /// The input tensors.
    public var inputs: [InferenceTensor]
    /// The outputs the client wants, or nil for all of the model's outputs.
    public var outputs: [RequestedOutput]?

    /// Creates a request.
    public init(
        id: String? = nil, parameters: InferenceParameters = [:], inputs: [InferenceTensor],
        outputs: [RequestedOutput]? = nil
    ) {
        self.id = id
        self.parameters = parameters
        self.inputs = inputs
        self.outputs = outputs
    }

    /// The first input called `name`.
    public func input(named name: String) -> InferenceTensor? { inputs.first { $0.name == name } }
}

/// An output a request asks for (`$request_output`).
public struct RequestedOutput: Sendable, Hashable, Codable {
    /// The output tensor's name.
    public var name: String
    /// Output parameters, e.g. `binary_data`.
    public var parameters: InferenceParameters

    /// Creates a requested output; `binaryData` sets the `binary_data` parameter when not nil.
    public init(name: String, binaryData: Bool? = nil, parameters: InferenceParameters = [:]) {
        self.name = name
        self.parameters = parameters
        if let binaryData { self.parameters[BinaryDataParameter.output] = .bool(binaryData) }
    }

    /// The `binary_data` parameter, when present and boolean.
    public var binaryData: Bool? { parameters[BinaryDataParameter.output]?.boolValue }

    enum CodingKeys: String, CodingKey { case name, parameters }

    /// Decodes `{"name": ..., "parameters": {...}}`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        parameters = try c.decodeIfPresent(InferenceParameters.self, forKey: .parameters) ?? [:]
    }

    /// Encodes `{"name": ..., "parameters": {...}}`, leaving out empty parameters.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        if !parameters.isEmpty { try c.encode(parameters, forKey: .parameters) }
    }
}

/// A V2 inference response.
public struct InferenceResponse: Sendable, Equatable {
    /// The model that answered.
    public var modelName: String
    /// The model version that answered.
    public var modelVersion: String?
    /// The request's `id`, echoed.
    public var id: String?
    /// Response parameters.
    public var parameters: InferenceParameters
    /// The output tensors.
    public var outputs: [InferenceTensor]

    /// Creates a response.
    public init(
        modelName: String, modelVersion: String? = nil, id: String? = nil, parameters: InferenceParameters = [:],
        outputs: [InferenceTensor]
    ) {
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.id = id
        self.parameters = parameters
        self.outputs = outputs
    }

    /// The first output called `name`.
    public func output(named name: String) -> InferenceTensor? { outputs.first { $0.name == name } }
}

/// The V2 error body: `{"error": "<message>"}`.
public struct InferenceErrorBody: Sendable, Hashable, Codable {
    /// The message.
    public var error: String
    /// Creates an error body.
    public init(error: String) { self.error = error }
}

/// `GET /v2`: server metadata.
public struct ServerMetadata: Sendable, Hashable, Codable {
    /// Server name.
    public var name: String
    /// Server version.
    public var version: String
    /// Supported protocol extensions (e.g. `binary_tensor_data`).
    public var extensions: [String]
    /// Creates server metadata.
    public init(name: String, version: String, extensions: [String]) {
        self.name = name
        self.version = version
        self.extensions = extensions
    }
}

/// One tensor of model metadata (`$metadata_tensor`): `-1` in `shape` marks a variable dimension.
public struct TensorMetadata: Sendable, Hashable, Codable {
    /// Tensor name.
    public var name: String
    /// Element type.
    public var datatype: TensorDatatype
    /// Dimensions; -1 = any size.
    public var shape: [Int]
    /// Creates tensor metadata.
    public init(name: String, datatype: TensorDatatype, shape: [Int]) {
        self.name = name
        self.datatype = datatype
        self.shape = shape
    }
}

/// `GET /v2/models/{name}`: model metadata.
public struct ModelMetadata: Sendable, Hashable, Codable {
    /// Model name.
    public var name: String
    /// Available versions.
    public var versions: [String]?
    /// The framework/backend (free text).
    public var platform: String
    /// Input tensors.
    public var inputs: [TensorMetadata]
    /// Output tensors.
    public var outputs: [TensorMetadata]
    /// Creates model metadata.
    public init(name: String, versions: [String]?, platform: String, inputs: [TensorMetadata], outputs: [TensorMetadata]) {
        self.name = name
        self.versions = versions
        self.platform = platform
        self.inputs = inputs
        self.outputs = outputs
    }
}
