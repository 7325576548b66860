"""GET /images: processed images newest first, paged by storage listing (StartAfter), on
local storage and on S3 (moto's server over real HTTP)."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import thash
from fastapi.testclient import TestClient
from http_support import PROBLEM

from prism.core.settings import Settings
from prism.http.app import create_app
from prism.storage.base import Storage
from prism.storage.layout import image_id_for_upload, new_image_id, variant_key
from prism.storage.records import ManifestRecord, SourceRecord, VariantRecord, write_manifest
from tests.images import rotated_jpeg

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _record(image_id: str) -> ManifestRecord:
    key = variant_key(image_id, "thumb", "jpg")
    return ManifestRecord(
        id=image_id,
        processed_at="2026-01-02T03:04:05Z",
        source=SourceRecord(f"uploads/{image_id}", "etag", "JPEG", 40, 30, "RGB", 1, 1234),
        variants=(VariantRecord("thumb", "jpeg", "image/jpeg", 40, 30, 321, key),),
    )


def _store(storage: Storage, image_id: str) -> None:
    """An image as processing leaves it: a variant, then the manifest (the commit point)."""
    record = _record(image_id)
    storage.put("processed", record.variants[0].key, b"jpeg bytes", "image/jpeg")
    write_manifest(storage, record)


@pytest.fixture(params=["local", "s3"])
def app_and_storage(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[TestClient, Storage]]:
    if request.param == "local":
        settings: Settings = request.getfixturevalue("make_settings")()
    else:
        settings = request.getfixturevalue("s3_settings")
    app = create_app(settings)
    with TestClient(app) as client:
        yield client, app.state.storage


def _pages(client: TestClient, limit: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        response = client.get("/images", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append([item["id"] for item in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50, "the cursor never ran out"


def test_pages_cover_every_image_once_newest_first(
    app_and_storage: tuple[TestClient, Storage],
) -> None:
    client, storage = app_and_storage
    minted = [new_image_id(T0 + timedelta(seconds=i)) for i in range(23)]
    for image_id in minted:
        _store(storage, image_id)
    pages = _pages(client, limit=5)
    assert [len(page) for page in pages] == [5, 5, 5, 5, 3]
    listed = [image_id for page in pages for image_id in page]
    assert listed == list(reversed(minted))  # newest first, each once
    # Stable: the same listing again gives the same pages.
    assert _pages(client, limit=5) == pages


def test_manifests_come_with_variant_urls(app_and_storage: tuple[TestClient, Storage]) -> None:
    client, storage = app_and_storage
    image_id = new_image_id()
    _store(storage, image_id)
    body = client.get("/images").json()
    assert body["next_cursor"] is None
    [item] = body["items"]
    assert item["id"] == image_id
    assert item["source"]["bytes"] == 1234
    assert item["variants"][0]["url"].endswith(f"/images/{image_id}/thumb")
    assert "key" not in item["variants"][0]


def test_unfinished_folders_and_strays_are_skipped_but_paging_goes_on(
    app_and_storage: tuple[TestClient, Storage],
) -> None:
    client, storage = app_and_storage
    done = [new_image_id(T0 + timedelta(minutes=i)) for i in range(4)]
    for image_id in done:
        _store(storage, image_id)
    # Being processed: a variant is there, its manifest not yet.
    busy = new_image_id(T0 + timedelta(minutes=2, seconds=30))
    storage.put("processed", variant_key(busy, "thumb", "jpg"), b"x", "image/jpeg")
    # Not Prism's: a stray top-level object and folder.
    storage.put("processed", "README.txt", b"hello", "text/plain")
    storage.put("processed", "zz-other/thing.bin", b"x", "application/octet-stream")
    pages = _pages(client, limit=2)
    assert [i for page in pages for i in page] == list(reversed(done))
    assert all(len(page) <= 2 for page in pages)


def test_ids_without_time_list_after_minted_ones(
    app_and_storage: tuple[TestClient, Storage],
) -> None:
    client, storage = app_and_storage
    minted = new_image_id(T0)
    hashed = image_id_for_upload("uploads/", "uploads/Holiday 2024/beach.jpg")
    assert hashed is not None
    for image_id in (hashed, minted):
        _store(storage, image_id)
    assert [i for page in _pages(client, limit=1) for i in page] == [minted, hashed]


@pytest.mark.parametrize("cursor", ["%%%", "not base64!", "AAAA\u00e9", "=", "A", "a" * 3000])
def test_a_bad_cursor_is_a_400_problem(
    app_and_storage: tuple[TestClient, Storage], cursor: str
) -> None:
    client, _ = app_and_storage
    response = client.get("/images", params={"cursor": cursor})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM
    assert "cursor" in response.json()["detail"]


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten"])
def test_a_bad_limit_is_a_422_problem(client: TestClient, limit: str) -> None:
    response = client.get("/images", params={"limit": limit})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM


def test_listing_is_documented(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/images"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"cursor", "limit"}
    assert {"200", "400", "422"} <= set(operation["responses"])


def test_minted_ids_sort_newest_first() -> None:
    times = [T0 + timedelta(milliseconds=ms) for ms in (0, 1, 2, 1000, 10**9)]
    ids = [new_image_id(t) for t in times]
    assert ids == sorted(ids, reverse=True)
    assert all(i.startswith("0000") and len(i) == 32 for i in ids)
    assert len({new_image_id(T0) for _ in range(1000)}) == 1000  # same millisecond, distinct


def test_items_carry_the_upright_size_placeholder_and_colour(
    app_and_storage: tuple[TestClient, Storage],
) -> None:
    client, _ = app_and_storage
    posted = client.post(
        "/images", content=rotated_jpeg(160, 90), headers={"content-type": "image/jpeg"}
    )
    assert posted.status_code == 201, posted.text
    image_id = posted.json()["id"]
    items = client.get("/images").json()["items"]
    shown = client.get(f"/images/{image_id}").json()
    (listed,) = [item for item in items if item["id"] == image_id]
    assert listed == shown
    # Stored sideways with EXIF orientation 6: upright it is landscape.
    assert (listed["width"], listed["height"]) == (160, 90)
    assert re.fullmatch(r"#[0-9a-f]{6}", listed["color"])
    hashed = list(base64.b64decode(listed["placeholder"]))
    assert thash.thumb_hash_to_approximate_aspect_ratio(hashed) > 1


def test_an_old_manifest_is_listed_with_its_size_and_a_null_placeholder(
    app_and_storage: tuple[TestClient, Storage],
) -> None:
    client, storage = app_and_storage
    image_id = new_image_id(T0)
    _store(storage, image_id)  # a record without the new fields, as before issue 27
    (item,) = client.get("/images").json()["items"]
    assert (item["width"], item["height"], item["placeholder"], item["color"]) == (
        40,
        30,
        None,
        None,
    )
