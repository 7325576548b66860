"""The two JSON records Prism stores about an image: its manifest and its rejection record.

Typed, with their own read and write: the manifest lives at `layout.manifest_key(id)` in the
processed bucket (the commit point: written last), the rejection record at
`layout.rejection_key(id)` in the rejected bucket. A record that is missing, not JSON or not
the expected shape reads as None.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from prism.core.errors import ImageRejected
from prism.storage.base import Storage
from prism.storage.layout import manifest_key, rejection_key

JSON = "application/json"


def timestamp(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """The original an image was made from: where it is, and which version of it (etag)."""

    key: str
    etag: str
    format: str | None = None  # the rest is known only once the upload was decoded
    width: int | None = None
    height: int | None = None
    mode: str | None = None
    frames: int | None = None
    bytes: int | None = None

    def is_object(self, key: str, etag: str) -> bool:
        return self.key == key and self.etag == etag


@dataclass(frozen=True, slots=True)
class VariantRecord:
    name: str
    format: str
    content_type: str
    width: int
    height: int
    bytes: int
    key: str  # in the processed bucket


@dataclass(frozen=True, slots=True)
class ManifestRecord:
    id: str
    processed_at: str
    source: SourceRecord
    variants: tuple[VariantRecord, ...]
    status: Literal["processed"] = "processed"
    #: What made the variants (prism.core.fingerprint): equal to the current one means up to
    #: date, so reprocessing skips the image without decoding it. None: written before
    #: fingerprints existed, so out of date.
    fingerprint: str | None = None
    #: The upright size, what a page reserves before the image loads: the source's, repeated
    #: at the top for clients (taken from the source when not given, as in older manifests).
    width: int | None = None
    height: int | None = None
    #: A ThumbHash of the image (base64) and its dominant colour (`#rrggbb`). None: written
    #: before placeholders existed; `prism reprocess` fills them in.
    placeholder: str | None = None
    color: str | None = None

    def __post_init__(self) -> None:
        if self.width is None and self.height is None:
            object.__setattr__(self, "width", self.source.width)
            object.__setattr__(self, "height", self.source.height)

    def variant(self, name: str) -> VariantRecord | None:
        return next((v for v in self.variants if v.name == name), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "processed_at": self.processed_at,
            "width": self.width,
            "height": self.height,
            "placeholder": self.placeholder,
            "color": self.color,
            "source": asdict(self.source),
            "variants": [asdict(v) for v in self.variants],
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> ManifestRecord:
        return cls(
            id=doc["id"],
            processed_at=doc["processed_at"],
            source=SourceRecord(**doc["source"]),
            variants=tuple(VariantRecord(**v) for v in doc["variants"]),
            fingerprint=doc.get("fingerprint"),
            width=doc.get("width"),
            height=doc.get("height"),
            placeholder=doc.get("placeholder"),
            color=doc.get("color"),
        )


@dataclass(frozen=True, slots=True)
class RejectionRecord:
    id: str
    rejected_at: str
    reason: str
    detail: str
    detected_format: str | None
    bytes: int
    source: SourceRecord  # key and etag only
    status: Literal["rejected"] = "rejected"

    @classmethod
    def of(
        cls, image_id: str, source: SourceRecord, size: int, error: ImageRejected
    ) -> RejectionRecord:
        return cls(
            image_id, timestamp(), error.reason, error.detail, error.detected_format, size, source
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "rejected_at": self.rejected_at,
            "reason": self.reason,
            "detail": self.detail,
            "detected_format": self.detected_format,
            "bytes": self.bytes,
            "source": {"key": self.source.key, "etag": self.source.etag},
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> RejectionRecord:
        return cls(
            id=doc["id"],
            rejected_at=doc["rejected_at"],
            reason=doc["reason"],
            detail=doc["detail"],
            detected_format=doc.get("detected_format"),
            bytes=doc["bytes"],
            source=SourceRecord(**doc["source"]),
        )


def _read_doc(storage: Storage, bucket: Literal["processed", "rejected"], key: str) -> Any:
    data = storage.get(bucket, key)
    if data is None:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None


def read_manifest(storage: Storage, image_id: str) -> ManifestRecord | None:
    doc = _read_doc(storage, "processed", manifest_key(image_id))
    try:
        return ManifestRecord.from_json(doc)
    except (KeyError, TypeError):
        return None


def read_rejection(storage: Storage, image_id: str) -> RejectionRecord | None:
    doc = _read_doc(storage, "rejected", rejection_key(image_id))
    try:
        return RejectionRecord.from_json(doc)
    except (KeyError, TypeError):
        return None


def write_manifest(storage: Storage, record: ManifestRecord) -> None:
    storage.put("processed", manifest_key(record.id), json.dumps(record.to_json()).encode(), JSON)


def write_rejection(storage: Storage, record: RejectionRecord) -> None:
    storage.put("rejected", rejection_key(record.id), json.dumps(record.to_json()).encode(), JSON)
