// Two variants side by side, showing the same region pixel for pixel (one image pixel per
// device pixel at 1:1), so compression artefacts can be judged. The region is kept as a
// centre in fractions of the image, so it stays put across variants of the same framing.

import { $, bytes, dims } from "./dom.js";

const STEP = 0.05;

export function setupCompare() {
  const state = { variants: [], a: null, b: null, zoom: 1, cx: 0.5, cy: 0.5 };
  const views = [
    { box: $("crop-a"), caption: $("crop-a-caption"), select: $("compare-a"), key: "a" },
    { box: $("crop-b"), caption: $("crop-b-caption"), select: $("compare-b"), key: "b" },
  ];
  for (const view of views) {
    view.img = document.createElement("img");
    view.img.alt = "";
    view.img.draggable = false;
    view.img.addEventListener("load", draw);
    view.box.append(view.img);
    view.select.addEventListener("change", () => {
      state[view.key] = state.variants.find((v) => v.name === view.select.value);
      draw();
    });
    view.box.addEventListener("keydown", (event) => onKey(event));
    dragToPan(view);
  }
  $("compare-zoom").addEventListener("change", (event) => {
    state.zoom = Number(event.target.value);
    draw();
  });
  $("compare-x").addEventListener("input", (event) => {
    state.cx = event.target.value / 1000;
    draw();
  });
  $("compare-y").addEventListener("input", (event) => {
    state.cy = event.target.value / 1000;
    draw();
  });
  window.addEventListener("resize", draw);

  function onKey(event) {
    const step = event.shiftKey ? STEP * 4 : STEP;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    const move = moves[event.key];
    if (!move) return;
    event.preventDefault();
    moveBy(move[0], move[1]);
  }

  function moveBy(dx, dy) {
    state.cx = Math.min(1, Math.max(0, state.cx + dx));
    state.cy = Math.min(1, Math.max(0, state.cy + dy));
    $("compare-x").value = Math.round(state.cx * 1000);
    $("compare-y").value = Math.round(state.cy * 1000);
    draw();
  }

  function dragToPan(view) {
    let last = null;
    view.box.addEventListener("pointerdown", (event) => {
      last = [event.clientX, event.clientY];
      view.box.setPointerCapture(event.pointerId);
    });
    view.box.addEventListener("pointermove", (event) => {
      const variant = state[view.key];
      if (!last || !variant) return;
      const scale = displayScale();
      moveBy(
        -(event.clientX - last[0]) / (variant.width * scale),
        -(event.clientY - last[1]) / (variant.height * scale),
      );
      last = [event.clientX, event.clientY];
    });
    for (const name of ["pointerup", "pointercancel"]) {
      view.box.addEventListener(name, () => {
        last = null;
      });
    }
  }

  function displayScale() {
    return state.zoom / (window.devicePixelRatio || 1);
  }

  function draw() {
    const scale = displayScale();
    for (const view of views) {
      const variant = state[view.key];
      if (!variant) continue;
      if (view.img.dataset.src !== variant.url) {
        view.img.dataset.src = variant.url;
        view.img.src = variant.url;
      }
      const width = variant.width * scale;
      const height = variant.height * scale;
      const boxW = view.box.clientWidth;
      const boxH = view.box.clientHeight;
      const left = width <= boxW ? (boxW - width) / 2 : clamp(boxW / 2 - state.cx * width, boxW - width, 0);
      const top = height <= boxH ? (boxH - height) / 2 : clamp(boxH / 2 - state.cy * height, boxH - height, 0);
      view.img.style.width = `${width}px`;
      view.img.style.height = `${height}px`;
      view.img.style.transform = `translate(${left}px, ${top}px)`;
      view.img.classList.toggle("pixelated", state.zoom > 1);
      const where = `around ${Math.round(state.cx * 100)}% across, ${Math.round(state.cy * 100)}% down`;
      view.box.setAttribute(
        "aria-label",
        `${view.key === "a" ? "Left" : "Right"}: ${variant.name} at ${state.zoom}:1, ${where}. Arrow keys move.`,
      );
      view.caption.textContent = `${variant.name} · ${variant.format} · ${dims(variant)} · ${bytes(variant.bytes)}`;
    }
  }

  return {
    show(manifest) {
      // Variants of the full frame first: a cropped thumbnail shows a different region.
      state.variants = manifest.variants;
      for (const view of views) {
        view.select.replaceChildren(
          ...state.variants.map((v) => new Option(`${v.name} (${v.format}, ${dims(v)})`, v.name)),
        );
      }
      const largest = [...state.variants].sort((x, y) => y.width * y.height - x.width * x.height);
      const byBytes = [...largest].filter((v) => v.width === largest[0].width).sort((x, y) => y.bytes - x.bytes);
      state.a = byBytes[0] || state.variants[0];
      state.b = byBytes[byBytes.length - 1] || state.variants[1] || state.a;
      if (state.a === state.b && state.variants.length > 1) state.b = state.variants.find((v) => v !== state.a);
      views[0].select.value = state.a.name;
      views[1].select.value = state.b.name;
      draw();
    },
  };
}

function clamp(value, low, high) {
  return Math.min(high, Math.max(low, value));
}
