"""Issue 17, item 5: frames are capped before any per-frame work, for every multi-frame format.

A 1x1 TIFF whose IFD chain has N entries used to cost time quadratic in N (Pillow checks each
new IFD offset against a list of all earlier ones while counting frames): 35k entries took
6.9 s, 175k 149 s, past the function's timeout. Files with more frames than the cap are now
refused as `too_large` after counting at most cap + 1 frames; a file at the cap is processed.
"""

from __future__ import annotations

import io
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from prism.core.limits import Limits
from prism.core.settings import load_settings
from prism.http.app import create_app
from tests.reliability.paths import PROBLEM
from tests.reliability.results import write_result


def frame_cap() -> int:
    limits = Limits()
    return limits.max_frames


def tiff_chain(frames: int) -> bytes:
    """A little-endian TIFF of `frames` 1x1 greyscale pages sharing one byte of pixel data."""
    entries = [
        (256, 3, 1, 1),  # ImageWidth
        (257, 3, 1, 1),  # ImageLength
        (258, 3, 1, 8),  # BitsPerSample
        (259, 3, 1, 1),  # Compression: none
        (262, 3, 1, 1),  # Photometric: black is zero
        (273, 4, 1, 8),  # StripOffsets: the byte after the header
        (278, 3, 1, 1),  # RowsPerStrip
        (279, 4, 1, 1),  # StripByteCounts
    ]
    ifd_size = 2 + 12 * len(entries) + 4
    first = 10  # header (8) + pixel (1) + pad (1): IFDs start on a word boundary
    out = io.BytesIO()
    out.write(b"II*\x00" + struct.pack("<I", first) + b"\x80\x00")
    for n in range(frames):
        out.write(struct.pack("<H", len(entries)))
        for tag, kind, count, value in entries:
            packed = struct.pack("<H", value) + b"\0\0" if kind == 3 else struct.pack("<I", value)
            out.write(struct.pack("<HHI", tag, kind, count) + packed)
        following = first + (n + 1) * ifd_size if n + 1 < frames else 0
        out.write(struct.pack("<I", following))
    return out.getvalue()


def gif_frames(frames: int) -> bytes:
    """A GIF of `frames` 1x1 frames (the first frame's block repeated)."""
    one = io.BytesIO()
    Image.new("P", (1, 1)).save(one, "GIF")
    data = one.getvalue()
    # Header, logical screen descriptor and a 2-colour global table; then the frame blocks.
    head = 6 + 7 + 3 * 2 ** ((data[10] & 7) + 1)
    body = data[head:-1]  # everything up to the trailer ';'
    return data[:head] + body * frames + b";"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    # Requests as large as uploads, so files past a function URL's request cap reach the
    # pipeline here too (on AWS they arrive through the upload form and an S3 event).
    env = {
        "PRISM_STORAGE": "local",
        "PRISM_DATA_DIR": str(tmp_path / "data"),
        "PRISM_MAX_REQUEST_BYTES": str(64 * 1024 * 1024),
    }
    with TestClient(create_app(load_settings(env))) as test_client:
        yield test_client


def post(client: TestClient, data: bytes, content_type: str) -> Any:
    return client.post("/images", content=data, headers={"content-type": content_type})


def test_the_crafted_files_have_the_frames_they_claim() -> None:
    with Image.open(io.BytesIO(tiff_chain(5))) as im:
        assert im.n_frames == 5
        assert im.size == (1, 1)
    with Image.open(io.BytesIO(gif_frames(5))) as im:
        assert im.n_frames == 5


@pytest.mark.parametrize(
    ("make", "content_type"), [(tiff_chain, "image/tiff"), (gif_frames, "image/gif")]
)
def test_one_frame_past_the_cap_is_too_large(
    client: TestClient, make: Any, content_type: str
) -> None:
    response = post(client, make(frame_cap() + 1), content_type)
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["reason"] == "too_large"


def test_a_file_at_the_cap_is_processed(client: TestClient) -> None:
    cap = frame_cap()
    response = post(client, tiff_chain(cap), "image/tiff")
    assert response.status_code == 201, response.text
    assert response.json()["source"]["frames"] == cap


@pytest.mark.slow
def test_long_ifd_chains_are_refused_in_bounded_time(client: TestClient) -> None:
    """The attack's sizes; the figures go to docs/reliability.md (no timing assert)."""
    figures = {}
    for frames in (35_000, 70_000, 175_000):
        data = tiff_chain(frames)
        start = time.perf_counter()
        response = post(client, data, "image/tiff")
        figures[str(frames)] = {"bytes": len(data), "seconds": time.perf_counter() - start}
        assert response.status_code == 413, response.text
        assert response.json()["reason"] == "too_large"
    start = time.perf_counter()
    assert post(client, tiff_chain(frame_cap()), "image/tiff").status_code == 201
    figures["at_cap"] = {"frames": frame_cap(), "seconds": time.perf_counter() - start}
    write_result("frame_cap", figures)
