#!/usr/bin/env python3
"""Regenerates the sample events in this folder: `python3 events/generate.py`.

Standard library only, deterministic: running it again rewrites identical files. For each
scenario it writes an API Gateway REST proxy event (payload 1.0, as the gateway sends it) under
`v1/` and an HTTP API event (payload 2.0) under `v2/`, each with a sibling `*.expected.json`:

    {"statusCode": 200, "requires": [...], "body": {...}}     # fields the answer must have
    {"statusCode": 422, "error": {"code": "..."}}              # the error code it must have

`requires` lists events (same folder) that must run first in the same process, e.g. the upload
that puts the image in the proxy's cache before a call by `image.id`.

The image is a generated 64x48 PNG (a red disc on grey): no dataset file is embedded.
"""
import base64
import hashlib
import json
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
WIDTH, HEIGHT = 64, 48
CX, CY, R = 32, 24, 14


def disc(x, y):
    return (x + 0.5 - CX) ** 2 + (y + 0.5 - CY) ** 2 <= R * R


def png_rgb():
    rows = []
    for y in range(HEIGHT):
        row = bytearray([0])  # filter: none
        for x in range(WIDTH):
            row += bytes((220, 60, 50) if disc(x, y) else (40, 40, 40))
        rows.append(bytes(row))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))


def coco_rle(inside):
    """COCO compressed RLE of the mask `inside(x, y)` (column-major, background run first)."""
    runs, current, count = [], 0, 0
    for x in range(WIDTH):
        for y in range(HEIGHT):
            value = 1 if inside(x, y) else 0
            if value != current:
                runs.append(count)
                current, count = value, 0
            count += 1
    runs.append(count)
    out = []
    for i, x in enumerate(runs):
        if i > 2:
            x -= runs[i - 2]
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = (x != -1) if (c & 0x10) else (x != 0)
            if more:
                c |= 0x20
            out.append(chr(c + 48))
    return {"size": [HEIGHT, WIDTH], "counts": "".join(out)}


PNG = png_rgb()
PNG_B64 = base64.b64encode(PNG).decode()
IMAGE_ID = "sha256:" + hashlib.sha256(PNG).hexdigest()
GIF_B64 = base64.b64encode(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;").decode()

pixels = [(x, y) for y in range(HEIGHT) for x in range(WIDTH) if disc(x, y)]
LEFT = min(pixels)
RIGHT = max(pixels)
TOP = min(pixels, key=lambda p: (p[1], p[0]))
BOTTOM = max(pixels, key=lambda p: (p[1], -p[0]))
EXTREME = [list(LEFT), list(RIGHT), list(TOP), list(BOTTOM)]

ALL_MASK_KEYS = ["area", "bbox", "png", "polygons", "rle"]
OK_BODY = {"imageId": IMAGE_ID, "width": WIDTH, "height": HEIGHT}

# name: (method, path, body (dict, str or None), expected)
SCENARIOS = {
    "segment-data": ("POST", "/v1/segment",
                     {"image": {"data": PNG_B64}, "extremePoints": EXTREME, "outputs": ["rle", "polygons", "png"]},
                     {"statusCode": 200, "body": dict(OK_BODY, maskKeys=ALL_MASK_KEYS)}),
    "segment-id-clicks": ("POST", "/v1/segment",
                          {"image": {"id": IMAGE_ID}, "extremePoints": EXTREME,
                           "clicks": [{"x": CX, "y": CY, "positive": True}, {"x": 3, "y": 3, "positive": False}],
                           "previousMask": coco_rle(disc), "polygonTolerance": 0.5},
                          {"statusCode": 200, "requires": ["segment-data.json"],
                           "body": dict(OK_BODY, maskKeys=["area", "bbox", "polygons", "rle"])}),
    "error-image-not-found": ("POST", "/v1/segment",
                              {"image": {"id": "sha256:" + "0" * 64}, "extremePoints": EXTREME},
                              {"statusCode": 404, "error": {"code": "image_not_found"}}),
    "error-invalid-json": ("POST", "/v1/segment", '{"image": {"data": ',
                           {"statusCode": 400, "error": {"code": "invalid_json"}}),
    "error-invalid-base64": ("POST", "/v1/segment", {"image": {"data": "not base64!"}, "extremePoints": EXTREME},
                             {"statusCode": 400, "error": {"code": "invalid_base64"}}),
    "error-three-extreme-points": ("POST", "/v1/segment",
                                   {"image": {"data": PNG_B64}, "extremePoints": EXTREME[:3]},
                                   {"statusCode": 422, "error": {"code": "invalid_extreme_points"}}),
    "error-point-outside-image": ("POST", "/v1/segment",
                                  {"image": {"data": PNG_B64}, "extremePoints": EXTREME[:3] + [[WIDTH, 10]]},
                                  {"statusCode": 422, "error": {"code": "extreme_point_outside_image"}}),
    "error-too-many-clicks": ("POST", "/v1/segment",
                              {"image": {"data": PNG_B64}, "extremePoints": EXTREME,
                               "clicks": [{"x": 1, "y": 1, "positive": False}] * 101},
                              {"statusCode": 422, "error": {"code": "too_many_clicks"}}),
    "error-unknown-output": ("POST", "/v1/segment",
                             {"image": {"data": PNG_B64}, "extremePoints": EXTREME, "outputs": ["rle", "svg"]},
                             {"statusCode": 422, "error": {"code": "unknown_output"}}),
    "error-negative-tolerance": ("POST", "/v1/segment",
                                 {"image": {"data": PNG_B64}, "extremePoints": EXTREME, "polygonTolerance": -1},
                                 {"statusCode": 422, "error": {"code": "invalid_polygon_tolerance"}}),
    "error-previous-mask-size": ("POST", "/v1/segment",
                                 {"image": {"data": PNG_B64}, "extremePoints": EXTREME,
                                  "previousMask": {"size": [WIDTH, HEIGHT], "counts": "0"}},
                                 {"statusCode": 422, "error": {"code": "previous_mask_size_mismatch"}}),
    "error-url-not-enabled": ("POST", "/v1/segment",
                              {"image": {"url": "https://example.com/cat.jpg"}, "extremePoints": EXTREME},
                              {"statusCode": 422, "error": {"code": "url_not_enabled"}}),
    "error-unsupported-image": ("POST", "/v1/segment", {"image": {"data": GIF_B64}, "extremePoints": EXTREME},
                                {"statusCode": 415, "error": {"code": "unsupported_image_format"}}),
    "error-method-not-allowed": ("GET", "/v1/segment", None,
                                 {"statusCode": 405, "error": {"code": "method_not_allowed"}}),
    "error-not-found": ("POST", "/v1/unknown", {}, {"statusCode": 404, "error": {"code": "not_found"}}),
}


def body_text(body):
    if body is None:
        return None
    return body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))


