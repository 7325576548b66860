"""Reprocessing test helpers: ingestors over local storage with a given spec list (old and new),
a spying storage."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from prism.core.settings import Settings, load_settings
from prism.core.telemetry import Telemetry
from prism.service.processing import Ingestor
from prism.storage.base import Bucket, Storage
from prism.storage.local import LocalStorage

OLD_SPECS = [
    {"name": "jpeg85", "format": "jpeg", "quality": 85},
    {"name": "webp", "format": "webp", "quality": 85},
    {"name": "thumb", "format": "jpeg", "width": 32, "height": 32},
]
#: The change the issue describes: WebP quality 80 instead of 85, a new `hero`, and `thumb`
#: dropped from the list.
NEW_SPECS = [
    {"name": "jpeg85", "format": "jpeg", "quality": 85},
    {"name": "webp", "format": "webp", "quality": 80},
    {"name": "hero", "format": "webp", "width": 64},
]


def settings_for(data: Path, specs: list[dict[str, Any]], **env: str) -> Settings:
    base = {
        "PRISM_STORAGE": "local",
        "PRISM_DATA_DIR": str(data),
        "PRISM_VARIANTS": json.dumps(specs),
    }
    return load_settings(base | env)


def ingestor_for(
    data: Path, specs: list[dict[str, Any]], storage: Storage | None = None, **env: str
):
    settings = settings_for(data, specs, **env)
    assert settings.data_dir is not None
    store = storage or LocalStorage(settings.data_dir, _names(settings))
    return Ingestor(store, settings, Telemetry())


def _names(settings: Settings) -> dict[Bucket, str]:
    return {
        "uploads": settings.uploads_bucket,
        "processed": settings.processed_bucket,
        "rejected": settings.rejected_bucket,
    }


class SpyStorage:
    """Delegates to a real storage and records every call as (method, bucket, key)."""

    def __init__(self, inner: Storage, *, fail_put: Iterable[str] = ()) -> None:
        self.inner = inner
        self.calls: list[tuple[str, str, str]] = []
        self.fail_put = set(fail_put)

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)

        def spy(*args: Any, **kwargs: Any) -> Any:
            bucket = args[0] if args else ""
            key = args[1] if len(args) > 1 and isinstance(args[1], str) else ""
            self.calls.append((name, bucket, key))
            if name == "put" and key in self.fail_put:
                from prism.storage.base import StorageError

                raise StorageError(f"injected failure writing {key}", transient=True)
            return method(*args, **kwargs)

        return spy
