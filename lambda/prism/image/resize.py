"""Resize: a region of the base at a variant's size (Lanczos), as its own Image object.

One output may be cut into horizontal bands resized on their own threads: Pillow's resize
runs on one core with the GIL released, and its filter reads the rows around a band's
region (clamped to the image), so the bands together are the whole resize.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from PIL import Image

#: Pillow first box-reduces by whole factors while the scale stays this many times the
#: output (within 0.001 SSIM of a plain Lanczos, several times faster).
REDUCING_GAP = 3.0
#: Fewer output rows than this per band: the split costs more than it saves.
MIN_BAND_ROWS = 64
#: Bands per thread: smaller bands hold smaller intermediates at once (each band's first pass
#: keeps its input rows at output width), so the split does not raise the peak memory.
BANDS_PER_THREAD = 4

Box = tuple[float, float, float, float]


def resize(base: Image.Image, box: Box, size: tuple[int, int], threads: int = 1) -> Image.Image:
    """The region `box` of `base` at `size`, on up to `threads` threads.

    Each concurrent save needs its own object: Image.save() keeps per-call parameters on
    the object, so two overlapping saves of one object can swap settings.
    """
    if size == base.size and box == (0, 0, *base.size):
        return base._new(base.im)  # a new wrapper over the same pixels: no copy
    bands = min(threads * BANDS_PER_THREAD, size[1] // MIN_BAND_ROWS)
    if threads < 2 or bands < 2 or not _splittable(base, box, size):
        return base.resize(size, Image.Resampling.LANCZOS, box=box, reducing_gap=REDUCING_GAP)
    return _banded(base, box, size, bands, threads)


def _splittable(base: Image.Image, box: Box, size: tuple[int, int]) -> bool:
    # Pillow's box reduction is aligned to the region it is given, so a band's would differ
    # from the whole image's: only resizes without it are split. They are the slow ones
    # (scale under 2 x REDUCING_GAP); the rest resize a reduced image, already quick. Modes
    # with alpha are premultiplied by resize() itself, once per call: they are not split.
    scale_x = (box[2] - box[0]) / size[0]
    scale_y = (box[3] - box[1]) / size[1]
    reduces = int(scale_x / REDUCING_GAP) > 1 or int(scale_y / REDUCING_GAP) > 1
    return base.mode in ("L", "RGB") and not reduces


def _banded(
    base: Image.Image, box: Box, size: tuple[int, int], bands: int, threads: int
) -> Image.Image:
    width, height = size
    scale_y = (box[3] - box[1]) / height
    edges = [round(i * height / bands) for i in range(bands + 1)]

    def band(i: int) -> Image.Image:
        top, bottom = edges[i], edges[i + 1]
        region = (box[0], box[1] + top * scale_y, box[2], box[1] + bottom * scale_y)
        return base.resize((width, bottom - top), Image.Resampling.LANCZOS, box=region)

    out = Image.new(base.mode, size, None)  # not filled: the bands cover it
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="prism-band") as pool:
        for top, part in zip(edges, pool.map(band, range(bands)), strict=False):
            out.paste(part, (0, top))  # in order, as they come: few bands are held at once
            part.close()
    return out
