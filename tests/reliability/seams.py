"""The few names the round-2 reliability tests take from the app, in one place.

Everything else in those tests goes through HTTP, the CLI or a storage backend.
"""

from __future__ import annotations

import importlib
from typing import Any


def _first(name: str, *modules: str) -> Any:
    for module in modules:
        try:
            return getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            continue
    raise ImportError(f"{name} not found in {modules}")


def create_app(*args: Any, **kwargs: Any) -> Any:
    return _first("create_app", "prism.http.app", "prism.app")(*args, **kwargs)


def load_settings(env: dict[str, str]) -> Any:
    return _first("load_settings", "prism.core.settings", "prism.settings")(env)


def object_created_event(bucket: str, key: str, size: int, etag: str) -> dict[str, Any]:
    """An ObjectCreated record as S3 sends it."""
    return _first("object_created_event", "prism.service.events", "prism.events")(
        bucket, key, size, etag
    )
