"""Storage.list_page: one page of a listing in key order, the same contract on S3 (moto's
server over real HTTP) and on local storage."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from prism.storage.base import Storage, start_after
from prism.storage.local import LocalStorage


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "data")
    from prism.storage.s3 import S3Storage

    endpoint = request.getfixturevalue("moto_endpoint")
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    name = f"list-page-{abs(hash(request.node.nodeid)) % 10**10}"
    client.create_bucket(Bucket=name)
    return S3Storage({"uploads": name, "processed": name, "rejected": name}, client=client)


KEYS = ["a/1", "a/2", "a/b/3", "b/1", "c/\u00fc 1", "d", "e.txt"]


def _walk(storage: Storage, limit: int, **options: object) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        page = storage.list_page("processed", "", cursor, limit, **options)  # type: ignore[arg-type]
        pages.append(sorted(page.keys + page.prefixes))
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


@pytest.mark.parametrize("limit", [1, 2, 3, 100])
def test_list_page_with_delimiter_rolls_up_folders(storage: Storage, limit: int) -> None:
    for key in KEYS:
        storage.put("processed", key, b"x", "application/octet-stream")
    entries = [e for page in _walk(storage, limit, delimiter="/") for e in page]
    assert entries == ["a/", "b/", "c/", "d", "e.txt"]


@pytest.mark.parametrize("limit", [1, 3, 100])
def test_list_page_without_delimiter_lists_every_key(storage: Storage, limit: int) -> None:
    for key in KEYS:
        storage.put("processed", key, b"x", "application/octet-stream")
    pages = _walk(storage, limit)
    assert [k for page in pages for k in page] == sorted(KEYS)
    assert all(len(page) <= limit for page in pages)


def test_list_page_of_a_prefix(storage: Storage) -> None:
    for key in KEYS:
        storage.put("processed", key, b"x", "application/octet-stream")
    page = storage.list_page("processed", "a/", None, 10, delimiter="/")
    assert (page.keys, page.prefixes, page.next_cursor) == (["a/1", "a/2"], ["a/b/"], None)


def test_start_after_a_folder_skips_everything_in_it() -> None:
    assert start_after("abc/", "/") == "abc0"
    assert all("abc/" + tail < "abc0" for tail in ("", "x", "\U0010ffff", "zzz/zzz"))
    assert start_after("abc", "/") == "abc"
    assert start_after("abc/", None) == "abc/"
