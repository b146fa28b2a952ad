/*
 * fewclick labeling UI: extreme points + corrective clicks against the fewclick gateway.
 *
 * One file serves both the SageMaker Ground Truth custom task template (template.liquid.html, where
 * <crowd-form> submits the answer) and the gateway's local demo page (/demo, plain form fallback).
 *
 *   FewClickUI.mount(rootElement, {
 *     gatewayUrl: "https://…",        // where POST /v1/segment lives (no trailing slash needed)
 *     token: "…",                      // job-scoped bearer token
 *     imageUrl: "https://…",           // image to label (a presigned S3 URL in Ground Truth)
 *     labels: ["car", "person"],       // label list; colours are assigned in order
 *     outputName: "fewclick",          // key of the answer document
 *     form: <crowd-form> | null,       // submit target; null → plain button, answer shown on the page
 *   })
 *
 * Mouse: the first 4 clicks are the object's extreme points (leftmost, topmost, rightmost,
 * bottommost, in any order); after that, left click = positive ("object"), right click or
 * shift+click = negative ("background"). Keys: z undo, y redo, n next object, c clear object.
 */
(function (global) {
  "use strict";

  var PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
    "#7f7f7f", "#bcbd22", "#17becf"];
  var SIDES = ["leftmost", "topmost", "rightmost", "bottommost"];

  // ---- COCO compressed RLE (column-major), as pycocotools ------------------------------------

  function rleCountsFromString(s) {
    var counts = [], p = 0;
    while (p < s.length) {
      var x = 0, k = 0, more = 1, c;
      while (more) {
        c = s.charCodeAt(p) - 48;
        x |= (c & 0x1f) << (5 * k);
        more = c & 0x20;
        p++; k++;
        if (!more && (c & 0x10)) x |= -1 << (5 * k);
      }
      if (counts.length > 2) x += counts[counts.length - 2];
      counts.push(x);
    }
    return counts;
  }

  /** Decodes {size:[h,w], counts:"…"} into a row-major Uint8Array of 0/1. */
  function decodeRLE(rle) {
    var h = rle.size[0], w = rle.size[1];
    var counts = typeof rle.counts === "string" ? rleCountsFromString(rle.counts) : rle.counts;
    var out = new Uint8Array(w * h), idx = 0, v = 0;
    for (var i = 0; i < counts.length; i++) {
      var n = counts[i];
      if (v) {
        for (var j = 0; j < n; j++) {
          var k = idx + j; // column-major index → (x, y)
          out[(k % h) * w + Math.floor(k / h)] = 1;
        }
      }
      idx += n; v = 1 - v;
    }
    return out;
  }

  // ---- helpers ------------------------------------------------------------------------------

  function bytesToBase64(bytes) {
    var s = "", chunk = 0x8000;
    for (var i = 0; i < bytes.length; i += chunk) {
      s += String.fromCharCode.apply(null, bytes.subarray(i, i + chunk));
    }
    return btoa(s);
  }

  function hexToRgb(hex) {
    var n = parseInt(hex.slice(1), 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /** Plain words for the gateway's JSON errors and for network failures. */
  function describeError(status, body) {
    var code = body && body.error && body.error.code, msg = body && body.error && body.error.message;
    if (status === 0) return "Cannot reach the segmentation service. Check your connection and try again.";
    if (status === 401) return "Your session token was rejected (" + (msg || "unauthorized") + "). Reload the task.";
    if (status === 403) return "Your token is not allowed to segment images (" + (msg || "forbidden") + ").";
    if (status === 413) return "The image is too large for the segmentation service.";
    if (status === 429) return "Too many requests: wait a moment and click again.";
    if (status === 504) return "The segmentation model took too long to answer. Try again.";
    if (status >= 500) return "The segmentation service failed (" + (msg || ("HTTP " + status)) + "). Try again.";
    return (msg || ("Request failed with HTTP " + status)) + (code ? " [" + code + "]" : "");
  }

  // ---- the UI -------------------------------------------------------------------------------

  function mount(root, config) {
    var labels = (config.labels && config.labels.length) ? config.labels : ["object"];
    var colors = {};
    labels.forEach(function (l, i) { colors[l] = PALETTE[i % PALETTE.length]; });
    var gateway = String(config.gatewayUrl || "").replace(/\/+$/, "");

    var ui = {
      imageBytes: null, imageId: null, width: 0, height: 0,
      label: labels[0],
      history: [{ clicks: [], mask: null }], // states of the current object; last = shown
      redo: [],
      objects: [],                            // committed: {label, rle, mask, clicks}
      busy: false, lastResponse: null, lastOutput: null, calls: 0, errors: [],
    };

    // Layout
    root.classList.add("fewclick");
    var toolbar = el("div", { "class": "fc-toolbar" });
    var labelSel = el("select", { id: "fc-label", "aria-label": "Label" });
    labels.forEach(function (l) { var o = el("option", { value: l }, l); labelSel.appendChild(o); });
    var bUndo = el("button", { type: "button", id: "fc-undo" }, "Undo (z)");
    var bRedo = el("button", { type: "button", id: "fc-redo" }, "Redo (y)");
    var bClear = el("button", { type: "button", id: "fc-clear" }, "Clear object (c)");
    var bNext = el("button", { type: "button", id: "fc-next" }, "Next object (n)");
    [labelSel, bUndo, bRedo, bClear, bNext].forEach(function (b) { toolbar.appendChild(b); });
    var status = el("div", { id: "fc-status", role: "status" });
    var latency = el("div", { id: "fc-latency" });
    var error = el("div", { id: "fc-error", role: "alert", style: "display:none" });
    var stage = el("div", { "class": "fc-stage", style: "position:relative;display:inline-block;line-height:0" });
    var canvas = el("canvas", { id: "fc-canvas", style: "max-width:100%;cursor:crosshair" });
    stage.appendChild(canvas);
    [toolbar, status, error, stage, latency].forEach(function (n) { root.appendChild(n); });
    var ctx = canvas.getContext("2d");
    var image = null;

    function current() { return ui.history[ui.history.length - 1]; }
    function extremeCount(clicks) { return clicks.filter(function (c) { return c.kind === "extreme"; }).length; }

    function showError(text) {
      if (text) { error.textContent = text; error.style.display = ""; ui.errors.push(text); }
      else { error.textContent = ""; error.style.display = "none"; }
    }

    function updateStatus() {
      var st = current(), n = extremeCount(st.clicks);
      var msg;
      if (!image) msg = "Loading image…";
      else if (n < 4) {
        var missing = SIDES.slice(n);
        msg = "Click the " + missing[0] + " point of the object (" + n + " of 4 extreme points; still missing: " +
          missing.join(", ") + ").";
      } else {
        msg = "Left click adds to the object, right click or shift+click removes. " +
          (st.clicks.length - 4) + " corrective click(s).";
      }
      if (ui.busy) msg += " Segmenting…";
      status.textContent = msg + "  Objects done: " + ui.objects.length + ".";
      bUndo.disabled = ui.history.length <= 1 || ui.busy;
      bRedo.disabled = ui.redo.length === 0 || ui.busy;
    }

    function draw() {
      if (!image) return;
      ctx.drawImage(image, 0, 0);
      var overlay = ctx.getImageData(0, 0, ui.width, ui.height), d = overlay.data;
      function paint(mask, hex, alpha) {
        var rgb = hexToRgb(hex);
        for (var i = 0; i < mask.length; i++) if (mask[i]) {
          var p = i * 4;
          d[p] = d[p] * (1 - alpha) + rgb[0] * alpha;
          d[p + 1] = d[p + 1] * (1 - alpha) + rgb[1] * alpha;
          d[p + 2] = d[p + 2] * (1 - alpha) + rgb[2] * alpha;
        }
      }
      ui.objects.forEach(function (o) { paint(o.mask, colors[o.label], 0.35); });
      var st = current();
      if (st.mask) paint(st.mask, colors[ui.label], 0.5);
      ctx.putImageData(overlay, 0, 0);
      var r = Math.max(3, Math.round(Math.max(ui.width, ui.height) / 200));
      st.clicks.forEach(function (c) {
        ctx.beginPath();
        ctx.arc(c.x, c.y, r, 0, 2 * Math.PI);
        ctx.fillStyle = c.kind === "negative" ? "#ff2d2d" : (c.kind === "positive" ? "#2dff5a" : "#ffd400");
        ctx.fill();
        ctx.lineWidth = Math.max(1, r / 3);
        ctx.strokeStyle = "#000";
        ctx.stroke();
      });
      canvas.setAttribute("data-mask-area", st.mask ? String(st.mask.reduce(function (a, b) { return a + b; }, 0)) : "0");
    }

    function request(body) {
      return fetch(gateway + "/v1/segment", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Authorization": "Bearer " + config.token },
        body: JSON.stringify(body),
      }).then(function (res) {
        return res.text().then(function (t) {
          var json = null;
          try { json = t ? JSON.parse(t) : null; } catch (e) { json = null; }
          return { status: res.status, body: json };
        });
      }, function () { return { status: 0, body: null }; });
    }

    /** Segments the clicks of `state`; sends the image by id when the gateway knows it. */
    function segment(state, previous) {
      var ex = state.clicks.filter(function (c) { return c.kind === "extreme"; });
      var body = {
        extremePoints: ex.map(function (c) { return [c.x, c.y]; }),
        clicks: state.clicks.filter(function (c) { return c.kind !== "extreme"; })
          .map(function (c) { return { x: c.x, y: c.y, positive: c.kind === "positive" }; }),
        outputs: ["rle"],
      };
      if (previous && previous.rle) body.previousMask = previous.rle;
      var t0 = performance.now();
      function send(withBytes) {
        body.image = withBytes || !ui.imageId ? { data: bytesToBase64(ui.imageBytes) } : { id: ui.imageId };
        return request(body).then(function (r) {
          if (r.status === 404 && r.body && r.body.error && r.body.error.code === "image_not_found" && !withBytes) {
            return send(true); // the service forgot the image (restart, other replica): resend bytes
          }
          return r;
        });
      }
      ui.busy = true; updateStatus();
      return send(false).then(function (r) {
        ui.busy = false; ui.calls++;
        var ms = Math.round(performance.now() - t0);
        if (r.status !== 200 || !r.body || !r.body.mask) {
          showError(describeError(r.status, r.body));
          updateStatus();
          return false;
        }
        showError(null);
        ui.lastResponse = r.body;
        ui.imageId = r.body.imageId;
        state.rle = r.body.mask.rle;
        state.mask = decodeRLE(r.body.mask.rle);
        var t = r.body.timingsMs || {};
        latency.textContent = "Last call: " + ms + " ms in the browser" +
          (t.model !== undefined ? " · model " + Math.round(t.model) + " ms" : "") +
          (t.total !== undefined ? " · service " + Math.round(t.total) + " ms" : "");
        updateStatus(); draw();
        return true;
      });
    }

    function addClick(x, y, negative) {
      if (!image || ui.busy) return;
      var prev = current();
      var kind = extremeCount(prev.clicks) < 4 ? "extreme" : (negative ? "negative" : "positive");
      var state = { clicks: prev.clicks.concat([{ x: x, y: y, kind: kind }]), mask: prev.mask, rle: prev.rle };
      ui.history.push(state); ui.redo = [];
      updateStatus(); draw();
      if (extremeCount(state.clicks) === 4) {
        segment(state, kind === "extreme" ? null : prev).then(function (ok) {
          if (!ok && current() === state) { ui.history.pop(); updateStatus(); draw(); }
        });
      }
    }

    function eventPoint(ev) {
      var rect = canvas.getBoundingClientRect();
      var x = (ev.clientX - rect.left) * (ui.width / rect.width);
      var y = (ev.clientY - rect.top) * (ui.height / rect.height);
      return [Math.min(ui.width - 0.5, Math.max(0, x)), Math.min(ui.height - 0.5, Math.max(0, y))];
    }

    canvas.addEventListener("mousedown", function (ev) {
      if (ev.button !== 0 && ev.button !== 2) return;
      ev.preventDefault();
      var p = eventPoint(ev);
      addClick(p[0], p[1], ev.button === 2 || ev.shiftKey);
    });
    canvas.addEventListener("contextmenu", function (ev) { ev.preventDefault(); });

    function undo() {
      if (ui.busy || ui.history.length <= 1) return;
      ui.redo.push(ui.history.pop()); updateStatus(); draw();
    }
    function redo() {
      if (ui.busy || !ui.redo.length) return;
      ui.history.push(ui.redo.pop()); updateStatus(); draw();
    }
    function clearObject() {
      if (ui.busy) return;
      ui.history = [{ clicks: [], mask: null }]; ui.redo = []; showError(null); updateStatus(); draw();
    }
    function nextObject() {
      var st = current();
      if (ui.busy || !st.mask) return;
      ui.objects.push({ label: ui.label, rle: st.rle, mask: st.mask, clicks: st.clicks });
      clearObject();
    }
    bUndo.onclick = undo; bRedo.onclick = redo; bClear.onclick = clearObject; bNext.onclick = nextObject;
    labelSel.onchange = function () { ui.label = labelSel.value; draw(); };
    document.addEventListener("keydown", function (ev) {
      if (ev.target && /INPUT|TEXTAREA|SELECT/.test(ev.target.tagName)) return;
      if (ev.key === "z") undo(); else if (ev.key === "y") redo();
      else if (ev.key === "n") nextObject(); else if (ev.key === "c") clearObject();
    });

    /** The answer in Ground Truth's semantic-segmentation shape, plus the raw RLE per object. */
    function buildOutput() {
      var all = ui.objects.slice();
      var st = current();
      if (st.mask) all.push({ label: ui.label, rle: st.rle, mask: st.mask, clicks: st.clicks });
      var c = document.createElement("canvas");
      c.width = ui.width; c.height = ui.height;
      var cx = c.getContext("2d"), img = cx.createImageData(ui.width, ui.height), d = img.data;
      all.forEach(function (o) { // later objects on top; background stays transparent
        var rgb = hexToRgb(colors[o.label]);
        for (var i = 0; i < o.mask.length; i++) if (o.mask[i]) {
          var p = i * 4; d[p] = rgb[0]; d[p + 1] = rgb[1]; d[p + 2] = rgb[2]; d[p + 3] = 255;
        }
      });
      cx.putImageData(img, 0, 0);
      var mappings = {};
      labels.forEach(function (l) { mappings[l] = { color: colors[l] }; });
      var out = {};
      out[config.outputName || "fewclick"] = {
        inputImageProperties: { height: ui.height, width: ui.width },
        labelMappings: mappings,
        labeledImage: { pngImageData: c.toDataURL("image/png").split(",")[1] },
        objects: all.map(function (o) {
          return { label: o.label, rle: o.rle,
            clicks: o.clicks.map(function (k) { return { x: k.x, y: k.y, kind: k.kind }; }) };
        }),
      };
      ui.lastOutput = out;
      return out;
    }

    // Submission: inside <crowd-form> a hidden input carries the answer; otherwise a plain button.
    if (config.form) {
      var hidden = el("input", { type: "hidden", name: config.outputName || "fewclick" });
      config.form.appendChild(hidden);
      // Same hook as AWS's custom-template examples: fill the hidden input in onsubmit.
      var previousOnSubmit = config.form.onsubmit;
      config.form.onsubmit = function (ev) {
        hidden.value = JSON.stringify(buildOutput()[config.outputName || "fewclick"]);
        if (typeof previousOnSubmit === "function") return previousOnSubmit.call(this, ev);
      };
    } else {
      var bSubmit = el("button", { type: "button", id: "fc-submit" }, "Submit");
      var pre = el("pre", { id: "fc-output", style: "white-space:pre-wrap;max-height:12em;overflow:auto" });
      bSubmit.onclick = function () {
        var out = buildOutput();
        var shown = JSON.parse(JSON.stringify(out));
        var k = Object.keys(shown)[0];
        shown[k].labeledImage.pngImageData = shown[k].labeledImage.pngImageData.slice(0, 40) + "…";
        pre.textContent = JSON.stringify(shown, null, 2);
      };
      root.appendChild(bSubmit); root.appendChild(pre);
    }

    // Load the image: bytes for the API, a decoded bitmap for display (EXIF orientation applied by the
    // browser, as the gateway does).
    updateStatus();
    fetch(config.imageUrl).then(function (res) {
      if (!res.ok) throw new Error("HTTP " + res.status);
      return res.arrayBuffer();
    }).then(function (buf) {
      ui.imageBytes = new Uint8Array(buf);
      return createImageBitmap(new Blob([buf]));
    }).then(function (bitmap) {
      image = bitmap; ui.width = bitmap.width; ui.height = bitmap.height;
      canvas.width = ui.width; canvas.height = ui.height;
      root.setAttribute("data-ready", "true");
      updateStatus(); draw();
    }).catch(function (e) {
      showError("Could not load the image to label (" + e.message + "). If it is on S3, the bucket needs a CORS rule for this page's origin.");
    });

    var api = { state: ui, buildOutput: buildOutput, undo: undo, redo: redo, clear: clearObject, next: nextObject };
    global.fewclick = api;
    return api;
  }

  global.FewClickUI = { mount: mount, decodeRLE: decodeRLE };
})(window);
