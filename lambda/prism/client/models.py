"""The API's answers as typed, frozen records, parsed from JSON (the HTTP layer's own models are
not imported: the client must not pull in FastAPI). Unknown fields are ignored, so a newer
server that adds fields does not break an older client."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Source(_Record):
    key: str
    etag: str
    format: str
    width: int
    height: int
    mode: str
    frames: int
    bytes: int


class Variant(_Record):
    name: str
    format: str
    content_type: str
    width: int
    height: int
    bytes: int
    #: GET this for the bytes (a redirect to a presigned URL on AWS).
    url: str


class Manifest(_Record):
    id: str
    status: str
    processed_at: str
    source: Source
    variants: tuple[Variant, ...]
    #: The upright size, a blurred placeholder and the dominant colour: present once the
    #: server records them (older manifests may lack them until reprocessed).
    width: int | None = None
    height: int | None = None
    placeholder: str | None = None
    color: str | None = None

    def variant(self, name: str) -> Variant:
        """The named variant; KeyError (naming those there are) if the manifest has none."""
        for variant in self.variants:
            if variant.name == name:
                return variant
        names = ", ".join(v.name for v in self.variants)
        raise KeyError(f"image {self.id} has no variant {name!r}; it has {names}")


class UploadTicket(_Record):
    """POST /uploads: a presigned form (S3's on AWS, the server's own under `prism serve`)."""

    id: str
    url: str
    fields: dict[str, str]
    file_field: str = "file"
    max_bytes: int
    expires_in: int
    status_url: str


class ImagePage(_Record):
    items: tuple[Manifest, ...]
    next_cursor: str | None = None
