// Swagger UI for /docs, started from a file (not an inline script) so the page works under
// the app's Content-Security-Policy, with every asset served by the app itself.
"use strict";

window.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: new URL(root.dataset.openapiUrl, document.baseURI).href,
    dom_id: "#swagger-ui",
    deepLinking: true,
    // No call to the public validator: the page makes no request beyond this app.
    validatorUrl: null,
    layout: "BaseLayout",
    presets: [window.SwaggerUIBundle.presets.apis],
  });
});
