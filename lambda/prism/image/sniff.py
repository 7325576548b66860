"""Identify an upload from its first bytes, before any decoder sees it.

Only allowlisted formats are handed to Pillow, and only to the one plugin the magic
bytes name, so Pillow's many other decoders (PSD, EPS, FLI, ...) are never reachable.
"""

from __future__ import annotations

#: Allowlisted formats: our name -> the Pillow plugin that may open it.
ALLOWED: dict[str, str] = {
    "JPEG": "JPEG",  # MPO files are JPEGs; Pillow's JPEG opener returns them as MPO
    "PNG": "PNG",
    "WEBP": "WEBP",
    "GIF": "GIF",
    "TIFF": "TIFF",
    "BMP": "BMP",
    "AVIF": "AVIF",
    "HEIF": "HEIF",  # registered by pillow-heif
}

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"heif"}
_AVIF_BRANDS = {b"avif", b"avis"}

# Recognised but refused: named in the rejection so the caller learns what they sent.
_KNOWN_OTHERS: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "PDF"),
    (b"8BPS", "PSD"),
    (b"%!PS", "PostScript"),
    (b"\xc5\xd0\xd3\xc6", "EPS"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"\x00\x00\x02\x00", "CUR"),
    (b"\x00\x00\x00\x0cjP  ", "JPEG 2000"),
    (b"\xff\x4f\xff\x51", "JPEG 2000"),
    (b"PK\x03\x04", "ZIP"),
    (b"\x1f\x8b", "gzip"),
    (b"\xd0\xcf\x11\xe0", "OLE2 document"),
    (b"\x89HDF", "HDF5"),
    (b"qoif", "QOI"),
    (b"DDS ", "DDS"),
    (b"icns", "ICNS"),
    (b"\xd7\xcd\xc6\x9a", "WMF"),
    (b"\x80\x04", "Python pickle"),
    (b"\x80\x05", "Python pickle"),
    (b"\x7fELF", "ELF executable"),
)


def _iso_brands(head: bytes) -> set[bytes]:
    """Major and compatible brands of an ISO-BMFF `ftyp` box (HEIF/AVIF containers)."""
    size = int.from_bytes(head[0:4], "big")
    end = min(max(size, 16), len(head))
    brands = {head[8:12]}
    brands.update(head[i : i + 4] for i in range(16, end - 3, 4))
    return brands


def sniff(data: bytes) -> str | None:
    """The allowlisted format `data` starts as, or None."""
    head = data[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "TIFF"
    if head[:2] == b"BM":
        return "BMP"
    if head[4:8] == b"ftyp":
        brands = _iso_brands(head)
        if brands & _AVIF_BRANDS:
            return "AVIF"
        if brands & _HEIF_BRANDS:
            return "HEIF"
    return None


def describe(data: bytes) -> str:
    """Best-effort name of what `data` is, for rejection messages."""
    found = sniff(data)
    if found:
        return found
    if not data:
        return "empty"
    head = data[:512]
    for magic, name in _KNOWN_OTHERS:
        if head.startswith(magic):
            return name
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<svg", b"<?xml")) and b"<svg" in head.lower():
        return "SVG"
    if text.startswith((b"<!doctype html", b"<html")):
        return "HTML"
    if text.startswith(b"<?xml"):
        return "XML"
    if head[4:8] == b"ftyp":
        return "ISO media (" + head[8:12].decode("ascii", "replace") + ")"
    return "unknown"
