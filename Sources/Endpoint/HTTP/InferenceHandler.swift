import FewClickCore
import HTTPTypes
import Hummingbird
import InferenceProtocol
import Logging
import Observability
import Segmentation
import SegmentationWire
import ServerLimits

/// Handles one inference call, whichever route it came by: body (bounded) → V2 request → model input
/// → model on a worker thread → V2 response in the framing the client used or asked for.
struct InferenceHandler: Sendable {
    /// Which family of routes a call came by; decides the binary framing of a JSON request that asks
    /// for binary outputs (SageMaker forwards only `Content-Type`, so SageMaker routes answer with the
    /// `json-header-size` content type; KServe routes with `Inference-Header-Content-Length`).
    enum RouteFamily: Sendable {
        case sagemaker
        case kserve
    }

    let configuration: EndpointConfiguration
    let registry: ModelRegistry
    let pool: ModelWorkerPool

    static let inferenceHeaderContentLength = HTTPField.Name(InferenceMediaType.inferenceHeaderContentLength)!
    /// Response header: time the model itself took, in milliseconds (three decimals).
    static let modelTimeHeader = HTTPField.Name("X-Model-Time-Ms")!
    /// SageMaker Runtime's header naming the model on a multi-model endpoint.
    static let targetModelHeader = HTTPField.Name("X-Amzn-SageMaker-Target-Model")!

    func model(named name: String?) throws(EndpointError) -> any SegmentationModel {
        switch registry.model(named: name) {
        case .found(let model): return model
        case .notReady: throw .unavailable("model '\(name ?? registry.defaultName)' is still loading")
        case .unknown:
            throw .notFound(
                "model '\(name ?? registry.defaultName)' is not served here; models: "
                    + registry.names.joined(separator: ", "))
        }
    }

    func infer(_ request: Request, context: some RequestContext, modelName: String?, family: RouteFamily)
        async throws -> Response
    {
        let started = ContinuousClock.now
        let model = try self.model(named: modelName)
        let limit = configuration.maxBodyBytes
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw EndpointError(
                .contentTooLarge, "request body of \(declared) bytes exceeds the limit of \(limit) bytes",
                headers: ServerLimits.closeConnection)
        }
        let contentType = request.headers[.contentType]
        let headerLength = request.headers[Self.inferenceHeaderContentLength]
        // Refuse foreign media types before reading any of the body.
        do {
            try MessageFraming.checkMediaType(of: contentType)
        } catch {
            throw EndpointError(.unsupportedMediaType, error.message)
        }

        let buffer: ByteBuffer
        do {
            // Stops reading as soon as the limit or the body timeout is passed: bodies are never buffered unbounded.
            buffer = try await ServerLimits.collectBody(request, limit: limit, timeout: configuration.limits.bodyTimeout)
        } catch {
            // Each refusal (413, 408, 400) closes the connection after the answer (the rest of the body is dropped).
            throw EndpointError(error.status, error.message, headers: ServerLimits.closeConnection)
        }
        // One copy out of NIO's buffer (InferenceProtocol works on [UInt8], NIO-free); each binary
        // tensor is then copied once out of the body into its own storage (`InferenceTensor.rawBytes`,
        // which the model input shares without a further copy).
        let body = Array(buffer.readableBytesView)

        let framing: MessageFraming
        let v2: InferenceRequest
        do {
            framing = try MessageFraming(
                contentType: contentType, inferenceHeaderContentLength: headerLength, bodyLength: body.count)
            // Strict RFC 8259 for the JSON part (JSONDecoder accepts trailing commas); top level an object.
            do {
                try StrictJSON.validateObject(body.prefix(framing.jsonLength ?? body.count))
            } catch {
                throw EndpointError.badRequest("invalid JSON: \(error.message)")
            }
            v2 = try InferenceRequest(decoding: body, framing: framing)
        } catch let error as EndpointError {
            throw error
        } catch let error as InferenceProtocolError {
            throw EndpointError(error.code == .unsupportedMediaType ? .unsupportedMediaType : .badRequest, error.message)
        }

        let input: SegmentationInput
        do {
            input = try SegmentationTensors.input(
                from: v2, maxImagePixels: configuration.maxImagePixels, maxClicks: configuration.maxClicks)
        } catch {
            throw EndpointError.badRequest(error.message)
        }
        let width = Double(input.image.width)
        let height = Double(input.image.height)
        for (row, click) in input.clicks.enumerated()
        where !(click.x >= 0 && click.y >= 0 && click.x < width && click.y < height) {
            throw EndpointError.badRequest(
                "clicks row \(row) (\(click.x), \(click.y)) is outside the \(input.image.width)×\(input.image.height) image tensor")
        }
        let binary = try Self.binaryOutput(v2, framing: framing)
        let wantsBelief = v2.outputs?.contains { $0.name == SegmentationTensors.maskBelief } ?? false

