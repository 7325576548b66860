"""Upload in, variants + manifest out: the flow behind both S3 events and POST /images.

Idempotent, because S3 delivers events at least once and Lambda retries failures:
- every object's key is a function of the image id, so a re-run overwrites, never duplicates;
- variants are written before the manifest, and the manifest is the commit point: a crash
  part-way leaves no manifest, the retry redoes the work, and a manifest never points at a
  variant that is not there;
- a manifest (or rejection record) already written for the very same object (same etag) makes
  a re-delivered event a no-op.

A bad file is never lost: the original stays where it was uploaded and a rejection record
says why. Storage failures propagate as StorageError for the caller to turn into a retry.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from prism.core.fingerprint import spec_fingerprint
from prism.errors import ImageRejected, TooLarge
from prism.keys import (
    image_folder,
    image_id_for_upload,
    manifest_key,
    new_image_id,
    rejection_key,
    upload_key,
)
from prism.manifest import build_manifest, build_rejection
from prism.observability import Stopwatch, Telemetry
from prism.settings import Settings
from prism.storage import Bucket, Storage

JSON = "application/json"


@dataclass(frozen=True, slots=True)
class Outcome:
    image_id: str
    status: Literal["processed", "rejected", "missing"]
    record: dict[str, Any] | None = None  # the manifest or the rejection record
    error: ImageRejected | None = None
    skipped: bool = False  # this exact object had been handled before


def read_json(storage: Storage, bucket: Bucket, key: str) -> dict[str, Any] | None:
    data = storage.get(bucket, key)
    if data is None:
        return None
    try:
        value = json.loads(data)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _same_object(record: dict[str, Any] | None, key: str, etag: str) -> bool:
    source = (record or {}).get("source") or {}
    return source.get("key") == key and source.get("etag") == etag


class Processor:
    def __init__(self, storage: Storage, settings: Settings, telemetry: Telemetry) -> None:
        self.storage = storage
        self.settings = settings
        self.telemetry = telemetry
        self.fingerprint = spec_fingerprint(settings.variants, settings.background)

    def handle_upload(self, key: str) -> Outcome:
        """Process the original at `key` in the uploads bucket (the S3-event path)."""
        image_id = image_id_for_upload(self.settings.uploads_prefix, key)
        if image_id is None:
            raise ValueError(f"{key!r} is not under the uploads prefix")
        watch = Stopwatch()
        with watch.stage("head"):
            info = self.storage.head("uploads", key)
        if info is None:
            # Deleted since the event was sent: nothing left to do.
            return Outcome(image_id, "missing")
        with watch.stage("check"):
            manifest = read_json(self.storage, "processed", manifest_key(image_id))
            if _same_object(manifest, key, info.etag):
                return Outcome(image_id, "processed", manifest, skipped=True)
            rejection = read_json(self.storage, "rejected", rejection_key(image_id))
            if _same_object(rejection, key, info.etag):
                return Outcome(image_id, "rejected", rejection, skipped=True)
            if manifest is not None:
                # A different upload under this key was processed before. Its variants are
                # about to be overwritten in place, so its manifest goes first: otherwise a
                # crash part-way leaves it describing files that are no longer the ones it
                # lists.
                self.storage.delete("processed", [manifest_key(image_id)])
        if info.size > self.settings.limits.max_input_bytes:
            # Refuse before downloading: the size alone settles it.
            error = TooLarge(
                f"the file is {info.size} bytes; the limit is "
                f"{self.settings.limits.max_input_bytes} bytes"
            )
            return self.reject(image_id, key, info.etag, info.size, error)
        with watch.stage("download"):
            data = self.storage.get("uploads", key)
        if data is None:
            return Outcome(image_id, "missing")
        return self._run(image_id, key, info.etag, data, watch)

    def ingest(self, data: bytes, content_type: str) -> Outcome:
        """Store a new original sent in a request, then process it (POST /images)."""
        image_id = new_image_id()
        key = upload_key(self.settings.uploads_prefix, image_id)
        watch = Stopwatch()
        with watch.stage("store_original"):
            etag = self.storage.put("uploads", key, data, content_type)
        return self._run(image_id, key, etag, data, watch)

    def remake(self, image_id: str, key: str, etag: str, data: bytes, *, prune: bool) -> Outcome:
        """Make the variants again from an original already stored (`prism reprocess`).
        Variants the specs no longer name are deleted only if `prune`."""
        return self._run(image_id, key, etag, data, Stopwatch(), prune=prune)

    def _run(
        self,
        image_id: str,
        key: str,
        etag: str,
        data: bytes,
        watch: Stopwatch,
        *,
        prune: bool = True,
    ) -> Outcome:
        settings = self.settings
        try:
            # Imported here, not at module load: Pillow, LittleCMS and oxipng are not needed
            # to start the app and answer /healthz (cold start).
            from prism import pipeline

            with watch.stage("process"):
                result = pipeline.process(
                    data, settings.variants, settings.limits, background=settings.background
                )
        except ImageRejected as error:
            return self.reject(image_id, key, etag, len(data), error)

        manifest = build_manifest(image_id, key, etag, result, fingerprint=self.fingerprint)
        with watch.stage("store_variants"):
            for rendered, entry in zip(result.variants, manifest["variants"], strict=True):
                self.storage.put("processed", entry["key"], rendered.data, entry["content_type"])
        with watch.stage("store_manifest"):
            self.storage.put(
                "processed", manifest_key(image_id), json.dumps(manifest).encode(), JSON
            )
        with watch.stage("cleanup"):
            # After the commit point: an earlier rejection, and variants an older spec list
            # made, are now stale.
            self.storage.delete("rejected", [rejection_key(image_id)])
            if prune:
                self.prune(image_id, manifest)
        self.telemetry.processed(
            image_id,
            bytes_in=len(data),
            bytes_out=sum(v["bytes"] for v in manifest["variants"]),
            watch=watch,
            variants=len(manifest["variants"]),
        )
        return Outcome(image_id, "processed", manifest)

    def prune(self, image_id: str, manifest: dict[str, Any]) -> None:
        """Delete what the image's folder holds beyond `manifest` and the variants it lists.
        Only ever called after that manifest is written, so it never loses a listed file."""
        keep = {manifest_key(image_id)} | {v["key"] for v in manifest["variants"]}
        stale = [
            k for k in self.storage.list_keys("processed", image_folder(image_id)) if k not in keep
        ]
        self.storage.delete("processed", stale)

    def reject(
        self, image_id: str, key: str, etag: str, size: int, error: ImageRejected
    ) -> Outcome:
        record = build_rejection(image_id, key, etag, size, error)
        self.storage.put("rejected", rejection_key(image_id), json.dumps(record).encode(), JSON)
        # A previous, different upload under this key may have been processed: its manifest
        # goes first, so no manifest ever outlives its variants.
        self.storage.delete("processed", [manifest_key(image_id)])
        self.storage.delete(
            "processed", self.storage.list_keys("processed", image_folder(image_id))
        )
        self.telemetry.rejected(image_id, reason=error.reason, detail=error.detail, bytes_in=size)
        return Outcome(image_id, "rejected", record, error=error)
