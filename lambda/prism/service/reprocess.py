"""Bring one stored image up to date with the current specs: the per-object step shared by
S3 Batch Operations (one task per invocation) and `prism reprocess --data` (a process pool).

For an image whose manifest carries the current fingerprint, for this very original, the
work is one GET of the manifest and one HEAD of the original: nothing is downloaded or
decoded. Otherwise the original is processed again; the manifest is rewritten last (the
commit point), and variants the specs no longer name are removed only when `prune` asks,
after that manifest is written. So a manifest never lists a variant that is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from prism.errors import TooLarge
from prism.keys import image_id_for_upload, manifest_key, rejection_key
from prism.processing import Processor, read_json
from prism.storage import StorageError

if TYPE_CHECKING:
    from prism.service.batch import ResultCode

Status = Literal["reprocessed", "up_to_date", "rejected", "missing", "outside", "failed"]
#: How each status is reported to Batch Operations. `failed` is storage trouble, which a
#: retry may fix; a rejected image or a key outside the uploads prefix will not change.
CODES: dict[Status, ResultCode] = {
    "reprocessed": "Succeeded",
    "up_to_date": "Succeeded",
    "missing": "Succeeded",  # deleted since the job listed it: nothing left to do
    "rejected": "PermanentFailure",
    "outside": "PermanentFailure",
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


def _made_from(record: dict[str, Any] | None, key: str, etag: str) -> bool:
    source = (record or {}).get("source") or {}
    return source.get("key") == key and source.get("etag") == etag


def reprocess_upload(processor: Processor, key: str, *, prune: bool = False) -> TaskOutcome:
    """Make the original at `key` (uploads bucket) current. Never raises StorageError: storage
    trouble comes back as status `failed` so a batch can retry just this object."""
    try:
        return _reprocess(processor, key, prune)
    except StorageError as exc:
        return TaskOutcome(key, "failed", image_id_for_upload(_prefix(processor), key), str(exc))


def _prefix(processor: Processor) -> str:
    return processor.settings.uploads_prefix


def _reprocess(processor: Processor, key: str, prune: bool) -> TaskOutcome:
    storage, settings = processor.storage, processor.settings
    image_id = image_id_for_upload(settings.uploads_prefix, key)
    if image_id is None:
        return TaskOutcome(key, "outside", None, f"not under {settings.uploads_prefix!r}")
    manifest = read_json(storage, "processed", manifest_key(image_id))
    info = storage.head("uploads", key)
    if info is None:
        return TaskOutcome(key, "missing", image_id, "the original is gone")
    if _made_from(manifest, key, info.etag):
        assert manifest is not None
        if manifest.get("fingerprint") == processor.fingerprint:
            if prune:
                processor.prune(image_id, manifest)
            return TaskOutcome(key, "up_to_date", image_id)
    else:
        rejection = read_json(storage, "rejected", rejection_key(image_id))
        if _made_from(rejection, key, info.etag):
            assert rejection is not None
            reason = f"{rejection.get('reason')}: {rejection.get('detail')}"
            return TaskOutcome(key, "rejected", image_id, reason)
    if info.size > settings.limits.max_input_bytes:
        error = TooLarge(
            f"the file is {info.size} bytes; the limit is {settings.limits.max_input_bytes}"
        )
        processor.reject(image_id, key, info.etag, info.size, error)
        return TaskOutcome(key, "rejected", image_id, f"{error.reason}: {error.detail}")
    data = storage.get("uploads", key)
    if data is None:
        return TaskOutcome(key, "missing", image_id, "the original is gone")
    outcome = processor.remake(image_id, key, info.etag, data, prune=prune)
    if outcome.status == "rejected":
        record = outcome.record or {}
        reason = f"{record.get('reason')}: {record.get('detail')}"
        return TaskOutcome(key, "rejected", image_id, reason)
    variants = ", ".join(v["name"] for v in (outcome.record or {}).get("variants", []))
    return TaskOutcome(key, "reprocessed", image_id, variants)
