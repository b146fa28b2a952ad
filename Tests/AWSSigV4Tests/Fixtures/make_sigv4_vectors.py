#!/usr/bin/env python3
"""Generate SigV4 test vectors for Tests/AWSSigV4Tests with an independent implementation:
botocore's SigV4Auth (the signer of the AWS CLI and boto3).

Run once, commit the output:

    python3 Tests/AWSSigV4Tests/Fixtures/make_sigv4_vectors.py > Tests/AWSSigV4Tests/Fixtures/sigv4_vectors.json

Each case records the request as it goes on the wire (method, URL with the query already
percent-encoded, headers given to the signer, body) and what botocore computed for it: the
canonical request, the string to sign, the Authorization header and the headers it added.

Query parameters are handed to botocore as `params` (decoded name/value pairs), which is how
botocore itself signs service calls; the URL stored is the one botocore sends (`prepare()`).

The "aws-suite/*" cases are requests of the AWS Signature Version 4 test suite
(docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html, as carried by
awslabs/aws-c-auth tests/aws-signing-test-suite/v4, normalized-path variants): the script checks
that botocore reproduces the suite's published Authorization header before it writes the case,
so the suite and botocore vouch for each other.
"""

import base64
import datetime
import hashlib
import json
import sys
from unittest import mock

import botocore
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SUITE_KEY = ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
SUITE_TIME = datetime.datetime(2015, 8, 30, 12, 36, 0)
SUITE_SCOPE = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
SUITE_TOKEN = (
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuw"
    "thAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNV"
    "XAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
)

KEY = ("AKIAFEWCLICKEXAMPLE", "fewclick/secret+KEY/for/vectors0123456789")
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+session/token=="
T1 = datetime.datetime(2026, 11, 26, 18, 30, 5)
T2 = datetime.datetime(2024, 2, 29, 23, 59, 59)  # leap day, end of day
SM = "https://runtime.sagemaker.us-east-1.amazonaws.com"


class CapturingSigV4Auth(SigV4Auth):
    """SigV4Auth that remembers the canonical request and the string to sign it built."""

    def canonical_request(self, request):
        self.captured_canonical_request = super().canonical_request(request)
        return self.captured_canonical_request

    def string_to_sign(self, request, canonical_request):
        self.captured_string_to_sign = super().string_to_sign(request, canonical_request)
        return self.captured_string_to_sign


