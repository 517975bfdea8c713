/* The process diagram (bpmn-js NavigatedViewer, served from /static/vendor — no CDN): steps already done
   and the current step are marked with CSS classes (hotich-done, hotich-active). */
(function () {
  "use strict";
  var box = document.getElementById("diagram");
  if (!box || !window.BpmnJS) { return; }
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
})();
