"""Ingest: an upload in, variants + manifest out; the flow behind both S3 events and POST /images.

Idempotent, because S3 delivers events at least once and Lambda retries failures:
- every object's key is a function of the image id, so a re-run overwrites, never duplicates;
- variants are written before the manifest, and the manifest is the commit point: a crash
  part-way leaves no manifest, the retry redoes the work, and a manifest never points at a
  variant that is not there;
- a manifest (or rejection record) already written for the very same object (same etag) makes
  a re-delivered event a no-op.

A DELETE may run while an upload is processed. It removes the original first, so the original
is checked again once the manifest (or rejection record) is written: if it is gone, whatever
this run wrote is removed again and the upload counts as missing. Whatever the interleaving,
a deleted image stays deleted and no manifest outlives its variants.

A bad file is never lost: the original stays where it was uploaded and a rejection record
says why. Storage failures propagate as StorageError for the caller to turn into a retry.
An upload sent to POST /images is processed by that request, not again by the S3 event its
original fires (service/claims.py).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Literal

from prism.core import deadline
from prism.core.errors import ImageRejected, TooLarge
from prism.core.fingerprint import spec_fingerprint
from prism.core.settings import Settings
from prism.core.telemetry import Stopwatch, Telemetry
from prism.service import claims
from prism.service.admission import MemoryBudget, Overloaded
from prism.service.manifest import manifest_for
from prism.storage.base import Storage, StorageError
from prism.storage.layout import (
    image_folder,
    image_id_for_upload,
    manifest_key,
    new_image_id,
    rejection_key,
    upload_key,
)
from prism.storage.records import (
    ManifestRecord,
    RejectionRecord,
    SourceRecord,
    read_manifest,
    read_rejection,
    write_manifest,
    write_rejection,
)


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    """What became of one upload; `record` is what was stored about it (None if missing)."""

    image_id: str
    status: Literal["processed", "rejected", "missing"]
    record: ManifestRecord | RejectionRecord | None = None
    error: ImageRejected | None = None  # set when rejected by this very call


#: How long POST /images waits for memory to process its image before answering 503.
ADMISSION_WAIT_S = 30.0


class Ingestor:
    def __init__(
        self,
        storage: Storage,
        settings: Settings,
        telemetry: Telemetry,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.storage = storage
        self.settings = settings
        self.telemetry = telemetry
        self.fingerprint = spec_fingerprint(settings.variants, settings.background)
        self.budget = MemoryBudget(settings.memory_mb)
        self.clock = clock  # wall clock: claims are compared across invocations
        self.sleep = sleep

    def _settled(
        self, image_id: str, key: str, etag: str
    ) -> tuple[IngestOutcome | None, ManifestRecord | None]:
        """The stored outcome for this very object, if any; and whatever manifest there is."""
        manifest = read_manifest(self.storage, image_id)
        if manifest is not None and manifest.source.is_object(key, etag):
            return IngestOutcome(image_id, "processed", manifest), manifest
        rejection = read_rejection(self.storage, image_id)
        if rejection is not None and rejection.source.is_object(key, etag):
            return IngestOutcome(image_id, "rejected", rejection), manifest
        return None, manifest

    def handle_upload(self, key: str) -> IngestOutcome:
        """Process the original at `key` in the uploads bucket (the S3-event path).

        While a POST /images request holds a claim on the upload, this waits for its result
        (as long as the invocation's deadline allows; then claims.Busy asks for a retry).
        """
        image_id = image_id_for_upload(self.settings.uploads_prefix, key)
        if image_id is None:
            raise ValueError(f"{key!r} is not under the uploads prefix")
        watch = Stopwatch()
        with watch.stage("head"):
            info = self.storage.head("uploads", key)
        if info is None:
            # Deleted since the event was sent: nothing left to do.
            return IngestOutcome(image_id, "missing")
        with watch.stage("check"):
            settled, manifest = self._settled(image_id, key, info.etag)
            if settled is None:
                settled = claims.await_result(
                    lambda: self._settled(image_id, key, info.etag)[0],
                    lambda: claims.read(self.storage, image_id),
                    give_up=claims.wait_until(deadline.remaining(), self.clock()),
                    clock=self.clock,
                    sleep=self.sleep,
                )
            if settled is not None:
                return settled
            if manifest is not None:
                # A different upload under this key was processed before. Its variants are
                # about to be overwritten in place, so its manifest goes first: otherwise a
                # crash part-way leaves it describing files that are no longer the ones it
                # lists.
                self.storage.delete("processed", [manifest_key(image_id)])
        source = SourceRecord(key, info.etag)
        if info.size > self.settings.limits.max_input_bytes:
            # Refuse before downloading: the size alone settles it.
            error = TooLarge(
                f"the file is {info.size} bytes; the limit is "
                f"{self.settings.limits.max_input_bytes} bytes"
            )
            return self.reject(image_id, source, info.size, error)
        with watch.stage("download"):
            data = self.storage.get("uploads", key)
        if data is None:
            return IngestOutcome(image_id, "missing")
        # An event waits for memory as long as it takes: it has no caller to answer.
        return self._run(image_id, source, data, watch, wait=None)

    def ingest(self, data: bytes, content_type: str) -> IngestOutcome:
        """Store a new original sent in a request, then process it (POST /images).

        Raises TooLarge, storing nothing, for a body over the upload limit."""
        limit = self.settings.limits.max_input_bytes
        if len(data) > limit:
            raise TooLarge(f"the image is {len(data)} bytes; the limit is {limit} bytes")
        image_id = new_image_id()
        key = upload_key(self.settings.uploads_prefix, image_id)
        watch = Stopwatch()
        # On Lambda (where the invocation has a deadline) the original fires the S3 trigger.
        # Staked before the original exists, the claim makes that event wait for this request
        # instead of redoing its work, until the claim is released or runs out.
        remaining = deadline.remaining()
        if remaining is not None:
            claims.stake(self.storage, image_id, self.clock() + remaining)
        try:
            with watch.stage("store_original"):
                etag = self.storage.put("uploads", key, data, content_type)
            return self._run(image_id, SourceRecord(key, etag), data, watch, ADMISSION_WAIT_S)
        except (StorageError, Overloaded):
            # The caller learns no id: leave nothing behind that would read 202 forever.
            with contextlib.suppress(StorageError):
                self.storage.delete("uploads", [key])
            raise
        finally:
            # Done, or failed in a way this request lived through: the event is free at once.
            # A killed request releases nothing; its event waits until the claim runs out.
            if remaining is not None:
                claims.release(self.storage, image_id)

    def remake(
        self, image_id: str, source: SourceRecord, data: bytes, *, prune: bool
    ) -> IngestOutcome:
        """Make the variants again from an original already stored (`prism reprocess`).
        Variants the specs no longer name are deleted only if `prune`."""
        # Like an event, a task has no caller waiting: it waits for memory as long as it takes.
        # A storage failure part-way leaves the image as it was served (its old manifest
        # still names files that exist) for the retry, instead of undoing it.
        return self._run(image_id, source, data, Stopwatch(), None, prune=prune, undo=False)

    def fill_in(self, manifest: ManifestRecord, data: bytes) -> IngestOutcome | None:
        """Add the size, placeholder and colour to `manifest`, written before they existed,
        from its original `data`: one decode at the placeholder's scale (a JPEG at 1/8), the
        variants left as they are, the manifest rewritten. None when the original is no
        longer accepted (the current limits): a remake rejects it, with the reason."""
        from prism.image.header import declared_pixels
        from prism.image.pipeline import make_variants
        from prism.image.placeholder import SPEC

        limits = self.settings.limits
        try:
            pixels = declared_pixels(data, limits)
            with self.budget.hold(pixels, None):
                # The one tiny variant is what makes the JPEG decode small; it is not stored.
                result = make_variants(data, (SPEC,), limits)
        except ImageRejected:
            return None
        look, src = result.placeholder, result.source
        assert look is not None  # make_variants was asked for it (the default)
        filled = replace(
            manifest,
            width=src.width,
            height=src.height,
            placeholder=look.thumbhash,
            color=look.color,
        )
        if self._deleted(manifest.source):
            return self._undo(manifest.id)
        write_manifest(self.storage, filled)
        if self._deleted(manifest.source):
            return self._undo(manifest.id)
        return IngestOutcome(manifest.id, "processed", filled)

    def _run(
        self,
        image_id: str,
        source: SourceRecord,
        data: bytes,
        watch: Stopwatch,
        wait: float | None,
        *,
        prune: bool = True,
        undo: bool = True,
    ) -> IngestOutcome:
        settings = self.settings
        try:
            # Imported here, not at module load: Pillow, LittleCMS and oxipng are not needed
            # to start the app and answer /healthz (cold start).
            from prism.image.header import declared_pixels
            from prism.image.pipeline import make_variants

            pixels = declared_pixels(data, settings.limits)
            with self.budget.hold(pixels, wait), watch.stage("process"):
                result = make_variants(
                    data, settings.variants, settings.limits, background=settings.background
                )
        except ImageRejected as error:
            return self.reject(image_id, source, len(data), error)

        manifest = manifest_for(image_id, source, result, self.fingerprint)
        with watch.stage("store_variants"), self._undone_on_failure(image_id, undo):
            for rendered, entry in zip(result.variants, manifest.variants, strict=True):
                self.storage.put("processed", entry.key, rendered.data, entry.content_type)
        with watch.stage("store_manifest"), self._undone_on_failure(image_id, undo):
            # Checked before the commit point too, so a deleted image's manifest rarely
            # appears even for a moment; the check after it is the one that decides.
            if self._deleted(source):
                return self._undo(image_id)
            write_manifest(self.storage, manifest)
            if self._deleted(source):
                return self._undo(image_id)
        with watch.stage("cleanup"):
            # After the commit point: an earlier rejection, and variants an older spec list
            # made, are now stale.
            self.storage.delete("rejected", [rejection_key(image_id)])
            if prune:
                self.prune(manifest)
        self.telemetry.processed(
            image_id,
            bytes_in=len(data),
            bytes_out=sum(v.bytes for v in manifest.variants),
            watch=watch,
            variants=len(manifest.variants),
        )
        return IngestOutcome(image_id, "processed", manifest)

    def prune(self, manifest: ManifestRecord) -> None:
        """Delete what the image's folder holds beyond `manifest` and the variants it lists.
        Only ever called once that manifest is written, so it never loses a listed file."""
        keep = {manifest_key(manifest.id)} | {v.key for v in manifest.variants}
        folder = image_folder(manifest.id)
        stale = [k for k in self.storage.list_keys("processed", folder) if k not in keep]
        self.storage.delete("processed", stale)

    def reject(
        self, image_id: str, source: SourceRecord, size: int, error: ImageRejected
    ) -> IngestOutcome:
        record = RejectionRecord.of(image_id, source, size, error)
        write_rejection(self.storage, record)
        if self._deleted(source):
            return self._undo(image_id)
        # A previous, different upload under this key may have been processed: its manifest
        # goes first, so no manifest ever outlives its variants.
        self.storage.delete("processed", [manifest_key(image_id)])
        self.storage.delete(
            "processed", self.storage.list_keys("processed", image_folder(image_id))
        )
        self.telemetry.rejected(image_id, reason=error.reason, detail=error.detail, bytes_in=size)
        return IngestOutcome(image_id, "rejected", record, error=error)

    @contextlib.contextmanager
    def _undone_on_failure(self, image_id: str, undo: bool = True) -> Iterator[None]:
        """A storage failure part-way (a full disk) leaves no half-written variants."""
        try:
            yield
        except StorageError:
            if not undo:
                raise
            with contextlib.suppress(StorageError):
                self._undo(image_id)
            raise

    def _deleted(self, source: SourceRecord) -> bool:
        """Whether the original went away while this run worked (a DELETE)."""
        return self.storage.head("uploads", source.key) is None

    def _undo(self, image_id: str) -> IngestOutcome:
        """Remove what a run wrote for an image deleted meanwhile, manifest first."""
        self.storage.delete("processed", [manifest_key(image_id)])
        self.storage.delete(
            "processed", self.storage.list_keys("processed", image_folder(image_id))
        )
        self.storage.delete("rejected", [rejection_key(image_id)])
        return IngestOutcome(image_id, "missing")
