// One image through sharp (libvips), the engine behind AWS's Serverless Image Handler.
// Makes the same five default variants as Prism and prints one JSON line, like job.py.
// Usage: node sharp_job.mjs INPUT OUTDIR   (sharp is resolved from benchmarks/.sharp)
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(new URL("./.sharp/", import.meta.url));
const sharp = require("sharp");

const [input, outDir] = process.argv.slice(2);
const rssAfterImports = process.resourceUsage().maxRSS * 1024;

// Same five variants as prism.specs.DEFAULT_SPECS, with sharp's own defaults otherwise.
const VARIANTS = [
  ["jpeg85", "jpg", (img) => img.jpeg({ quality: 85 })],
  ["jpeg60", "jpg", (img) => img.jpeg({ quality: 60 })],
  ["webp", "webp", (img) => img.webp({ quality: 80 })],
  ["png", "png", (img) => img.png()],
  [
    "thumb",
    "jpg",
    (img) =>
      img
        .resize(300, 300, { fit: "inside", withoutEnlargement: true })
        .flatten({ background: "#ffffff" })
        .jpeg({ quality: 85 }),
  ],
];

const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
const data = readFileSync(input);
// rotate() with no argument applies EXIF orientation; clone() shares one input between outputs.
const source = sharp(data).rotate();
let outputs;
try {
  outputs = await Promise.all(
    VARIANTS.map(async ([name, ext, encode]) => {
      let img = source.clone();
      if (ext === "jpg" && name !== "thumb") img = img.flatten({ background: "#ffffff" });
      const { data: bytes, info } = await encode(img).toBuffer({ resolveWithObject: true });
      return { name, ext, bytes, width: info.width, height: info.height };
    }),
  );
} catch (error) {
  // Like job.py: a failure is data. libvips puts the useful line last in its message.
  const lines = String(error.message).trim().split("\n");
  process.stdout.write(`${JSON.stringify({ error: lines[lines.length - 1].slice(0, 300) })}\n`);
  process.exit(0);
}
const jobWall = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);

const variants = outputs.map(({ name, ext, bytes, width, height }) => {
  const file = join(outDir, `${name}.${ext}`);
  writeFileSync(file, bytes);
  return { name, width, height, bytes: bytes.length, file };
});
process.stdout.write(
  `${JSON.stringify({
    job_wall: jobWall,
    job_cpu: (cpu.user + cpu.system) / 1e6,
    rss_after_imports: rssAfterImports,
    variants,
  })}\n`,
);
