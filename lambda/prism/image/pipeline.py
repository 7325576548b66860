"""One upload in, every variant out, as a list of steps:

    open (sniff, allowlist, limits) -> read header -> prepare (upright size, plans, draft)
    -> decode (a JPEG at its smallest sufficient M/8 scale) -> to sRGB
    -> orient (here, or per variant when the outputs are the smaller)
    -> placeholder (ThumbHash and dominant colour, from a tiny copy of that decode)
    -> per variant: resize [-> orient] -> flatten (if the format has no alpha) -> encode,
       scheduled (one variant alone resizes on every core)

`make_variants()` raises only `prism.core.errors.ImageRejected` subclasses for bad input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from PIL import Image

from prism.core.errors import CorruptImage, ImageRejected, TooLarge
from prism.core.limits import Limits
from prism.core.specs import DEFAULT_SPECS, VariantSpec
from prism.image.colour import to_srgb8
from prism.image.decode import decode, decode_scaled
from prism.image.encode import encode, holds_gil
from prism.image.flatten import flatten_for
from prism.image.geometry import Plan, as_stored
from prism.image.header import DECODE_ERRORS, bomb_detail, open_image, read_header
from prism.image.orient import orient
from prism.image.placeholder import Placeholder, placeholder
from prism.image.prepare import DRAFT_MARGIN, Prepared, prepare
from prism.image.resize import resize
from prism.image.schedule import Job, cpus, run_jobs

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
class VariantSet:
    """Everything made from one upload."""

    source: SourceInfo
    variants: tuple[Rendered, ...]
    placeholder: Placeholder | None = None  # None when not asked for (a transform)


def make_variants(
    data: bytes,
    specs: tuple[VariantSpec, ...] = DEFAULT_SPECS,
    limits: Limits = Limits(),  # noqa: B008
    *,
    background: tuple[int, int, int] = (255, 255, 255),
    workers: int | None = None,
    draft_margin: float = DRAFT_MARGIN,
    check_upright: Callable[[tuple[int, int]], None] | None = None,
    with_placeholder: bool = True,
) -> VariantSet:
    """Make every variant of `data`. `workers` caps the threads (default: one per CPU);
    `workers=1` runs everything on the calling thread. `draft_margin`: how much larger
    than the largest output a JPEG is decoded (prepare.draft_size). `check_upright` is
    called with the upright size once it is final, before any pixel is resized: a PNG's
    orientation may follow its pixels, so a caller's limits on what is rendered are only
    sure then; whatever it raises ends the call as it is. `with_placeholder`: also make the
    manifest's placeholder (an upload's job, not a transform's)."""
    im = open_image(data, limits)
    fmt = im.format or "?"
    with _rejecting(im, limits, fmt, "data is corrupt or truncated"):
        ready = prepare(read_header(im, limits, data), specs, draft_margin)
        scaled = decode_scaled(im, data, ready.draft)
        if scaled is None:
            ready = ready.with_orientation(decode(im, ready.draft))
    if check_upright is not None:
        try:
            check_upright(ready.upright)
        except BaseException:
            im.close()
            if scaled is not None:
                scaled.close()
            raise
    with _rejecting(im, limits, fmt, "data is corrupt or truncated"):
        base = to_srgb8(scaled or im)
        late = _orient_late(base, ready)
        if not late:
            base = orient(base, ready.header.orientation)
    if base is not im:
        im.close()  # release the file's decoded pixels now that we hold our own copy
    # A single variant has no sibling to run beside: its resize takes the threads instead.
    threads = (workers or cpus()) if len(specs) == 1 else 1
    try:
        with _rejecting(base, limits, fmt, "data could not be rendered"):
            # Pillow decodes some formats lazily; a fault found while rendering is the file's.
            # The placeholder goes first: a lone variant's job closes the base.
            orientation = ready.header.orientation if late else 1
            look = placeholder(base, orientation) if with_placeholder else None
            variants = run_jobs(_jobs(base, ready, background, late=late, threads=threads), workers)
    finally:
        base.close()
    width, height = ready.upright
    header = ready.header
    return VariantSet(
        SourceInfo(fmt, width, height, header.mode, header.frames, len(data)), variants, look
    )


def _orient_late(base: Image.Image, ready: Prepared) -> bool:
    """Orient each output rather than the base when the outputs have fewer pixels."""
    if ready.header.orientation == 1:
        return False
    return sum(p.size[0] * p.size[1] for p in ready.plans) < base.width * base.height


def _jobs(
    base: Image.Image,
    ready: Prepared,
    background: tuple[int, int, int],
    *,
    late: bool,
    threads: int,
) -> list[Job[Rendered]]:
    orientation = ready.header.orientation if late else 1
    upright = ready.upright
    # The base may be smaller than the image's size (decoded at a reduced JPEG scale).
    size = as_stored(Plan(upright, (0, 0, *upright)), upright, orientation).size
    scale = (base.width / size[0], base.height / size[1])
    photographic = ready.photographic
    alone = len(ready.plans) == 1

    def job(spec: VariantSpec, upright_plan: Plan) -> Job[Rendered]:
        plan = as_stored(upright_plan, upright, orientation)

        def run() -> Rendered:
            im = _resized(base, scale, plan, threads)
            if alone:
                base.close()  # no other variant reads it: its memory goes before the encoder's
            # One name for each step's image, so the previous one is freed as soon as it is used.
            im = flatten_for(orient(im, orientation), spec, background)
            return Rendered(spec, im.width, im.height, encode(im, spec, photographic=photographic))

        cost = _COST[spec.format] * plan.size[0] * plan.size[1]
        return Job(run, cost, holds_gil(spec, photographic=photographic))

    return [job(spec, plan) for spec, plan in zip(ready.specs, ready.plans, strict=True)]


def _resized(
    base: Image.Image, scale: tuple[float, float], plan: Plan, threads: int
) -> Image.Image:
    sx, sy = scale
    box = (plan.box[0] * sx, plan.box[1] * sy, plan.box[2] * sx, plan.box[3] * sy)
    return resize(base, box, plan.size, threads)


@contextmanager
def _rejecting(im: Image.Image, limits: Limits, fmt: str, what: str) -> Iterator[None]:
    """Pillow's errors inside the block as the file's fault (closing `im`)."""
    try:
        yield
    except ImageRejected:
        im.close()
        raise
    except Image.DecompressionBombError as exc:
        im.close()
        raise TooLarge(bomb_detail(exc, limits), detected_format=fmt) from None
    except DECODE_ERRORS as exc:
        im.close()
        raise CorruptImage(f"{fmt} {what}: {exc}", detected_format=fmt) from None
