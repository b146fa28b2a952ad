/*
 * fewclick labeling UI: extreme points + corrective clicks against the fewclick gateway.
 *
 * One file serves both the SageMaker Ground Truth custom task template (template.liquid.html, where
 * <crowd-form> submits the answer) and the gateway's local demo page (/demo, plain form fallback,
 * with the "workspace" extras: open your own images, a queue, COCO / PNG export).
 *
 *   FewClickUI.mount(rootElement, {
 *     gatewayUrl: "https://…",        // where POST /v1/segment lives (no trailing slash needed)
 *     token: "…",                      // job-scoped bearer token
 *     tokenUrl: "/demo/token",         // optional: POST here for a short-lived token (the local demo)
 *     imageUrl: "https://…",           // image to label (a presigned S3 URL in Ground Truth)
 *     labels: ["car", "person"],       // label list; colours are assigned in order
 *     outputName: "fewclick",          // key of the answer document
 *     form: <crowd-form> | null,       // submit target; null → plain button, answer shown on the page
 *     workspace: false,                // true: file picker, drag & drop, paste, image URL, queue, export
 *     samplesUrl: null,                // workspace: JSON {samples: [{name, url}]} queued on first run
 *     suggest: true,                   // ask the service for a next-click hint ("suggest": true)
 *   })
 *
 * Mouse: the first 4 clicks are the object's extreme points (leftmost, topmost, rightmost,
 * bottommost, in any order); after that, left click = positive ("object"), right click or
 * shift+click = negative ("background"). Wheel zooms, space+drag or the middle button pans.
 * Keys: see SHORTCUTS below (press ? on the page).
 */
