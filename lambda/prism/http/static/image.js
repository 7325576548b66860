// One image's page: what the original was, every variant side by side (format, dimensions,
// bytes and share of the original's bytes, download link), and delete with confirmation.

import { deleteImage, getImage } from "./api.js";
import { $, announce, bytes, dims, h, percent, shortId } from "./dom.js";
import { withPlaceholder } from "./placeholder.js";

const EXTENSIONS = { jpeg: "jpg", webp: "webp", png: "png", avif: "avif" };

function fact(term, value) {
  return [h("dt", { text: term }), h("dd", { text: value })];
}

function variantCard(manifest, variant) {
  const share = percent(variant.bytes, manifest.source.bytes);
  const file = `${manifest.id}-${variant.name}.${EXTENSIONS[variant.format] || variant.format}`;
  return h(
    "li",
    { class: "variant", "data-variant": variant.name },
    h(
      "div",
      { class: "frame" },
      withPlaceholder(
        h("img", {
          src: variant.url,
          alt: `Variant ${variant.name}`,
          width: variant.width,
          height: variant.height,
          loading: "lazy",
        }),
        manifest,
      ),
    ),
    h("h3", { text: variant.name }),
    h(
      "dl",
      { class: "facts small" },
      fact("Format", variant.format),
      fact("Size", dims(variant)),
      fact("Bytes", `${bytes(variant.bytes)} (${variant.bytes.toLocaleString("en")})`),
      fact("Of original", share),
    ),
    h("a", { class: "button secondary", href: variant.url, download: file, text: `Download ${variant.name}` }),
  );
}

export function setupImage({ compare, playground, gallery }) {
  let current = null;

  $("delete").addEventListener("click", () => $("confirm-delete").showModal());
  $("confirm-delete").addEventListener("close", async () => {
    if ($("confirm-delete").returnValue !== "delete" || !current) return;
    const id = current.id;
    try {
      await deleteImage(id);
      gallery.remove(id);
      announce(`Image ${shortId(id)} deleted`);
      location.hash = "#/";
    } catch (problem) {
      $("image-error").textContent = `Could not delete: ${problem.message}`;
      $("image-error").hidden = false;
    }
  });

  return {
    async show(id) {
      current = null;
      $("image-error").hidden = true;
      $("image-title").textContent = `Image ${shortId(id)}`;
      $("source").replaceChildren();
      $("variants").replaceChildren();
      try {
        const { status, body } = await getImage(id);
        if (status === 202) throw new Error("uploaded, not processed yet: reload in a moment");
        current = body;
      } catch (problem) {
        $("image-error").textContent = problem.message;
        $("image-error").hidden = false;
        return;
      }
      const src = current.source;
      $("source").replaceChildren(
        ...fact("Id", current.id),
        ...fact("Original", `${src.format}, ${dims(src)}, ${src.mode}${src.frames > 1 ? `, ${src.frames} frames` : ""}`),
        ...fact("Bytes", `${bytes(src.bytes)} (${src.bytes.toLocaleString("en")})`),
        ...fact("Key", src.key),
        ...fact("Processed", current.processed_at),
      );
      $("variants").replaceChildren(...current.variants.map((v) => variantCard(current, v)));
      compare.show(current);
      playground.show(current);
    },
  };
}
