"""The two JSON records Prism writes about an image: its manifest and its rejection record.

Pure functions from results to plain dicts; `app.py` adds URLs when serving them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from prism.errors import ImageRejected
from prism.keys import variant_key

if TYPE_CHECKING:  # the pipeline (Pillow & co.) is imported only when an image is processed
    from prism.pipeline import Processed


def _now(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).isoformat(timespec="seconds").replace("+00:00", "Z")


def build_manifest(
    image_id: str,
    source_key: str,
    etag: str,
    result: Processed,
    *,
    fingerprint: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    src = result.source
    return {
        "id": image_id,
        "status": "processed",
        "processed_at": _now(now),
        # What made these variants (prism.core.fingerprint): equal to the current one means
        # up to date, so reprocessing can skip the image without decoding it.
        "fingerprint": fingerprint,
        "source": {
            "key": source_key,
            "etag": etag,
            "format": src.format,
            "width": src.width,
            "height": src.height,
            "mode": src.mode,
            "frames": src.frames,
            "bytes": src.bytes,
        },
        "variants": [
            {
                "name": r.spec.name,
                "format": r.spec.format,
                "content_type": r.spec.content_type,
                "width": r.width,
                "height": r.height,
                "bytes": len(r.data),
                "key": variant_key(image_id, r.spec.name, r.spec.extension),
            }
            for r in result.variants
        ],
    }


def build_rejection(
    image_id: str,
    source_key: str,
    etag: str,
    size: int,
    error: ImageRejected,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    return {
        "id": image_id,
        "status": "rejected",
        "rejected_at": _now(now),
        "reason": error.reason,
        "detail": error.detail,
        "detected_format": error.detected_format,
        "bytes": size,
        "source": {"key": source_key, "etag": etag},
    }
