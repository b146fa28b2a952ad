"""Browser test of the labeling page: drives the gateway's /demo page in headless Chromium.

Starts the real local stack with `fewclick up` (demo page on by default; debug or release binaries
from the build folder), opens the page at 1280x800, loads an image the test generates through the
file input, clicks the 4 extreme points, zooms to 2x and places a positive and a negative corrective
click (checked against the answer's mask at exactly those pixels), undoes and redoes, keeps two
objects and deletes one, exports COCO JSON (read back with pycocotools) and PNG masks, submits the
Ground Truth answer document, and checks the message for an expired token. Screenshots go to
artifacts/ (git-ignored; FEWCLICK_ARTIFACTS overrides the folder).

Run: python3 -m pytest Tests/Browser  (after `swift build`; .ci/run does both)
"""
import base64
import json
import os
import re
import signal
import struct
import subprocess
import tempfile
import time
import urllib.request
import zlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("FEWCLICK_ARTIFACTS", ROOT / "artifacts"))
WIDTH, HEIGHT = 1280, 800


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


def encode_png(width, height, rgb):
    """An 8-bit RGB PNG of `rgb` (bytes, row-major)."""
    rows = b"".join(b"\x00" + bytes(rgb[y * width * 3:(y + 1) * width * 3]) for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b""))


