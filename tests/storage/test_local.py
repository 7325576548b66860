"""Local storage: any S3 key maps inside its bucket folder, writes are atomic."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prism.storage.base import StorageError
from prism.storage.local import LocalStorage, decode_path, encode_key
from tests.odd_keys import ODD_KEYS

keys = st.text(min_size=1, max_size=80).filter(lambda k: "\x00" not in k)


@given(keys)
def test_key_encoding_round_trips_and_stays_inside(key: str) -> None:
    try:
        path = encode_key(key)
    except StorageError:
        return  # a segment too long for a file name: refused, never truncated
    assert decode_path(path) == key
    assert not path.is_absolute()
    assert all(part not in ("", ".", "..") and not part.startswith(".") for part in path.parts)


def test_odd_keys_round_trip(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    for key in [*ODD_KEYS, "a//b", "trailing/", "/leading"]:
        storage.put("uploads", key, key.encode(), "text/plain")
        assert storage.get("uploads", key) == key.encode()
    assert storage.list_keys("uploads", "uploads/") == sorted(ODD_KEYS)
    # Nothing escaped the bucket folder.
    for path in tmp_path.rglob("*"):
        assert path.resolve().is_relative_to((tmp_path / "uploads").resolve())


def test_overwrite_is_atomic_and_leaves_no_temp_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = LocalStorage(tmp_path)
    storage.put("processed", "a/b.jpg", b"old", "image/jpeg")

    def crash(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(StorageError):
        storage.put("processed", "a/b.jpg", b"new", "image/jpeg")
    monkeypatch.undo()
    assert storage.get("processed", "a/b.jpg") == b"old"
    assert [p.name for p in (tmp_path / "processed" / "a").iterdir()] == ["b.jpg"]


def test_head_delete_and_empty_folders(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    etag = storage.put("rejected", "x/y/z.json", b"{}", "application/json")
    info = storage.head("rejected", "x/y/z.json")
    assert info is not None
    assert info.etag == etag == "99914b932bd37a50b983c5e7c90ae93b"  # MD5, like S3
    assert info.size == 2
    storage.delete("rejected", ["x/y/z.json", "not/there"])
    assert storage.head("rejected", "x/y/z.json") is None
    assert list((tmp_path / "rejected").iterdir()) == []


def test_named_buckets(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path, {"uploads": "my-uploads"})
    storage.put("uploads", "k", b"v", "text/plain")
    assert (tmp_path / "my-uploads" / "k").read_bytes() == b"v"
    assert storage.bucket_name("uploads") == "my-uploads"
    assert storage.download_url("uploads", "k", 60, "text/plain") is None
