"""Reading and deleting what Prism stored about one image id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from prism.core.settings import Settings
from prism.storage.base import Storage
from prism.storage.layout import image_folder, manifest_key, rejection_key, upload_key
from prism.storage.records import ManifestRecord, RejectionRecord, read_manifest, read_rejection

State = Literal["processed", "rejected", "pending", "unknown"]


@dataclass(frozen=True, slots=True)
class Lookup:
    state: State
    record: ManifestRecord | RejectionRecord | None = None


def _recorded(storage: Storage, image_id: str) -> Lookup | None:
    """What was recorded about the image: its manifest first (the commit point), then a
    rejection; None for neither."""
    manifest = read_manifest(storage, image_id)
    if manifest is not None:
        return Lookup("processed", manifest)
    rejection = read_rejection(storage, image_id)
    return Lookup("rejected", rejection) if rejection is not None else None


def lookup(storage: Storage, settings: Settings, image_id: str) -> Lookup:
    """Manifest first (the commit point), then a rejection, then an unprocessed upload."""
    if (found := _recorded(storage, image_id)) is not None:
        return found
    if storage.head("uploads", upload_key(settings.uploads_prefix, image_id)) is not None:
        return Lookup("pending")
    return Lookup("unknown")


def read_original(
    storage: Storage, settings: Settings, image_id: str
) -> tuple[Lookup, bytes | None]:
    """The image's state with its original's bytes (None if gone): the manifest's source,
    or the upload while it is still pending. The same order as lookup(), but the upload is
    read rather than checked first: on local storage a HEAD hashes the whole file."""
    found = _recorded(storage, image_id)
    if found is not None and not isinstance(found.record, ManifestRecord):
        return found, None  # rejected
    # Processed: the manifest says which upload; pending: the API's own upload key.
    key = (
        upload_key(settings.uploads_prefix, image_id) if found is None else found.record.source.key
    )
    data = storage.get("uploads", key)
    if found is not None:
        return found, data
    return Lookup("pending" if data is not None else "unknown"), data


def delete_image(storage: Storage, settings: Settings, image_id: str) -> bool:
    """Remove original, variants, transforms (all under the image folder), manifest and
    rejection record. False if nothing was there."""
    found = lookup(storage, settings, image_id)
    originals = {upload_key(settings.uploads_prefix, image_id)}
    if found.record is not None and found.record.source.key.startswith(settings.uploads_prefix):
        originals.add(found.record.source.key)
    processed = storage.list_keys("processed", image_folder(image_id))
    if found.state == "unknown" and not processed:
        return False
    # The original first: a run processing it checks for it after its commit point and
    # undoes its own writes if it is gone. Then the manifest, so a concurrent reader never
    # sees a manifest without its variants; then the folder, listed again now, so variants
    # a run wrote meanwhile go too.
    storage.delete("uploads", sorted(originals))
    storage.delete("processed", [manifest_key(image_id)])
    storage.delete("processed", storage.list_keys("processed", image_folder(image_id)))
    storage.delete("rejected", [rejection_key(image_id)])
    return True
