// ReDoc for /redoc, started from a file (not an inline script), every asset from this app.
"use strict";

window.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("redoc");
  window.Redoc.init(new URL(root.dataset.openapiUrl, document.baseURI).href, {}, root);
});
