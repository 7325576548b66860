"""Where things live: image ids and the storage keys derived from them. Pure functions only.

Layout (one logical bucket each):
  uploads    <prefix><id>                originals (POST /uploads and POST /images write here;
             <prefix><anything else>     any other key under the prefix is accepted too)
  processed  <id>/manifest.json          written last: its presence means "done"
             <id>/<variant>.<ext>
  rejected   <id>.json                   why the upload was refused
             claims/<id>.json            POST /images is processing <id> until a time (short-lived)

An image id is 32 lowercase hex characters. Keys under the uploads prefix that are not already
an id (e.g. `uploads/Happy Face.jpg` copied in by hand) get the id `sha256(key)[:32]`, so the
same key always maps to the same id (idempotent re-processing) and no key, however odd, can
reach a path outside the id's own folder.

Ids Prism mints sort newest first: `0000`, the time in milliseconds counted down from 2**44
(later is smaller, until the year 2527), then 68 random bits. Storage lists keys in byte
order, so the processed bucket's folders `<id>/` come newest first and a page of the gallery
is one listing call, never a scan of the bucket. Hash ids carry no time: they list after
every minted id (only 1 in 65536 starts with `0000`).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime

ID_PATTERN = r"^[0-9a-f]{32}$"
_ID = re.compile(ID_PATTERN)
MANIFEST = "manifest.json"


_TIME_SPAN_MS = 1 << 44  # 11 hex digits of milliseconds: 557 years from 1970
_RANDOM_BITS = 68  # 17 hex digits: ids minted in the same millisecond still differ


def new_image_id(now: datetime | None = None) -> str:
    millis = int((now or datetime.now(UTC)).timestamp() * 1000)
    countdown = _TIME_SPAN_MS - 1 - millis
    return f"0000{countdown:011x}{secrets.randbits(_RANDOM_BITS):017x}"


def is_image_id(value: str) -> bool:
    return bool(_ID.fullmatch(value))


def upload_key(prefix: str, image_id: str) -> str:
    """Key of an original uploaded through the API."""
    return f"{prefix}{image_id}"


def image_id_for_upload(prefix: str, key: str) -> str | None:
    """The image id of an upload key, or None if the key is outside the uploads prefix."""
    if not key.startswith(prefix) or key == prefix or key.endswith("/"):
        return None
    rest = key[len(prefix) :]
    if is_image_id(rest):
        return rest
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def image_folder(image_id: str) -> str:
    _check(image_id)
    return f"{image_id}/"


def manifest_key(image_id: str) -> str:
    return image_folder(image_id) + MANIFEST


def variant_key(image_id: str, name: str, extension: str) -> str:
    return f"{image_folder(image_id)}{name}.{extension}"


def rejection_key(image_id: str) -> str:
    _check(image_id)
    return f"{image_id}.json"


def claim_key(image_id: str) -> str:
    """Where POST /images notes that it is processing an upload (prism.service.claims)."""
    _check(image_id)
    return f"claims/{image_id}.json"


def _check(image_id: str) -> None:
    # Last line of defence: every key built from an id goes through here.
    if not is_image_id(image_id):
        raise ValueError(f"not an image id: {image_id!r}")
