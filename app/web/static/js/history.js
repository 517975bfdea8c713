/* The history page's replay on the dossier's own diagram (bpmn-js NavigatedViewer from /static/vendor).
   Without JavaScript the step control is a plain GET form with ?upto= links; with it, the slider and the
   prev/next links load the chosen step in place: the state panel is swapped from the server's page for that
   step, the diagram keeps its zoom and only its markers change. Markers: hotich-done (executed path),
   hotich-active (tokens), hotich-late (a step done after its deadline); an overlay "×n" counts the passes
   of an element a loop went through more than once. No inline script (CSP). */
(function () {
  "use strict";
  var box = document.getElementById("diagram");
  var live = document.getElementById("history-live");
  if (!box || !live || !window.BpmnJS) { return; }
  var viewer = new window.BpmnJS({ container: box });
  var canvas = null;
  var registry = null;
  var overlays = null;
  var marked = [];

  function parse(el) {
    try { return JSON.parse(el.getAttribute("data-markers") || "{}"); } catch (e) { return {}; }
  }

  function mark(id, cls) {
    if (registry.get(id)) { canvas.addMarker(id, cls); marked.push([id, cls]); }
  }

  function apply(markers) {
    if (!canvas) { return; }
    marked.forEach(function (m) { canvas.removeMarker(m[0], m[1]); });
    marked = [];
    overlays.remove({ type: "hotich-passes" });
    var done = markers.completed || [];
    var active = markers.active || [];
    done.forEach(function (id) { mark(id, "hotich-done"); });
    registry.filter(function (el) {
      return el.type === "bpmn:SequenceFlow" && el.source && el.target && done.indexOf(el.source.id) >= 0 &&
        (done.indexOf(el.target.id) >= 0 || active.indexOf(el.target.id) >= 0);
    }).forEach(function (flow) { mark(flow.id, "hotich-done"); });
    active.forEach(function (id) { mark(id, "hotich-active"); });
    (markers.late || []).forEach(function (id) { mark(id, "hotich-late"); });
    var passes = markers.passes || {};
    Object.keys(passes).forEach(function (id) {
      if (!registry.get(id)) { return; }
      var badge = document.createElement("span");
      badge.className = "hotich-passes";
      badge.textContent = "×" + passes[id];
      badge.title = (document.documentElement.lang === "en" ? "passes: " : "số lượt: ") + passes[id];
      overlays.add(id, "hotich-passes", { position: { top: -12, right: 12 }, html: badge });
    });
    box.setAttribute("data-upto", String(markers.upto || ""));
  }

  function current() {
    var now = document.getElementById("step-now");
    return now ? now.getAttribute("data-upto") : "";
  }

  function load(url) {
    live.setAttribute("aria-busy", "true");
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.text(); })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html");
        var fresh = next.getElementById("history-live");
        var freshBox = next.getElementById("diagram");
        if (!fresh || !freshBox) { throw new Error("no state"); }
        // keep the rendered diagram: move it into the new panel before swapping
        var slot = fresh.querySelector("#diagram");
        slot.parentNode.replaceChild(box, slot);
        box.setAttribute("data-markers", freshBox.getAttribute("data-markers"));
        box.setAttribute("aria-label", freshBox.getAttribute("aria-label"));
        live.parentNode.replaceChild(fresh, live);
        live = fresh;
        var markers = parse(box);
        markers.upto = current();
        // a migration moved the dossier to another version at this step: show that version's diagram
        var diagramUrl = freshBox.getAttribute("data-diagram-url");
        var same = diagramUrl === box.getAttribute("data-diagram-url");
        box.setAttribute("data-diagram-url", diagramUrl);
        return (same ? Promise.resolve() : show(diagramUrl)).then(function () { apply(markers); });
      })
      .then(function () {
        document.querySelectorAll(".history-table tr.is-current").forEach(function (tr) { tr.classList.remove("is-current"); });
        var row = document.getElementById("event-" + current());
        if (row) { row.classList.add("is-current"); }
        window.history.replaceState(null, "", url);
        bind();
      })
      .catch(function () { window.location.href = url; });
  }

  function stepUrl(upto) {
    var form = document.getElementById("step-control");
    var params = new URLSearchParams(new FormData(form));
    params.set("upto", String(upto));
    return form.getAttribute("action") + "?" + params.toString();
  }

  function bind() {
    var form = document.getElementById("step-control");
    if (!form) { return; }
    var slider = document.getElementById("upto");
    var out = document.getElementById("upto-value");
    var last = form.getAttribute("data-last");
    slider.addEventListener("input", function () { out.textContent = slider.value + " / " + last; });
    slider.addEventListener("change", function () { load(stepUrl(slider.value)); });
    form.addEventListener("submit", function (event) { event.preventDefault(); load(stepUrl(slider.value)); });
    ["step-prev", "step-next"].forEach(function (id) {
      var link = document.getElementById(id);
      if (link) {
        link.addEventListener("click", function (event) { event.preventDefault(); load(link.href); });
      }
    });
  }

  function show(url) {
    return fetch(url, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        canvas = viewer.get("canvas");
        registry = viewer.get("elementRegistry");
        overlays = viewer.get("overlays");
        marked = [];
        canvas.zoom("fit-viewport", "auto");
      });
  }

  show(box.getAttribute("data-diagram-url"))
    .then(function () {
      var markers = parse(box);
      markers.upto = current();
      apply(markers);
      box.setAttribute("data-rendered", "1");
      bind();
    })
    .catch(function () {
      var p = document.createElement("p");
      p.className = "diagram-error";
      p.textContent = document.documentElement.lang === "en" ? "The diagram could not be shown." : "Không hiển thị được sơ đồ.";
      box.appendChild(p);
    });
})();
