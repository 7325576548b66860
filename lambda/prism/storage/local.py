"""Storage in a local directory, with S3's semantics: `<root>/<bucket>/<key>`.

Any S3 key is accepted. Each `/`-separated segment is percent-encoded into a file name
(`..`, leading dots and empty segments included), so no key can escape its bucket folder.
Writes go to a temporary file in the same folder, are fsynced, then `os.replace`d into place:
a crash leaves the old object or the new one, never half of one. Temporary files start with a
dot, which an encoded name never does, so listings skip them. A writer killed mid-write leaves
its temporary file behind; the name carries the writer's pid, so `remove_stale_temp_files`
(run when a command starts) can tell them from the files of a write still going on.

Uploads use an HMAC-signed policy, the local stand-in for an S3 presigned POST.
"""

from __future__ import annotations

import base64
import errno
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

from prism.storage.base import (
    BUCKETS,
    Bucket,
    ListPage,
    ObjectInfo,
    StorageError,
    UploadForm,
    start_after,
)

LOCAL_UPLOAD_PATH = "/_local/uploads"
#: OS errors that say "not now" rather than "never": a full disk or quota, too many open
#: files, a busy or read-only (remounted after an error) filesystem, I/O trouble.
_TRANSIENT_ERRNOS = frozenset(
    {
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EMFILE,
        errno.ENFILE,
        errno.EAGAIN,
        errno.EBUSY,
        errno.EIO,
        errno.EROFS,
        errno.ETIMEDOUT,
    }
)
_MAX_NAME = 255
#: `.tmp-<pid>-<random>`: the pid of the writing process, for `remove_stale_temp_files`.
_TEMP_PREFIX = ".tmp-"
#: Past this age a temporary file is stale whatever its pid says (a reused pid, a writer in
#: another pid namespace sharing the folder); a real write takes well under a second.
TEMP_MAX_AGE_S = 3600.0