(function (global) {
  "use strict";

  var PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
    "#7f7f7f", "#bcbd22", "#17becf"];
  var SIDES = ["leftmost", "topmost", "rightmost", "bottommost"];
  var SHORTCUTS = [
    ["Left click", "extreme point, then positive click (object)"],
    ["Right click / Shift+click", "negative click (background)"],
    ["A", "accept the suggested next click"],
    ["Z / Ctrl+Z", "undo"], ["Y / Ctrl+Shift+Z", "redo"],
    ["N / Enter", "keep this object, start the next"], ["C / Esc", "clear the current object"],
    ["1 … 9", "choose label"], ["M", "mask / outline / none"], ["[ ]", "overlay opacity"],
    ["+ / − / wheel", "zoom"], ["0", "fit to window"], ["Space+drag / middle drag", "pan"],
    ["← / →", "previous / next image"], ["R", "retry the last failed call"], ["?", "this help"],
  ];
  var CSS = [
    ".fewclick{--fc-bg:#f6f7f9;--fc-fg:#1d2330;--fc-muted:#5b6475;--fc-line:#d5d9e0;--fc-accent:#2563eb;",
    "font:14px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--fc-fg);background:var(--fc-bg);",
    "display:flex;flex-direction:column;height:100%;min-height:480px;box-sizing:border-box}",
    ".fewclick *{box-sizing:border-box}",
    ".fc-toolbar{display:flex;flex-wrap:wrap;gap:6px 18px;align-items:center;padding:6px 10px;background:#fff;border-bottom:1px solid var(--fc-line)}",
    ".fc-group{display:flex;gap:4px;align-items:center}",
    ".fewclick button,.fewclick select,.fewclick input[type=url],.fc-file{font:inherit;height:30px;padding:0 10px;border:1px solid var(--fc-line);",
    "border-radius:6px;background:#fff;color:inherit;cursor:pointer}",
    ".fewclick button:hover:not(:disabled),.fc-file:hover{border-color:var(--fc-accent)}",
    ".fewclick button:focus-visible,.fewclick select:focus-visible,.fewclick input:focus-visible{outline:2px solid var(--fc-accent);outline-offset:1px}",
    ".fewclick button:disabled{opacity:.45;cursor:default}",
    ".fewclick button.fc-primary{background:var(--fc-accent);border-color:var(--fc-accent);color:#fff}",
    ".fewclick button[aria-pressed=true]{background:#e6edfd;border-color:var(--fc-accent)}",
    ".fc-file{display:inline-flex;align-items:center}.fc-file input{position:absolute;width:1px;height:1px;opacity:0}",
    ".fewclick input[type=url]{width:16em;cursor:text}",
    ".fc-zoom{min-width:4.2em;text-align:center;color:var(--fc-muted)}",
    ".fc-main{flex:1;display:flex;min-height:0}",
    ".fc-stage{position:relative;flex:1;min-width:0;overflow:hidden;background:#2b2f36;outline:none}",
    ".fc-stage canvas{position:absolute;left:0;top:0;cursor:crosshair}",
    ".fc-stage.fc-panning canvas{cursor:grab}",
    ".fc-side{width:260px;flex:none;display:flex;flex-direction:column;gap:8px;padding:10px;background:#fff;border-left:1px solid var(--fc-line);overflow:auto}",
    ".fc-side h2{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--fc-muted);margin:6px 0 0}",
    ".fc-objects{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:4px}",
    ".fc-objects li{display:flex;align-items:center;gap:6px;padding:4px 6px;border:1px solid var(--fc-line);border-radius:6px}",
    ".fc-objects li .fc-swatch{width:12px;height:12px;border-radius:3px;flex:none}",
    ".fc-objects li .fc-name{flex:1}.fc-objects li .fc-area{color:var(--fc-muted);font-variant-numeric:tabular-nums}",
    ".fc-objects li button{height:24px;padding:0 6px}",
    ".fc-empty{color:var(--fc-muted)}",
    ".fc-statusbar{display:flex;gap:12px;align-items:center;padding:5px 10px;background:#fff;border-top:1px solid var(--fc-line);min-height:32px}",
    "#fc-status{flex:1}#fc-latency{color:var(--fc-muted);font-variant-numeric:tabular-nums}",
    ".fc-spinner{width:16px;height:16px;border:2px solid var(--fc-line);border-top-color:var(--fc-accent);border-radius:50%;animation:fc-spin .8s linear infinite;visibility:hidden}",
    ".fc-busy .fc-spinner{visibility:visible}@keyframes fc-spin{to{transform:rotate(360deg)}}",
    "#fc-error{margin:0;padding:8px 10px;background:#fdecec;color:#8a1c1c;border-bottom:1px solid #f3c2c2;display:flex;gap:10px;align-items:center}",
    "#fc-error span{flex:1}",
    ".fc-hint{color:var(--fc-muted)}",
    ".fc-overlay{position:absolute;inset:0;background:rgba(20,24,31,.55);display:flex;align-items:center;justify-content:center;z-index:5}",
    ".fc-dialog{background:#fff;border-radius:10px;padding:16px 20px;max-width:560px;max-height:90%;overflow:auto;box-shadow:0 10px 40px rgba(0,0,0,.3)}",
    ".fc-dialog h2{margin:0 0 8px;font-size:16px}.fc-dialog table{border-collapse:collapse}",
    ".fc-dialog td{padding:3px 12px 3px 0;vertical-align:top}.fc-dialog kbd{font:12px ui-monospace,monospace;background:#eef0f3;border:1px solid var(--fc-line);border-radius:4px;padding:1px 5px}",
    ".fc-drop{position:absolute;inset:8px;border:3px dashed #9db7f5;border-radius:12px;display:none;align-items:center;justify-content:center;color:#fff;font-size:20px;background:rgba(37,99,235,.15);pointer-events:none}",
    ".fc-dragging .fc-drop{display:flex}",
    ".fc-welcome{position:absolute;inset:0;display:flex;align-items:center;justify-content:center;color:#cfd5df;text-align:center;padding:20px}",
    "#fc-output{flex:1;min-width:0;white-space:pre-wrap;max-height:12em;overflow:auto;font-size:12px;margin:0}",
    "@media (min-width:2400px){.fewclick{font-size:16px}.fc-side{width:340px}.fewclick button,.fewclick select,.fewclick input[type=url],.fc-file{height:36px}}",
  ].join("");

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

  function button(id, text, label, title) {
    return el("button", { type: "button", id: id, "aria-label": label || text, title: title || label || text }, text);
  }

  function injectStyle() {
    if (document.getElementById("fewclick-style")) return;
    var style = el("style", { id: "fewclick-style" });
    style.textContent = CSS;
    (document.head || document.documentElement).appendChild(style);
  }

  function download(name, blob) {
    var a = el("a", { href: URL.createObjectURL(blob), download: name });
    document.body.appendChild(a); a.click(); a.remove();
    setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
  }

  function baseName(name) { return String(name || "image").replace(/^.*[\\/]/, "").replace(/\.[^.]*$/, "") || "image"; }

  /**
   * Plain words for the gateway's JSON errors and for network failures: what happened and what to do.
   * `ctx.renewable`: a fresh token can be fetched (the demo); `ctx.retryAfter`: seconds.
   */
  function describeError(status, body, ctx) {
    ctx = ctx || {};
    var code = body && body.error && body.error.code, msg = body && body.error && body.error.message;
    var detail = msg ? " (" + msg + ")" : "";
    var reload = ctx.renewable ? "Reload the page to get a new one." : "Reload the task to get a fresh one; the clicks of this object are kept until then.";
    switch (code) {
      case "token_expired": return "Your access token has expired. " + reload;
      case "missing_token": case "invalid_token": return "The access token was refused" + detail + ". " + reload;
      case "insufficient_scope": return "This access token may not segment images" + detail + ". Ask for a token with the segment scope.";
      case "origin_not_allowed": return "The gateway does not accept calls from this page's origin. Add it with gateway serve --cors-origin.";
      case "demo_origin_not_allowed": case "demo_host_not_allowed": return "The demo only works on the loopback address it was started on" + detail + ". Open it at http://127.0.0.1:PORT/demo.";
      case "payload_too_large": return "The image file is too large to send" + detail + ". Use a smaller JPEG or a downscaled copy.";
      case "image_too_large": return "The image has too many pixels for the service" + detail + ". Downscale it and open it again.";
      case "unsupported_image_format": case "unsupported_media_type": return "Only JPEG and PNG images can be segmented. Convert the file and open it again.";
      case "invalid_image": return "The image file cannot be decoded (corrupt or truncated)" + detail + ".";
      case "url_not_enabled": return "Image URLs are not enabled on this deployment (the proxy has no --image-url-allow list). Open the file instead (file picker, drag and drop or paste).";
      case "url_not_allowed": return "The service may not fetch this URL" + detail + ". Ask the operator to add its host to the proxy's --image-url-allow list, or open the file instead.";
      case "image_fetch_failed": return "The service could not download the image" + detail + ". Check that the URL opens in a browser (public or presigned) or open the file instead.";
      case "image_fetch_timeout": return "The image server took too long to answer. Try again, or open the file instead.";
      case "throttled": return "Too many requests. Wait " + (ctx.retryAfter || "a few") + " s; your click is kept: press R to retry.";
      case "busy": case "model_unavailable": case "proxy_unavailable": return "The segmentation service is not available right now" + detail + ". Press R to retry in a few seconds; if it persists, check that the endpoint and proxy are running.";
      case "model_timeout": case "integration_timeout": return "The segmentation model took too long to answer. Press R to retry.";
      case "model_error": case "proxy_error": return "The segmentation service failed" + detail + ". Press R to retry; if it repeats, report the request id.";
      case "click_outside_image": case "extreme_point_outside_image": return "A click lies outside the image" + detail + ". Undo it (Z).";
      case "too_many_clicks": return "This object has too many clicks" + detail + ". Clear it (C) and start again with the extreme points.";
    }
    if (status === 0) return "Cannot reach the segmentation service" + (ctx.url ? " at " + ctx.url : "") + ". Check your connection and that the gateway is running, then press R to retry.";
    if (status === 401) return "The access token was refused" + detail + ". " + reload;
    if (status === 403) return "This page may not use the segmentation service" + detail + ".";
    if (status === 413) return "The image is too large for the segmentation service" + detail + ".";
    if (status === 429) return "Too many requests: wait a moment, then press R to retry.";
    if (status === 502 || status === 503) return "The segmentation service is not available" + detail + ". Press R to retry in a few seconds.";
    if (status === 504) return "The segmentation service took too long to answer. Press R to retry.";
    if (status >= 500) return "The segmentation service failed" + detail + ". Press R to retry.";
    return (msg || ("Request failed with HTTP " + status)) + (code ? " [" + code + "]" : "");
  }

  // ---- the UI -------------------------------------------------------------------------------

  function mount(root, config) {
    injectStyle();
    var labels = (config.labels && config.labels.length) ? config.labels : ["object"];
    var colors = {};
    labels.forEach(function (l, i) { colors[l] = PALETTE[i % PALETTE.length]; });
    var gateway = String(config.gatewayUrl || "").replace(/\/+$/, "");
    var workspace = !!config.workspace;
    var wantHints = config.suggest !== false;

    var ui = {
      items: [], index: -1,                 // image queue; the current item is items[index]
      label: labels[0],
      view: "mask", opacity: 0.45,          // overlay: mask | outline | none
      zoom: 1, panX: 0, panY: 0, fitted: true,
      busy: false, lastResponse: null, lastOutput: null, calls: 0, errors: [], lastError: null,
      token: config.token || null, tokenExpires: 0, autoRenew: !!config.tokenUrl, requests: [],
    };

    function item() { return ui.items[ui.index] || null; }
    function current() { var it = item(); return it ? it.history[it.history.length - 1] : { clicks: [], mask: null }; }
    function extremeCount(clicks) { return clicks.filter(function (c) { return c.kind === "extreme"; }).length; }

    // ---- layout ----
    root.classList.add("fewclick");
    root.setAttribute("tabindex", "-1");
    var toolbar = el("div", { "class": "fc-toolbar", role: "toolbar", "aria-label": "Labeling tools" });
    function group(nodes, label) {
      var g = el("div", { "class": "fc-group", role: "group", "aria-label": label });
      nodes.forEach(function (n) { g.appendChild(n); });
      toolbar.appendChild(g);
      return g;
    }
    var fileInput, urlInput, bPrev, bNext, queueLabel;
    if (workspace) {
      var fileLabel = el("label", { "class": "fc-file", title: "Open images (or drop / paste them)" }, "Open images…");
      fileInput = el("input", { type: "file", id: "fc-file", accept: "image/jpeg,image/png", multiple: "", "aria-label": "Open image files" });
      fileLabel.appendChild(fileInput);
      urlInput = el("input", { type: "url", id: "fc-url", placeholder: "https://… image URL", "aria-label": "Image URL" });
      var bUrl = button("fc-url-load", "Add URL", "Add the image URL to the queue");
      group([fileLabel, urlInput, bUrl], "Open");
      bPrev = button("fc-prev", "◀", "Previous image (←)");
      queueLabel = el("span", { id: "fc-queue", "aria-live": "polite", "class": "fc-zoom" }, "");
      bNext = button("fc-next-image", "▶", "Next image (→)");
      group([bPrev, queueLabel, bNext], "Image queue");
    }
    var labelSel = el("select", { id: "fc-label", "aria-label": "Label" });
    labels.forEach(function (l, i) { labelSel.appendChild(el("option", { value: l }, (i < 9 ? (i + 1) + " · " : "") + l)); });
    var bUndo = button("fc-undo", "Undo", "Undo (Z)");
    var bRedo = button("fc-redo", "Redo", "Redo (Y)");
    var bClear = button("fc-clear", "Clear", "Clear the current object (C)");
    var bNextObj = button("fc-next", "Next object", "Keep this object and start the next (N)");
    bNextObj.classList.add("fc-primary");
    group([labelSel, bUndo, bRedo, bClear, bNextObj], "Object");
    var viewButtons = {};
    ["mask", "outline", "none"].forEach(function (v) {
      viewButtons[v] = button("fc-view-" + v, v[0].toUpperCase() + v.slice(1), "Show " + v + " (M cycles)");
    });
    var opacity = el("input", { type: "range", id: "fc-opacity", min: "0", max: "100", value: String(ui.opacity * 100), "aria-label": "Mask opacity" });
    group([viewButtons.mask, viewButtons.outline, viewButtons.none, opacity], "Overlay");
    var bZoomOut = button("fc-zoom-out", "−", "Zoom out (−)");
    var zoomLabel = el("span", { id: "fc-zoom", "class": "fc-zoom", "aria-live": "polite" }, "100%");
    var bZoomIn = button("fc-zoom-in", "+", "Zoom in (+)");
    var bFit = button("fc-fit", "Fit", "Fit to window (0)");
    group([bZoomOut, zoomLabel, bZoomIn, bFit], "Zoom");
    var exportNodes = [];
    var exportMode, bCoco, bPng;
    if (workspace) {
      exportMode = el("select", { id: "fc-export-mode", "aria-label": "COCO segmentation format" });
      exportMode.appendChild(el("option", { value: "rle" }, "COCO RLE"));
      exportMode.appendChild(el("option", { value: "polygons" }, "COCO polygons"));
      bCoco = button("fc-export-coco", "Export COCO", "Download the labeled objects as COCO JSON");
      bPng = button("fc-export-png", "Export PNG", "Download the masks of this image as PNG files");
      exportNodes = [exportMode, bCoco, bPng];
    }
    var bHelp = button("fc-help", "?", "Keyboard shortcuts (?)");
    group(exportNodes.concat([bHelp]), "Export and help");

    var error = el("div", { id: "fc-error", role: "alert", style: "display:none" });
    var errorText = el("span");
    var bRetry = button("fc-retry", "Retry", "Retry the failed call (R)");
    var bDismiss = button("fc-dismiss", "✕", "Dismiss the message");
    error.appendChild(errorText); error.appendChild(bRetry); error.appendChild(bDismiss);

    var main = el("div", { "class": "fc-main" });
    var stage = el("div", { "class": "fc-stage", tabindex: "0", "aria-label": "Image to label: click the object's extreme points, then corrective clicks" });
    var canvas = el("canvas", { id: "fc-canvas", role: "img", "aria-label": "Image with the mask overlay" });
    var welcome = el("div", { "class": "fc-welcome" }, workspace ? "Open an image (button, drag and drop, or paste) — or use the examples." : "Loading image…");
    var drop = el("div", { "class": "fc-drop" }, "Drop images to add them to the queue");
    stage.appendChild(canvas); stage.appendChild(welcome); stage.appendChild(drop);
    var side = el("aside", { "class": "fc-side", "aria-label": "Objects" });
    side.appendChild(el("h2", {}, "Objects"));
    var objectList = el("ul", { id: "fc-objects", "class": "fc-objects", "aria-label": "Labeled objects" });
    side.appendChild(objectList);
    side.appendChild(el("h2", {}, "Next click"));
    var hintText = el("div", { id: "fc-hint", "class": "fc-hint", "aria-live": "polite" }, "—");
    side.appendChild(hintText);
    main.appendChild(stage); main.appendChild(side);

    var statusbar = el("div", { "class": "fc-statusbar" });
    var spinner = el("div", { "class": "fc-spinner", role: "progressbar", "aria-label": "Segmenting" });
    var status = el("div", { id: "fc-status", role: "status", "aria-live": "polite" });
    var latency = el("div", { id: "fc-latency" });
    statusbar.appendChild(spinner); statusbar.appendChild(status); statusbar.appendChild(latency);

    var help = el("div", { "class": "fc-overlay", id: "fc-help-overlay", role: "dialog", "aria-modal": "true", "aria-label": "Keyboard shortcuts", style: "display:none" });
    var dialog = el("div", { "class": "fc-dialog" });
    dialog.appendChild(el("h2", {}, "Keyboard shortcuts"));
    var table = el("table");
    SHORTCUTS.forEach(function (s) {
      var tr = el("tr"), k = el("td"); k.appendChild(el("kbd", {}, s[0])); tr.appendChild(k);
      tr.appendChild(el("td", {}, s[1])); table.appendChild(tr);
    });
    dialog.appendChild(table);
    var bHelpClose = button("fc-help-close", "Close", "Close the help");
    dialog.appendChild(bHelpClose);
    help.appendChild(dialog);

    [toolbar, error, main, statusbar].forEach(function (n) { root.appendChild(n); });
    root.appendChild(help);
    root.style.position = root.style.position || "relative";
    var ctx = canvas.getContext("2d");

    // ---- messages ----
    function showError(text, retryable) {
      if (text) {
        errorText.textContent = text; error.style.display = ""; ui.errors.push(text); ui.lastError = text;
        bRetry.style.display = retryable ? "" : "none";
      } else { errorText.textContent = ""; error.style.display = "none"; ui.lastError = null; }
    }

    function updateStatus() {
      var it = item(), st = current(), n = extremeCount(st.clicks), msg;
      if (!it) msg = workspace ? "Open an image to start." : "Loading image…";
      else if (!it.image) msg = "Loading " + it.name + "…";
      else if (n < 4) {
        var missing = SIDES.slice(n);
        msg = "Click the " + missing[0] + " point of the object (" + n + " of 4 extreme points; still missing: " +
          missing.join(", ") + ").";
      } else {
        msg = "Left click adds to the object, right click or shift+click removes. " +
          (st.clicks.length - 4) + " corrective click(s).";
      }
      if (ui.busy) msg += " Segmenting…";
      status.textContent = msg + "  Objects done: " + (it ? it.objects.length : 0) + ".";
      root.classList.toggle("fc-busy", ui.busy);
      stage.setAttribute("aria-busy", ui.busy ? "true" : "false");
      bUndo.disabled = !it || it.history.length <= 1;
      bRedo.disabled = !it || it.redo.length === 0;
      bClear.disabled = !it || st.clicks.length === 0;
      bNextObj.disabled = !it || !st.mask || !st.done;
      for (var v in viewButtons) viewButtons[v].setAttribute("aria-pressed", String(ui.view === v));
      zoomLabel.textContent = Math.round(ui.zoom * 100) + "%";
      if (workspace) {
        queueLabel.textContent = it ? (ui.index + 1) + " / " + ui.items.length + " · " + it.name : "no images";
        bPrev.disabled = ui.index <= 0; bNext.disabled = ui.index >= ui.items.length - 1;
        var any = ui.items.some(function (x) { return x.objects.length || (x.history[x.history.length - 1].mask); });
        bCoco.disabled = !any; bPng.disabled = !it || !(it.objects.length || st.mask);
      }
      var s = st.suggestion;
      hintText.textContent = s && st.done ? "Suggested: a " + (s.positive ? "positive" : "negative") + " click at (" +
        Math.floor(s.x) + ", " + Math.floor(s.y) + ") where the model is least sure. Press A to accept." :
        (n >= 4 && st.done ? "No suggestion: the model is sure of this mask." : "—");
      renderObjects();
    }

    function renderObjects() {
      var it = item();
      objectList.textContent = "";
      if (!it || !it.objects.length) { objectList.appendChild(el("li", { "class": "fc-empty" }, "None yet: press N to keep a mask.")); return; }
      it.objects.forEach(function (o, i) {
        var li = el("li");
        var sw = el("span", { "class": "fc-swatch", "aria-hidden": "true" }); sw.style.background = colors[o.label];
        li.appendChild(sw);
        li.appendChild(el("span", { "class": "fc-name" }, (i + 1) + ". " + o.label));
        li.appendChild(el("span", { "class": "fc-area", title: "area in pixels" }, o.area.toLocaleString("en-US") + " px"));
        var del = button("fc-delete-" + i, "Delete", "Delete object " + (i + 1) + " (" + o.label + ")");
        del.onclick = function () { deleteObject(i); };
        li.appendChild(del);
        objectList.appendChild(li);
      });
    }

    // ---- view: fit, zoom, pan ----
    var dpr = 1;
    function resize() {
      dpr = global.devicePixelRatio || 1;
      var w = Math.max(1, stage.clientWidth), h = Math.max(1, stage.clientHeight);
      canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
      canvas.style.width = w + "px"; canvas.style.height = h + "px";
      if (ui.fitted) fit(); else draw();
    }
    function fit() {
      var it = item();
      ui.fitted = true;
      if (!it || !it.image) { ui.zoom = 1; ui.panX = 0; ui.panY = 0; draw(); return; }
      var w = stage.clientWidth, h = stage.clientHeight;
      ui.zoom = Math.min(w / it.width, h / it.height) * 0.96;
      ui.panX = (w - it.width * ui.zoom) / 2; ui.panY = (h - it.height * ui.zoom) / 2;
      updateStatus(); draw();
    }
    /** Zooms to `z` (1 = one image pixel per CSS pixel) keeping the image point under (cx, cy) fixed. */
    function setZoom(z, cx, cy) {
      if (!item() || !item().image) return;
      if (cx === undefined) { cx = stage.clientWidth / 2; cy = stage.clientHeight / 2; }
      z = Math.max(0.02, Math.min(64, z));
      var ix = (cx - ui.panX) / ui.zoom, iy = (cy - ui.panY) / ui.zoom;
      ui.zoom = z; ui.panX = cx - ix * z; ui.panY = cy - iy * z; ui.fitted = false;
      updateStatus(); draw();
    }
    function imageToClient(x, y) {
      var r = canvas.getBoundingClientRect();
      return [r.left + ui.panX + x * ui.zoom, r.top + ui.panY + y * ui.zoom];
    }
    function clientToImage(cx, cy) {
      var r = canvas.getBoundingClientRect();
      return [(cx - r.left - ui.panX) / ui.zoom, (cy - r.top - ui.panY) / ui.zoom];
    }

    // ---- drawing ----
    /** Repaints the item's overlay bitmap: committed objects, then the current mask on top. */
    function paintOverlay(it) {
      if (!it.overlay) { it.overlay = document.createElement("canvas"); it.overlay.width = it.width; it.overlay.height = it.height; }
      var octx = it.overlay.getContext("2d"), img = octx.createImageData(it.width, it.height), d = img.data;
      function paint(mask, hex) {
        var rgb = hexToRgb(hex);
        for (var i = 0; i < mask.length; i++) if (mask[i]) {
          var p = i * 4; d[p] = rgb[0]; d[p + 1] = rgb[1]; d[p + 2] = rgb[2]; d[p + 3] = 255;
        }
      }
      it.objects.forEach(function (o) { paint(o.mask, colors[o.label]); });
      var st = it.history[it.history.length - 1];
      if (st.mask) paint(st.mask, colors[ui.label]);
      octx.putImageData(img, 0, 0);
      it.overlayFor = st;
      it.overlayObjects = it.objects.length;
    }

    function strokePolygons(polygons, color, width) {
      if (!polygons) return;
      ctx.beginPath();
      polygons.forEach(function (part) {
        part.forEach(function (ring) {
          for (var i = 0; i + 1 < ring.length; i += 2) {
            if (i === 0) ctx.moveTo(ring[0], ring[1]); else ctx.lineTo(ring[i], ring[i + 1]);
          }
          ctx.closePath();
        });
      });
      ctx.lineJoin = "round";
      ctx.strokeStyle = "rgba(255,255,255,.9)"; ctx.lineWidth = width * 2; ctx.stroke();
      ctx.strokeStyle = color; ctx.lineWidth = width; ctx.stroke();
    }

    function draw() {
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      var it = item();
      welcome.style.display = it && it.image ? "none" : "";
      if (!it || !it.image) return;
      var st = current();
      ctx.setTransform(dpr * ui.zoom, 0, 0, dpr * ui.zoom, dpr * ui.panX, dpr * ui.panY);
      ctx.imageSmoothingEnabled = ui.zoom < 2;
      ctx.drawImage(it.image, 0, 0);
      if (ui.view === "mask") {
        if (it.overlayFor !== st || it.overlayObjects !== it.objects.length || it.overlayDirty) { paintOverlay(it); it.overlayDirty = false; }
        ctx.globalAlpha = ui.opacity; ctx.imageSmoothingEnabled = false;
        ctx.drawImage(it.overlay, 0, 0);
        ctx.globalAlpha = 1;
      }
      var px = 1 / ui.zoom; // one CSS pixel in image units
      if (ui.view !== "none") {
        it.objects.forEach(function (o) { strokePolygons(o.polygons, colors[o.label], (ui.view === "outline" ? 2 : 1) * px); });
        if (st.polygons) strokePolygons(st.polygons, colors[ui.label], 2 * px);
      }
      var r = 6 * px;
      st.clicks.forEach(function (c) {
        ctx.beginPath();
        ctx.arc(c.x, c.y, r, 0, 2 * Math.PI);
        ctx.fillStyle = c.kind === "negative" ? "#ff3b3b" : (c.kind === "positive" ? "#22e06b" : "#ffd400");
        ctx.fill();
        ctx.lineWidth = 1.5 * px; ctx.strokeStyle = "#000"; ctx.stroke();
      });
      var s = st.suggestion;
      if (s && st.done && !ui.busy) {
        ctx.save();
        ctx.globalAlpha = 0.8;
        ctx.setLineDash([4 * px, 3 * px]);
        ctx.beginPath(); ctx.arc(s.x, s.y, 11 * px, 0, 2 * Math.PI);
        ctx.lineWidth = 2 * px; ctx.strokeStyle = s.positive ? "#22e06b" : "#ff3b3b"; ctx.stroke();
        ctx.setLineDash([]);
        ctx.beginPath();
        ctx.moveTo(s.x - 4 * px, s.y); ctx.lineTo(s.x + 4 * px, s.y);
        if (s.positive) { ctx.moveTo(s.x, s.y - 4 * px); ctx.lineTo(s.x, s.y + 4 * px); }
        ctx.stroke();
        ctx.restore();
      }
      canvas.setAttribute("data-mask-area", st.mask ? String(st.area) : "0");
    }

    // ---- tokens and requests ----
    function ensureToken(force) {
      if (!config.tokenUrl || !ui.autoRenew) return Promise.resolve(ui.token);
      if (!force && ui.token && Date.now() < ui.tokenExpires - 30000) return Promise.resolve(ui.token);
      return fetch(config.tokenUrl, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" })
        .then(function (res) {
          return res.json().then(function (j) {
            if (!res.ok || !j.token) throw { status: res.status, body: j };
            ui.token = j.token; ui.tokenExpires = Date.now() + 1000 * (j.expiresIn || 600);
            return ui.token;
          });
        });
    }

    function post(body) {
      return fetch(gateway + "/v1/segment", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Authorization": "Bearer " + (ui.token || "") },
        body: JSON.stringify(body),
      }).then(function (res) {
        return res.text().then(function (t) {
          var json = null;
          try { json = t ? JSON.parse(t) : null; } catch (e) { json = null; }
          return { status: res.status, body: json, retryAfter: res.headers.get("Retry-After") };
        });
      }, function () { return { status: 0, body: null }; });
    }

    function errorCode(r) { return r.body && r.body.error && r.body.error.code; }

    /** Sends `body`: refreshes a demo token once on 401, resends the image on image_not_found. */
    function send(it, body) {
      var renewed = false, resent = false;
      function attempt() {
        body.image = it.imageId && !resent ? { id: it.imageId } : it.source;
        return ensureToken(false).then(function () { return post(body); }, function (e) {
          return { status: e && e.status || 0, body: e && e.body || null };
        }).then(function (r) {
          var code = errorCode(r);
          if (r.status === 404 && code === "image_not_found" && !resent) { resent = true; return attempt(); }
          if (r.status === 401 && ui.autoRenew && !renewed) {
            renewed = true;
            return ensureToken(true).then(attempt, function () { return r; });
          }
          return r;
        });
      }
      return attempt();
    }

    /** Segments the newest state of the current object if it has no answer yet; one call at a time. */
    function pump() {
      var it = item();
      if (ui.busy || !it || !it.image) return;
      var st = it.history[it.history.length - 1];
      if (st.done || st.failed || extremeCount(st.clicks) < 4) return;
      var ex = st.clicks.filter(function (c) { return c.kind === "extreme"; });
      var body = {
        extremePoints: ex.map(function (c) { return [c.x, c.y]; }),
        clicks: st.clicks.filter(function (c) { return c.kind !== "extreme"; })
          .map(function (c) { return { x: c.x, y: c.y, positive: c.kind === "positive" }; }),
        outputs: ["rle", "polygons"],
      };
      if (wantHints) body.suggest = true;
      for (var h = it.history.length - 2; h >= 0; h--) { // warm start: the newest answered state before this one
        if (it.history[h].done) { body.previousMask = it.history[h].rle; break; }
      }
      var t0 = performance.now();
      ui.busy = true; updateStatus(); draw();
      ui.requests.push(JSON.parse(JSON.stringify(body))); // what was asked (without the image), for tests and debugging
      if (ui.requests.length > 20) ui.requests.shift();
      send(it, body).then(function (r) {
        ui.busy = false; ui.calls++;
        var ms = Math.round(performance.now() - t0);
        if (r.status !== 200 || !r.body || !r.body.mask) {
          st.failed = true;
          var renewable = ui.autoRenew;
          var retryable = !/token|scope|origin|url_|image_too|payload|unsupported|invalid_image/.test(errorCode(r) || "");
          showError(describeError(r.status, r.body, { renewable: renewable, retryAfter: r.retryAfter, url: gateway || location.origin }), retryable);
          updateStatus(); draw();
          return;
        }
        showError(null);
        ui.lastResponse = r.body;
        it.imageId = r.body.imageId;
        st.rle = r.body.mask.rle; st.polygons = r.body.mask.polygons; st.area = r.body.mask.area;
        st.bbox = r.body.mask.bbox; st.mask = decodeRLE(r.body.mask.rle);
        st.suggestion = r.body.suggestion || null; st.done = true;
        it.overlayDirty = true;
        var t = r.body.timingsMs || {};
        latency.textContent = "Last call: " + ms + " ms in the browser" +
          (t.total !== undefined ? " · service " + Math.round(t.total) + " ms" : "") +
          (t.model !== undefined ? " · model " + Math.round(t.model) + " ms" : "");
        updateStatus(); draw();
        pump(); // clicks placed while this call was in flight
      });
    }

    function retry() {
      var it = item();
      if (!it) return;
      var st = it.history[it.history.length - 1];
      if (st.failed) { st.failed = false; showError(null); pump(); }
    }

    // ---- editing ----
    function addClick(x, y, negative) {
      var it = item();
      if (!it || !it.image) return;
      if (x < 0 || y < 0 || x >= it.width || y >= it.height) return;
      var prev = it.history[it.history.length - 1];
      var kind = extremeCount(prev.clicks) < 4 ? "extreme" : (negative ? "negative" : "positive");
      var state = {
        clicks: prev.clicks.concat([{ x: x, y: y, kind: kind }]), done: false,
        mask: prev.mask, rle: prev.rle, polygons: prev.polygons, area: prev.area, bbox: prev.bbox,
      };
      it.history.push(state); it.redo = [];
      if (prev.failed) showError(null);
      updateStatus(); draw(); pump();
    }

    function acceptHint() {
      var st = current(), s = st.suggestion;
      if (!s || !st.done) return;
      addClick(s.x, s.y, !s.positive);
    }

    function undo() {
      var it = item();
      if (!it || it.history.length <= 1) return;
      it.redo.push(it.history.pop());
      var st = it.history[it.history.length - 1];
      st.failed = false; showError(null); updateStatus(); draw(); pump();
    }
    function redo() {
      var it = item();
      if (!it || !it.redo.length) return;
      it.history.push(it.redo.pop()); updateStatus(); draw(); pump();
    }
    function clearObject() {
      var it = item();
      if (!it) return;
      it.history = [{ clicks: [], mask: null, done: false }]; it.redo = []; showError(null); updateStatus(); draw();
    }
    function nextObject() {
      var it = item(), st = current();
      if (!it || !st.mask || !st.done) return;
      it.objects.push({ label: ui.label, rle: st.rle, mask: st.mask, polygons: st.polygons, area: st.area, bbox: st.bbox, clicks: st.clicks });
      clearObject();
    }
    function deleteObject(i) {
      var it = item();
      if (!it || !it.objects[i]) return;
      it.objects.splice(i, 1); it.overlayDirty = true; updateStatus(); draw();
    }
    function setLabel(l) {
      if (labels.indexOf(l) < 0) return;
      ui.label = l; labelSel.value = l; var it = item(); if (it) it.overlayDirty = true; draw();
    }
    function setView(v) { ui.view = v; updateStatus(); draw(); }

    // ---- the image queue ----
    function addItem(name, source, displayUrl, select) {
      var it = {
        name: name, source: source, displayUrl: displayUrl, image: null, width: 0, height: 0, imageId: null,
        history: [{ clicks: [], mask: null, done: false }], redo: [], objects: [], overlay: null,
      };
      ui.items.push(it);
      if (select || ui.index < 0) show(ui.items.length - 1); else updateStatus();
      return it;
    }

    /** Decodes the item's image for display; an example queued by URL (no source yet) is fetched as bytes first. */
    function load(it) {
      if (it.loading) return it.loading;
      var bytes = it.source ? Promise.resolve() : fetch(it.displayUrl).then(function (res) {
        if (!res.ok) throw new Error("HTTP " + res.status);
        return res.arrayBuffer();
      }).then(function (buf) { it.source = { data: bytesToBase64(new Uint8Array(buf)) }; });
      it.loading = bytes.then(function () { return new Promise(function (resolve, reject) {
        var img = new Image();
        img.decoding = "async";
        img.onload = function () { resolve(img); };
        img.onerror = function () { reject(new Error("the browser cannot display it")); };
        img.src = it.displayUrl;
      }); }).then(function (img) {
        it.image = img; it.width = img.naturalWidth; it.height = img.naturalHeight;
        if (item() === it) { root.setAttribute("data-ready", "true"); fit(); updateStatus(); }
      }, function (e) {
        it.loading = null;
        showError("Could not load the image " + it.name + " (" + e.message + "). " +
          (it.source.url ? "Check the URL; " : "") + "If it is on S3, the bucket needs a CORS rule for this page's origin.", false);
      });
      return it.loading;
    }

    function show(i) {
      if (i < 0 || i >= ui.items.length) return;
      ui.index = i; showError(null);
      var it = item();
      root.setAttribute("data-ready", it.image ? "true" : "false");
      if (it.image) fit(); else { draw(); load(it); }
      updateStatus();
    }

    function addFile(file, select) {
      if (!/^image\/(jpeg|png)$/.test(file.type)) {
        showError("“" + file.name + "” is not a JPEG or PNG image; only those can be segmented.", false);
        return Promise.resolve(null);
      }
      return file.arrayBuffer().then(function (buf) {
        var bytes = new Uint8Array(buf);
        var url = URL.createObjectURL(new Blob([bytes], { type: file.type }));
        return addItem(file.name || "pasted image", { data: bytesToBase64(bytes) }, url, select);
      });
    }

    function addFiles(files) {
      var list = Array.prototype.slice.call(files || []);
      var first = true, chain = Promise.resolve(null);
      list.forEach(function (f) {
        chain = chain.then(function () { var s = first; first = false; return addFile(f, s); });
      });
      return chain;
    }

    function addUrl(url) {
      url = String(url || "").trim();
      if (!/^https?:\/\//i.test(url)) { showError("Enter an http(s) URL of a JPEG or PNG image.", false); return null; }
      var name = decodeURIComponent(url.split("?")[0].split("/").pop() || url);
      return addItem(name, { url: url }, url, true);
    }

    function addBytesFromUrl(name, url, select) {
      return fetch(url).then(function (res) {
        if (!res.ok) throw new Error("HTTP " + res.status);
        return res.arrayBuffer();
      }).then(function (buf) {
        var bytes = new Uint8Array(buf);
        var it = addItem(name, { data: bytesToBase64(bytes) }, URL.createObjectURL(new Blob([bytes])), select);
        it.originUrl = url;
        return it;
      }).catch(function (e) {
        showError("Could not load the image to label (" + e.message + "). If it is on S3, the bucket needs a CORS rule for this page's origin.", false);
      });
    }

    // ---- export ----
    function allObjects(it) {
      var out = it.objects.slice(), st = it.history[it.history.length - 1];
      if (st.mask && st.done) out.push({ label: ui.label, rle: st.rle, mask: st.mask, polygons: st.polygons, area: st.area, bbox: st.bbox, clicks: st.clicks });
      return out;
    }

    /** COCO instances JSON of every image in the queue; `mode` "rle" or "polygons" (parts with holes stay RLE). */
    function exportCOCO(mode) {
      var coco = {
        info: { description: "fewclick labeling page export", date_created: new Date().toISOString() },
        images: [], annotations: [],
        categories: labels.map(function (l, i) { return { id: i + 1, name: l, supercategory: "object" }; }),
      };
      ui.items.forEach(function (it, i) {
        var objs = it.image ? allObjects(it) : [];
        if (!objs.length) return;
        coco.images.push({ id: i + 1, file_name: it.name, width: it.width, height: it.height });
        objs.forEach(function (o) {
          var holes = (o.polygons || []).some(function (p) { return p.length > 1; });
          var seg = mode === "polygons" && o.polygons && !holes ? o.polygons.map(function (p) { return p[0]; }) : o.rle;
          coco.annotations.push({
            id: coco.annotations.length + 1, image_id: i + 1, category_id: labels.indexOf(o.label) + 1,
            segmentation: seg, area: o.area, bbox: o.bbox, iscrowd: 0,
          });
        });
      });
      return coco;
    }

    function maskPNG(width, height, fill) {
      var c = document.createElement("canvas");
      c.width = width; c.height = height;
      var cx = c.getContext("2d"), img = cx.createImageData(width, height);
      fill(img.data);
      cx.putImageData(img, 0, 0);
      return c.toDataURL("image/png");
    }

    /** PNG masks of the current image: a label-colour map (Ground Truth's format) and one 0/255 mask per object. */
    function exportPNGs() {
      var it = item();
      if (!it || !it.image) return [];
      var objs = allObjects(it), name = baseName(it.name);
      var files = [{ name: name + "-labels.png", dataUrl: labelMap(it, objs) }];
      objs.forEach(function (o, i) {
        files.push({ name: name + "-object-" + (i + 1) + "-" + o.label + ".png", dataUrl: maskPNG(it.width, it.height, function (d) {
          for (var p = 0; p < o.mask.length; p++) { var v = o.mask[p] ? 255 : 0; d[p * 4] = v; d[p * 4 + 1] = v; d[p * 4 + 2] = v; d[p * 4 + 3] = 255; }
        }) });
      });
      return files;
    }

    function labelMap(it, objs) {
      return maskPNG(it.width, it.height, function (d) { // later objects on top; background transparent
        objs.forEach(function (o) {
          var rgb = hexToRgb(colors[o.label]);
          for (var i = 0; i < o.mask.length; i++) if (o.mask[i]) {
            var p = i * 4; d[p] = rgb[0]; d[p + 1] = rgb[1]; d[p + 2] = rgb[2]; d[p + 3] = 255;
          }
        });
      });
    }

    /** The answer in Ground Truth's semantic-segmentation shape, plus the raw RLE per object. */
    function buildOutput() {
      var it = item() || { width: 0, height: 0, objects: [], history: [{ clicks: [] }] };
      var all = it.image ? allObjects(it) : [];
      var mappings = {};
      labels.forEach(function (l) { mappings[l] = { color: colors[l] }; });
      var out = {};
      out[config.outputName || "fewclick"] = {
        inputImageProperties: { height: it.height, width: it.width },
        labelMappings: mappings,
        labeledImage: { pngImageData: it.image ? labelMap(it, all).split(",")[1] : "" },
        objects: all.map(function (o) {
          return { label: o.label, rle: o.rle,
            clicks: o.clicks.map(function (k) { return { x: k.x, y: k.y, kind: k.kind }; }) };
        }),
      };
      ui.lastOutput = out;
      return out;
    }

    // ---- events ----
    var panning = null, spaceDown = false;
    canvas.addEventListener("mousedown", function (ev) {
      stage.focus({ preventScroll: true });
      if (ev.button === 1 || (ev.button === 0 && spaceDown)) {
        ev.preventDefault();
        panning = { x: ev.clientX, y: ev.clientY, panX: ui.panX, panY: ui.panY };
        stage.classList.add("fc-panning");
        return;
      }
      if (ev.button !== 0 && ev.button !== 2) return;
      ev.preventDefault();
      var p = clientToImage(ev.clientX, ev.clientY);
      addClick(p[0], p[1], ev.button === 2 || ev.shiftKey);
    });
    global.addEventListener("mousemove", function (ev) {
      if (!panning) return;
      ui.panX = panning.panX + ev.clientX - panning.x; ui.panY = panning.panY + ev.clientY - panning.y;
      ui.fitted = false; draw();
    });
    global.addEventListener("mouseup", function () { if (panning) { panning = null; if (!spaceDown) stage.classList.remove("fc-panning"); } });
    canvas.addEventListener("auxclick", function (ev) { ev.preventDefault(); });
    canvas.addEventListener("contextmenu", function (ev) { ev.preventDefault(); });
    canvas.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      var r = canvas.getBoundingClientRect();
      setZoom(ui.zoom * Math.pow(1.0015, -ev.deltaY), ev.clientX - r.left, ev.clientY - r.top);
    }, { passive: false });

    bUndo.onclick = undo; bRedo.onclick = redo; bClear.onclick = clearObject; bNextObj.onclick = nextObject;
    bZoomIn.onclick = function () { setZoom(ui.zoom * 1.25); };
    bZoomOut.onclick = function () { setZoom(ui.zoom / 1.25); };
    bFit.onclick = fit;
    bHelp.onclick = function () { help.style.display = ""; bHelpClose.focus(); };
    bHelpClose.onclick = function () { help.style.display = "none"; stage.focus(); };
    help.addEventListener("click", function (ev) { if (ev.target === help) bHelpClose.onclick(); });
    bRetry.onclick = retry;
    bDismiss.onclick = function () { showError(null); };
    Object.keys(viewButtons).forEach(function (v) { viewButtons[v].onclick = function () { setView(v); }; });
    opacity.oninput = function () { ui.opacity = Number(opacity.value) / 100; if (ui.view !== "mask") setView("mask"); else draw(); };
    labelSel.onchange = function () { setLabel(labelSel.value); };

    if (workspace) {
      fileInput.onchange = function () { addFiles(fileInput.files).then(function () { fileInput.value = ""; }); };
      bUrl.onclick = function () { if (addUrl(urlInput.value)) urlInput.value = ""; };
      urlInput.addEventListener("keydown", function (ev) { if (ev.key === "Enter") bUrl.onclick(); });
      bPrev.onclick = function () { show(ui.index - 1); };
      bNext.onclick = function () { show(ui.index + 1); };
      bCoco.onclick = function () {
        var mode = exportMode.value;
        download("fewclick-coco-" + mode + ".json", new Blob([JSON.stringify(exportCOCO(mode))], { type: "application/json" }));
      };
      bPng.onclick = function () {
        exportPNGs().forEach(function (f, i) {
          setTimeout(function () { fetch(f.dataUrl).then(function (r) { return r.blob(); }).then(function (b) { download(f.name, b); }); }, i * 250);
        });
      };
      var depth = 0;
      root.addEventListener("dragenter", function (ev) { ev.preventDefault(); depth++; root.classList.add("fc-dragging"); });
      root.addEventListener("dragover", function (ev) { ev.preventDefault(); });
      root.addEventListener("dragleave", function () { if (--depth <= 0) { depth = 0; root.classList.remove("fc-dragging"); } });
      root.addEventListener("drop", function (ev) {
        ev.preventDefault(); depth = 0; root.classList.remove("fc-dragging");
        var dt = ev.dataTransfer;
        if (dt.files && dt.files.length) addFiles(dt.files);
        else { var u = dt.getData("text/uri-list") || dt.getData("text/plain"); if (u) addUrl(u.split("\n")[0]); }
      });
      document.addEventListener("paste", function (ev) {
        if (ev.target && /INPUT|TEXTAREA/.test(ev.target.tagName)) return;
        var files = [];
        Array.prototype.forEach.call(ev.clipboardData ? ev.clipboardData.items : [], function (i) {
          if (i.kind === "file") { var f = i.getAsFile(); if (f) files.push(f); }
        });
        if (files.length) { ev.preventDefault(); addFiles(files); }
        else {
          var text = ev.clipboardData && ev.clipboardData.getData("text/plain");
          if (text && /^https?:\/\//i.test(text.trim())) { ev.preventDefault(); addUrl(text); }
        }
      });
    }

    document.addEventListener("keydown", function (ev) {
      if (ev.target && /INPUT|TEXTAREA|SELECT/.test(ev.target.tagName) && ev.target.type !== "range") return;
      if (ev.target && ev.target.tagName === "BUTTON" && (ev.key === "Enter" || ev.key === " ")) return;
      if (help.style.display !== "none") { if (ev.key === "Escape" || ev.key === "?") bHelpClose.onclick(); return; }
      var k = ev.key, mod = ev.ctrlKey || ev.metaKey;
      if (k === " ") { if (!spaceDown) { spaceDown = true; stage.classList.add("fc-panning"); } ev.preventDefault(); return; }
      if (mod && (k === "z" || k === "Z")) { ev.preventDefault(); if (ev.shiftKey) redo(); else undo(); return; }
      if (mod && k === "y") { ev.preventDefault(); redo(); return; }
      if (mod || ev.altKey) return;
      var handled = true;
      if (k === "z") undo(); else if (k === "y") redo();
      else if (k === "n" || k === "Enter") nextObject(); else if (k === "c" || k === "Escape") clearObject();
      else if (k === "a") acceptHint(); else if (k === "r") retry();
      else if (k === "m") setView(ui.view === "mask" ? "outline" : (ui.view === "outline" ? "none" : "mask"));
      else if (k === "[" || k === "]") { ui.opacity = Math.max(0, Math.min(1, ui.opacity + (k === "]" ? 0.1 : -0.1))); opacity.value = String(Math.round(ui.opacity * 100)); draw(); }
      else if (k === "+" || k === "=") setZoom(ui.zoom * 1.25);
      else if (k === "-" || k === "_") setZoom(ui.zoom / 1.25);
      else if (k === "0") fit();
      else if (k === "?" || k === "h") bHelp.onclick();
      else if (workspace && k === "ArrowLeft") show(ui.index - 1);
      else if (workspace && k === "ArrowRight") show(ui.index + 1);
      else if (/^[1-9]$/.test(k) && labels[Number(k) - 1]) setLabel(labels[Number(k) - 1]);
      else handled = false;
      if (handled) ev.preventDefault();
    });
    document.addEventListener("keyup", function (ev) {
      if (ev.key === " ") { spaceDown = false; if (!panning) stage.classList.remove("fc-panning"); }
    });
    if (global.ResizeObserver) new ResizeObserver(resize).observe(stage); else global.addEventListener("resize", resize);

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
      var bSubmit = button("fc-submit", "Submit", "Show the answer document Ground Truth would receive");
      var pre = el("pre", { id: "fc-output" });
      bSubmit.onclick = function () {
        var out = buildOutput();
        var shown = JSON.parse(JSON.stringify(out));
        var k = Object.keys(shown)[0];
        shown[k].labeledImage.pngImageData = shown[k].labeledImage.pngImageData.slice(0, 40) + "…";
        pre.textContent = JSON.stringify(shown, null, 2);
      };
      var submitGroup = el("div", { "class": "fc-statusbar" });
      submitGroup.appendChild(bSubmit); submitGroup.appendChild(pre);
      root.appendChild(submitGroup);
    }

    // First image: the task's (Ground Truth: the presigned URL, fetched as bytes for the API, displayed
    // with the EXIF orientation applied by the browser, as the gateway does); in the workspace the
    // generated samples queue behind it as first-run examples.
    updateStatus(); resize();
    var first = config.imageUrl ? addBytesFromUrl(baseName(config.imageUrl) || "image", config.imageUrl, true) : Promise.resolve();
    if (workspace && config.samplesUrl) {
      first.then(function () { return fetch(config.samplesUrl); }).then(function (res) { return res.ok ? res.json() : { samples: [] }; })
        .then(function (index) {
          (index.samples || []).forEach(function (s) {
            var same = ui.items.filter(function (it) { return it.originUrl === s.url; })[0];
            if (same) { same.name = s.name + ".png"; return; }
            addItem(s.name + ".png", null, s.url, false);
          });
          updateStatus();
        }).catch(function () { /* examples are optional */ });
    }

    var api = {
      state: ui, buildOutput: buildOutput, undo: undo, redo: redo, clear: clearObject, next: nextObject,
      deleteObject: deleteObject, acceptHint: acceptHint, exportCOCO: exportCOCO, exportPNGs: exportPNGs,
      setZoom: setZoom, fit: fit, imageToClient: imageToClient, clientToImage: clientToImage, show: show,
      addUrl: addUrl, current: current, item: item,
      /** Replaces the bearer token; `renew: false` stops fetching fresh demo tokens. */
      setToken: function (t, opts) {
        ui.token = t; ui.tokenExpires = t ? Infinity : 0;
        if (opts && opts.renew !== undefined) ui.autoRenew = !!opts.renew && !!config.tokenUrl;
      },
    };
    global.fewclick = api;
    return api;
  }

  global.FewClickUI = { mount: mount, decodeRLE: decodeRLE, describeError: describeError };
})(window);
