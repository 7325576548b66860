// Upload: drag-and-drop or the file picker, several files at once, each through the
// presigned-form flow (POST /uploads, then the form to storage), then followed until
// Prism has processed or refused it.

import { createUpload, sendForm, waitProcessed } from "./api.js";
import { $, announce, bytes, h } from "./dom.js";

const PARALLEL = 3;
const REASONS = {
  unsupported_format: "not an image format Prism reads",
  too_large: "too large",
  corrupt: "corrupt or truncated",
};

export function setupUpload({ onProcessed }) {
  const queue = [];
  let running = 0;

  function enqueue(files) {
    for (const file of files) queue.push(track(file));
    pump();
  }

  function pump() {
    while (running < PARALLEL && queue.length) {
      const job = queue.shift();
      running += 1;
      run(job).finally(() => {
        running -= 1;
        pump();
      });
    }
  }

  function track(file) {
    const bar = h("progress", { max: "100", value: "0", "aria-label": `Upload of ${file.name}` });
    const state = h("span", { class: "state", text: "Waiting" });
    const row = h(
      "li",
      { class: "upload" },
      h("span", { class: "name", text: file.name }),
      h("span", { class: "size", text: bytes(file.size) }),
      bar,
      state,
    );
    $("uploads").prepend(row);
    return { file, row, bar, state };
  }

  // The state in words: a bold verdict, then what follows from it.
  function show(job, status, text, link) {
    job.row.dataset.status = status;
    const [verdict, ...rest] = text.split(": ");
    const more = rest.join(": ");
    job.state.replaceChildren(
      h("strong", { text: verdict }),
      more ? `: ${more}` : "",
      ...(link ? [" · ", h("a", { href: link, text: "View image" })] : []),
    );
  }

  async function run(job) {
    const { file } = job;
    // S3's presigned policy only takes image/* content types; Prism itself sniffs the bytes,
    // so a file of any image type (or a misnamed one) goes through and is judged there.
    if (!file.type.startsWith("image/")) {
      show(job, "rejected", `Refused: ${file.type || "unknown type"} is not an image type`);
      announce(`${file.name} refused`);
      return;
    }
    try {
      show(job, "uploading", "Uploading");
      const ticket = await createUpload();
      if (file.size > ticket.max_bytes) {
        show(job, "rejected", `Refused: larger than ${bytes(ticket.max_bytes)}`);
        return;
      }
      await sendForm(ticket, file, file.type, (fraction) => {
        job.bar.value = Math.round(fraction * 100);
      });
      job.bar.value = 100;
      show(job, "uploaded", "Uploaded: processing…");
      const manifest = await waitProcessed(ticket.status_url);
      show(job, "processed", "Processed", `#/images/${manifest.id}`);
      announce(`${file.name} processed`);
      onProcessed(manifest);
    } catch (problem) {
      const body = problem.body || {};
      const reason = REASONS[body.reason] || body.reason;
      // The API's detail repeats the verdict; the page already says it.
      const detail = problem.message.replace(/^the image was rejected: /, "");
      show(job, "rejected", reason ? `Rejected: ${reason} (${detail})` : `Failed: ${detail}`);
      announce(`${file.name} rejected`);
    }
  }

  const input = $("file-input");
  input.addEventListener("change", () => {
    enqueue([...input.files]);
    input.value = "";
  });
  const drop = $("drop");
  for (const name of ["dragenter", "dragover"]) {
    drop.addEventListener(name, (event) => {
      event.preventDefault();
      drop.classList.add("over");
    });
  }
  for (const name of ["dragleave", "drop"]) {
    drop.addEventListener(name, () => drop.classList.remove("over"));
  }
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    enqueue([...event.dataTransfer.files]);
  });
}