def event_v1(name, method, path, body):
    headers = {"Content-Type": "application/json", "Host": "localhost", "X-Request-Id": "event-" + name}
    return {
        "resource": path, "path": path, "httpMethod": method,
        "headers": headers, "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": None, "stageVariables": None,
        "requestContext": {
            "accountId": "000000000000", "apiId": "local", "stage": "local", "resourcePath": path,
            "httpMethod": method, "path": path, "protocol": "HTTP/1.1", "requestId": "event-" + name,
            "requestTimeEpoch": 1767225600000,
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "events/generate.py"},
            "authorizer": {"principalId": "dev-user", "scope": "segment", "exp": "4102444800"},
        },
        "body": body_text(body), "isBase64Encoded": False,
    }


def event_v2(name, method, path, body):
    event = {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": {"content-type": "application/json", "host": "localhost", "x-request-id": "event-" + name},
        "requestContext": {
            "accountId": "000000000000", "apiId": "local", "domainName": "localhost", "domainPrefix": "localhost",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                     "userAgent": "events/generate.py"},
            "requestId": "event-" + name, "routeKey": "$default", "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000", "timeEpoch": 1767225600000,
            "authorizer": {"lambda": {"principalId": "dev-user", "scope": "segment"}},
        },
        "isBase64Encoded": False,
    }
    if body is not None:
        event["body"] = body_text(body)
    return event


def write(path, document):
    with open(path, "w") as f:
        json.dump(document, f, indent=2, sort_keys=False)
        f.write("\n")


def main():
    for version, make in (("v1", event_v1), ("v2", event_v2)):
        folder = os.path.join(HERE, version)
        os.makedirs(folder, exist_ok=True)
        for name, (method, path, body, expected) in SCENARIOS.items():
            write(os.path.join(folder, name + ".json"), make(name, method, path, body))
            write(os.path.join(folder, name + ".expected.json"), expected)
    print(f"wrote {2 * len(SCENARIOS)} events; image {WIDTH}x{HEIGHT}, {len(PNG)} bytes, {IMAGE_ID}")


if __name__ == "__main__":
    main()
