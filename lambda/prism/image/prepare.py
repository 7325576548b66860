"""Prepare: the values every later step reads, computed once from the header.

The upright size, each variant's plan, and the size a JPEG may be decoded down to (draft).
Pure arithmetic, no pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from prism.core.specs import VariantSpec
from prism.image.geometry import ENCODER_MAX_SIDE, Plan, plan, within_side
from prism.image.header import Header

#: Lossy-coded sources: their pixels are camera noise and compression artefacts.
PHOTOGRAPHIC_FORMATS = frozenset({"JPEG", "MPO", "HEIF", "AVIF"})
#: Formats Pillow can decode at a reduced scale.
DRAFTABLE_FORMATS = frozenset({"JPEG", "MPO"})
#: JPEGs decode at a reduced DCT scale down to this many times the largest output.
DRAFT_MARGIN = 2.0


@dataclass(frozen=True, slots=True)
class Prepared:
    header: Header
    specs: tuple[VariantSpec, ...]
    plans: tuple[Plan, ...]  # one per spec, in upright coordinates, within its encoder's limit
    draft: tuple[int, int] | None  # in stored orientation, for decode(); None: full size

    @property
    def upright(self) -> tuple[int, int]:
        return self.header.upright_size

    @property
    def photographic(self) -> bool:
        return self.header.format in PHOTOGRAPHIC_FORMATS

    def with_orientation(self, orientation: int) -> Prepared:
        """The same, for the orientation found after decoding. It differs only where the
        orientation follows the pixels (a PNG's eXIf chunk) or Pillow applies it while
        loading (TIFF); only then are the plans made again."""
        if orientation == self.header.orientation:
            return self
        return prepare(replace(self.header, orientation=orientation), self.specs)


def prepare(
    header: Header, specs: tuple[VariantSpec, ...], draft_margin: float = DRAFT_MARGIN
) -> Prepared:
    upright = header.upright_size
    # A variant its encoder could not write (a 20000x1 image as WebP) is made as large as the
    # encoder allows, on the upright size: an extreme aspect ratio is not a corrupt file.
    plans = tuple(
        within_side(plan(*upright, spec), ENCODER_MAX_SIDE[spec.format]) for spec in specs
    )
    draft = None
    if header.format in DRAFTABLE_FORMATS:
        draft = draft_size(plans, upright, draft_margin)
        if draft is not None and header.orientation in (5, 6, 7, 8):
            draft = (draft[1], draft[0])  # decode() works on the stored, sideways image
    return Prepared(header, specs, plans, draft)


def draft_size(
    plans: tuple[Plan, ...], upright: tuple[int, int], margin: float = DRAFT_MARGIN
) -> tuple[int, int] | None:
    """Largest output times `margin` (doubled by default, so Lanczos still has detail to work
    with); None if any variant needs (nearly) full resolution."""
    # A cropped variant needs its region, not the whole image, at `margin` x its output size.
    need_w = max(round(margin * p.size[0] * upright[0] / (p.box[2] - p.box[0])) for p in plans)
    need_h = max(round(margin * p.size[1] * upright[1] / (p.box[3] - p.box[1])) for p in plans)
    if need_w >= upright[0] or need_h >= upright[1]:
        return None
    return (need_w, need_h)