def make_test_image(path):
    """A 360x260 scene: a red textured ellipse and a blue square on a grey-green texture; the masks."""
    w, h = 360, 260
    rgb = bytearray(w * h * 3)
    ellipse, square = bytearray(w * h), bytearray(w * h)
    state = 12345
    for y in range(h):
        for x in range(w):
            state = (state * 1103515245 + 12345) & 0x7FFFFFFF
            n = state >> 25  # 0..63
            i = y * w + x
            dx, dy = (x + 0.5 - 130) / 80, (y + 0.5 - 130) / 55
            if dx * dx + dy * dy <= 1:
                ellipse[i] = 1
                c = (200 + n // 2, 60 + n // 3, 50 + n // 3)
            elif 250 <= x < 320 and 90 <= y < 160:
                square[i] = 1
                c = (40 + n // 3, 80 + n // 3, 190 + n // 2)
            else:
                c = (90 + n // 2, 120 + n // 2, 95 + n // 3)
            rgb[i * 3:i * 3 + 3] = bytes(c)
    path.write_bytes(encode_png(w, h, rgb))
    return w, h, ellipse, square


def extreme_points(mask, w):
    """Leftmost, topmost, rightmost, bottommost pixels (the middle one of each extreme line)."""
    xs = [i % w for i, v in enumerate(mask) if v]
    ys = [i // w for i, v in enumerate(mask) if v]
    pts = []
    for pick in (min, max):
        x = pick(xs)
        col = sorted(ys[i] for i in range(len(xs)) if xs[i] == x)
        pts.append((x, col[len(col) // 2]))
        y = pick(ys)
        row = sorted(xs[i] for i in range(len(ys)) if ys[i] == y)
        pts.append((row[len(row) // 2], y))
    return pts


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
    deadline = time.time() + 180
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
                f"--window-size={WIDTH},{HEIGHT}", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    # The system chromedriver, explicitly: no Selenium Manager download.
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


def wait_for(driver, script, timeout=60, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.1)
    errors = driver.execute_script("return window.fewclick ? window.fewclick.state.errors : null")
    raise AssertionError(f"timed out waiting for {what}; UI errors: {errors}")


def click_image(driver, x, y, negative=False):
    """Clicks the centre of image pixel (x, y) on the canvas at the page's current zoom and pan."""
    from selenium.webdriver.common.action_chains import ActionChains

    canvas = driver.find_element("id", "fc-canvas")
    cx, cy, left, top, w, h = driver.execute_script(
        "const p = window.fewclick.imageToClient(arguments[0], arguments[1]);"
        "const r = arguments[2].getBoundingClientRect(); return [p[0], p[1], r.left, r.top, r.width, r.height];",
        x + 0.5, y + 0.5, canvas)
    dx, dy = cx - (left + w / 2), cy - (top + h / 2)
    chain = ActionChains(driver).move_to_element_with_offset(canvas, int(round(dx)), int(round(dy)))
    (chain.context_click() if negative else chain.click()).perform()


def wait_calls(driver, n, what):
    wait_for(driver, f"return window.fewclick.state.calls >= {n} && !window.fewclick.state.busy", what=what)


def answer(driver):
    return driver.execute_script("return window.fewclick.state.lastResponse")


def label_object(driver, mask, w, calls):
    for i, (x, y) in enumerate(extreme_points(mask, w)):
        click_image(driver, x, y)
        if i < 3:
            assert "missing" in driver.find_element("id", "fc-status").text
    wait_calls(driver, calls, "first mask")
    return rle_decode(answer(driver)["mask"]["rle"])


def test_labeling_page(stack, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.get(stack)
    wait_for(browser, "return document.querySelector('.fewclick').getAttribute('data-ready') === 'true'", what="sample loaded")
    # The page queues the samples after its first image has loaded: wait for them, not just for that image.
    wait_for(browser, "return window.fewclick.state.items.length >= 2", what="the generated samples queued")
    # The page carries no token: it fetches a short-lived demo token itself.
    assert "eyJ" not in browser.page_source

    # Load our own image through the file input.
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "test-objects.png"
        w, h, ellipse, square = make_test_image(path)
        browser.find_element("id", "fc-file").send_keys(str(path))
        wait_for(browser, "const it = window.fewclick.item(); return !!(it && it.name === 'test-objects.png' && it.image)", what="own image")
    assert browser.execute_script("return [window.fewclick.item().width, window.fewclick.item().height]") == [w, h]
    assert "test-objects.png" in browser.find_element("id", "fc-queue").text

    # 4 extreme points at the fitted zoom.
    first = label_object(browser, ellipse, w, 1)
    assert iou(first, ellipse) >= 0.8, f"IoU {iou(first, ellipse):.3f} of the first mask with the known object"
    area = int(browser.find_element("id", "fc-canvas").get_attribute("data-mask-area"))
    assert area == sum(first) > 0
    assert re.search(r"\d+ ms in the browser · service \d+ ms · model \d+ ms", browser.find_element("id", "fc-latency").text)

    # Zoom to 2x around the object, then one positive and one negative corrective click.
    browser.execute_script("window.fewclick.setZoom(2, window.fewclick.imageToClient(130, 130)[0] - arguments[0].getBoundingClientRect().left,"
                           " window.fewclick.imageToClient(130, 130)[1] - arguments[0].getBoundingClientRect().top)",
                           browser.find_element("id", "fc-canvas"))
    assert browser.execute_script("return window.fewclick.state.zoom") == 2
    assert browser.find_element("id", "fc-zoom").text == "200%"
    missed = [i for i in range(w * h) if ellipse[i] and not first[i]]
    leaked = [i for i in range(w * h) if first[i] and not ellipse[i]]
    pos = missed[len(missed) // 2] if missed else 130 * w + 170
    neg = leaked[len(leaked) // 2] if leaked else 130 * w + 45
    (px, py), (nx, ny) = (pos % w, pos // w), (neg % w, neg // w)
    click_image(browser, px, py)
    wait_calls(browser, 2, "positive correction")
    click_image(browser, nx, ny, negative=True)
    wait_calls(browser, 3, "negative correction")
    sent = browser.execute_script("return window.fewclick.state.requests[window.fewclick.state.requests.length - 1]")
    assert [(int(c["x"]), int(c["y"]), c["positive"]) for c in sent["clicks"]] == [(px, py, True), (nx, ny, False)]
    assert sent.get("suggest") is True and "previousMask" in sent
    third = rle_decode(answer(browser)["mask"]["rle"])
    assert third[py * w + px] == 1, "the positive click's pixel is not in the answer's mask"
    assert third[ny * w + nx] == 0, "the negative click's pixel is still in the answer's mask"
    browser.save_screenshot(str(ARTIFACTS / "demo-after-clicks.png"))

    # Undo goes back to the previous answer instantly, redo brings the correction back.
    canvas = browser.find_element("id", "fc-canvas")
    calls = browser.execute_script("return window.fewclick.state.calls")
    browser.find_element("id", "fc-undo").click()
    second_area = browser.execute_script("const s = window.fewclick.current(); return s.done ? s.area : -1")
    assert int(canvas.get_attribute("data-mask-area")) == second_area > 0
    browser.find_element("id", "fc-redo").click()
    assert int(canvas.get_attribute("data-mask-area")) == sum(third)
    assert browser.execute_script("return window.fewclick.state.calls") == calls, "undo/redo must not call the service"

    # Keep it (N), label the square as a second object, then delete that one.
    browser.execute_script("window.fewclick.fit()")
    from selenium.webdriver.common.keys import Keys
    browser.find_element("tag name", "body").send_keys("n")
    assert len(browser.find_elements("css selector", "#fc-objects li button")) == 1
    label_object(browser, square, w, calls + 1)
    browser.find_element("tag name", "body").send_keys(Keys.ENTER)
    # Read the list in one script: the UI may re-render it between a find and a read.
    wait_for(browser, "const li = document.querySelectorAll('#fc-objects li');"
             " return li.length === 2 && li[0].innerText.includes('px')", what="two objects listed")
    # Click it from inside the page: the list may re-render between a WebDriver find and its click
    # (a stale element), while a script finds and clicks in one turn of the page's event loop.
    browser.execute_script("document.getElementById('fc-delete-1').click()")
    wait_for(browser, "const li = document.querySelectorAll('#fc-objects li');"
             " return li.length === 1 && li[0].innerText.startsWith('1. object')", what="one object left")

    # COCO export, read back with pycocotools; PNG masks.
    from pycocotools import mask as mask_utils
    from pycocotools.coco import COCO
    for mode in ("rle", "polygons"):
        doc = browser.execute_script("return window.fewclick.exportCOCO(arguments[0])", mode)
        own = [im for im in doc["images"] if im["file_name"] == "test-objects.png"]
        assert len(own) == 1 and own[0]["width"] == w and own[0]["height"] == h
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(doc, f)
        try:
            coco = COCO(f.name)
        finally:
            os.unlink(f.name)
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[own[0]["id"]]))
        assert len(anns) == 1 and coco.loadCats(anns[0]["category_id"])[0]["name"] == "object"
        got = coco.annToMask(anns[0]).reshape(-1).tolist()
        if mode == "rle":
            assert got == list(third), "the exported RLE is not the kept mask"
            assert int(mask_utils.area(anns[0]["segmentation"])) == anns[0]["area"] == sum(third)
        else:
            assert isinstance(anns[0]["segmentation"], list)
            assert iou(got, third) >= 0.95, f"polygon export IoU {iou(got, third):.3f}"
        assert iou(got, ellipse) >= 0.85
    files = browser.execute_script("return window.fewclick.exportPNGs()")
    assert [f["name"] for f in files] == ["test-objects-labels.png", "test-objects-object-1-object.png"]
    for f in files:
        assert png_size(base64.b64decode(f["dataUrl"].split(",")[1])) == (w, h)

    # The Ground Truth answer document.
    browser.find_element("id", "fc-submit").click()
    output = browser.execute_script("return window.fewclick.state.lastOutput")
    (name, doc), = output.items()
    assert name == "fewclick" and doc["inputImageProperties"] == {"height": h, "width": w}
    assert all(re.fullmatch(r"#[0-9a-f]{6}", m["color"]) for m in doc["labelMappings"].values())
    assert png_size(base64.b64decode(doc["labeledImage"]["pngImageData"])) == (w, h)
    assert len(doc["objects"]) == 1 and doc["objects"][0]["rle"]["size"] == [h, w]
    assert browser.find_element("id", "fc-error").text == ""

    # The help overlay lists the shortcuts.
    browser.find_element("tag name", "body").send_keys("?")
    overlay = browser.find_element("id", "fc-help-overlay")
    assert overlay.is_displayed() and "accept the suggested next click" in overlay.text
    browser.save_screenshot(str(ARTIFACTS / "demo-help.png"))
    browser.find_element("id", "fc-help-close").click()
    assert not overlay.is_displayed()


def test_generated_sample_with_hint(stack, browser):
    """The first-run example with a hole (the ring): 4 extreme points, the hint, accepted with A; the README's screenshot."""
    browser.get(stack + "?sample=1")
    wait_for(browser, "return document.querySelector('.fewclick').getAttribute('data-ready') === 'true'", what="sample loaded")
    assert browser.execute_script("return window.fewclick.item().name") == "ring.png"
    base = stack.split("/demo")[0]
    sample = json.load(urllib.request.urlopen(base + "/demo/samples.json", timeout=10))["samples"][1]
    truth, w = rle_decode(sample["truth"]), sample["width"]
    first = label_object(browser, truth, w, 1)
    assert iou(first, truth) >= 0.8
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "demo-sample.png"))
    s = answer(browser).get("suggestion")
    if s is not None:  # the model may be sure of an easy object
        assert 0 <= s["x"] < w and 0 <= s["y"] < sample["height"] and isinstance(s["positive"], bool)
        assert first[int(s["y"]) * w + int(s["x"])] == (0 if s["positive"] else 1), "a hint must point at a pixel it would flip"
        assert "Press A" in browser.find_element("id", "fc-hint").text
        calls = browser.execute_script("return window.fewclick.state.calls")
        browser.find_element("tag name", "body").send_keys("a")
        wait_calls(browser, calls + 1, "accepted hint")
        last = browser.execute_script("return window.fewclick.current().clicks.slice(-1)[0]")
        assert last["kind"] == ("positive" if s["positive"] else "negative")
        assert (int(last["x"]), int(last["y"])) == (int(s["x"]), int(s["y"]))


def test_error_messages(stack, browser):
    """An expired token shows what happened and what to do; every error code has its own words."""
    browser.get(stack)
    wait_for(browser, "return document.querySelector('.fewclick').getAttribute('data-ready') === 'true'", what="sample loaded")
    token = browser.execute_async_script(
        "const done = arguments[0]; fetch('/demo/token?ttl=1', {method: 'POST'}).then(r => r.json()).then(j => done(j.token));")
    assert token and token.startswith("demo.")
    browser.execute_script("window.fewclick.setToken(arguments[0], {renew: false})", token)
    time.sleep(1.5)
    base = stack.split("/demo")[0]
    sample = json.load(urllib.request.urlopen(base + "/demo/samples.json", timeout=10))["samples"][0]
    for x, y in extreme_points(rle_decode(sample["truth"]), sample["width"]):
        click_image(browser, x, y)
    wait_for(browser, "return window.fewclick.state.calls >= 1 && !window.fewclick.state.busy", what="refused call")
    message = browser.find_element("id", "fc-error").text
    assert "expired" in message and "Reload" in message, message
    # The clicks are kept: a fresh token and Retry finish the call.
    assert browser.execute_script("return window.fewclick.current().clicks.length") == 4
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "demo-expired-token.png"))

    # An image URL goes to the service as image.url; the stack has no URL allowlist, so the proxy
    # refuses it and the page says why (the browser itself displays the image).
    browser.execute_script("window.fewclick.setToken(null, {renew: true}); window.fewclick.state.tokenExpires = 0;")
    browser.find_element("id", "fc-url").send_keys(base + "/demo/samples/0.png")
    browser.find_element("id", "fc-url-load").click()
    wait_for(browser, "const it = window.fewclick.item(); return !!(it && it.source && it.source.url && it.image)", what="URL image shown")
    calls = browser.execute_script("return window.fewclick.state.calls")
    for x, y in extreme_points(rle_decode(sample["truth"]), sample["width"]):
        click_image(browser, x, y)
    wait_calls(browser, calls + 1, "URL call")
    sent = browser.execute_script("return window.fewclick.state.requests[window.fewclick.state.requests.length - 1]")
    assert "image" not in sent or "data" not in sent.get("image", {})
    message = browser.find_element("id", "fc-error").text
    assert "Image URLs are not enabled" in message or "may not fetch this URL" in message, message
    browser.save_screenshot(str(ARTIFACTS / "demo-url-refused.png"))

    generic = browser.execute_script("return FewClickUI.describeError(418, {error: {code: 'x', message: 'y'}})")
    for status, code in [(401, "token_expired"), (401, "invalid_token"), (403, "insufficient_scope"),
                         (413, "payload_too_large"), (413, "image_too_large"), (415, "unsupported_image_format"),
                         (422, "url_not_enabled"), (422, "url_not_allowed"), (422, "image_fetch_failed"),
                         (504, "image_fetch_timeout"), (429, "throttled"), (503, "model_unavailable"),
                         (503, "proxy_unavailable"), (503, "busy"), (504, "model_timeout"), (502, "model_error")]:
        text = browser.execute_script("return FewClickUI.describeError(arguments[0], {error: {code: arguments[1], message: 'm'}}, {})", status, code)
        assert text and text != generic and "[" not in text, (code, text)
    down = browser.execute_script("return FewClickUI.describeError(0, null, {url: 'http://127.0.0.1:1'})")
    assert "Cannot reach" in down and "retry" in down


def test_4k_layout(stack, browser):
    """At 3840x2160 the canvas fills the space beside the object panel and the image is fitted."""
    try:
        browser.set_window_size(3840, 2160)
        browser.get(stack)
        wait_for(browser, "return document.querySelector('.fewclick').getAttribute('data-ready') === 'true'", what="sample loaded")
        stage = browser.execute_script("const r = document.querySelector('.fc-stage').getBoundingClientRect(); return [r.width, r.height]")
        assert stage[0] > 3000 and stage[1] > 1800, stage
        zoom = browser.execute_script("return window.fewclick.state.zoom")
        assert zoom > 3, "the 480x360 sample is fitted to the window"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "demo-4k.png"))
    finally:
        browser.set_window_size(WIDTH, HEIGHT)
