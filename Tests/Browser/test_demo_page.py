"""Browser test of the labeling UI: drives the gateway's /demo page in headless Chromium.

Starts the real local stack with `fewclick up` (demo page on by default; release or debug binaries from the build
folder), loads the demo page, clicks the 4 extreme points of a generated sample whose true mask the
gateway publishes in /demo/samples.json, checks the mask overlay and its IoU with the truth, adds a
negative click and checks the mask changes there, submits and validates the answer document, and
saves a screenshot under artifacts/ (FEWCLICK_ARTIFACTS overrides the folder).

Run: python3 -m pytest Tests/Browser  (after `swift build`; .ci/run does both)
"""
import base64
import json
import os
import re
import signal
import struct
import subprocess
import time
import urllib.request
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("FEWCLICK_ARTIFACTS", ROOT / "artifacts"))


def find_binary(name):
    for folder in (os.environ.get("FEWCLICK_BIN_DIR"), ".build/debug", ".build/release"):
        if folder:
            path = (ROOT / folder / name) if not os.path.isabs(folder) else Path(folder) / name
            if path.is_file() and os.access(path, os.X_OK):
                return path
    return None


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rle_decode(rle):
    """COCO compressed RLE → row-major list of 0/1 (pycocotools' rleFrString + column-major fill)."""
    h, w = rle["size"]
    s, counts, p = rle["counts"], [], 0
    while p < len(s):
        x = k = 0
        more = True
        while more:
            c = ord(s[p]) - 48
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    out = bytearray(w * h)
    idx, v = 0, 0
    for n in counts:
        if v:
            for j in range(idx, idx + n):
                out[(j % h) * w + j // h] = 1
        idx += n
        v ^= 1
    return out


def iou(a, b):
    inter = sum(1 for x, y in zip(a, b) if x and y)
    union = sum(1 for x, y in zip(a, b) if x or y)
    return inter / union if union else 1.0


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    # Walk the chunks and check every CRC: a truncated or corrupt PNG fails here.
    p = 8
    while p < len(data):
        n, t = struct.unpack(">I4s", data[p:p + 8])
        crc = struct.unpack(">I", data[p + 8 + n:p + 12 + n])[0]
        assert zlib.crc32(data[p + 4:p + 8 + n]) & 0xFFFFFFFF == crc, f"bad CRC in {t!r}"
        p += 12 + n
        if t == b"IEND":
            break
    return width, height


@pytest.fixture(scope="module")
def stack():
    fewclick = find_binary("fewclick")
    if fewclick is None:
        pytest.fail("fewclick binary not found: run `swift build` first")
    env = dict(os.environ)
    env["FEWCLICK_JWT_SECRET"] = os.urandom(32).hex()
    ports = [str(free_port()) for _ in range(3)]
    proc = subprocess.Popen(
        [str(fewclick), "up", "--ui-dir", str(ROOT / "infra" / "groundtruth"),
         "--endpoint-port", ports[0], "--proxy-port", ports[1], "--gateway-port", ports[2]],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True)
    demo_url, lines = None, []
    deadline = time.time() + 120
    try:
        while time.time() < deadline and demo_url is None:
            line = proc.stdout.readline()
            if not line:
                if proc.poll() is not None:
                    break
                continue
            lines.append(line)
            m = re.search(r"(http://127\.0\.0\.1:\d+/demo\S*)", line)
            if m:
                demo_url = m.group(1)
        if demo_url is None:
            pytest.fail("fewclick up did not print a demo URL:\n" + "".join(lines))
        yield demo_url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,1000", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def click_image(driver, canvas, x, y, negative=False):
    """Clicks image pixel (x, y) of the canvas, whatever its displayed scale."""
    from selenium.webdriver.common.action_chains import ActionChains

    rect = driver.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return [r.width, r.height, arguments[0].width, arguments[0].height];",
        canvas)
    sx, sy = rect[0] / rect[2], rect[1] / rect[3]
    dx, dy = (x + 0.5) * sx - rect[0] / 2, (y + 0.5) * sy - rect[1] / 2
    chain = ActionChains(driver).move_to_element_with_offset(canvas, int(round(dx)), int(round(dy)))
    (chain.context_click() if negative else chain.click()).perform()


