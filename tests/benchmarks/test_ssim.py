"""Smoke test of the benchmark's own logic: the SSIM it reports must be the real SSIM."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

_QUALITY = Path(__file__).resolve().parents[2] / "benchmarks" / "quality.py"


def _load_quality():
    # benchmarks/ is a folder of scripts, not a package: load the module by path.
    spec = importlib.util.spec_from_file_location("prism_benchmark_quality", _QUALITY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


quality = _load_quality()


def _brute_force_ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Wang et al. 2004 written out window by window, with a 2-D Gaussian (sigma 1.5, 11x11)."""
    x = np.arange(-5, 6, dtype=np.float64)
    g = np.exp(-(x**2) / (2 * 1.5**2))
    window = np.outer(g, g) / np.outer(g, g).sum()
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    a, b = a.astype(np.float64), b.astype(np.float64)
    values = []
    for r in range(a.shape[0] - 10):
        for c in range(a.shape[1] - 10):
            pa, pb = a[r : r + 11, c : c + 11], b[r : r + 11, c : c + 11]
            ma, mb = (window * pa).sum(), (window * pb).sum()
            va = (window * (pa - ma) ** 2).sum()
            vb = (window * (pb - mb) ** 2).sum()
            cov = (window * (pa - ma) * (pb - mb)).sum()
            values.append(
                ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma**2 + mb**2 + c1) * (va + vb + c2))
            )
    return float(np.mean(values))


@pytest.fixture
def plane() -> np.ndarray:
    rng = np.random.default_rng(7)
    # A smooth gradient plus texture: closer to a photo than pure noise.
    rows, cols = np.mgrid[0:40, 0:48]
    return np.clip(rows * 3 + cols * 2 + rng.normal(0, 12, (40, 48)), 0, 255)


def test_identical_planes_score_one(plane: np.ndarray) -> None:
    assert quality.ssim(plane, plane) == pytest.approx(1.0, abs=1e-6)


def test_more_noise_scores_lower(plane: np.ndarray) -> None:
    rng = np.random.default_rng(1)
    noise = rng.normal(0, 1, plane.shape)
    light = quality.ssim(plane, np.clip(plane + 5 * noise, 0, 255))
    heavy = quality.ssim(plane, np.clip(plane + 25 * noise, 0, 255))
    assert 1.0 > light > heavy > 0.0


def test_matches_the_textbook_definition(plane: np.ndarray) -> None:
    rng = np.random.default_rng(2)
    other = np.clip(plane + rng.normal(0, 15, plane.shape), 0, 255)
    expected = _brute_force_ssim(plane, other)
    assert quality.ssim(plane, other) == pytest.approx(expected, abs=1e-5)
    assert quality.ssim(other, plane) == pytest.approx(expected, abs=1e-5)


def test_rejects_mismatched_shapes(plane: np.ndarray) -> None:
    with pytest.raises(ValueError, match="same shape"):
        quality.ssim(plane, plane[:, :-1])


def test_reference_is_upright_and_variant_is_compared_at_its_size(tmp_path: Path) -> None:
    # A 60x40 landscape stored with EXIF orientation 6 is a 40x60 portrait when upright.
    rows, cols = np.mgrid[0:40, 0:60]
    pixels = np.stack([rows * 6, cols * 4, (rows + cols) * 2], axis=-1).astype(np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6
    source = tmp_path / "rotated.jpg"
    Image.fromarray(pixels).save(source, quality=95, exif=exif)

    ref = quality.reference(source)
    assert ref.size == (40, 60)

    upright = tmp_path / "upright.png"
    ref.save(upright)
    assert quality.variant_ssim(ref, upright) == pytest.approx(1.0, abs=1e-6)

    small = tmp_path / "small.png"
    ref.resize((20, 30), Image.LANCZOS).save(small)
    assert quality.variant_ssim(ref, small) == pytest.approx(1.0, abs=1e-6)

    # The un-rotated pixels, squeezed into the upright box, must score clearly worse.
    wrong = tmp_path / "wrong.png"
    Image.fromarray(pixels).resize((40, 60)).save(wrong)
    assert quality.variant_ssim(ref, wrong) < 0.9


def test_alpha_is_flattened_onto_white(tmp_path: Path) -> None:
    transparent = tmp_path / "clear.png"
    Image.new("RGBA", (16, 16), (0, 0, 0, 0)).save(transparent)
    ref = quality.reference(transparent)
    assert ref.getpixel((8, 8)) == (255, 255, 255)
    white = io.BytesIO()
    Image.new("RGB", (16, 16), (255, 255, 255)).save(white, "PNG")
    (tmp_path / "white.png").write_bytes(white.getvalue())
    assert quality.variant_ssim(ref, tmp_path / "white.png") == pytest.approx(1.0, abs=1e-6)
