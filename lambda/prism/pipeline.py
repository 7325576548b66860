"""One upload in, every variant out: sniff, check limits, decode once, render, encode.

INTERFACE (implementation in progress): `inspect(data, limits)` and
`process(data, specs, limits, background=...)`; both raise only `prism.errors.ImageRejected`
subclasses for bad input.
"""

from __future__ import annotations

from dataclasses import dataclass

from prism.limits import Limits
from prism.specs import DEFAULT_SPECS, VariantSpec


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What the upload is, read from its header."""

    format: str  # allowlisted format name, e.g. "JPEG", "HEIF"
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


def inspect(data: bytes, limits: Limits = Limits()) -> SourceInfo:  # noqa: B008
    raise NotImplementedError


def process(
    data: bytes,
    specs: tuple[VariantSpec, ...] = DEFAULT_SPECS,
    limits: Limits = Limits(),  # noqa: B008
    *,
    background: tuple[int, int, int] = (255, 255, 255),
) -> Processed:
    raise NotImplementedError