class UploadDenied(Exception):
    """A local upload broke its policy (as S3 would answer 403 or 400)."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class UploadPolicy:
    key: str
    expires: float
    max_bytes: int


def _etag(data: bytes) -> str:
    # What S3 reports for a single-part upload without KMS.
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def encode_key(key: str) -> Path:
    """The relative path storing `key`. Pure; the inverse of `decode_path`."""
    if not key:
        raise StorageError("empty object key", transient=False)
    parts = []
    for segment in key.split("/"):
        name = quote(segment, safe="") if segment else "%"
        if name.startswith("."):
            name = "%2E" + name[1:]
        if len(name.encode()) > _MAX_NAME:
            raise StorageError("key segment too long for local storage", transient=False)
        parts.append(name)
    return Path(*parts)


def _failure(action: str, key: str, exc: OSError) -> StorageError:
    return StorageError(
        f"cannot {action} {key!r}: {exc.strerror or exc}",
        transient=exc.errno in _TRANSIENT_ERRNOS,
    )


def _stale_temp(path: Path, name: str, now: float) -> bool:
    try:
        age = now - path.stat().st_mtime
    except FileNotFoundError:
        return False  # renamed into place meanwhile
    if age > TEMP_MAX_AGE_S:
        return True
    pid = name[len(_TEMP_PREFIX) :].partition("-")[0]
    return pid.isdigit() and not _alive(int(pid))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # signal 0: only checks that the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def decode_path(relative: Path) -> str:
    return "/".join("" if part == "%" else unquote(part) for part in relative.parts)


class LocalStorage:
    def __init__(self, root: Path, names: Mapping[Bucket, str] | None = None) -> None:
        self.root = root
        self._names: dict[Bucket, str] = {b: b for b in BUCKETS} | dict(names or {})
        self._secret = secrets.token_bytes(32)

    def bucket_name(self, bucket: Bucket) -> str:
        return self._names[bucket]

    def _path(self, bucket: Bucket, key: str) -> Path:
        return self.root / self._names[bucket] / encode_key(key)

    def put(
        self,
        bucket: Bucket,
        key: str,
        data: bytes,
        content_type: str,
        *,
        cache_control: str | None = None,
    ) -> str:
        path = self._path(bucket, key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{_TEMP_PREFIX}{os.getpid()}-")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise _failure("write", key, exc) from exc
        return _etag(data)

    def get(self, bucket: Bucket, key: str) -> bytes | None:
        try:
            return self._path(bucket, key).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        except OSError as exc:
            raise _failure("read", key, exc) from exc

    def head(self, bucket: Bucket, key: str) -> ObjectInfo | None:
        data = self.get(bucket, key)
        if data is None:
            return None
        return ObjectInfo(size=len(data), etag=_etag(data))

    def delete(self, bucket: Bucket, keys: Iterable[str]) -> None:
        top = self.root / self._names[bucket]
        for key in keys:
            path = self._path(bucket, key)
            try:
                path.unlink(missing_ok=True)
            except (NotADirectoryError, IsADirectoryError):
                continue
            except OSError as exc:
                raise _failure("delete", key, exc) from exc
            # Drop emptied folders, as S3 has no folders to leave behind.
            parent = path.parent
            while parent != top and parent.is_relative_to(top):
                try:
                    parent.rmdir()
                except OSError:
                    break
                parent = parent.parent

    def list_keys(self, bucket: Bucket, prefix: str) -> list[str]:
        top = self.root / self._names[bucket]
        keys = []
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                if name.startswith("."):
                    continue
                key = decode_path(Path(dirpath, name).relative_to(top))
                if key.startswith(prefix):
                    keys.append(key)
        return sorted(keys)

    def remove_stale_temp_files(self, *, now: float | None = None) -> int:
        """Delete the temporary files that writers killed mid-write left in the buckets: those
        of a process that no longer runs, and any older than TEMP_MAX_AGE_S. Returns how many
        went. Files of a live writer (a `prism serve` on the same folder) are left alone."""
        now = time.time() if now is None else now
        removed = 0
        for bucket in BUCKETS:
            for dirpath, _dirnames, filenames in os.walk(self.root / self._names[bucket]):
                for name in filenames:
                    path = Path(dirpath, name)
                    if name.startswith(_TEMP_PREFIX) and _stale_temp(path, name, now):
                        try:
                            path.unlink(missing_ok=True)
                        except OSError:
                            continue  # not ours to remove (permissions): harmless, skip it
                        removed += 1
        return removed

    def list_page(
        self,
        bucket: Bucket,
        prefix: str,
        cursor: str | None,
        limit: int,
        *,
        delimiter: str | None = None,
    ) -> ListPage:
        if delimiter not in (None, "/"):
            raise StorageError("local storage lists with '/' or no delimiter", transient=False)
        entries = self._folder(bucket, prefix) if delimiter else self.list_keys(bucket, prefix)
        if cursor:
            after = start_after(cursor, delimiter)
            entries = [e for e in entries if e > after]
        page = entries[:limit]
        prefixes = [e for e in page if delimiter and e.endswith(delimiter)]
        keys = [e for e in page if not (delimiter and e.endswith(delimiter))]
        return ListPage(keys, prefixes, page[-1] if len(entries) > limit else None)

    def _folder(self, bucket: Bucket, prefix: str) -> list[str]:
        """Keys and sub-folders (`name/`) in the folder `prefix` points into, sorted: one
        directory read, as S3 rolls up keys at the delimiter."""
        folder = prefix[: prefix.rfind("/") + 1]
        top = self.root / self._names[bucket]
        path = top / encode_key(folder[:-1]) if folder else top
        entries = []
        try:
            with os.scandir(path) as scan:
                for entry in scan:
                    if entry.name.startswith("."):
                        continue
                    name = folder + decode_path(Path(entry.name))
                    name += "/" if entry.is_dir() else ""
                    if name.startswith(prefix):
                        entries.append(name)
        except (FileNotFoundError, NotADirectoryError):
            return []
        except OSError as exc:
            raise StorageError(f"cannot list {prefix!r}: {exc.strerror}", transient=False) from exc
        return sorted(entries)

    def download_url(
        self, bucket: Bucket, key: str, ttl: int, content_type: str | None
    ) -> str | None:
        return None  # the app serves local bytes itself

    # --- the local stand-in for a presigned POST -------------------------------------------

    def upload_form(self, key: str, ttl: int, max_bytes: int) -> UploadForm:
        policy = json.dumps({"key": key, "expires": time.time() + ttl, "max_bytes": max_bytes})
        encoded = base64.b64encode(policy.encode()).decode()
        return UploadForm(
            url=LOCAL_UPLOAD_PATH,
            fields={"key": key, "policy": encoded, "signature": self._sign(encoded)},
        )

    def check_upload(self, fields: Mapping[str, str]) -> UploadPolicy:
        """The policy of a signed form, if the signature is good and it has not expired."""
        encoded = fields.get("policy", "")
        if not hmac.compare_digest(self._sign(encoded), fields.get("signature", "")):
            raise UploadDenied("the upload form's signature does not match its policy")
        raw = json.loads(base64.b64decode(encoded))
        policy = UploadPolicy(key=raw["key"], expires=raw["expires"], max_bytes=raw["max_bytes"])
        if fields.get("key") != policy.key:
            raise UploadDenied("the key field differs from the signed policy")
        if time.time() > policy.expires:
            raise UploadDenied("the upload form has expired; ask POST /uploads for a new one")
        return policy

    def _sign(self, encoded_policy: str) -> str:
        return hmac.new(self._secret, encoded_policy.encode(), hashlib.sha256).hexdigest()
