// Entry point: a two-view page routed by the URL fragment (#/ and #/images/{id}).

import { setupCompare } from "./compare.js";
import { $ } from "./dom.js";
import { setupGallery } from "./gallery.js";
import { setupImage } from "./image.js";
import { setupPlayground } from "./playground.js";
import { setupUpload } from "./upload.js";

const gallery = setupGallery();
const image = setupImage({ compare: setupCompare(), playground: setupPlayground(), gallery });
setupUpload({ onProcessed: (manifest) => gallery.add(manifest) });

let first = true;
let galleryLoaded = false;

async function route() {
  const match = /^#\/images\/([0-9a-f]{32})$/.exec(location.hash);
  $("view-home").hidden = Boolean(match);
  $("view-image").hidden = !match;
  if (match) {
    document.title = "Image · Prism";
    await image.show(match[1]);
  } else {
    document.title = "Prism";
    if (!galleryLoaded) gallery.reload();
    galleryLoaded = true;
  }
  // Move focus to the new view's heading so keyboard and screen reader users follow along.
  if (!first) (match ? $("image-title") : $("main")).focus({ preventScroll: false });
  first = false;
}

window.addEventListener("hashchange", route);
route();
