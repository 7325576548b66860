"""Issue 17, items 4 and 6: events that can never succeed, and events that cost too much.

Lambda retries a failed event until it dead-letters, and the records after a bad one never
run. So each record is handled on its own: one that can never succeed (an S3 "folder" key,
a key that is not UTF-8, a key segment too long for local storage) is answered as handled and
named, and the good records beside it are processed. A body no JSON parser should recurse
into is a bad event (400), not a crash. Duplicate records cost one run, records per event and
the body's size are capped.

Driven over HTTP (POST /events as the Lambda Web Adapter sends it), on local storage and on
S3 (moto's server).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient

from prism.core.settings import load_settings
from prism.http.app import create_app
from prism.service.events import object_created_event
from tests.images import small_image
from tests.reliability.aws import bucket_env
from tests.reliability.paths import PROBLEM

ADAPTER = {"content-type": "application/json", "x-amzn-request-context": "null"}


class Backend:
    """The app on one storage backend, and a way to put an original into its uploads bucket."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.storage = client.app.state.storage
        self.uploads = self.storage.bucket_name("uploads")

    def put_original(self, key: str, data: bytes) -> dict[str, Any]:
        """Store `data` as an upload and return the one-record event S3 would send."""
        etag = self.storage.put("uploads", key, data, "image/jpeg")
        return object_created_event(self.uploads, key, len(data), etag)

    def post_event(self, event: Any) -> Any:
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        return self.client.post("/events", content=body, headers=ADAPTER)


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "local":
        env = {"PRISM_STORAGE": "local", "PRISM_DATA_DIR": str(tmp_path / "data")}
    else:
        names = request.getfixturevalue("buckets")
        env = {"PRISM_STORAGE": "s3"} | bucket_env(names)
    with TestClient(create_app(load_settings(env))) as client:
        yield Backend(client)


@pytest.fixture
def local(tmp_path: Path) -> Iterator[Backend]:
    env = {"PRISM_STORAGE": "local", "PRISM_DATA_DIR": str(tmp_path / "data")}
    with TestClient(create_app(load_settings(env))) as client:
        yield Backend(client)


def with_key(event: dict[str, Any], raw_key: str, size: int = 0) -> dict[str, Any]:
    """The event's record, for another key (given as S3 writes it into the event)."""
    record = copy.deepcopy(event["Records"][0])
    record["s3"]["object"]["key"] = raw_key
    record["s3"]["object"]["size"] = size
    return record


def handled_elsewhere(body: dict[str, Any]) -> int:
    """How many records the answer names as not processed: ignored or failed."""
    return int(body.get("ignored", 0)) + len(body.get("failed", []))


# --- item 4: records that can never succeed -----------------------------------------------------


def test_folder_keys_are_handled_and_the_good_record_runs(backend: Backend) -> None:
    good = backend.put_original("uploads/photo.jpg", small_image("JPEG"))
    # The S3 console's "Create folder" writes zero-byte objects whose keys end in "/".
    backend.storage.put("uploads", "uploads/holiday/", b"", "application/x-directory")
    poison = [with_key(good, "uploads/"), with_key(good, "uploads/holiday/")]
    event = {"Records": [poison[0], good["Records"][0], poison[1]]}
    response = backend.post_event(event)
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["processed"]) == 1, body
    assert handled_elsewhere(body) == 2, body
    assert backend.client.get(f"/images/{body['processed'][0]}").status_code == 200


def test_a_key_with_a_lone_surrogate_is_handled_and_the_good_record_runs(
    backend: Backend,
) -> None:
    good = backend.put_original("uploads/photo.jpg", small_image("JPEG"))
    event = {"Records": [with_key(good, "uploads/\ud800.jpg", 10), good["Records"][0]]}
    body_bytes = json.dumps(event).encode()  # ASCII JSON: the surrogate as the escape \ud800
    assert b"\\ud800" in body_bytes
    response = backend.post_event(body_bytes)
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["processed"]) == 1, body
    assert handled_elsewhere(body) == 1, body


def test_a_key_segment_too_long_for_local_storage_is_handled(local: Backend) -> None:
    good = local.put_original("uploads/photo.jpg", small_image("JPEG"))
    long_key = "uploads/" + "a" * 300 + ".jpg"
    event = {"Records": [with_key(good, long_key, 10), good["Records"][0]]}
    response = local.post_event(event)
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["processed"]) == 1, body
    assert handled_elsewhere(body) == 1, body


def test_deeply_nested_json_is_a_bad_event_not_a_crash(local: Backend) -> None:
    depth = 100_000
    response = local.post_event(b"[" * depth + b"]" * depth)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["type"] == "urn:prism:problem:bad_event"


# --- item 6: duplicates, records per event, body size ---------------------------------------------


def test_duplicate_records_in_one_event_run_once(backend: Backend) -> None:
    reads: list[str] = []
    storage = backend.storage
    real_get = storage.get

    def counting_get(bucket: str, key: str) -> bytes | None:
        if bucket == "uploads":
            reads.append(key)
        return real_get(bucket, key)

    storage.get = counting_get  # how often the original is read (downloaded)
    try:
        once = backend.put_original("uploads/once.jpg", small_image("JPEG", seed=1))
        assert backend.post_event(once).status_code == 200
        single = reads.count("uploads/once.jpg")
        good = backend.put_original("uploads/photo.jpg", small_image("JPEG", seed=2))
        response = backend.post_event({"Records": good["Records"] * 50})
    finally:
        del storage.get
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["processed"]) == 1, body
    assert body["ignored"] == 49, body
    assert reads.count("uploads/photo.jpg") == single >= 1


def test_records_per_event_are_capped(local: Backend) -> None:
    template = local.put_original("uploads/first.jpg", small_image("JPEG"))
    records = [with_key(template, f"uploads/missing-{n}.jpg", 10) for n in range(1001)]
    response = local.post_event({"Records": records})
    assert 400 <= response.status_code < 500, response.text[:300]
    assert response.headers["content-type"].startswith(PROBLEM)
    assert local.storage.list_keys("processed", "") == []


def test_the_events_body_is_capped(local: Backend) -> None:
    body = b" " * (8 * 1024 * 1024) + b'{"Records": []}'
    response = local.post_event(body)
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith(PROBLEM)


def test_s3_really_stores_folder_keys(buckets: dict[str, str]) -> None:
    """The fixture's premise, on moto: a key ending in "/" is an ordinary zero-byte object."""
    s3 = boto3.client("s3")
    s3.put_object(Bucket=buckets["uploads"], Key="uploads/holiday/", Body=b"")
    assert s3.head_object(Bucket=buckets["uploads"], Key="uploads/holiday/")["ContentLength"] == 0
