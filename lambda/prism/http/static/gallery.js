// The gallery: processed images, newest first, a page at a time (GET /images?cursor=).

import { listImages } from "./api.js";
import { $, bytes, dims, h, shortId } from "./dom.js";
import { withPlaceholder } from "./placeholder.js";

// The variant to show in a grid: the one named "thumb" if any, else the smallest file.
export function thumbnailOf(manifest) {
  const variants = manifest.variants || [];
  return (
    variants.find((v) => v.name === "thumb") ||
    [...variants].sort((a, b) => a.bytes - b.bytes)[0]
  );
}

function card(manifest) {
  const thumb = thumbnailOf(manifest);
  const src = manifest.source;
  const label = `${src.format} ${dims(src)}, ${bytes(src.bytes)}`;
  return h(
    "li",
    { class: "card", "data-id": manifest.id },
    h(
      "a",
      { href: `#/images/${manifest.id}` },
      thumb
        ? withPlaceholder(
            h("img", {
              src: thumb.url,
              alt: `Image ${shortId(manifest.id)}: ${label}`,
              width: thumb.width,
              height: thumb.height,
              loading: "lazy",
            }),
            manifest,
          )
        : null,
      h("span", { class: "caption", text: label }),
      h("span", { class: "when", text: manifest.processed_at.replace("T", " ").replace("Z", " UTC") }),
    ),
  );
}

export function setupGallery() {
  let cursor = null;
  const grid = $("gallery");

  async function load(reset) {
    $("gallery-error").hidden = true;
    if (reset) cursor = null;
    try {
      const page = await listImages(cursor);
      if (reset) grid.replaceChildren();
      for (const manifest of page.items) {
        if (!grid.querySelector(`[data-id="${manifest.id}"]`)) grid.append(card(manifest));
      }
      cursor = page.next_cursor;
      $("more").hidden = !cursor;
      $("gallery-empty").hidden = grid.children.length > 0;
    } catch (problem) {
      $("gallery-error").textContent = `Could not list images: ${problem.message}`;
      $("gallery-error").hidden = false;
    }
  }

  $("more").addEventListener("click", () => load(false));
  $("refresh").addEventListener("click", () => load(true));
  return {
    reload: () => load(true),
    add(manifest) {
      // A fresh upload goes first: it is the newest.
      grid.querySelector(`[data-id="${manifest.id}"]`)?.remove();
      grid.prepend(card(manifest));
      $("gallery-empty").hidden = true;
    },
    remove(id) {
      grid.querySelector(`[data-id="${id}"]`)?.remove();
      $("gallery-empty").hidden = grid.children.length > 0;
    },
  };
}
