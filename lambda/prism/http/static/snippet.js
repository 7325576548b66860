// Markup a web page can use: an <img srcset> at several widths, or a <picture> offering AVIF
// and WebP before a JPEG fallback. Widths never exceed the original (Prism never upscales).

const WIDTHS = [320, 640, 960, 1280, 1920, 2560];

function escape(text) {
  return String(text).replaceAll("&", "&amp;").replaceAll('"', "&quot;").replaceAll("<", "&lt;");
}

function widthsFor(source, query) {
  const cap = Math.min(source.width, Number(query.width) || source.width);
  const widths = WIDTHS.filter((w) => w < cap);
  return [...widths, cap];
}

function heightFor(source, query, width) {
  if (query.height && query.fit === "cover" && query.width) {
    return Math.round((width * Number(query.height)) / Number(query.width));
  }
  return null;
}

function srcset(source, query, urlFor, format) {
  return widthsFor(source, query)
    .map((width) => {
      const sized = { ...query, width };
      const height = heightFor(source, query, width);
      if (height) sized.height = height;
      else delete sized.height;
      if (format) sized.format = format;
      return `${escape(urlFor(sized))} ${width}w`;
    })
    .join(",\n      ");
}

export function snippet(kind, manifest, query, urlFor) {
  const source = manifest.source;
  const widths = widthsFor(source, query);
  const largest = widths[widths.length - 1];
  const height = heightFor(source, query, largest) || Math.round((largest * source.height) / source.width);
  const fallback = { ...query, width: largest };
  const attrs = `sizes="100vw" width="${largest}" height="${height}" alt="" loading="lazy" decoding="async"`;
  if (kind === "picture") {
    const jpeg = { ...fallback, format: "jpeg" };
    return [
      "<picture>",
      `  <source type="image/avif" srcset="${srcset(source, query, urlFor, "avif")}" sizes="100vw">`,
      `  <source type="image/webp" srcset="${srcset(source, query, urlFor, "webp")}" sizes="100vw">`,
      `  <img src="${escape(urlFor(jpeg))}"`,
      `    srcset="${srcset(source, query, urlFor, "jpeg")}"`,
      `    ${attrs}>`,
      "</picture>",
    ].join("\n");
  }
  return [
    `<img src="${escape(urlFor(fallback))}"`,
    `  srcset="${srcset(source, query, urlFor, null)}"`,
    `  ${attrs}>`,
  ].join("\n");
}
