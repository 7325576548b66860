"""One image through one Python contender, in its own process; prints one JSON line.

Usage: python job.py {prism,naive,pyvips} INPUT OUTDIR

The timed part starts after imports (cold imports are measured separately by coldstart.py)
and ends when every variant's bytes are in memory; writing them to OUTDIR is not timed.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

# (name, extension) of the five default variants, in prism.core.specs.DEFAULT_SPECS order.
VARIANTS = (
    ("jpeg85", "jpg"),
    ("jpeg60", "jpg"),
    ("webp", "webp"),
    ("png", "png"),
    ("thumb", "jpg"),
)

# name -> (bytes, width, height)
Outputs = dict[str, tuple[bytes, int, int]]


def run_prism(path: Path) -> Outputs:
    from prism.image.pipeline import make_variants

    processed = make_variants(path.read_bytes())
    return {r.name: (r.data, r.width, r.height) for r in processed.variants}


def run_naive(path: Path) -> Outputs:
    """What most code does: open, fix orientation, convert, save — for each variant in turn."""
    import io

    from PIL import Image, ImageOps

    def render(name: str) -> tuple[bytes, int, int]:
        with Image.open(path) as opened:
            img = ImageOps.exif_transpose(opened)
            has_alpha = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
            buf = io.BytesIO()
            if name == "thumb":
                img = img.convert("RGB")
                img.thumbnail((300, 300))
                img.save(buf, "JPEG", quality=85)
            elif name in ("jpeg85", "jpeg60"):
                img = img.convert("RGB")
                img.save(buf, "JPEG", quality=85 if name == "jpeg85" else 60)
            else:
                img = img.convert("RGBA" if has_alpha else "RGB")
                if name == "webp":
                    img.save(buf, "WEBP", quality=80)
                else:
                    img.save(buf, "PNG")
            return buf.getvalue(), img.width, img.height

    return {name: render(name) for name, _ in VARIANTS}


def run_pyvips(path: Path) -> Outputs:
    """libvips from Python: one decode shared by all outputs (libvips is demand-driven)."""
    import pyvips

    data = path.read_bytes()
    source = pyvips.Image.new_from_buffer(data, "").autorot().copy_memory()
    flat = source.flatten(background=[255, 255, 255]).copy_memory() if source.hasalpha() else source
    # thumbnail_buffer is libvips' idiomatic downscale: shrink-on-load, then a high-quality resize.
    thumb = pyvips.Image.thumbnail_buffer(data, 300, height=300, size="down")
    if thumb.hasalpha():
        thumb = thumb.flatten(background=[255, 255, 255])
    strip = {"keep": "none"}  # no metadata in outputs, like Prism and sharp's defaults
    encoded = {
        "jpeg85": (flat.jpegsave_buffer(Q=85, **strip), flat),
        "jpeg60": (flat.jpegsave_buffer(Q=60, **strip), flat),
        "webp": (source.webpsave_buffer(Q=80, **strip), source),
        "png": (source.pngsave_buffer(**strip), source),
        "thumb": (thumb.jpegsave_buffer(Q=85, **strip), thumb),
    }
    return {name: (out, img.width, img.height) for name, (out, img) in encoded.items()}


CONTENDERS: dict[str, Callable[[Path], Outputs]] = {
    "prism": run_prism,
    "naive": run_naive,
    "pyvips": run_pyvips,
}


def _register_heif() -> None:
    # A real naive service registers the HEIF opener too, so both Pillow contenders read HEIC.
    from pillow_heif import register_heif_opener

    register_heif_opener()


def main(argv: list[str]) -> int:
    contender, source, out_dir = argv[0], Path(argv[1]), Path(argv[2])
    job = CONTENDERS[contender]
    # Import everything the job needs before the clock starts.
    if contender == "pyvips":
        import pyvips  # noqa: F401
    else:
        import PIL.Image

        PIL.Image.init()
        _register_heif()
        if contender == "prism":
            import prism.image.pipeline  # noqa: F401
    rss_after_imports = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    cpu0, t0 = time.process_time(), time.perf_counter()
    try:
        outputs = job(source)
    except Exception as exc:  # report any failure as data: the harness shows it as n/a
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"[:300]}))
        return 0
    job_wall, job_cpu = time.perf_counter() - t0, time.process_time() - cpu0

    extensions = dict(VARIANTS)
    variants = []
    for name, (data, width, height) in outputs.items():
        file = out_dir / f"{name}.{extensions.get(name, 'bin')}"
        file.write_bytes(data)
        variants.append(
            {"name": name, "width": width, "height": height, "bytes": len(data), "file": str(file)}
        )
    print(
        json.dumps(
            {
                "job_wall": job_wall,
                "job_cpu": job_cpu,
                "rss_after_imports": rss_after_imports,
                "variants": variants,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
