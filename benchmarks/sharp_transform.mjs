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

const t0 = process.hrtime.bigint();
const data = readFileSync(input);
let image = sharp(data).rotate().resize({ width: Number(width), withoutEnlargement: true });
const q = Number(quality);
if (format === "jpeg") image = image.flatten({ background: "#ffffff" }).jpeg({ quality: q });
else if (format === "webp") image = image.webp({ quality: q });
else image = image.avif({ quality: q });
const { data: bytes, info } = await image.toBuffer({ resolveWithObject: true });
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
