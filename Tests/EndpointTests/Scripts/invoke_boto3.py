#!/usr/bin/env python3
"""Call a fewclick endpoint the way a SageMaker SDK user does: boto3's sagemaker-runtime
invoke_endpoint, pointed at the local server with endpoint_url and unsigned requests.

usage: invoke_boto3.py ENDPOINT_URL ENDPOINT_NAME CONTENT_TYPE BODY_FILE OUT_FILE

Writes the response body to OUT_FILE and prints one JSON line: {"status": ..., "content_type": ...}.
Exit status 3 when boto3 is not installed (callers skip), 1 on any other failure.
"""
import json
import sys

try:
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config
except ImportError:
    sys.exit(3)


def main() -> None:
    url, name, content_type, body_path, out_path = sys.argv[1:6]
    client = boto3.client(
        "sagemaker-runtime",
        endpoint_url=url,
        region_name="us-east-1",
        config=Config(
            signature_version=UNSIGNED,
            retries={"max_attempts": 1, "mode": "standard"},
            connect_timeout=5,
            read_timeout=30,
        ),
    )
    with open(body_path, "rb") as f:
        body = f.read()
    response = client.invoke_endpoint(EndpointName=name, ContentType=content_type, Body=body)
    data = response["Body"].read()
    with open(out_path, "wb") as f:
        f.write(data)
    print(json.dumps({"status": response["ResponseMetadata"]["HTTPStatusCode"], "content_type": response["ContentType"]}))


if __name__ == "__main__":
    main()
