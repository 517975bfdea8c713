/* Process diagrams (bpmn-js NavigatedViewer, served from /static/vendor — no CDN), one per element with
   data-diagram-url and data-markers: steps already done and the current step are marked hotich-done and
   hotich-active; any other kind of marker ("added", "removed", "changed" on the version diff) marks its
   elements hotich-<kind>. */
(function () {
  "use strict";
  if (!window.BpmnJS) { return; }
  document.querySelectorAll("[data-diagram-url][data-markers]").forEach(show);

  function show(box) {
    var markers = {};
    try { markers = JSON.parse(box.getAttribute("data-markers") || "{}"); } catch (e) { markers = {}; }
    var viewer = new window.BpmnJS({ container: box });
    fetch(box.getAttribute("data-diagram-url"), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        var canvas = viewer.get("canvas");
        var registry = viewer.get("elementRegistry");
        (markers.completed || []).forEach(function (id) {
          if (registry.get(id)) { canvas.addMarker(id, "hotich-done"); }
        });
        registry.filter(function (el) {
          return el.type === "bpmn:SequenceFlow" && el.source && el.target &&
            (markers.completed || []).indexOf(el.source.id) >= 0 &&
            ((markers.completed || []).indexOf(el.target.id) >= 0 || (markers.active || []).indexOf(el.target.id) >= 0);
        }).forEach(function (flow) { canvas.addMarker(flow.id, "hotich-done"); });
        (markers.active || []).forEach(function (id) {
          if (registry.get(id)) { canvas.addMarker(id, "hotich-active"); }
        });
        Object.keys(markers).forEach(function (kind) {
          if (kind === "completed" || kind === "active") { return; }
          (markers[kind] || []).forEach(function (id) {
            if (registry.get(id)) { canvas.addMarker(id, "hotich-" + kind); }
          });
        });
        // citizens' feedback per element (analysts): a badge with the count, linking to those feedback items
        var feedback = {};
        try { feedback = JSON.parse(box.getAttribute("data-feedback") || "{}"); } catch (e) { feedback = {}; }
        var overlays = viewer.get("overlays");
        Object.keys(feedback).forEach(function (id) {
          if (!registry.get(id)) { return; }
          var badge = document.createElement("a");
          badge.className = "hotich-feedback-badge";
          badge.href = box.getAttribute("data-feedback-url") + "?element_id=" + encodeURIComponent(id);
          badge.textContent = String(feedback[id]);
          badge.title = (document.documentElement.lang === "en" ? "Feedback: " : "Phản ánh: ") + feedback[id];
          overlays.add(id, "hotich-feedback", { position: { top: -12, right: 12 }, scale: { min: 1 }, html: badge });
        });
        canvas.zoom("fit-viewport", "auto");
        box.setAttribute("data-rendered", "1");
      })
      .catch(function () {
        var p = document.createElement("p");
        p.className = "diagram-error";
        p.textContent = document.documentElement.lang === "en" ? "The diagram could not be shown." : "Không hiển thị được sơ đồ.";
        box.appendChild(p);
      });
  }
})();
