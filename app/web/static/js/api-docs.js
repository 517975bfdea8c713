/* The API documentation page: Swagger UI (npm swagger-ui-dist, served from /static/vendor — no CDN) showing
   /api/v1/openapi.json. A static file, so the page runs under the Content-Security-Policy without inline script. */
(function () {
  "use strict";
  var box = document.getElementById("swagger-ui");
  if (!box || !window.SwaggerUIBundle) { return; }
  window.ui = window.SwaggerUIBundle({
    url: box.getAttribute("data-spec-url"),
    domNode: box,
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
})();
