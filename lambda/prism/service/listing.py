"""Processed images, newest first, one page at a time, without listing the whole bucket.

The order comes from the ids: those Prism mints start with an inverted timestamp
(`storage.layout.new_image_id`), so the processed bucket's top-level folders `<id>/`, which
storage lists in key order, come newest first. A page is one listing call with "/" as the
delimiter (ListObjectsV2 `Delimiter`, `MaxKeys`) resuming after the last entry of the
previous page (`StartAfter`); the cursor is that entry, base64url-encoded. The order is
stable (keys never change) and a cursor stays valid while images come and go.

A page then reads the manifest of each image folder it lists; a folder without one (being
processed, or half deleted) is skipped, so a page may hold fewer than `limit` images:
continue while there is a next cursor.
"""

from __future__ import annotations

import base64
import binascii
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from prism.storage.base import Storage
from prism.storage.layout import is_image_id
from prism.storage.records import ManifestRecord, read_manifest

#: Manifests read at once for a page: S3 GETs are latency-bound, not CPU-bound.
_READERS = 8
_MAX_CURSOR = 1368  # base64 of S3's longest key (1024 bytes)
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


class BadCursor(ValueError):
    """The cursor is not one this listing handed out."""


@dataclass(frozen=True, slots=True)
class ImagePage:
    images: tuple[ManifestRecord, ...]
    next_cursor: str | None  # None: this was the last page


def encode_cursor(entry: str) -> str:
    return base64.urlsafe_b64encode(entry.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    bad = BadCursor("the cursor is not one this listing handed out; omit it to start over")
    if not _BASE64URL.fullmatch(cursor) or len(cursor) > _MAX_CURSOR:
        raise bad
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, ValueError):
        raise bad from None


def list_images(storage: Storage, cursor: str | None, limit: int) -> ImagePage:
    after = decode_cursor(cursor) if cursor is not None else None
    page = storage.list_page("processed", "", after, limit, delimiter="/")
    ids = [p[:-1] for p in page.prefixes if is_image_id(p[:-1])]
    with ThreadPoolExecutor(max_workers=max(1, min(_READERS, len(ids)))) as pool:
        manifests = list(pool.map(lambda image_id: read_manifest(storage, image_id), ids))
    next_cursor = encode_cursor(page.next_cursor) if page.next_cursor is not None else None
    return ImagePage(tuple(m for m in manifests if m is not None), next_cursor)
