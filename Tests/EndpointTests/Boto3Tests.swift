import Endpoint
import FewClickCore
import Foundation
import Hummingbird
import HummingbirdTesting
import InferenceProtocol
import Segmentation
import SegmentationWire
import Testing

@Suite("SageMaker SDK client")
struct Boto3Tests {
    @Test("boto3 sagemaker-runtime invoke_endpoint (unsigned, endpoint_url) gets a binary answer")
    func invokeEndpoint() async throws {
        guard let python = ProcessRunner.python3 else {
            print("skipped: python3 is not on the PATH")
            return
        }
        let script = ProcessRunner.testsDirectory.appendingPathComponent("Scripts/invoke_boto3.py").path
        let message = try SegmentationTensors.request(for: Fixture.input())
            .encoded(binaryInputs: true, style: .sagemakerContentType)
        let directory = FileManager.default.temporaryDirectory
        let bodyURL = directory.appendingPathComponent("boto3-\(UUID().uuidString).in")
        let outURL = directory.appendingPathComponent("boto3-\(UUID().uuidString).out")
        try Data(message.body).write(to: bodyURL)
        defer {
            try? FileManager.default.removeItem(at: bodyURL)
            try? FileManager.default.removeItem(at: outURL)
        }
        try await Fixture.app().test(.live) { client in
            try await Fixture.waitReady(client)
            let port = try #require(client.port)
            var environment = ProcessInfo.processInfo.environment
            environment["AWS_EC2_METADATA_DISABLED"] = "true"
            let result = try await ProcessRunner.run(
                python,
                [script, "http://127.0.0.1:\(port)", "fewclick-local", message.contentType, bodyURL.path, outURL.path],
                environment: environment, timeout: .seconds(60))
            if result.status == 3 {
                print("skipped: boto3 is not installed")
                return
            }
            #expect(result.status == 0, "stderr: \(result.stderr)")
            let summary = try #require(
                JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "stdout: \(result.stdout)")
            #expect(summary["status"] as? Int == 200)
            let contentType = try #require(summary["content_type"] as? String)
            let body = try [UInt8](Data(contentsOf: outURL))
            let framing = try MessageFraming(contentType: contentType, inferenceHeaderContentLength: nil, bodyLength: body.count)
            #expect(framing.style == .sagemakerContentType)
            let response = try InferenceResponse(decoding: body, framing: framing)
            #expect(
                try SegmentationTensors.probabilityMap(from: response, width: 48, height: 32)
                    == BoxModel().segment(Fixture.input()))
        }
    }
}
