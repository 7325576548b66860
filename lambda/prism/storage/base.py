"""The one storage interface Prism uses, with two implementations: S3 and a local directory.

Three logical buckets: `uploads` (originals), `processed` (variants + manifests) and
`rejected` (rejection records). Writes are whole-object and atomic in both implementations:
a reader sees the old object, the new one, or nothing, never a partial file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, Protocol

Bucket = Literal["uploads", "processed", "rejected"]
BUCKETS: tuple[Bucket, ...] = ("uploads", "processed", "rejected")


class StorageError(Exception):
    """Storage failed. `transient` errors (throttling, timeouts, 5xx) are worth retrying."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    size: int
    etag: str  # without quotes; MD5 hex for single-part objects on both implementations


@dataclass(frozen=True, slots=True)
class UploadForm:
    """A browser-style POST upload: send `fields` then the file as multipart/form-data."""

    url: str  # absolute for S3; relative to the app for local storage
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ListPage:
    """One page of a listing in key order: `keys`, and with a delimiter the `prefixes` that
    keys roll up into (S3's CommonPrefixes). `next_cursor` resumes after this page; None
    when the listing is done."""

    keys: list[str]
    prefixes: list[str]
    next_cursor: str | None


def start_after(cursor: str, delimiter: str | None) -> str:
    """Where a listing resumes (S3's StartAfter) after `cursor`, the last entry of a page.

    After a rolled-up prefix `p/` every key under it must be skipped too: resume after
    `p` + the character following the delimiter, which sorts after all of `p/...` and
    before anything else (ListObjectsV2 sorts keys by their UTF-8 bytes)."""
    if delimiter and cursor.endswith(delimiter):
        return cursor[: -len(delimiter)] + delimiter[:-1] + chr(ord(delimiter[-1]) + 1)
    return cursor


class Storage(Protocol):
    def bucket_name(self, bucket: Bucket) -> str: ...

    def put(
        self,
        bucket: Bucket,
        key: str,
        data: bytes,
        content_type: str,
        *,
        cache_control: str | None = None,
    ) -> str:
        """Write the object whole; returns its etag. `cache_control` is stored with it (S3
        serves it as the object's Cache-Control); local storage has no metadata to keep."""
        ...

    def get(self, bucket: Bucket, key: str) -> bytes | None:
        """The object's bytes, or None if it does not exist."""
        ...

    def head(self, bucket: Bucket, key: str) -> ObjectInfo | None: ...

    def delete(self, bucket: Bucket, keys: Iterable[str]) -> None:
        """Delete the keys; missing ones are not an error."""
        ...

    def list_keys(self, bucket: Bucket, prefix: str) -> list[str]: ...

    def list_page(
        self,
        bucket: Bucket,
        prefix: str,
        cursor: str | None,
        limit: int,
        *,
        delimiter: str | None = None,
    ) -> ListPage:
        """Up to `limit` entries under `prefix` in key order, after `cursor` (the previous
        page's `next_cursor`); with a delimiter, keys roll up into prefixes as on S3."""
        ...

    def download_url(
        self, bucket: Bucket, key: str, ttl: int, content_type: str | None
    ) -> str | None:
        """A short-lived URL for the object, or None when the app should serve the bytes.
        `content_type` None: the type stored with the object."""
        ...

    def upload_form(self, key: str, ttl: int, max_bytes: int) -> UploadForm:
        """A presigned POST into the uploads bucket, limited to `image/*` up to `max_bytes`."""
        ...
