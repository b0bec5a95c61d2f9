/* epaper page zoom (数字报 版面缩放): zoom and pan the page image with pinch, double-tap, the buttons or the
   keyboard (+, -, 0). The sheet (image and its SVG link areas) is widened inside a scroll box, so panning is
   native scrolling and the areas stay links at every zoom. Past the 2x image's sharpness the zoom image
   (data-zoom-src) is loaded, once. Without this script the page is a plain image with links on it.
   No dependencies; nothing is fetched but the zoom image. */
(function () {
  "use strict";
  var box = document.querySelector(".sheet-scroll");
  var sheet = box && box.querySelector(".sheet");
  var img = sheet && sheet.querySelector(".sheet-image");
  if (!img) return;
  var bar = document.querySelector(".zoom-bar");
  var level = bar && bar.querySelector(".zoom-level");
  var textPx = Number(sheet.getAttribute("data-text-px")) || 0;  // sheet width (CSS px) where body text is 12 px
  var hidpiPx = Number(sheet.getAttribute("data-hidpi-px")) || 0;
  var zoomSrc = sheet.getAttribute("data-zoom-src");
  var scale = 1;
  var STEP = 1.5;
  var TAP_MS = 300, TAP_SLOP = 24;

  function fitWidth() { return box.clientWidth; }
  // The zoom where body text is 12 CSS px (and the zoom image gives exactly 2 image px per CSS px).
  function textScale() { return textPx / fitWidth(); }
  // One step in: 1.5 times, but stopping at the 12 px zoom on the way past it.
  function stepIn(s) {
    var next = s * STEP, t = textScale();
    return s < t * 0.999 && next > t ? t : next;
  }
  // At most 1.5 times the width where body text reaches 12 CSS px, and never less than twice the fit.
  function maxScale() { return Math.max(2, (textPx * 1.5) / fitWidth()); }

  var zooming = false;
  function loadZoomImage() {
    if (!zoomSrc || zooming) return;
    zooming = true;
    // A new element rather than a new src (or a clone): an <img> chosen from srcset keeps that choice's density.
    var big = document.createElement("img");
    ["class", "alt", "width", "height"].forEach(function (name) { big.setAttribute(name, img.getAttribute(name)); });
    big.setAttribute("data-zoomed", "1");
    big.onload = function () { img.replaceWith(big); img = big; };  // swapped when loaded: never blank
    big.src = zoomSrc;
  }

  // Zoom to s, keeping the point (x, y) of the box's viewport (default: its centre) where it is.
  function zoomTo(s, x, y) {
    s = Math.min(maxScale(), Math.max(1, s));
    var w = fitWidth();
    if (x === undefined) { x = box.clientWidth / 2; y = box.clientHeight / 2; }
    var fx = (box.scrollLeft + x) / (w * scale);
    var fy = (box.scrollTop + y) / sheet.offsetHeight;
    scale = s;
    sheet.style.width = s > 1 ? (w * s) + "px" : "";
    box.classList.toggle("zoomed", s > 1);
    box.scrollLeft = fx * w * s - x;
    box.scrollTop = fy * sheet.offsetHeight - y;
    if (level) level.textContent = Math.round(s * 100) + "%";
    // the 2x image gives 2 image px per CSS px up to half its width: beyond that, the zoom image
    if (w * s * 2 > hidpiPx) loadZoomImage();
  }

  box.classList.add("js-zoom");
  if (bar) {
    bar.hidden = false;
    bar.addEventListener("click", function (e) {
      var b = e.target.closest("button");
      if (!b) return;
      var what = b.getAttribute("data-zoom");
      zoomTo(what === "in" ? stepIn(scale) : what === "out" ? scale / STEP : 1);
    });
  }
  var hint = document.querySelector(".zoom-hint");
  if (hint) hint.hidden = false;

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA")) return;
    if (e.key === "+" || e.key === "=") { zoomTo(stepIn(scale)); e.preventDefault(); }
    else if (e.key === "-") { zoomTo(scale / STEP); e.preventDefault(); }
    else if (e.key === "0") { zoomTo(1); e.preventDefault(); }
  });

  // Pinch: two touch pointers; their distance scales the sheet around their midpoint.
  var pointers = {};
  var pinch = null;
  function local(e) {
    var r = box.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }
  function pair() {
    var ids = Object.keys(pointers);
    if (ids.length !== 2) return null;
    var a = pointers[ids[0]], b = pointers[ids[1]];
    return { d: Math.hypot(a.x - b.x, a.y - b.y) || 1, x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
  }
  box.addEventListener("pointerdown", function (e) {
    if (e.pointerType !== "touch") return;
    pointers[e.pointerId] = local(e);
    var p = pair();
    if (p) pinch = { d: p.d, scale: scale };
  });
  box.addEventListener("pointermove", function (e) {
    if (!(e.pointerId in pointers)) return;
    pointers[e.pointerId] = local(e);
    var p = pair();
    if (pinch && p) zoomTo(pinch.scale * p.d / pinch.d, p.x, p.y);
  });
  function lift(e) {
    delete pointers[e.pointerId];
    if (Object.keys(pointers).length < 2) pinch = null;
  }
  box.addEventListener("pointerup", lift);
  box.addEventListener("pointercancel", lift);

  // Double-tap zooms in (or back to fit at the largest zoom). A single tap on an area follows its link after
  // TAP_MS, unless a second tap comes first; a mouse click or Enter follows it at once.
  var lastTap = null, pending = null;
  box.addEventListener("click", function (e) {
    var touch = e.pointerType === "touch" || (e.sourceCapabilities && e.sourceCapabilities.firesTouchEvents);
    if (!touch || e.detail === 0) return;
    var here = local(e), now = Date.now();
    var link = e.target.closest && e.target.closest("a");
    if (lastTap && now - lastTap.t < TAP_MS && Math.hypot(here.x - lastTap.x, here.y - lastTap.y) < TAP_SLOP) {
      e.preventDefault();
      if (pending) { clearTimeout(pending); pending = null; }
      lastTap = null;
      zoomTo(scale >= maxScale() * 0.99 ? 1 : scale * 2, here.x, here.y);
      return;
    }
    lastTap = { t: now, x: here.x, y: here.y };
    if (link) {
      e.preventDefault();
      var href = link.getAttribute("href");
      pending = setTimeout(function () { pending = null; window.location.href = href; }, TAP_MS);
    }
  });

  window.addEventListener("resize", function () { if (scale > 1) zoomTo(scale); });
})();
