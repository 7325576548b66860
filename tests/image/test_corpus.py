"""Real-world and hostile files from ../shared/corpus (skipped when ../shared is absent)."""

import io
import time
from pathlib import Path

import pytest
from PIL import Image

from prism.core.errors import ImageRejected
from prism.image.pipeline import make_variants

from ..conftest import SHARED


def corpus(folder: str) -> list:
    root = SHARED / "corpus" / folder
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name != "SOURCES.txt")
    files = [p for p in files if not p.name.startswith("LICENSE")]
    if not files:
        return [pytest.param(None, id=f"{folder}-absent")]
    return [pytest.param(p, id=str(p.relative_to(root))) for p in files]


def need(path: Path | None) -> Path:
    if path is None:
        pytest.skip(f"{SHARED}/corpus is absent: corpus tests need ../shared beside the repo")
    return path


@pytest.mark.parametrize("path", corpus("photos"))
def test_every_photo_is_processed(path):
    data = need(path).read_bytes()
    result = make_variants(data)  # no rejection: these are all real, valid photos
    assert result.source.width > 0
    for variant in result.variants:
        out = Image.open(io.BytesIO(variant.data))
        out.load()
        assert out.size == (variant.width, variant.height)
        assert out.mode in ("L", "RGB", "RGBA", "LA", "P", "1")
        if variant.spec.width is None:
            assert out.size == (result.source.width, result.source.height)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("path", corpus("edge"))
def test_hostile_files_end_in_variants_or_a_typed_rejection(path):
    data = need(path).read_bytes()
    start = time.perf_counter()
    try:
        result = make_variants(data)
    except ImageRejected as exc:
        assert exc.reason in ("unsupported_format", "too_large", "corrupt")
        assert exc.detail
    else:
        assert all(v.data for v in result.variants)
    assert time.perf_counter() - start < 10, "took longer than 10 s"
