import AWSSigV4
import Foundation
import Testing

@Suite("SageMaker Runtime target")
struct SageMakerRuntimeTargetTests {
    @Test("builds the Runtime API invocations URL of the region's partition")
    func urls() throws {
        #expect(
            try SageMakerRuntimeTarget(endpointName: "fewclick-endpoint", region: "us-east-1").invocationsURL
                == "https://runtime.sagemaker.us-east-1.amazonaws.com/endpoints/fewclick-endpoint/invocations")
        #expect(
            try SageMakerRuntimeTarget(endpointName: "ep-1", region: "cn-north-1").invocationsURL
                == "https://runtime.sagemaker.cn-north-1.amazonaws.com.cn/endpoints/ep-1/invocations")
        #expect(
            try SageMakerRuntimeTarget(endpointName: "my ep/1", region: "eu-west-1").invocationsURL
                == "https://runtime.sagemaker.eu-west-1.amazonaws.com/endpoints/my%20ep%2F1/invocations")
        #expect(
            try SageMakerRuntimeTarget(endpointName: "e", region: "us-east-1", baseURL: "http://127.0.0.1:9/")
                .invocationsURL == "http://127.0.0.1:9/endpoints/e/invocations")
    }

    @Test("rejects empty names and malformed regions")
    func invalid() {
        #expect(throws: SigV4Error.self) { try SageMakerRuntimeTarget(endpointName: "", region: "us-east-1") }
        #expect(throws: SigV4Error.self) { try SageMakerRuntimeTarget(endpointName: "e", region: "") }
        #expect(throws: SigV4Error.self) { try SageMakerRuntimeTarget(endpointName: "e", region: "evil.com/x") }
    }

    @Test("configured from FEWCLICK_SAGEMAKER_ENDPOINT and AWS_REGION")
    func environment() throws {
        #expect(try SageMakerRuntimeTarget.fromEnvironment(["AWS_REGION": "us-east-1"]) == nil)
        #expect(try SageMakerRuntimeTarget.fromEnvironment(["FEWCLICK_SAGEMAKER_ENDPOINT": ""]) == nil)
        #expect(throws: SigV4Error.self) {
            try SageMakerRuntimeTarget.fromEnvironment(["FEWCLICK_SAGEMAKER_ENDPOINT": "ep"])
        }
        let target = try #require(
            try SageMakerRuntimeTarget.fromEnvironment([
                "FEWCLICK_SAGEMAKER_ENDPOINT": "ep", "AWS_DEFAULT_REGION": "ap-south-1",
            ]))
        #expect(target.region == "ap-south-1")
        #expect(target.invocationsURL == "https://runtime.sagemaker.ap-south-1.amazonaws.com/endpoints/ep/invocations")
        let local = try #require(
            try SageMakerRuntimeTarget.fromEnvironment([
                "FEWCLICK_SAGEMAKER_ENDPOINT": "ep", "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "eu-west-1",
                "FEWCLICK_SAGEMAKER_RUNTIME_URL": "http://127.0.0.1:8080",
            ]))
        #expect(local.region == "us-east-1")
        #expect(local.invocationsURL == "http://127.0.0.1:8080/endpoints/ep/invocations")
    }

    @Test("signed headers equal botocore's for the same invocation")
    func signedHeadersMatchBotocore() throws {
        for name in ["sagemaker-invoke", "sagemaker-invoke-session-token", "sagemaker-invoke-china-partition"] {
            let vector = try #require(SigV4Vector.all.first { $0.name == name })
            let host = try #require(URLComponents(string: vector.url)?.host)
            let endpoint = try #require(vector.url.split(separator: "/").dropLast().last)
            let target = try SageMakerRuntimeTarget(endpointName: String(endpoint), region: vector.region)
            #expect(target.invocationsURL == vector.url)
            #expect(host.hasPrefix("runtime.sagemaker."))
            let contentType = try #require(vector.headers.first { $0[0] == "Content-Type" }?[1])
            let accept = vector.headers.first { $0[0] == "Accept" }?[1]
            let headers = try target.signedHeaders(
                body: Array(try #require(Data(base64Encoded: vector.bodyBase64))), contentType: contentType,
                accept: accept,
                credentials: AWSCredentials(
                    accessKeyId: vector.accessKeyId, secretAccessKey: vector.secretAccessKey,
                    sessionToken: vector.sessionToken),
                date: vector.date)
            #expect(headers.first { $0.name == "Authorization" }?.value == vector.authorization)
            #expect(headers.first { $0.name == "X-Amz-Date" }?.value == vector.timestamp)
            #expect(headers.first { $0.name == "X-Amz-Security-Token" }?.value == vector.sessionToken)
            #expect(headers.first { $0.name == "Content-Type" }?.value == contentType)
        }
    }
}