def wait_for(driver, script, timeout=30, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.1)
    errors = driver.execute_script("return window.fewclick ? window.fewclick.state.errors : null")
    raise AssertionError(f"timed out waiting for {what}; UI errors: {errors}")


def test_demo_page_segments_corrects_and_submits(stack, browser):
    base = stack.split("/demo")[0]
    samples = json.load(urllib.request.urlopen(base + "/demo/samples.json", timeout=10))
    sample = samples["samples"][0]
    truth = rle_decode(sample["truth"])
    w, h = sample["width"], sample["height"]

    browser.get(stack + ("&" if "?" in stack else "?") + "sample=0")
    wait_for(browser, "return document.querySelector('.fewclick') && document.querySelector('.fewclick').getAttribute('data-ready') === 'true'", what="image loaded")
    status = browser.find_element("id", "fc-status").text
    assert "leftmost" in status, status

    # Extreme points of the true mask, as a labeler would click them.
    ys = [i // w for i, v in enumerate(truth) if v]
    xs = [i % w for i, v in enumerate(truth) if v]
    pts = []
    for pick in (min, max):
        x = pick(xs); col = [ys[i] for i in range(len(xs)) if xs[i] == x]; pts.append((x, col[len(col) // 2]))
        y = pick(ys); row = [xs[i] for i in range(len(ys)) if ys[i] == y]; pts.append((row[len(row) // 2], y))
    canvas = browser.find_element("id", "fc-canvas")
    for i, (x, y) in enumerate(pts):
        click_image(browser, canvas, x, y)
        if i < 3:
            assert "missing" in browser.find_element("id", "fc-status").text
    wait_for(browser, "return window.fewclick.state.calls >= 1 && !window.fewclick.state.busy", what="first mask")
    area = int(canvas.get_attribute("data-mask-area"))
    assert area > 0, "no mask overlay after 4 extreme points"
    response = browser.execute_script("return window.fewclick.state.lastResponse")
    assert response["imageId"].startswith("sha256:")
    first = rle_decode(response["mask"]["rle"])
    score = iou(first, truth)
    assert score >= 0.8, f"IoU {score:.3f} of the first mask with the known object"
    assert "ms" in browser.find_element("id", "fc-latency").text

    # A negative click inside the predicted object must remove the mask there.
    cx, cy = sum(xs) // len(xs), sum(ys) // len(ys)
    candidates = [(x, y) for (x, y) in ((cx, cy), (cx + 3, cy), (cx, cy + 3)) if first[y * w + x]]
    nx, ny = candidates[0]
    click_image(browser, canvas, nx, ny, negative=True)
    wait_for(browser, "return window.fewclick.state.calls >= 2 && !window.fewclick.state.busy", what="corrected mask")
    second = rle_decode(browser.execute_script("return window.fewclick.state.lastResponse")["mask"]["rle"])
    assert second[ny * w + nx] == 0, "negative click did not remove the mask where clicked"
    assert second != first
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "demo-after-clicks.png"))

    # Undo restores the first mask instantly; redo brings the correction back.
    browser.find_element("id", "fc-undo").click()
    assert int(canvas.get_attribute("data-mask-area")) == area
    browser.find_element("id", "fc-redo").click()

    browser.find_element("id", "fc-submit").click()
    output = browser.execute_script("return window.fewclick.state.lastOutput")
    (name, answer), = output.items()
    assert answer["inputImageProperties"] == {"height": h, "width": w}
    mappings = answer["labelMappings"]
    assert mappings and all(re.fullmatch(r"#[0-9a-f]{6}", m["color"]) for m in mappings.values())
    png = base64.b64decode(answer["labeledImage"]["pngImageData"])
    assert png_size(png) == (w, h)
    assert len(answer["objects"]) == 1 and answer["objects"][0]["rle"]["size"] == [h, w]
    assert browser.find_element("id", "fc-error").text == ""
