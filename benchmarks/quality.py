"""How close a variant is to its source: SSIM on luma against a high-quality reference.

SSIM as in Wang, Bovik, Sheikh & Simoncelli (2004): an 11-tap Gaussian window (sigma 1.5),
K1 = 0.01, K2 = 0.03, L = 255, averaged over the positions where the window fits.
Self-contained (numpy + Pillow) so the smoke test can load it by path.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, ImageOps

_SIGMA = 1.5
_RADIUS = 5
_C1 = (0.01 * 255) ** 2
_C2 = (0.03 * 255) ** 2


def _gaussian_kernel() -> np.ndarray:
    x = np.arange(-_RADIUS, _RADIUS + 1, dtype=np.float64)
    kernel = np.exp(-(x**2) / (2 * _SIGMA**2))
    return (kernel / kernel.sum()).astype(np.float32)


def _filter(plane: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Separable Gaussian filter, 'valid' region only (no padding artefacts at the edges)."""
    taps = len(kernel)
    rows, cols = plane.shape
    across = np.zeros((rows, cols - taps + 1), dtype=np.float32)
    for i, weight in enumerate(kernel):
        across += weight * plane[:, i : cols - taps + 1 + i]
    down = np.zeros((rows - taps + 1, cols - taps + 1), dtype=np.float32)
    for i, weight in enumerate(kernel):
        down += weight * across[i : rows - taps + 1 + i, :]
    return down


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM of two same-shaped 2-D planes of 0-255 values."""
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"need two 2-D planes of the same shape, got {a.shape} and {b.shape}")
    if min(a.shape) < 2 * _RADIUS + 1:
        raise ValueError(f"planes smaller than the {2 * _RADIUS + 1}px window: {a.shape}")
    kernel = _gaussian_kernel()
    # Centre the values: keeps float32 variances (E[x^2] - mu^2) well away from cancellation.
    x = a.astype(np.float32) - 128
    y = b.astype(np.float32) - 128
    mu_x, mu_y = _filter(x, kernel), _filter(y, kernel)
    var_x = _filter(x * x, kernel) - mu_x * mu_x
    var_y = _filter(y * y, kernel) - mu_y * mu_y
    cov = _filter(x * y, kernel) - mu_x * mu_y
    # The +128 shift changes the means but not SSIM's luminance term, so undo it there.
    mx, my = mu_x + 128, mu_y + 128
    numerator = (2 * mx * my + _C1) * (2 * cov + _C2)
    denominator = (mx * mx + my * my + _C1) * (var_x + var_y + _C2)
    return float(np.mean(numerator / denominator, dtype=np.float64))


def luma(image: Image.Image) -> np.ndarray:
    """BT.601 luma of an RGB image, as float32 0-255."""
    rgb = np.asarray(image.convert("RGB"), dtype=np.float32)
    return rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)


def reference(path: Path) -> Image.Image:
    """The source as the eye should see it: upright, sRGB, alpha flattened onto white."""
    with Image.open(path) as opened:
        image = ImageOps.exif_transpose(opened)
        icc = image.info.get("icc_profile")
        if image.mode.startswith("I;16"):
            # Pillow's own I;16 -> L conversion clips at 255; scale the 16 bits down instead.
            image = Image.fromarray((np.asarray(image, dtype=np.uint16) >> 8).astype(np.uint8))
        if "transparency" in image.info or image.mode in ("P", "PA", "LA", "RGBa"):
            image = image.convert("RGBA")
        if icc and image.mode in ("RGB", "RGBA", "CMYK", "L"):
            # An unusable profile: compare against the plain conversion instead.
            with contextlib.suppress(ImageCms.PyCMSError, OSError, ValueError):
                image = ImageCms.profileToProfile(
                    image,
                    ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                    ImageCms.createProfile("sRGB"),
                    outputMode="RGBA" if image.mode == "RGBA" else "RGB",
                )
        if image.mode == "RGBA":
            flat = Image.new("RGB", image.size, (255, 255, 255))
            flat.paste(image, mask=image.getchannel("A"))
            return flat
        return image.convert("RGB")


def variant_ssim(ref: Image.Image, variant_file: Path, ref_luma: np.ndarray | None = None) -> float:
    """SSIM of a variant against the reference, resized (Lanczos) to the variant's size.

    `ref_luma` (luma of `ref` at full size) saves recomputing it for every full-size variant.
    """
    with Image.open(variant_file) as opened:
        variant = opened.convert("RGBA") if opened.mode in ("RGBA", "LA", "P") else opened
        if variant.mode == "RGBA":
            flat = Image.new("RGB", variant.size, (255, 255, 255))
            flat.paste(variant, mask=variant.getchannel("A"))
            variant = flat
        if ref.size == variant.size:
            target = ref_luma if ref_luma is not None else luma(ref)
        else:
            target = luma(ref.resize(variant.size, Image.LANCZOS))
        return ssim(target, luma(variant))
