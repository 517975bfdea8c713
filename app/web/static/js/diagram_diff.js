/* Two versions of a process side by side (bpmn-js NavigatedViewer): the elements the server's diff names are
   marked added (green), removed (red) or changed (orange) on the diagram they belong to. */
(function () {
  "use strict";
  if (!window.BpmnJS) { return; }
  document.querySelectorAll("[data-diff-diagram]").forEach(function (box) {
    var markers = {};
    try { markers = JSON.parse(box.getAttribute("data-markers") || "{}"); } catch (e) { markers = {}; }
    var viewer = new window.BpmnJS({ container: box });
    fetch(box.getAttribute("data-diagram-url"), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        var canvas = viewer.get("canvas");
        var registry = viewer.get("elementRegistry");
        Object.keys(markers).forEach(function (kind) {
          (markers[kind] || []).forEach(function (id) {
            if (registry.get(id)) { canvas.addMarker(id, "hotich-" + kind); }
          });
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
  });
})();
