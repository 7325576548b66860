"""One upload in, every variant out: check, decode once, render and encode concurrently.

`process()` raises only `prism.errors.ImageRejected` subclasses for bad input.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from PIL import Image

from prism.decode import DECODE_ERRORS, Header, decode, read_header
from prism.encode import encode, flatten, holds_gil
from prism.errors import CorruptImage
from prism.geometry import Plan, plan
from prism.limits import Limits
from prism.sniff import sniff
from prism.specs import DEFAULT_SPECS, VariantSpec

#: Lossy-coded sources: their pixels are camera noise and compression artefacts.
PHOTOGRAPHIC_FORMATS = frozenset({"JPEG", "MPO", "HEIF", "AVIF"})
# Relative encode cost per pixel (measured at 12-14 MP), to start the longest jobs first.
_COST = {"avif": 20, "webp": 10, "png": 8, "jpeg": 2}


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What the upload is, read from its header."""

    format: str  # Pillow's format name, e.g. "JPEG", "MPO", "HEIF"
    width: int  # upright width (after EXIF orientation)
    height: int
    mode: str  # Pillow mode as stored, e.g. "RGB", "CMYK", "I;16"
    frames: int
    bytes: int


@dataclass(frozen=True, slots=True)
class Rendered:
    """One encoded variant."""

    spec: VariantSpec
    width: int
    height: int
    data: bytes

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass(frozen=True, slots=True)
class Processed:
    source: SourceInfo
    variants: tuple[Rendered, ...]


def _source_info(header: Header, size: int) -> SourceInfo:
    width, height = header.upright_size
    return SourceInfo(header.format, width, height, header.mode, header.frames, size)


def inspect(data: bytes, limits: Limits = Limits()) -> SourceInfo:  # noqa: B008
    """Identify and check an upload without decoding pixels."""
    return _source_info(read_header(data, limits), len(data))


def _draft_size(plans: list[Plan], upright: tuple[int, int]) -> tuple[int, int] | None:
    """Largest output, doubled so Lanczos still has detail to work with; None if any variant
    needs (nearly) full resolution."""
    # A cropped variant needs its region, not the whole image, at twice its output size.
    need_w = max(round(2 * p.size[0] * upright[0] / (p.box[2] - p.box[0])) for p in plans)
    need_h = max(round(2 * p.size[1] * upright[1] / (p.box[3] - p.box[1])) for p in plans)
    if need_w >= upright[0] or need_h >= upright[1]:
        return None
    return (need_w, need_h)


def _render(
    base: Image.Image,
    scale: tuple[float, float],
    job: Plan,
    spec: VariantSpec,
    background: tuple[int, int, int],
) -> Image.Image:
    """The image to encode for one variant, as its own Image object.

    Each concurrent save needs its own object: Image.save() keeps per-call parameters on
    the object, so two overlapping saves of one object can swap settings.
    """
    sx, sy = scale
    box = (job.box[0] * sx, job.box[1] * sy, job.box[2] * sx, job.box[3] * sy)
    if job.size == base.size and box == (0, 0, *base.size):
        im = base._new(base.im)  # a new wrapper over the same pixels: no copy
    else:
        im = base.resize(job.size, Image.Resampling.LANCZOS, box=box, reducing_gap=3.0)
    return flatten(im, background) if spec.format == "jpeg" else im


def process(
    data: bytes,
    specs: tuple[VariantSpec, ...] = DEFAULT_SPECS,
    limits: Limits = Limits(),  # noqa: B008
    *,
    background: tuple[int, int, int] = (255, 255, 255),
    workers: int | None = None,
) -> Processed:
    """Make every variant of `data`. `workers` caps the encoding threads (default: one per
    CPU); `workers=1` runs everything on the calling thread."""
    # Only a JPEG can decode at a reduced scale, so only a JPEG's header is read ahead to
    # choose one (decode() checks the limits either way). The plans that count are made from
    # the decoded image's header: some plugins (TIFF) apply the orientation while loading.
    draft = None
    if sniff(data) == "JPEG":
        first = read_header(data, limits)
        draft = _draft_size([plan(*first.upright_size, s) for s in specs], first.upright_size)
    header, base = decode(data, limits, draft_size=draft)
    try:
        variants = _render_all(base, header, specs, background, workers)
    except DECODE_ERRORS as exc:
        # Pillow decodes some formats lazily; a fault found while rendering is still the file's.
        raise CorruptImage(
            f"{header.format} data could not be rendered: {exc}", detected_format=header.format
        ) from None
    finally:
        base.close()
    return Processed(_source_info(header, len(data)), variants)


def _cpus() -> int:
    """CPUs this process may run on (Lambda gives one per 1769 MB of memory)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _render_all(
    base: Image.Image,
    header: Header,
    specs: tuple[VariantSpec, ...],
    background: tuple[int, int, int],
    workers: int | None,
) -> tuple[Rendered, ...]:
    upright = header.upright_size
    plans = [plan(*upright, spec) for spec in specs]
    scale = (base.width / upright[0], base.height / upright[1])
    photographic = header.format in PHOTOGRAPHIC_FORMATS

    def make(index: int) -> Rendered:
        spec, job = specs[index], plans[index]
        im = _render(base, scale, job, spec, background)
        return Rendered(spec, im.width, im.height, encode(im, spec, photographic=photographic))

    if workers == 1:
        return tuple(make(i) for i in range(len(specs)))

    by_cost = sorted(
        range(len(specs)),
        key=lambda i: -_COST[specs[i].format] * plans[i].size[0] * plans[i].size[1],
    )
    bound = [i for i in by_cost if holds_gil(specs[i], photographic=photographic)]
    free = [i for i in by_cost if i not in bound]
    # GIL-free variants: one thread per core, longest first. More threads would not be faster
    # and would hold more encoders' working buffers (3-20 bytes per pixel each) at once.
    threads = max(1, min(workers or _cpus(), len(free)))
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="prism") as pool:
        results = dict(zip(free, pool.map(make, free), strict=True))
    # Then the GIL-holding ones (oxipng), alone: beside them no Python thread could start its
    # next encoder, and beside WebP their memory peaks would add up (~57 B/pixel for RGBA).
    results.update({i: make(i) for i in bound})
    return tuple(results[i] for i in range(len(specs)))
