// Small DOM and formatting helpers. Text goes in as text (never as HTML): manifests carry
// user-controlled strings such as object keys.

export const $ = (id) => document.getElementById(id);

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") el.className = value;
    else if (name === "text") el.textContent = value;
    else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) {
      el.append(child instanceof Node ? child : String(child));
    }
  }
  return el;
}

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function percent(part, whole) {
  if (!whole) return "–";
  const share = (100 * part) / whole;
  return `${share < 10 ? share.toFixed(1) : Math.round(share)}%`;
}

export function dims(item) {
  return `${item.width}×${item.height}`;
}

export function announce(text) {
  // One polite live region for events that happen away from the focus.
  $("upload-status").textContent = text;
}

// A short name for an image: the end of its id (the start is its time, alike for a day).
export function shortId(id) {
  return id.slice(-8);
}
