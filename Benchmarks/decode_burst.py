#!/usr/bin/env python3
"""N concurrent near-limit PNGs at a proxy's Invoke API: statuses, latency and the proxy's RSS.

usage: decode_burst.py INVOKE_URL PROXY_PID [COUNT=8] [SIDE=6300]

Each PNG is SIDE x SIDE 8-bit gray (a bright square on a dark ground, about 100 KB), made unique by
a tEXt chunk so that every request is decoded (no cache hit). Prints one JSON line: status counts,
per-request seconds (and the proxy's decode and postprocess ms for answers), and the proxy's VmRSS before and VmHWM (peak) after, in MiB.
"""
import base64
import json
import struct
import sys
import threading
import time
import urllib.request
import zlib


def png(side, index):
    row_dark = b"\x00" + bytes([40]) * side
    row_mixed = b"\x00" + bytes([40]) * (side // 4) + bytes([200]) * (side - 2 * (side // 4)) + bytes([40]) * (side // 4)
    raw = b"".join(row_mixed if side // 4 <= y < 3 * side // 4 else row_dark for y in range(side))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
            + chunk(b"tEXt", b"Comment\x00copy %d" % index) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def memory(pid):
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0]) // 1024
    return values


def main():
    url, pid = sys.argv[1], int(sys.argv[2])
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    side = int(sys.argv[4]) if len(sys.argv) > 4 else 6300
    images = [png(side, i) for i in range(count)]
    points = [[10, side / 2], [side / 2, 10], [side - 10, side / 2], [side / 2, side - 10]]
    events = []
    for image in images:
        body = json.dumps({"image": {"data": base64.b64encode(image).decode()}, "extremePoints": points})
        events.append(json.dumps({
            "resource": "/v1/segment", "path": "/v1/segment", "httpMethod": "POST",
            "headers": {"Content-Type": "application/json"}, "requestContext": {"requestId": "burst"},
            "body": body, "isBase64Encoded": False}).encode())
    before = memory(pid)
    results = [None] * count

    def send(i):
        started = time.monotonic()
        request = urllib.request.Request(url, data=events[i], headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=300) as response:
            answer = json.loads(response.read())
        inner = json.loads(answer.get("body") or "{}")
        code = inner.get("error", {}).get("code") if answer.get("statusCode") != 200 else None
        timings = inner.get("timingsMs", {})
        results[i] = (answer.get("statusCode"), code, round(time.monotonic() - started, 2),
                      timings.get("decode"), timings.get("postprocess"))

    threads = [threading.Thread(target=send, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    after = memory(pid)
    print(json.dumps({
        "png_bytes": len(images[0]), "side": side, "results": results,
        "rss_before_mib": before["VmRSS"], "peak_after_mib": after["VmHWM"], "rss_after_mib": after["VmRSS"]}))


if __name__ == "__main__":
    main()
