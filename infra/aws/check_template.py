#!/usr/bin/env python3
"""Transform infra/aws/template.yaml with aws-sam-translator (what CloudFormation's
AWS::Serverless-2016-10-31 transform runs) under a fake account and region, then check the
generated CloudFormation for the properties the deployment relies on.

Exits 0 when the template transforms and every check holds; non-zero with the reasons otherwise.
Needs no AWS account and no network: the local CodeUri zips are replaced by s3:// URIs as
`sam package` would, and the IAM managed-policy lookup is stubbed.

    python3 infra/aws/check_template.py [path/to/template.yaml]
"""

import json
import os
import sys

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_REGION", "us-east-1")

from samtranslator.model.exceptions import InvalidDocumentException  # noqa: E402
from samtranslator.translator.transform import transform  # noqa: E402
from samtranslator.yaml_helper import yaml_parse  # noqa: E402

FAKE_ACCOUNT = "123456789012"
FAKE_BUCKET = "fewclick-artifacts-123456789012"


class StubPolicyLoader:
    """Stands in for the IAM ListPolicies call the translator makes for managed policy names."""

    def load(self):
        return {}


def package_local_code(template):
    """Replace local CodeUri paths by s3:// URIs, as `sam package` does after uploading them."""
    for name, resource in template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        uri = resource.get("Properties", {}).get("CodeUri")
        if isinstance(uri, str) and not uri.startswith("s3://"):
            resource["Properties"]["CodeUri"] = f"s3://{FAKE_BUCKET}/{name}/{os.path.basename(uri)}"


def resources_of_type(output, kind):
    return {name: r for name, r in output["Resources"].items() if r["Type"] == kind}


