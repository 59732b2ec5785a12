"""The stepper page's styles, script and HTML skeleton (``engine.display.stepper.stepper_page``
fills it in). The script rebuilds the frame on show from the parts the page stores (the first
frame's, then each frame's changed parts) and handles the buttons, the slider, the keys and the zoom.
"""

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 0; color: #222; }
header { padding: 8px 14px; background: #f4f4f4; border-bottom: 1px solid #ddd; }
h1 { font-size: 18px; margin: 0 0 6px 0; }
#controls { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
#controls button { font-size: 15px; padding: 3px 10px; }
#slider { flex: 1 1 300px; }
#step-number { font-weight: bold; min-width: 8em; }
main { display: flex; gap: 12px; padding: 10px 14px; height: calc(100vh - 110px); box-sizing: border-box; }
#picture { flex: 1 1 auto; min-width: 0; overflow: auto; border: 1px solid #ddd; }
#picture svg { display: block; }
#zoom { display: inline-flex; gap: 4px; align-items: center; }
#zoom button { font-size: 13px; padding: 2px 8px; }
#zoom-level { min-width: 6.5em; font-size: 13px; color: #444; }
#side { flex: 0 0 460px; min-width: 0; display: flex; flex-direction: column; min-height: 0; }
/* a narrow page (a notebook's output area): the picture takes the whole width, the step below it */
@media (max-width: 1100px) {
  main { flex-direction: column; height: auto; }
  #picture { flex: none; height: 58vh; }
  #side { flex: none; }
  #table-wrap { max-height: 40vh; }
}
#table-wrap { flex: 1 1 auto; overflow: auto; min-height: 0; }
#current { flex: 0 0 auto; border: 2px solid #d62728; border-radius: 6px; padding: 6px 10px; margin-bottom: 10px; font-size: 14px; }
#current dl { display: grid; grid-template-columns: auto 1fr; gap: 2px 10px; margin: 6px 0; }
#current dt { color: #666; } #current dd { margin: 0; font-family: ui-monospace, Menlo, Consolas, monospace; }
table { border-collapse: collapse; font-size: 12px; }
td, th { border: 1px solid #ddd; padding: 2px 6px; vertical-align: top; }
td.num { text-align: right; font-family: ui-monospace, Menlo, Consolas, monospace; }
#steps-table tbody { cursor: pointer; }
#steps-table tbody.current { background: #ffe9e9; outline: 2px solid #d62728; }
.key { font-size: 12px; color: #555; margin-top: 10px; }
"""

JS = """
(function () {
  "use strict";
  var info = JSON.parse(document.getElementById("steps-data").textContent);
  // the pictures: frame 0's SVG in parts, then each frame's changed parts (engine/display/stepper.py)
  var pictures = JSON.parse(document.getElementById("frames-data").textContent);
  var parts = pictures.base.slice(), at = 0;
  function partsOf(k) {
    if (k < at) { parts = pictures.base.slice(); at = 0; }
    for (; at < k; at++) {
      pictures.changes[at].forEach(function (change) {
        parts[change[0]] = change.length > 1 ? change[1] : pictures.base[change[0]];
      });
    }
    return parts;
  }
  function draw(k) {  // only the frame on show is in the document
    document.getElementById("frame-" + k).innerHTML =
      partsOf(k).join("").replace(/(id="|url\\(#|href="#)f@_/g, "$1f" + k + "_");
  }
  draw(0);
  var last = info.length - 1;
  var current = 0;
  var slider = document.getElementById("slider");
  var picture = document.getElementById("picture");
  // Zoom: "fit" scales the picture down to the width of its box, but never below LEGIBLE (Graphviz's
  // 12-point text stays about 10 pixels high; a wider picture scrolls, following the current node)
  // and never above full size; − and + change the scale by steps from there.
  var LEGIBLE = 0.6, STEP = 1.25, SMALLEST = 0.25, LARGEST = 4;
  var zoom = null;  // null: fit the width
  function shownSvg() { return document.querySelector("#frame-" + current + " svg"); }
  function fitScale(svg) {
    return Math.max(LEGIBLE, Math.min(1, (picture.clientWidth - 2) / svg.width.baseVal.value));
  }
  function applyZoom() {
    var svg = shownSvg();
    if (!svg) { return; }
    var scale = zoom === null ? fitScale(svg) : zoom;
    svg.style.width = (svg.width.baseVal.value * scale) + "px";
    svg.style.height = (svg.height.baseVal.value * scale) + "px";
    var level = document.getElementById("zoom-level");
    level.textContent = Math.round(scale * 100) + "%" + (zoom === null ? " (fit)" : "");
    level.setAttribute("data-scale", String(scale));
  }
  function zoomBy(factor) {
    var svg = shownSvg();
    var scale = zoom === null ? (svg ? fitScale(svg) : 1) : zoom;
    zoom = Math.max(SMALLEST, Math.min(LARGEST, scale * factor));
    applyZoom();
    scrollToNode();
  }
  function keepInView(box, element, centre) {  // scrolls box only: never the notebook around the frame
    var b = box.getBoundingClientRect();
    var r = element.getBoundingClientRect ? element.getBoundingClientRect() : element;
    if (centre ? (r.left < b.left || r.right > b.right) : false) {
      box.scrollLeft += (r.left + r.right) / 2 - (b.left + b.right) / 2;
    }
    if (r.top < b.top || r.bottom > b.bottom) {
      box.scrollTop += centre ? (r.top + r.bottom) / 2 - (b.top + b.bottom) / 2
                              : (r.top < b.top ? r.top - b.top : r.bottom - b.bottom);
    }
  }
  function text(id, value) { document.getElementById(id).textContent = value; }
  function show(k) {
    k = Math.max(0, Math.min(last, k));
    document.getElementById("frame-" + current).hidden = true;
    if (k !== current) {
      document.getElementById("frame-" + current).innerHTML = "";
      draw(k);
    }
    document.getElementById("row-" + current).classList.remove("current");
    current = k;
    document.getElementById("frame-" + k).hidden = false;
    var row = document.getElementById("row-" + k);
    row.classList.add("current");
    keepInView(document.getElementById("table-wrap"), row, false);
    applyZoom();
    var r = info[k];
    slider.value = String(k);
    var label = document.getElementById("step-number");
    label.textContent = k === 0 ? "Start (step 0 of " + last + ")" : "Step " + k + " of " + last;
    label.setAttribute("data-step", String(k));
    text("caption", r.caption);
    text("current-node", r.node);
    text("current-op", r.op);
    text("current-data", r.data);
    text("current-grad", r.grad);
    document.getElementById("current-grad").setAttribute("data-exact", r.grad_exact);
    text("current-note", r.note);
    var body = document.getElementById("current-inputs");
    while (body.firstChild) { body.removeChild(body.firstChild); }
    r.inputs.forEach(function (inp) {
      var tr = document.createElement("tr");
      [inp.input, inp.local, inp.amount, inp.before, inp.after].forEach(function (value, i) {
        var td = document.createElement("td");
        td.textContent = value;
        if (i > 0) { td.className = "num"; }
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    document.getElementById("prev").disabled = k === 0;
    document.getElementById("first").disabled = k === 0;
    document.getElementById("next").disabled = k === last;
    document.getElementById("last").disabled = k === last;
    try {  // the address remembers the step; inside a notebook's iframe (about:srcdoc) it cannot
      if (location.protocol !== "about:" && history.replaceState) { history.replaceState(null, "", "#step-" + k); }
    } catch (err) { /* a page without an address of its own: nothing to remember */ }
    scrollToNode();
  }
  function scrollToNode() {  // keep the step in sight when the picture scrolls: the node, its
    // operation and the edges from its inputs (or the node alone, if they do not fit together)
    var prefix = "f" + current + "_" + info[current].node_id;
    var node = document.getElementById(prefix);
    if (!node) { return; }
    var parts = [node, document.getElementById(prefix + "_op")].concat(
      Array.prototype.slice.call(document.querySelectorAll('[id^="' + prefix + '_in"]')));
    var box = picture.getBoundingClientRect(), all = null;
    parts.forEach(function (p) {
      if (!p) { return; }
      var r = p.getBoundingClientRect();
      all = all ? {left: Math.min(all.left, r.left), right: Math.max(all.right, r.right),
                   top: Math.min(all.top, r.top), bottom: Math.max(all.bottom, r.bottom)} : r;
    });
    var fits = all.right - all.left <= box.width && all.bottom - all.top <= box.height;
    keepInView(picture, fits ? all : node, true);
  }
  document.getElementById("prev").addEventListener("click", function () { show(current - 1); });
  document.getElementById("next").addEventListener("click", function () { show(current + 1); });
  document.getElementById("first").addEventListener("click", function () { show(0); });
  document.getElementById("last").addEventListener("click", function () { show(last); });
  document.getElementById("zoom-in").addEventListener("click", function () { zoomBy(STEP); });
  document.getElementById("zoom-out").addEventListener("click", function () { zoomBy(1 / STEP); });
  document.getElementById("zoom-fit").addEventListener("click", function () {
    zoom = null;
    applyZoom();
    scrollToNode();
  });
  window.addEventListener("resize", function () { if (zoom === null) { applyZoom(); } });
  slider.addEventListener("input", function () { show(parseInt(slider.value, 10)); });
  document.addEventListener("keydown", function (e) {
    // the slider moves itself with the arrows (its input event follows)
    if (e.target.tagName === "INPUT" || e.altKey || e.ctrlKey || e.metaKey) { return; }
    if (e.key === "ArrowRight" || e.key === "ArrowDown") { show(current + 1); }
    else if (e.key === "ArrowLeft" || e.key === "ArrowUp") { show(current - 1); }
    else if (e.key === "Home") { show(0); }
    else if (e.key === "End") { show(last); }
    else if (e.key === "+" || e.key === "=") { zoomBy(STEP); }
    else if (e.key === "-") { zoomBy(1 / STEP); }
    else if (e.key === "0") { document.getElementById("zoom-fit").click(); }
    else { return; }
    e.preventDefault();
  });
  Array.prototype.forEach.call(document.querySelectorAll("#steps-table tbody"), function (tb) {
    tb.addEventListener("click", function () { show(parseInt(tb.getAttribute("data-step"), 10)); });
  });
  var m = /^#step-(\\d+)$/.exec(location.hash);
  show(m ? parseInt(m[1], 10) : 0);
})();
"""

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<header>
<h1 id="title">{title}</h1>
<div id="controls">
<button id="first" title="first frame (Home)">« first</button>
<button id="prev" title="previous step (←)">◀ previous</button>
<button id="next" title="next step (→)">next ▶</button>
<button id="last" title="last step (End)">last »</button>
<input id="slider" type="range" min="0" max="{last}" value="0" step="1" aria-label="step">
<span id="step-number" data-step="0">Start</span>
<span id="zoom"><button id="zoom-out" title="smaller (−)">−</button><button id="zoom-in" title="larger (+)">+</button><button id="zoom-fit" title="fit the width, text kept legible (0)">fit</button><span id="zoom-level" data-scale="1"></span></span>
</div>
</header>
<main>
<div id="picture">
{frames}
</div>
<div id="side">
<div id="current">
<div id="caption"></div>
<dl>
<dt>node</dt><dd id="current-node"></dd>
<dt>op</dt><dd id="current-op"></dd>
<dt>data</dt><dd id="current-data"></dd>
<dt>grad</dt><dd id="current-grad" data-exact=""></dd>
<dt>note</dt><dd id="current-note"></dd>
</dl>
<table><thead><tr><th>input</th><th>∂node/∂input</th><th>grad × ∂ (added)</th><th>input grad before</th>
<th>after</th></tr></thead><tbody id="current-inputs"></tbody></table>
</div>
<div id="table-wrap">
{table}
</div>
<p class="key">Red: the node being processed and the edges its step uses (labelled with the local derivative
∂ and the amount added). Orange: the inputs whose gradients just changed. A blank grad has not been
reached yet; "g + …" is a partial sum that more paths will add to. Keys: ← → (or the slider), Home, End;
zoom: − + 0.</p>
</div>
</main>
<script type="application/json" id="steps-data">{data}</script>
<script type="application/json" id="frames-data">{pictures}</script>
<script>{js}</script>
</body>
</html>
"""
