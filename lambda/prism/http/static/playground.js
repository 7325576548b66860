// The transform playground: controls build GET /images/{id}/transform?… live (the server
// writes, and signs when signing is on, every URL); the result is fetched and shown with its
// size and the time it took, and a srcset / <picture> snippet is written out ready to copy.

import { Problem, transformUrls, viaPage } from "./api.js";
import { $, bytes, h, percent } from "./dom.js";
import { snippet } from "./snippet.js";

const WAIT_MS = 350;

export function setupPlayground() {
  let manifest = null;
  let timer = null;
  let inflight = null;
  let objectUrl = null;
  let stamp = 0;
  const form = $("play");

  function params() {
    const get = (id) => $(id).value.trim();
    const query = {};
    if (get("play-width")) query.width = Number(get("play-width"));
    if (get("play-height")) query.height = Number(get("play-height"));
    if (get("play-fit") !== "contain") query.fit = get("play-fit");
    if (get("play-format")) query.format = get("play-format");
    if (!$("play-default-quality").checked && get("play-format") !== "png") {
      query.quality = Number(get("play-quality"));
    }
    return query;
  }

  // The URLs come from the server, which signs them when signing is on. The snippet is
  // written twice: once to learn which URLs it needs, then with them.
  async function update() {
    if (!manifest) return;
    $("play-quality-out").value = $("play-quality").value;
    $("play-quality").disabled = $("play-default-quality").checked;
    const query = params();
    const kind = $("snippet-kind").value;
    const wanted = [query];
    snippet(kind, manifest, query, (q) => wanted.push(q) && "");
    stamp += 1;
    const ticket = stamp;
    let urls;
    try {
      urls = await transformUrls(manifest.id, wanted);
    } catch (problem) {
      $("play-result").textContent = `Refused (${problem.status || "network"}): ${problem.message}`;
      return;
    }
    if (ticket !== stamp) return; // a newer change is on its way
    const lookup = new Map(wanted.map((q, i) => [JSON.stringify(q), urls[i]]));
    const url = urls[0];
    $("play-url").textContent = url;
    $("snippet").textContent = snippet(kind, manifest, query, (q) => lookup.get(JSON.stringify(q)));
    clearTimeout(timer);
    timer = setTimeout(() => render(url), WAIT_MS);
  }

  async function render(url) {
    inflight?.abort();
    inflight = new AbortController();
    const result = $("play-result");
    result.textContent = "rendering…";
    const started = performance.now();
    try {
      // Shown as the server wrote it; fetched through this page's origin.
      const response = await fetch(viaPage(url), { signal: inflight.signal });
      if (!response.ok) {
        let body = {};
        try {
          body = await response.json();
        } catch {
          body = { detail: response.statusText };
        }
        throw new Problem(response.status, body);
      }
      const blob = await response.blob();
      const elapsed = performance.now() - started;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
      objectUrl = URL.createObjectURL(blob);
      const img = $("play-image");
      img.onload = () => {
        result.replaceChildren(
          h("strong", { text: blob.type || "image" }),
          ` · ${img.naturalWidth}×${img.naturalHeight} · ${bytes(blob.size)}`,
          ` (${percent(blob.size, manifest.source.bytes)} of the original) · ${Math.round(elapsed)} ms`,
        );
      };
      img.src = objectUrl;
      img.hidden = false;
    } catch (error) {
      if (error.name === "AbortError") return;
      result.textContent = `Refused (${error.status || "network"}): ${error.message}`;
      $("play-image").hidden = true;
    }
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  form.addEventListener("submit", (event) => event.preventDefault());
  $("snippet-kind").addEventListener("change", update);
  $("copy").addEventListener("click", async () => {
    const text = $("snippet").textContent;
    try {
      await navigator.clipboard.writeText(text);
      $("copy").textContent = "Copied";
    } catch {
      // No clipboard permission: select the text so the keyboard can copy it.
      getSelection().selectAllChildren($("snippet"));
      $("copy").textContent = "Selected: press Ctrl+C";
    }
    setTimeout(() => {
      $("copy").textContent = "Copy";
    }, 2000);
  });

  return {
    show(next) {
      manifest = next;
      $("play-image").hidden = true;
      $("play-result").textContent = "";
      update();
    },
  };
}
