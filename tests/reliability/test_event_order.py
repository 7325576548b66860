"""Duplicate and out-of-order S3 events, on S3 (moto's server): harmless.

S3 delivers notifications at least once and in no guaranteed order; Lambda may run two
deliveries at the same time. Whatever the order, the end state matches the object that is in
the uploads bucket now, every manifest is complete, and nothing is processed twice for
nothing.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from prism.core.settings import load_settings
from prism.http.app import create_app
from prism.service.events import object_created_event
from tests.images import small_image
from tests.reliability.aws import bucket_env
from tests.reliability.results import at_session_end

ADAPTER = {"content-type": "application/json", "x-amzn-request-context": "null"}
KEY = "uploads/cat.jpg"
RESULTS: list[dict[str, Any]] = []


@pytest.fixture
def client(buckets: dict[str, str]) -> Iterator[TestClient]:
    settings = load_settings({"PRISM_STORAGE": "s3"} | bucket_env(buckets))
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def upload(buckets: dict[str, str], data: bytes, key: str = KEY) -> dict[str, Any]:
    put = boto3.client("s3").put_object(Bucket=buckets["uploads"], Key=key, Body=data)
    return object_created_event(buckets["uploads"], key, len(data), put["ETag"].strip('"'))


def deliver(client: TestClient, event: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/events", json=event, headers=ADAPTER)
    assert response.status_code == 200, response.text
    return response.json()


def state(client: TestClient, image_id: str) -> dict[str, Any]:
    """What an API caller sees, with every variant checked against the manifest."""
    response = client.get(f"/images/{image_id}")
    if response.status_code != 200:
        return {"status": response.status_code, "reason": response.json().get("reason")}
    storage = client.app.state.storage  # type: ignore[attr-defined]
    manifest = json.loads(storage.get("processed", f"{image_id}/manifest.json"))
    for variant in manifest["variants"]:
        data = storage.get("processed", variant["key"])
        assert data is not None, variant
        assert len(data) == variant["bytes"], variant
        with Image.open(io.BytesIO(data)) as im:
            assert im.size == (variant["width"], variant["height"])
    keys = set(storage.list_keys("processed", f"{image_id}/"))
    assert keys == {f"{image_id}/manifest.json"} | {v["key"] for v in manifest["variants"]}
    return {"status": 200, "etag": manifest["source"]["etag"], "width": manifest["source"]["width"]}


def test_duplicates_in_one_event_and_across_events(
    client: TestClient, buckets: dict[str, str]
) -> None:
    event = upload(buckets, small_image())
    tripled = {"Records": event["Records"] * 3}
    first = deliver(client, tripled)
    (image_id,) = set(first["processed"])
    before = state(client, image_id)
    manifest_before = client.get(f"/images/{image_id}").json()
    for _ in range(3):
        deliver(client, event)
    assert state(client, image_id) == before
    # Re-deliveries were no-ops: the manifest (with its timestamp) is the first one.
    assert client.get(f"/images/{image_id}").json() == manifest_before
    RESULTS.append({"case": "same record x3 in one event, then 3 more deliveries", "ok": True})


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("small-jpeg", "large-png", "large-png"),
        ("valid", "not-an-image", "not-an-image"),
        ("not-an-image", "valid", "valid"),
    ],
)
def test_stale_event_delivered_last_changes_nothing(
    client: TestClient, buckets: dict[str, str], first: str, second: str, expected: str
) -> None:
    """Two uploads to one key; their events arrive newest first, then the stale one."""
    bodies = {
        "small-jpeg": small_image(size=(120, 80)),
        "large-png": small_image("PNG", size=(400, 300), seed=3),
        "valid": small_image(seed=4),
        "not-an-image": b"%PDF-1.4 definitely not an image",
    }
    old_event = upload(buckets, bodies[first])
    new_event = upload(buckets, bodies[second])
    newest = deliver(client, new_event)
    image_id = (newest["processed"] or [r["id"] for r in newest["rejected"]])[0]
    settled = state(client, image_id)
    stale = deliver(client, old_event)
    assert state(client, image_id) == settled
    # The stale event was recognised as the current object already handled.
    assert stale["processed"] + [r["id"] for r in stale["rejected"]] == [image_id]
    if expected == "not-an-image":
        assert settled == {"status": 422, "reason": "unsupported_format"}
        assert client.app.state.storage.list_keys("processed", f"{image_id}/") == []  # type: ignore[attr-defined]
    else:
        etag = new_event["Records"][0]["s3"]["object"]["eTag"]
        assert settled["etag"] == etag
    RESULTS.append({"case": f"{first} then {second}, events reversed", "ok": True})


def test_concurrent_duplicate_deliveries(client: TestClient, buckets: dict[str, str]) -> None:
    """Lambda may run the same event twice at once: the result is one complete image."""
    event = upload(buckets, small_image("PNG", size=(300, 200)))
    results: list[dict[str, Any]] = []
    threads = [
        threading.Thread(target=lambda: results.append(deliver(client, event))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 4
    ids = {i for r in results for i in r["processed"]}
    assert len(ids) == 1
    assert state(client, ids.pop())["status"] == 200
    RESULTS.append({"case": "4 concurrent deliveries of one event", "ok": True})


def test_event_after_delete_recreates_nothing(client: TestClient, buckets: dict[str, str]) -> None:
    event = upload(buckets, small_image())
    (image_id,) = deliver(client, event)["processed"]
    assert client.delete(f"/images/{image_id}").status_code == 204
    late = deliver(client, event)
    assert late["missing"] == [image_id]
    assert client.get(f"/images/{image_id}").status_code == 404
    RESULTS.append({"case": "event delivered after DELETE", "ok": True})


@at_session_end("event-order")
def _event_order_summary() -> dict[str, Any] | None:
    if not RESULTS:
        return None  # no event-order test ran in this session
    return {"cases": RESULTS}
