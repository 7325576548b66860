// The Prism HTTP API as the page uses it. URLs are relative to the page, so the page works
// wherever the app is mounted, and through a proxy that signs each request (see viaPage).

// The origin the app writes into the URLs it hands out (status, variants, transforms, a local
// upload form): the host it was asked for, which the server fills into index.html. Behind a
// signing proxy that is the function URL's, which the browser cannot call unsigned.
const APP_ORIGIN = document.documentElement.dataset.appOrigin || location.origin;

// A URL from the API, to call from this page: the app's own go through the page's origin
// (same path and query); any other (S3's presigned URLs, the CDN's) as given.
export function viaPage(url) {
  const parsed = new URL(url, document.baseURI);
  if (parsed.origin !== APP_ORIGIN || parsed.origin === location.origin) return url;
  return location.origin + parsed.pathname + parsed.search + parsed.hash;
}

function manifestViaPage(manifest) {
  const variants = (manifest.variants || []).map((v) => ({ ...v, url: viaPage(v.url) }));
  return { ...manifest, variants };
}

export class Problem extends Error {
  // An RFC 9457 problem+json answer (or a network failure, status 0).
  constructor(status, body) {
    super(body.detail || body.title || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function problemOf(response) {
  let body = {};
  try {
    body = await response.json();
  } catch {
    body = { title: response.statusText };
  }
  return new Problem(response.status, body);
}

export async function getJSON(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) throw await problemOf(response);
  return { status: response.status, body: await response.json() };
}

export async function listImages(cursor, limit = 24) {
  const query = new URLSearchParams({ limit: String(limit) });
  if (cursor) query.set("cursor", cursor);
  const page = (await getJSON(`images?${query}`)).body;
  return { ...page, items: page.items.map(manifestViaPage) };
}

export async function getImage(id) {
  const { status, body } = await getJSON(`images/${encodeURIComponent(id)}`);
  return { status, body: status === 200 ? manifestViaPage(body) : body };
}

export async function deleteImage(id) {
  const response = await fetch(`images/${encodeURIComponent(id)}`, { method: "DELETE" });
  if (!response.ok && response.status !== 404) throw await problemOf(response);
}

// Transform URLs for the playground, from the server: it signs them when signing is on.
export async function transformUrls(imageId, transforms) {
  const response = await fetch("console/transform-urls", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ image_id: imageId, transforms }),
  });
  if (!response.ok) throw await problemOf(response);
  return (await response.json()).urls;
}

export async function createUpload() {
  const response = await fetch("uploads", { method: "POST" });
  if (!response.ok) throw await problemOf(response);
  const ticket = await response.json();
  return { ...ticket, url: viaPage(ticket.url), status_url: viaPage(ticket.status_url) };
}

// POST the presigned form with the file last, reporting progress as a fraction.
// XMLHttpRequest because fetch() has no upload progress.
export function sendForm(ticket, file, contentType, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(ticket.fields)) form.append(name, value);
    form.append("Content-Type", contentType);
    form.append(ticket.file_field || "file", file);
    const xhr = new XMLHttpRequest();
    xhr.open(ticket.method || "POST", ticket.url);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) resolve();
      else reject(new Problem(xhr.status, parseProblem(xhr.responseText)));
    });
    // A browser reports a refused cross-origin request as a bare network error.
    const unreachable =
      "storage could not be reached (on AWS the uploads bucket needs a CORS rule that lets " +
      "this page's origin POST)";
    xhr.addEventListener("error", () => reject(new Problem(0, { detail: unreachable })));
    xhr.send(form);
  });
}

function parseProblem(text) {
  try {
    return JSON.parse(text);
  } catch {
    // S3 answers a refused POST with an XML error document.
    const message = /<Message>([^<]*)<\/Message>/.exec(text || "");
    return { detail: message ? message[1] : "the storage refused the upload" };
  }
}

// Poll the image's status until it is processed (resolves with the manifest) or refused
// (rejects with the Problem). 202 means not processed yet.
export async function waitProcessed(statusUrl, { timeoutMs = 120000 } = {}) {
  const started = performance.now();
  let delay = 250;
  for (;;) {
    const response = await fetch(statusUrl, { headers: { Accept: "application/json" } });
    if (response.status === 200) return manifestViaPage(await response.json());
    if (response.status !== 202) throw await problemOf(response);
    if (performance.now() - started > timeoutMs) {
      throw new Problem(0, { detail: "still not processed; look again later" });
    }
    await new Promise((done) => setTimeout(done, delay));
    delay = Math.min(delay * 1.5, 2000);
  }
}
