// What an <img> shows until its file has loaded: the manifest's placeholder (a ThumbHash,
// decoded by the vendored thumbhash.js into a PNG data URL), else its dominant colour, drawn
// as the image's own background over the area the image will cover.

import { thumbHashToDataURL } from "./thumbhash.js";

export function placeholderURL(manifest) {
  if (!manifest.placeholder) return null;
  try {
    return thumbHashToDataURL(Uint8Array.from(atob(manifest.placeholder), (c) => c.charCodeAt(0)));
  } catch {
    return null; // not base64, or not a ThumbHash: the colour (or nothing) instead
  }
}

// `img` has its width and height attributes set; CSS letterboxes it (object-fit: contain),
// so the placeholder is stretched to the box the image will fill, not to the whole frame.
export function withPlaceholder(img, manifest) {
  const url = placeholderURL(manifest);
  if (!url && !manifest.color) return img;
  const [w, h] = [Number(img.getAttribute("width")), Number(img.getAttribute("height"))];
  // CSSOM, not a style attribute: the page's CSP (style-src 'self') blocks inline styles.
  img.classList.add("placeholder");
  img.style.backgroundImage = url
    ? `url("${url}")`
    : `linear-gradient(${manifest.color}, ${manifest.color})`;
  if (w > 0 && h > 0) {
    img.style.backgroundSize = w >= h ? `100% ${(100 * h) / w}%` : `${(100 * w) / h}% 100%`;
  }
  img.addEventListener(
    "load",
    () => {
      // The image covers it now; transparent images show the page's checkerboard again.
      img.classList.remove("placeholder");
      img.style.removeProperty("background-image");
      img.style.removeProperty("background-size");
    },
    { once: true },
  );
  return img;
}