        let (output, modelMs) = try await run(model, input, withBelief: wantsBelief, context: context)
        let map = output.answer
        let belief = output.belief ?? map
        guard map.width == input.image.width, map.height == input.image.height,
            belief.width == map.width, belief.height == map.height
        else {
            context.logger.error(
                "model returned a map of the wrong size",
                metadata: [
                    "model": "\(model.name)", "expected": "\(input.image.width)x\(input.image.height)",
                    "got": "\(map.width)x\(map.height)",
                ])
            throw EndpointError(
                .internalServerError, "model '\(model.name)' failed (request id \(context.id))")
        }

        var outputs = [
            try InferenceTensor(
                name: SegmentationTensors.maskProbability, shape: [map.height, map.width], values: map.pixels)
        ]
        if wantsBelief {
            outputs.append(
                try InferenceTensor(
                    name: SegmentationTensors.maskBelief, shape: [belief.height, belief.width], values: belief.pixels))
        }
        // The model time goes out twice on purpose: `model_time_ms` is part of the V2 answer (what a
        // V2 client reads, and all that SageMaker Runtime passes back: the proxy falls back to it there),
        // `X-Model-Time-Ms` the header the proxy and HTTP tools read without parsing the body (README "Monitoring").
        let response = InferenceResponse(
            modelName: model.name, modelVersion: model.version, id: v2.id,
            parameters: ["model_time_ms": .double(modelMs)], outputs: outputs)
        let style: BinaryHeaderStyle =
            framing.style ?? (family == .sagemaker ? .sagemakerContentType : .inferenceHeaderContentLength)
        let encoded = try response.encoded(
            binaryOutputs: binary ? Set(outputs.map(\.name)) : [], style: style)

        var headers: HTTPFields = [.contentType: encoded.contentType]
        if let n = encoded.inferenceHeaderContentLength { headers[Self.inferenceHeaderContentLength] = String(n) }
        headers[Self.modelTimeHeader] = formatMilliseconds(modelMs)
        context.logger.info(
            "inference",
            metadata: [
                "model": "\(model.name)", "image": "\(input.image.width)x\(input.image.height)",
                "clicks": "\(input.clicks.count)", "prev_mask": "\(input.previousMask != nil)",
                "request_bytes": "\(body.count)", "binary_in": "\(framing.jsonLength != nil)",
                "binary_out": "\(binary)", "model_ms": "\(formatMilliseconds(modelMs))",
                "total_ms": "\(formatMilliseconds((ContinuousClock.now - started).milliseconds))",
            ])
        // The maps became tensors without a copy (UINT8 shares the array); the message body holds
        // them once after the JSON part, and NIO needs that copied into its own buffer once.
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: encoded.body)))
    }

    /// Whether the outputs go back as binary data: an output's `binary_data` if given, else the
    /// request's `binary_data_output`, else binary exactly when the request itself was binary.
    /// The outputs are `mask_prob` and the optional `mask_belief`.
    static func binaryOutput(_ request: InferenceRequest, framing: MessageFraming) throws(EndpointError) -> Bool {
        var binary = request.parameters[BinaryDataParameter.allOutputs]?.boolValue ?? (framing.jsonLength != nil)
        for output in request.outputs ?? [] {
            guard output.name == SegmentationTensors.maskProbability || output.name == SegmentationTensors.maskBelief
            else {
                throw .badRequest("unknown output '\(output.name)'; the outputs are mask_prob and mask_belief")
            }
            if let b = output.binaryData { binary = b }
        }
        return binary
    }

    /// Runs the model on a worker thread, timing it there.
    private func run(
        _ model: any SegmentationModel, _ input: SegmentationInput, withBelief: Bool, context: some RequestContext
    ) async throws -> (SegmentationOutput, Double) {
        do {
            return try await pool.run {
                let start = ContinuousClock.now
                let output = withBelief ? try model.segmentWithBelief(input) : SegmentationOutput(answer: try model.segment(input))
                let elapsed = ContinuousClock.now - start
                EndpointMetrics.modelLatency(model: model.name, elapsed)
                return (output, elapsed.milliseconds)
            }
        } catch ModelWorkerPool.Refusal.full {
            let load = pool.load
            throw EndpointError.unavailable(
                "all \(pool.workerCount) model threads are busy and \(load.queued) requests are waiting; retry later")
        } catch ModelWorkerPool.Refusal.stopped {
            throw EndpointError.unavailable("the endpoint is shutting down")
        } catch let error as SegmentationError {
            throw EndpointError.badRequest(error.description)
        } catch {
            context.logger.error(
                "model failed", metadata: ["model": "\(model.name)", "error": "\(String(reflecting: error))"])
            throw EndpointError(.internalServerError, "model '\(model.name)' failed (request id \(context.id))")
        }
    }
}
