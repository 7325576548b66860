"""`prism serve` after a crash: uploads that were acknowledged (204 from the upload form) but
whose processing died with the server are processed when it starts again, as S3 retries the
event of an invocation that failed. On AWS nothing here runs: S3 and Lambda own the retries.
"""

from __future__ import annotations

import logging

from prism.core.settings import Settings
from prism.service.processing import Ingestor
from prism.storage.base import Storage, StorageError
from prism.storage.layout import image_id_for_upload
from prism.storage.records import read_manifest, read_rejection

logger = logging.getLogger("prism.service.recovery")


def unfinished(storage: Storage, settings: Settings) -> list[str]:
    """Upload keys with neither a manifest nor a rejection record."""
    keys = []
    for key in storage.list_keys("uploads", settings.uploads_prefix):
        image_id = image_id_for_upload(settings.uploads_prefix, key)
        if image_id is None:
            continue  # a folder marker or the prefix itself
        if read_manifest(storage, image_id) or read_rejection(storage, image_id):
            continue
        keys.append(key)
    return keys


def recover(ingestor: Ingestor, storage: Storage, settings: Settings) -> int:
    """Process every unfinished upload, one at a time; returns how many were found."""
    try:
        keys = unfinished(storage, settings)
    except StorageError as exc:
        logger.warning("cannot look for unfinished uploads: %s", exc)
        return 0
    if keys:
        logger.warning("processing %d upload(s) left unfinished by the last run", len(keys))
    for key in keys:
        try:
            ingestor.handle_upload(key)
        except StorageError as exc:
            logger.warning("unfinished upload %r failed again: %s", key, exc)
    return len(keys)
