"""Response bodies of the HTTP API, as pydantic models: they document the OpenAPI spec and
check what the app sends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from prism.storage.records import ManifestRecord


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Source(BaseModel):
    key: str = Field(description="key of the original in the uploads bucket")
    etag: str
    format: str = Field(description="detected format, e.g. JPEG, PNG, HEIF")
    width: int
    height: int
    mode: str
    frames: int
    bytes: int


class Variant(BaseModel):
    name: str
    format: str
    content_type: str
    width: int
    height: int
    bytes: int
    url: str = Field(description="GET this for the bytes (a redirect on AWS)")


class Manifest(BaseModel):
    id: str
    status: Literal["processed"]
    processed_at: str
    width: int = Field(description="upright width (EXIF orientation applied), for layout")
    height: int = Field(description="upright height")
    placeholder: str | None = Field(
        description="a ThumbHash of the image (https://evanw.github.io/thumbhash/), base64: "
        "decode it into a blurred preview while the image loads; null for an image processed "
        "before placeholders existed, until `prism reprocess` fills it in"
    )
    color: str | None = Field(
        description="the dominant colour, `#rrggbb`; null like `placeholder`",
        pattern=r"^#[0-9a-f]{6}$",
    )
    source: Source
    variants: list[Variant]


class ImageList(BaseModel):
    items: list[Manifest] = Field(description="processed images, newest first")
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null on the last page"
    )


class Pending(BaseModel):
    id: str
    status: Literal["pending"] = "pending"
    detail: str = "the upload is stored and waiting to be processed; poll again shortly"


class UploadTicket(BaseModel):
    id: str = Field(description="the id the image will have")
    url: str = Field(description="POST the form here")
    method: Literal["POST"] = "POST"
    fields: dict[str, str] = Field(
        description="send these form fields, then `Content-Type` (an image/* type), then "
        "the file as the last field, named `file`"
    )
    file_field: Literal["file"] = "file"
    max_bytes: int
    expires_in: int = Field(description="seconds the form stays valid")
    status_url: str = Field(description="poll this for the manifest")


class EventRejection(BaseModel):
    id: str
    reason: str


class EventFailure(BaseModel):
    key: str = Field(description="the record's object key (non-UTF-8 parts escaped)")
    reason: str


class EventResult(BaseModel):
    processed: list[str] = Field(description="image ids processed (or already processed)")
    rejected: list[EventRejection]
    missing: list[str] = Field(description="image ids whose upload had been deleted already")
    ignored: int = Field(
        description="records for other buckets, prefixes or event types, folder markers, "
        "and repeats of a record in the same event"
    )
    failed: list[EventFailure] = Field(
        default_factory=list,
        description="records that can never be processed (not retried), and why",
    )


def manifest_view(record: ManifestRecord, variant_url: Callable[[str], str]) -> dict[str, Any]:
    """A stored manifest as the API shows it: each variant's URL instead of its storage key."""
    doc = record.to_json()
    doc["variants"] = [
        {k: v for k, v in asdict(variant).items() if k != "key"}
        | {"url": variant_url(variant.name)}
        for variant in record.variants
    ]
    return Manifest.model_validate(doc).model_dump()