def check(output, errors):
    def expect(condition, message):
        if not condition:
            errors.append(message)

    resources = output["Resources"]

    functions = resources_of_type(output, "AWS::Lambda::Function")
    expect(set(functions) >= {"ProxyFunction", "AuthorizerFunction"}, f"Lambda functions: {sorted(functions)}")
    for name, fn in functions.items():
        props = fn["Properties"]
        expect(props.get("Runtime") == "provided.al2023", f"{name}: runtime {props.get('Runtime')}")
        expect(props.get("Handler") == "bootstrap", f"{name}: handler {props.get('Handler')}")
        expect(props.get("Architectures") == [{"Ref": "Architecture"}], f"{name}: architectures")
        expect(str(props.get("Code", {}).get("S3Bucket")) == FAKE_BUCKET, f"{name}: code not packaged")

    proxy = functions.get("ProxyFunction", {}).get("Properties", {})
    expect(proxy.get("Timeout") == {"Ref": "ProxyTimeout"}, "proxy timeout is not the ProxyTimeout parameter")
    timeout = output["Parameters"]["ProxyTimeout"]
    expect(int(timeout["MaxValue"]) < 29 and int(timeout["Default"]) < 29, "proxy timeout may reach 29 s")
    expect(proxy.get("MemorySize") == {"Ref": "ProxyMemorySize"}, "proxy memory is not a parameter")
    expect("Fn::If" in json.dumps(proxy.get("ReservedConcurrentExecutions")), "reserved concurrency not conditional")
    env = proxy.get("Environment", {}).get("Variables", {})
    expect("FEWCLICK_SAGEMAKER_ENDPOINT" in env, "proxy lacks FEWCLICK_SAGEMAKER_ENDPOINT")
    # The optional shared image store: a redis:// URL from ImageStoreEndpoint, and the VPC, only
    # under the HasImageStore condition.
    store = env.get("FEWCLICK_IMAGE_STORE", {})
    expect(isinstance(store, dict) and store.get("Fn::If", [None])[0] == "HasImageStore"
           and "redis://${ImageStoreEndpoint}" in json.dumps(store), f"proxy FEWCLICK_IMAGE_STORE: {store}")
    vpc = proxy.get("VpcConfig", {})
    expect(isinstance(vpc, dict) and vpc.get("Fn::If", [None])[0] == "HasImageStore", f"proxy VpcConfig: {vpc}")
    condition = output.get("Conditions", {}).get("HasImageStore")
    expect(condition == {"Fn::Not": [{"Fn::Equals": [{"Ref": "ImageStoreEndpoint"}, ""]}]},
           f"HasImageStore condition: {condition}")
    expect(output["Parameters"].get("ImageStoreEndpoint", {}).get("Default") == "", "the image store must be optional")
    # image.url: the proxy reads the same allowlist variable as `proxy serve`, only when one is given.
    allow = env.get("FEWCLICK_IMAGE_URL_ALLOW", {})
    expect(isinstance(allow, dict) and allow.get("Fn::If", [None])[0] == "HasImageUrlAllow"
           and {"Ref": "ImageUrlAllow"} in allow.get("Fn::If", []), f"proxy FEWCLICK_IMAGE_URL_ALLOW: {allow}")
    expect(output["Parameters"].get("ImageUrlAllow", {}).get("Default") == "", "image URLs must be off by default")

    aliases = resources_of_type(output, "AWS::Lambda::Alias")
    expect(len(aliases) == 1, f"expected one proxy alias, got {sorted(aliases)}")
    for alias in aliases.values():
        expect("ProvisionedConcurrencyConfig" in alias["Properties"], "alias lacks ProvisionedConcurrencyConfig")

    # The proxy's role may invoke this endpoint and nothing else in SageMaker.
    role = resources.get("ProxyFunctionRole", {}).get("Properties", {})
    statements = [s for p in role.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
    sagemaker = [s for s in statements if "sagemaker" in json.dumps(s.get("Action"))]
    expect(len(sagemaker) == 1, f"proxy role SageMaker statements: {sagemaker}")
    for statement in sagemaker:
        expect(statement["Action"] == "sagemaker:InvokeEndpoint", f"proxy role action {statement['Action']}")
        expect(statement["Resource"] == {"Ref": "Endpoint"}, f"proxy role resource {statement['Resource']}")
    expect(all("*" != s.get("Resource") for s in statements), "proxy role has a wildcard resource")

    apis = resources_of_type(output, "AWS::ApiGateway::RestApi")
    for api in apis.values():
        schemes = api["Properties"]["Body"].get("securityDefinitions", {})
        expect(list(schemes) == ["TokenAuthorizer"], f"security schemes: {sorted(schemes)}")
        for scheme in schemes.values():
            expect(scheme.get("in") == "header" and scheme.get("name") == "Authorization", "identity header")
            authorizer = scheme.get("x-amazon-apigateway-authorizer", {})
            expect(authorizer.get("type") == "token", f"authorizer type {authorizer.get('type')}")
            expect("AuthorizerFunction" in json.dumps(authorizer.get("authorizerUri")), "authorizer function")

    apis = resources_of_type(output, "AWS::ApiGateway::RestApi")
    expect(len(apis) == 1, f"REST APIs: {sorted(apis)}")
    for api in apis.values():
        body = api["Properties"]["Body"]
        segment = body["paths"].get("/v1/segment", {})
        expect("post" in segment and "options" in segment, f"/v1/segment methods: {sorted(segment)}")
        expect(segment.get("post", {}).get("security") == [{"TokenAuthorizer": []}], "POST is not behind the authorizer")
        expect("security" not in segment.get("options", {}) or segment["options"]["security"] == [{"NONE": []}]
               or segment["options"]["security"] == [], "CORS preflight requires a token")
        responses = body.get("x-amazon-apigateway-gateway-responses", {})
        for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
            headers = responses.get(kind, {}).get("responseParameters", {})
            expect("gatewayresponse.header.Access-Control-Allow-Origin" in headers, f"{kind} lacks CORS headers")

    permissions = resources_of_type(output, "AWS::Lambda::Permission")
    expect(any("AuthorizerFunction" in json.dumps(p["Properties"]["FunctionName"]) for p in permissions.values()),
           "API Gateway may not invoke the authorizer")

    for kind in ("AWS::SageMaker::Model", "AWS::SageMaker::EndpointConfig", "AWS::SageMaker::Endpoint",
                 "AWS::ApplicationAutoScaling::ScalableTarget", "AWS::ApplicationAutoScaling::ScalingPolicy"):
        expect(len(resources_of_type(output, kind)) == 1, f"missing {kind}")
    variant = resources["EndpointConfig"]["Properties"]["ProductionVariants"][0]
    expect(variant["InstanceType"] == {"Ref": "EndpointInstanceType"}, "instance type is not a parameter")
    expect(variant["InitialInstanceCount"] == {"Ref": "EndpointInstanceCount"}, "instance count is not a parameter")
    policy = resources["EndpointScalingPolicy"]["Properties"]
    metric = policy["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"]
    expect(metric["PredefinedMetricType"] == "SageMakerVariantInvocationsPerInstance", "scaling metric")

    expect(output["Parameters"]["JwtSecret"].get("NoEcho") in (True, "true"), "JwtSecret is not NoEcho")
    expect({"ApiUrl", "EndpointName"} <= set(output.get("Outputs", {})), "outputs lack ApiUrl/EndpointName")


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "template.yaml")
    with open(path) as f:
        template = yaml_parse(f.read())
    package_local_code(template)
    parameters = {"AWS::AccountId": FAKE_ACCOUNT, "AWS::Region": "us-east-1", "AWS::Partition": "aws"}
    try:
        output = transform(template, parameters, StubPolicyLoader())
    except InvalidDocumentException as error:
        for cause in error.causes:
            print(f"SAM transform error: {cause.message}", file=sys.stderr)
        return 1
    errors = []
    check(output, errors)
    for error in errors:
        print(f"template check failed: {error}", file=sys.stderr)
    if errors:
        return 1
    kinds = sorted({r["Type"] for r in output["Resources"].values()})
    print(f"{path}: SAM transform OK, {len(output['Resources'])} resources ({', '.join(kinds)}); all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
