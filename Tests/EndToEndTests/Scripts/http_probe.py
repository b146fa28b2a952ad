#!/usr/bin/env python3
"""HTTP clients that misbehave the way real ones do, for the limits tests (loopback only).

usage:
  http_probe.py big URL BYTES [NAME:VALUE ...]
      POST BYTES bytes with Python's http.client, which writes the whole body before reading the
      answer (as urllib3 and boto3 do). Prints {"status", "seconds", "body", "error"}.
  http_probe.py raw HOST PORT BASE64_REQUEST
      Sends the raw request bytes, reads until the server closes (at most 10 s). Prints
      {"status", "headers", "body", "seconds", "closed"}.
  http_probe.py slow HOST PORT CONNECTIONS SECONDS HEALTH_PATH
      Opens CONNECTIONS connections that trickle a request head one byte every 0.25 s for at most
      SECONDS, while a normal client asks GET HEALTH_PATH every 0.5 s. Prints how many the server
      closed, when, and how many health checks succeeded.
Every mode prints one JSON line; exit status 0 unless the arguments are wrong.
"""
import base64
import http.client
import json
import selectors
import socket
import sys
import time
import urllib.parse


def big(url, size, headers):
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
    body = b"{" + b" " * (size - 2) + b"}"
    fields = {"Content-Type": "application/json"}
    for item in headers:
        name, value = item.split(":", 1)
        fields[name] = value
    started = time.monotonic()
    result = {"status": None, "seconds": None, "body": "", "error": None}
    try:
        connection.request("POST", parts.path or "/", body=body, headers=fields)
        response = connection.getresponse()
        result["status"] = response.status
        result["body"] = response.read()[:400].decode("utf-8", "replace")
        result["connection"] = response.getheader("Connection")
    except Exception as error:  # the point of the test: which error, after how long
        result["error"] = f"{type(error).__name__}: {error}"
    result["seconds"] = round(time.monotonic() - started, 3)
    print(json.dumps(result))


def raw(host, port, request):
    started = time.monotonic()
    sock = socket.create_connection((host, port), timeout=10)
    data = b""
    closed = False
    try:
        sock.sendall(request)
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                closed = True
                break
            data += chunk
    except socket.timeout:
        pass
    except OSError as error:
        closed = True
        data += b""
        _ = error
    finally:
        sock.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1]) if lines and lines[0].startswith("HTTP/") else None
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    print(json.dumps({
        "status": status, "headers": headers, "body": body.decode("utf-8", "replace")[:2000],
        "seconds": round(time.monotonic() - started, 3), "closed": closed,
    }))


def slow(host, port, count, seconds, health_path):
    head = b"POST /v1/segment HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 4000
    selector = selectors.DefaultSelector()
    sockets = []
    started = time.monotonic()
    for _ in range(count):
        sock = socket.create_connection((host, port), timeout=5)
        sock.setblocking(False)
        sockets.append({"sock": sock, "sent": 0, "closed_at": None})
        selector.register(sock, selectors.EVENT_READ, len(sockets) - 1)
    opened = time.monotonic() - started
    health_ok = 0
    health_tried = 0
    health_seconds = []
    next_byte = time.monotonic()
    next_health = time.monotonic() + 0.5
    deadline = started + seconds
    while time.monotonic() < deadline and any(s["closed_at"] is None for s in sockets):
        now = time.monotonic()
        if now >= next_byte:
            for entry in sockets:
                if entry["closed_at"] is None and entry["sent"] < len(head):
                    try:
                        entry["sock"].send(head[entry["sent"]:entry["sent"] + 1])
                        entry["sent"] += 1
                    except OSError:
                        entry["closed_at"] = now - started
                        selector.unregister(entry["sock"])
            next_byte = now + 0.25
        if now >= next_health:
            health_tried += 1
            t0 = time.monotonic()
            try:
                connection = http.client.HTTPConnection(host, port, timeout=2)
                connection.request("GET", health_path)
                if connection.getresponse().status == 200:
                    health_ok += 1
                    health_seconds.append(time.monotonic() - t0)
                connection.close()
            except Exception:
                pass
            next_health = time.monotonic() + 0.5
        for key, _ in selector.select(timeout=0.05):
            entry = sockets[key.data]
            try:
                chunk = entry["sock"].recv(65536)
            except OSError:
                chunk = b""
            if not chunk:
                entry["closed_at"] = time.monotonic() - started
                selector.unregister(entry["sock"])
    closed = sorted(s["closed_at"] for s in sockets if s["closed_at"] is not None)
    for entry in sockets:
        entry["sock"].close()
    print(json.dumps({
        "connections": count, "opened_seconds": round(opened, 3), "closed": len(closed),
        "still_open": count - len(closed),
        "first_close": round(closed[0], 3) if closed else None,
        "last_close": round(closed[-1], 3) if closed else None,
        "health_ok": health_ok, "health_tried": health_tried,
        "health_max_seconds": round(max(health_seconds), 3) if health_seconds else None,
    }))


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "big" and len(sys.argv) >= 4:
        big(sys.argv[2], int(sys.argv[3]), sys.argv[4:])
    elif mode == "raw" and len(sys.argv) == 5:
        raw(sys.argv[2], int(sys.argv[3]), base64.b64decode(sys.argv[4]))
    elif mode == "slow" and len(sys.argv) == 7:
        slow(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
