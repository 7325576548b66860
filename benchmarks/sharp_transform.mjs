// One cold transform through sharp (libvips): read the file, upright it, resize to WIDTH
// (never enlarging), encode FORMAT at QUALITY, metadata stripped (sharp's default). The same
// single resize+encode Prism's transform route does; prints one JSON line like
// transform_job.py. Usage: node sharp_transform.mjs INPUT WIDTH FORMAT QUALITY
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(new URL("./.sharp/", import.meta.url));
const sharp = require("sharp");

const [input, width, format, quality] = process.argv.slice(2);
const rssAfterImports = process.resourceUsage().maxRSS * 1024;

const q = Number(quality);
// No libvips operation cache: the timed run must not reuse the warm-up's work.
sharp.cache(false);

async function transform() {
  const data = readFileSync(input);
  let image = sharp(data).rotate().resize({ width: Number(width), withoutEnlargement: true });
  if (format === "jpeg") image = image.flatten({ background: "#ffffff" }).jpeg({ quality: q });
  else if (format === "webp") image = image.webp({ quality: q });
  else image = image.avif({ quality: q });
  return image.toBuffer({ resolveWithObject: true });
}

// Warm, untimed (as transform_job.py): libvips' threads and codecs are up, as in a running
// service; then the timed run.
await transform();
const t0 = process.hrtime.bigint();
const { data: bytes, info } = await transform();
const wall = Number(process.hrtime.bigint() - t0) / 1e9;

process.stdout.write(
  `${JSON.stringify({
    wall,
    bytes: bytes.length,
    width: info.width,
    height: info.height,
    rss_after_imports: rssAfterImports,
  })}\n`,
);
