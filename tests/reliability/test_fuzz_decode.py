"""Fuzzing the entry point of decode and variants (`prism.image.pipeline.make_variants`).

Seeds: small files from ../shared/corpus (when present) and images generated here in every
allowed format (always). Mutations: bit flips, byte overwrites with boundary values,
truncations, splices of a slice from another seed, and PNG chunk shuffles/duplications.
The property: `make_variants` returns variants that decode at their stated sizes, or raises an
`ImageRejected` with a known reason, never anything else (and never crashes the process).

Default run: PRISM_FUZZ_DECODE_EXAMPLES (1000) examples, well under two minutes. For a long
run (hours), see docs/reliability.md: raise the count and/or run the `slow` variant.
"""

from __future__ import annotations

import io
import os
import struct
import time
import zlib
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from prism.core.errors import ImageRejected
from prism.core.limits import Limits
from prism.image.pipeline import make_variants
from prism.image.sniff import sniff
from tests.images import small_image
from tests.reliability.paths import corpus_files
from tests.reliability.results import at_session_end

EXAMPLES = int(os.environ.get("PRISM_FUZZ_DECODE_EXAMPLES", "1000"))
LONG_EXAMPLES = int(os.environ.get("PRISM_FUZZ_DECODE_LONG_EXAMPLES", "20000"))
#: Mutated headers often declare big canvases; a lower pixel limit keeps each example fast
#: (the limit's own handling is tested elsewhere). Raise it for long runs if wanted.
LIMITS = Limits(max_pixels=int(os.environ.get("PRISM_FUZZ_MAX_PIXELS", "4000000")))
REASONS = {"unsupported_format", "too_large", "corrupt"}
SEED_BYTES = 64 * 1024
BOUNDARY = [0x00, 0x01, 0x7F, 0x80, 0xFF]
STATS: dict[str, Any] = {"examples": 0, "processed": 0, "rejected": {}, "max_seconds": 0.0}


@cache
def seeds() -> tuple[bytes, ...]:
    generated = [
        small_image("JPEG", (40, 30)),
        small_image("JPEG", (40, 30), progressive=True),
        small_image("PNG", (40, 30)),
        small_image("PNG", (40, 30), alpha=True),
        small_image("WEBP", (40, 30)),
        small_image("GIF", (40, 30)),
        small_image("TIFF", (40, 30)),
        small_image("TIFF", (40, 30), compression="tiff_deflate"),
        small_image("BMP", (40, 30)),
        _animated("PNG"),
        _animated("GIF"),
        _animated("WEBP"),
    ]
    corpus = [p.read_bytes() for p in corpus_files("edge") + corpus_files("photos")]
    # Corpus files Prism refuses by their magic bytes would only fuzz the refusal.
    usable = [data for data in corpus if 0 < len(data) <= SEED_BYTES and sniff(data)]
    return tuple(generated + usable)


def _animated(fmt: str) -> bytes:
    frames = [Image.new("RGB", (24, 16), (i * 80, 40, 200 - i * 60)) for i in range(3)]
    out = io.BytesIO()
    frames[0].save(out, fmt, save_all=True, append_images=frames[1:], duration=50)
    return out.getvalue()


def png_chunks(data: bytes) -> list[bytes] | None:
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    chunks, at = [], 8
    while at + 12 <= len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        end = min(len(data), at + 12 + length)
        chunks.append(data[at:end])
        at = end
    return chunks


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    pool = seeds()
    data = bytearray(draw(st.sampled_from(pool)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "boundary", "truncate", "splice", "chunks"]))
        if not data:
            break
        if kind == "flip":
            at = draw(st.integers(0, len(data) - 1))
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "boundary":
            at = draw(st.integers(0, len(data) - 1))
            width = draw(st.sampled_from([1, 2, 4]))
            data[at : at + width] = bytes([draw(st.sampled_from(BOUNDARY))]) * width
        elif kind == "truncate":
            data = data[: draw(st.integers(0, len(data)))]
        elif kind == "splice":
            other = draw(st.sampled_from(pool))
            start = draw(st.integers(0, len(other)))
            piece = other[start : start + draw(st.integers(1, 512))]
            at = draw(st.integers(0, len(data)))
            replace = draw(st.booleans())
            data[at : at + (len(piece) if replace else 0)] = piece
        else:
            chunks = png_chunks(bytes(data))
            if chunks and len(chunks) > 2:
                middle = chunks[1:-1]
                op = draw(st.sampled_from(["shuffle", "duplicate", "drop", "fix-crc"]))
                if op == "shuffle":
                    middle = draw(st.permutations(middle))
                elif op == "duplicate":
                    middle = [*middle, draw(st.sampled_from(middle))]
                elif op == "drop":
                    middle.pop(draw(st.integers(0, len(middle) - 1)))
                else:  # a valid CRC gets a corrupted chunk past the checksum check
                    i = draw(st.integers(0, len(middle) - 1))
                    body = middle[i][4:-4]
                    middle[i] = middle[i][:4] + body + struct.pack(">I", zlib.crc32(body))
                data = bytearray(b"\x89PNG\r\n\x1a\n" + chunks[0] + b"".join(middle) + chunks[-1])
    return bytes(data)


def check(data: bytes) -> None:
    start = time.perf_counter()
    STATS["examples"] += 1
    try:
        result = make_variants(data, limits=LIMITS)
    except ImageRejected as exc:
        assert exc.reason in REASONS, exc
        assert exc.detail
        STATS["rejected"][exc.reason] = STATS["rejected"].get(exc.reason, 0) + 1
    else:
        STATS["processed"] += 1
        for variant in result.variants:
            with Image.open(io.BytesIO(variant.data)) as out:
                out.load()
                assert out.size == (variant.width, variant.height)
    STATS["max_seconds"] = max(STATS["max_seconds"], round(time.perf_counter() - start, 3))


def test_seeds_are_mostly_valid() -> None:
    """The control: unmutated generated seeds all process, so mutations start from images."""
    for data in seeds()[:12]:
        make_variants(data, limits=LIMITS)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=os.environ.get("PRISM_FUZZ_RANDOM") is None,
)
@given(mutated())
def test_mutated_images_end_in_variants_or_a_typed_rejection(data: bytes) -> None:
    check(data)


@pytest.mark.slow
@settings(
    max_examples=LONG_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutated())
def test_long_fuzz(data: bytes) -> None:
    check(data)


@at_session_end("fuzz-decode")
def _fuzz_decode_summary() -> dict[str, Any] | None:
    if not STATS["examples"]:
        return None  # no fuzz example ran in this session
    return STATS | {"seeds": len(seeds()), "max_pixels": LIMITS.max_pixels}
