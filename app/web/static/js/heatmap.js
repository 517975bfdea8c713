/* The process heat map: per BPMN element, dossiers passed · median wait · share late, as overlays on the
   diagram (bpmn-js NavigatedViewer from /static/vendor); the element is shaded by its median wait relative
   to the slowest one (hotich-heat-0 … 4). The same figures are in the table below for reading without JS. */
(function () {
  "use strict";
  var box = document.getElementById("diagram");
  if (!box || !window.BpmnJS) { return; }
  var heat = {};
  try { heat = JSON.parse(box.getAttribute("data-heat") || "{}"); } catch (e) { heat = {}; }
  var en = document.documentElement.lang === "en";

  function wait(minutes) {
    var m = Math.round(minutes);
    var d = Math.floor(m / 480); m -= d * 480;
    var h = Math.floor(m / 60); m -= h * 60;
    var parts = [];
    if (d) { parts.push(d + (en ? " d" : " ngày")); }
    if (h) { parts.push(h + (en ? " h" : " giờ")); }
    if (m || !parts.length) { parts.push(m + (en ? " min" : " phút")); }
    return parts.join(" ");
  }

  var viewer = new window.BpmnJS({ container: box });
  fetch(box.getAttribute("data-diagram-url"), { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      var overlays = viewer.get("overlays");
      var max = 0;
      Object.keys(heat).forEach(function (id) { max = Math.max(max, heat[id].median_wait_minutes || 0); });
      Object.keys(heat).forEach(function (id) {
        if (!registry.get(id)) { return; }
        var h = heat[id];
        var level = max > 0 ? Math.min(4, Math.floor(5 * (h.median_wait_minutes || 0) / (max + 1e-9))) : 0;
        canvas.addMarker(id, "hotich-heat-" + level);
        var label = document.createElement("span");
        label.className = "hotich-heat";
        label.setAttribute("data-element", id);
        label.textContent = h.dossiers + (en ? " dossiers · " : " hồ sơ · ") + wait(h.median_wait_minutes || 0) +
          (h.late_share === null || h.late_share === undefined ? "" : " · " + Math.round(h.late_share * 100) + (en ? "% late" : "% trễ"));
        overlays.add(id, "hotich-heat", { position: { bottom: 4, left: 0 }, html: label });
      });
      canvas.zoom("fit-viewport", "auto");
      box.setAttribute("data-rendered", "1");
    })
    .catch(function () {
      var p = document.createElement("p");
      p.className = "diagram-error";
      p.textContent = en ? "The diagram could not be shown." : "Không hiển thị được sơ đồ.";
      box.appendChild(p);
    });
})();