def sign(case):
    key_id, secret = case["key"]
    credentials = Credentials(key_id, secret, case.get("token"))
    auth = CapturingSigV4Auth(credentials, case["service"], case["region"])
    request = AWSRequest(
        method=case["method"], url=case["url"], data=case.get("body", b""), params=case.get("params") or {}
    )
    for name, value in case.get("headers", []):
        request.headers[name] = value  # HTTPMessage: repeated names are kept
    body = case.get("body", b"")
    if case.get("content_sha256"):
        request.headers["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()
    with mock.patch("botocore.auth.get_current_datetime", return_value=case["time"]):
        auth.add_auth(request)
    sent_url = request.prepare().url
    added = [[n, request.headers[n]] for n in ("X-Amz-Date", "X-Amz-Security-Token") if n in request.headers]
    return {
        "name": case["name"],
        "method": case["method"],
        "url": sent_url,
        "headers": [list(h) for h in case.get("headers", [])],
        "bodyBase64": base64.b64encode(body).decode(),
        "timestamp": case["time"].strftime("%Y%m%dT%H%M%SZ"),
        "region": case["region"],
        "service": case["service"],
        "accessKeyId": key_id,
        "secretAccessKey": secret,
        "sessionToken": case.get("token"),
        "addContentSHA256": bool(case.get("content_sha256")),
        "canonicalRequest": auth.captured_canonical_request,
        "stringToSign": auth.captured_string_to_sign,
        "authorization": request.headers["Authorization"],
        "addedHeaders": added,
    }


def sm(name, **kw):
    case = dict(name=name, method="POST", key=KEY, time=T1, region="us-east-1", service="sagemaker")
    case.update(kw)
    return case


BODY = json.dumps({"inputs": [{"name": "clicks", "datatype": "FP32", "shape": [1, 3], "data": [1, 2, 2]}]}).encode()

CASES = [
    sm("sagemaker-invoke", url=f"{SM}/endpoints/fewclick-endpoint/invocations",
       headers=[("Content-Type", "application/json")], body=BODY),
    sm("sagemaker-invoke-session-token", url="https://runtime.sagemaker.eu-west-1.amazonaws.com/endpoints/fewclick/invocations",
       region="eu-west-1", token=TOKEN, headers=[("Content-Type", "application/json"), ("Accept", "application/json")], body=BODY),
    sm("sagemaker-invoke-china-partition", url="https://runtime.sagemaker.cn-north-1.amazonaws.com.cn/endpoints/ep-1/invocations",
       region="cn-north-1", token=TOKEN, headers=[("Content-Type", "application/json")], body=BODY),
    sm("percent-encoded-path-segment", url=f"{SM}/endpoints/my%20ep/invocations",
       headers=[("Content-Type", "application/json")], body=BODY),
    sm("percent-encoded-reserved-chars", url=f"{SM}/endpoints/a%2Fb%3Fc%25d/invocations", body=b"x"),
    sm("raw-sub-delims-in-path", url=f"{SM}/endpoints/a:b@c=d+e$f,g;h!/invocations", body=b"x"),
    sm("utf8-path", url=f"{SM}/endpoints/caf\u00e9-\u1234/invocations", body=b"x"),
    sm("dot-segments", method="GET", url="https://example.amazonaws.com/a/./b/../c", body=b""),
    sm("dot-dot-above-root", method="GET", url="https://example.amazonaws.com/../../x/./", body=b""),
    sm("double-slashes-trailing-slash", method="GET", url="https://example.amazonaws.com//a//b//", body=b""),
    sm("empty-path-with-query", method="GET", url="https://example.amazonaws.com", params=[("Action", "List")]),
    sm("query-special-chars", method="GET", url="https://example.amazonaws.com/q",
       params=[("b", "2"), ("a", "z y"), ("a", "x/y+z"), ("c", "~!*'()"), ("\u00e9", "\u00fc\u20ac"),
               ("empty", ""), ("eq", "a=b&c"), ("A", "upper"), ("percent", "100%")]),
    sm("query-repeated-keys", method="GET", url="https://example.amazonaws.com/",
       params=[("a", "3"), ("a", "1"), ("a", "2"), ("a", "10"), ("B", "x")], token=TOKEN),
    sm("empty-body-post", url=f"{SM}/endpoints/e/invocations", body=b"", headers=[("Content-Type", "application/json")]),
    sm("binary-body", url=f"{SM}/endpoints/e/invocations", body=bytes(range(256)) * 3,
       headers=[("Content-Type", "application/vnd.sagemaker-triton.binary+json;json-header-size=42")]),
    sm("headers-extra-spaces", url=f"{SM}/endpoints/e/invocations", body=b"{}",
       headers=[("Content-Type", "  application/json  "), ("X-Custom", "a   b \t c"), ("X-Custom", "  second  value "),
                ("X-Amzn-SageMaker-Custom-Attributes", "trace=1,  mode = fast")]),
    sm("unsigned-headers-ignored", url=f"{SM}/endpoints/e/invocations", body=b"{}",
       headers=[("Content-Type", "application/json"), ("User-Agent", "fewclick/1.0"), ("X-Amzn-Trace-Id", "Root=1-abc"),
                ("Expect", "100-continue"), ("Connection", "keep-alive")]),
    sm("content-sha256-header", url="https://example.amazonaws.com/upload", method="PUT", body=b"hello world",
       content_sha256=True, token=TOKEN),
    sm("http-non-default-port", url="http://127.0.0.1:8080/endpoints/local/invocations",
       headers=[("Content-Type", "application/json")], body=BODY),
    sm("https-default-port-dropped", url="https://runtime.sagemaker.us-east-1.amazonaws.com:443/endpoints/e/invocations", body=b"{}"),
    sm("upper-case-host", url="https://Runtime.SageMaker.US-EAST-1.amazonaws.com/endpoints/e/invocations", body=b"{}"),
    sm("leap-day-timestamp", url=f"{SM}/endpoints/e/invocations", time=T2, body=b"{}", token=TOKEN),
    sm("execute-api-service", method="GET", url="https://abc123.execute-api.us-west-2.amazonaws.com/prod/v1/segment",
       region="us-west-2", service="execute-api", params=[("x", "1")]),
]


def suite(name, authorization, method="GET", path="/", params=None, headers=(), body=b"", token=None):
    case = dict(name=f"aws-suite/{name}", method=method, url="https://example.amazonaws.com" + path,
                params=params, headers=list(headers), body=body, key=SUITE_KEY, time=SUITE_TIME,
                region="us-east-1", service="service", token=token)
    case["expected"] = SUITE_SCOPE + authorization
    return case


SUITE = [
    suite("get-vanilla", "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    suite("post-vanilla", "SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b", method="POST"),
    suite("get-unreserved", "SignedHeaders=host;x-amz-date, Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
          path="/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
    suite("get-utf8", "SignedHeaders=host;x-amz-date, Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85", path="/\u1234"),
    suite("normalize-path/get-space", "SignedHeaders=host;x-amz-date, Signature=652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
          path="/example space/"),
    suite("normalize-path/get-relative", "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
          path="/example/.."),
    suite("normalize-path/get-special-character", "SignedHeaders=host;x-amz-date, Signature=a853c9b21b528b19643d00910d35b83a10c366a10833ceefb45edd6c80e40f27",
          path="/example/$delete"),
    suite("get-vanilla-query-order-key-case", "SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
          params=[("Param2", "value2"), ("Param1", "value1")]),
    suite("get-vanilla-query-order-encoded", "SignedHeaders=host;x-amz-date, Signature=371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac",
          params=[("Param-3", "Value3"), ("Param", "Value2"), ("\u1234", "Value1")]),
    suite("get-vanilla-query-unreserved", "SignedHeaders=host;x-amz-date, Signature=9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
          params=[("-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                   "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")]),
    suite("get-vanilla-utf8-query", "SignedHeaders=host;x-amz-date, Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
          params=[("\u1234", "bar")]),
    suite("get-vanilla-with-session-token",
          "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
          token="6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"),
    suite("post-sts-header-before",
          "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead",
          method="POST", token=SUITE_TOKEN),
    suite("get-header-key-duplicate", "SignedHeaders=host;my-header1;x-amz-date, Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
          headers=[("My-Header1", "value2"), ("My-Header1", "value2"), ("My-Header1", "value1")]),
    suite("get-header-value-order", "SignedHeaders=host;my-header1;x-amz-date, Signature=08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
          headers=[("My-Header1", "value4"), ("My-Header1", "value1"), ("My-Header1", "value3"), ("My-Header1", "value2")]),
    suite("get-header-value-trim", "SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
          headers=[("My-Header1", " value1"), ("My-Header2", ' "a   b   c"')]),
    suite("post-vanilla-query", "SignedHeaders=host;x-amz-date, Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
          method="POST", params=[("Param1", "value1")]),
    suite("post-header-value-case", "SignedHeaders=host;my-header1;x-amz-date, Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
          method="POST", headers=[("My-Header1", "VALUE1")]),
    suite("post-x-www-form-urlencoded",
          "SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date, Signature=d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b",
          method="POST", body=b"Param1=value1",
          headers=[("Content-Type", "application/x-www-form-urlencoded"), ("Content-Length", "13"),
                   ("X-Amz-Content-SHA256", "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e")]),
]


def main():
    out = []
    for case in CASES:
        out.append(sign(case))
    for case in SUITE:
        vector = sign(case)
        if vector["authorization"] != case["expected"]:
            sys.exit(f"botocore disagrees with the AWS suite on {case['name']}:\n{vector['authorization']}\n{case['expected']}")
        vector["source"] = "aws-sigv4-test-suite"
        out.append(vector)
    json.dump({"generator": f"botocore {botocore.__version__} SigV4Auth", "cases": out}, sys.stdout,
              indent=1, ensure_ascii=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
