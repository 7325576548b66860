"""The manifest of a finished job: what was made from one upload, where it is stored, and the
fingerprint of the specs that made it. Pure: the job's result in, a record out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prism.storage.layout import variant_key
from prism.storage.records import ManifestRecord, SourceRecord, VariantRecord, timestamp

if TYPE_CHECKING:  # the pipeline (Pillow & co.) is imported only when an image is processed
    from prism.image.pipeline import VariantSet


def manifest_for(
    image_id: str, source: SourceRecord, result: VariantSet, fingerprint: str
) -> ManifestRecord:
    """The manifest of a finished job (pure); `fingerprint` names the specs that made it."""
    src, look = result.source, result.placeholder
    return ManifestRecord(
        id=image_id,
        processed_at=timestamp(),
        source=SourceRecord(
            source.key,
            source.etag,
            src.format,
            src.width,
            src.height,
            src.mode,
            src.frames,
            src.bytes,
        ),
        variants=tuple(
            VariantRecord(
                name=r.spec.name,
                format=r.spec.format,
                content_type=r.spec.content_type,
                width=r.width,
                height=r.height,
                bytes=len(r.data),
                key=variant_key(image_id, r.spec.name, r.spec.extension),
            )
            for r in result.variants
        ),
        fingerprint=fingerprint,
        width=src.width,
        height=src.height,
        placeholder=look.thumbhash if look else None,
        color=look.color if look else None,
    )
