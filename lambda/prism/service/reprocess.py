"""Bring one stored image up to date with the current specs: the per-object step shared by
S3 Batch Operations (one task per invocation) and `prism reprocess --data` (a process pool).

For an image whose manifest carries the current fingerprint, for this very original, and
whose listed variants are on storage at the listed sizes, the work is one GET of the manifest
and one HEAD of the original and of each variant: nothing is downloaded or decoded. The sizes
are checked because a remake overwrites variants in place under the old manifest (which keeps
the image served meanwhile): a run killed in that window leaves a manifest that no longer
describes the files, and the next run must repair it rather than call it up to date.
A manifest that is current but older than placeholders (no `placeholder`) is filled in
instead: the original is decoded once at the placeholder's small scale and the manifest
rewritten with the size, placeholder and colour; its variants, made by the same specs, stay.
Otherwise the original is processed again; the manifest is rewritten last (the commit point),
and variants the specs no longer name are removed only when `prune` asks, after that manifest
is written. So a manifest never lists a variant that is missing.

Stored transforms (`<id>/t/...`) are rendered with the background and pipeline version that
the fingerprint covers, so a remade image's transforms are out of date too: they are deleted
before it is remade (with `prune`, after its new manifest, as everything it does not list),
and rendered again on the next request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from prism.core.errors import TooLarge
from prism.service.processing import Ingestor
from prism.storage.base import Storage, StorageError
from prism.storage.layout import image_folder, image_id_for_upload
from prism.storage.records import ManifestRecord, SourceRecord, read_manifest, read_rejection
from prism.transforms.params import TRANSFORM_FOLDER

if TYPE_CHECKING:
    from prism.service.batch import ResultCode

Status = Literal[
    "reprocessed",
    "filled_in",
    "up_to_date",
    "rejected",
    "missing",
    "outside",
    "failed",
    "unstorable",
]
#: How each status is reported to Batch Operations. `failed` is transient storage trouble,
#: which a retry may fix; a rejected image, a key outside the uploads prefix and a key the
#: storage can never hold (`unstorable`: a non-transient StorageError, such as a key segment
#: too long for a local file name) will not change, so retrying them only costs invocations.
CODES: dict[Status, ResultCode] = {
    "reprocessed": "Succeeded",
    "filled_in": "Succeeded",
    "up_to_date": "Succeeded",
    "missing": "Succeeded",  # deleted since the job listed it: nothing left to do
    "rejected": "PermanentFailure",
    "outside": "PermanentFailure",
    "unstorable": "PermanentFailure",
    "failed": "TemporaryFailure",
}


@dataclass(frozen=True, slots=True)
class TaskOutcome:
    key: str
    status: Status
    image_id: str | None = None
    detail: str = ""

    @property
    def code(self) -> ResultCode:
        return CODES[self.status]

    @property
    def message(self) -> str:
        """The report line: status word first, so a report can be counted by it."""
        head = f"{self.status} {self.image_id}" if self.image_id else self.status
        return f"{head}: {self.detail}" if self.detail else head


def reprocess_upload(ingestor: Ingestor, key: str, *, prune: bool = False) -> TaskOutcome:
    """Make the original at `key` (uploads bucket) current. Never raises StorageError: storage
    trouble comes back as status `failed` (transient) so a batch can retry just this object,
    or `unstorable` when retrying cannot help."""
    try:
        return _reprocess(ingestor, key, prune)
    except StorageError as exc:
        image_id = image_id_for_upload(ingestor.settings.uploads_prefix, key)
        return TaskOutcome(key, "failed" if exc.transient else "unstorable", image_id, str(exc))


def _reprocess(ingestor: Ingestor, key: str, prune: bool) -> TaskOutcome:
    storage, settings = ingestor.storage, ingestor.settings
    image_id = image_id_for_upload(settings.uploads_prefix, key)
    if image_id is None:
        return TaskOutcome(key, "outside", None, f"not under {settings.uploads_prefix!r}")
    manifest = read_manifest(storage, image_id)
    info = storage.head("uploads", key)
    if info is None:
        return TaskOutcome(key, "missing", image_id, "the original is gone")
    if manifest is not None and manifest.source.is_object(key, info.etag):
        if manifest.fingerprint == ingestor.fingerprint and _on_storage(storage, manifest):
            if manifest.placeholder is None:
                filled = _fill_in(ingestor, manifest, key, prune)
                if filled is not None:
                    return filled
            else:
                if prune:
                    ingestor.prune(manifest)
                return TaskOutcome(key, "up_to_date", image_id)
    else:
        rejection = read_rejection(storage, image_id)
        if rejection is not None and rejection.source.is_object(key, info.etag):
            reason = f"{rejection.reason}: {rejection.detail}"
            return TaskOutcome(key, "rejected", image_id, reason)
    source = SourceRecord(key, info.etag)
    if info.size > settings.limits.max_input_bytes:
        error = TooLarge(
            f"the file is {info.size} bytes; the limit is {settings.limits.max_input_bytes}"
        )
        ingestor.reject(image_id, source, info.size, error)
        return TaskOutcome(key, "rejected", image_id, f"{error.reason}: {error.detail}")
    data = storage.get("uploads", key)
    if data is None:
        return TaskOutcome(key, "missing", image_id, "the original is gone")
    if not prune:  # prune removes whatever the new manifest does not list, transforms too
        _drop_transforms(storage, image_id)
    outcome = ingestor.remake(image_id, source, data, prune=prune)
    if outcome.status == "rejected":
        error = outcome.error
        reason = f"{error.reason}: {error.detail}" if error else "rejected"
        return TaskOutcome(key, "rejected", image_id, reason)
    if outcome.status == "missing":
        return TaskOutcome(key, "missing", image_id, "the original was deleted meanwhile")
    variants = ", ".join(v.name for v in getattr(outcome.record, "variants", ()))
    return TaskOutcome(key, "reprocessed", image_id, variants)


def _fill_in(
    ingestor: Ingestor, manifest: ManifestRecord, key: str, prune: bool
) -> TaskOutcome | None:
    """Give a current manifest written before placeholders its size, placeholder and colour:
    its variants are what the specs make, so they stay, and the original is decoded once, small.
    None: the original is no longer accepted, and a remake must reject it."""
    data = ingestor.storage.get("uploads", key)
    if data is None:
        return TaskOutcome(key, "missing", manifest.id, "the original is gone")
    outcome = ingestor.fill_in(manifest, data)
    if outcome is None:
        return None
    if not isinstance(outcome.record, ManifestRecord):  # deleted meanwhile: nothing is left
        return TaskOutcome(key, "missing", manifest.id, "the original was deleted meanwhile")
    if prune:
        ingestor.prune(outcome.record)
    return TaskOutcome(key, "filled_in", manifest.id, "size, placeholder and colour")


def _on_storage(storage: Storage, manifest: ManifestRecord) -> bool:
    """Whether every variant the manifest lists is stored, at the size it lists."""
    for variant in manifest.variants:
        info = storage.head("processed", variant.key)
        if info is None or info.size != variant.bytes:
            return False
    return True


def _drop_transforms(storage: Storage, image_id: str) -> None:
    """Delete the image's stored transforms, made with what the old fingerprint covered.
    Before the remake, not after its commit point: once the new manifest is written, a retry
    finds the image up to date and would never drop them. A request meanwhile renders anew
    with the serving process's settings. (Behind a CDN, copies already cached stay until they
    expire: per-image invalidation does not scale to a backfill, as the README explains.)"""
    folder = f"{image_folder(image_id)}{TRANSFORM_FOLDER}/"
    storage.delete("processed", storage.list_keys("processed", folder))
