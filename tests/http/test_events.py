"""S3-triggered processing: event parsing, odd keys, idempotency, failures, logs and metrics."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from http_support import SHARED_EVENTS, assert_problem, pass_through_headers
from hypothesis import given
from hypothesis import strategies as st

from prism.core.constants import RETRY_STATUS
from prism.core.settings import Settings
from prism.http.app import create_app
from prism.service.events import MalformedEvent, object_created_event, select_uploads
from prism.storage.base import StorageError
from prism.storage.layout import image_id_for_upload, is_image_id, new_image_id
from prism.storage.local import LocalStorage
from tests.images import image_bytes
from tests.odd_keys import ODD_KEYS


def deliver(client: TestClient, event: dict[str, Any]) -> Any:
    return client.post("/events", json=event, headers=pass_through_headers())


def upload(client: TestClient, key: str, data: bytes) -> dict[str, Any]:
    """Store an original as S3 would, and build the event S3 would send for it."""
    storage = client.app.state.storage
    etag = storage.put("uploads", key, data, "image/jpeg")
    return object_created_event(storage.bucket_name("uploads"), key, len(data), etag)


def files_under(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


# --- parsing ---------------------------------------------------------------------------------


# A key ending in "/" is a folder marker, which select_uploads ignores on purpose.
@given(st.text(min_size=1, max_size=60).filter(lambda k: "\x00" not in k and not k.endswith("/")))
def test_keys_round_trip_through_form_encoding(name: str) -> None:
    key = "uploads/" + name
    event = object_created_event("bucket", key, 1, "etag")
    selected = select_uploads(json.loads(json.dumps(event)), "bucket", "uploads/")
    assert [o.key for o in selected.objects] == [key]


def test_form_encoding_is_decoded_as_s3_sends_it() -> None:
    def record(raw: str) -> dict[str, Any]:
        return {
            "eventSource": "aws:s3",
            "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": "b"}, "object": {"key": raw, "size": 3, "eTag": "e"}},
        }

    event = {"Records": [record("up/red+flower.jpg"), record("up/a%2Bb.jpg"), record("up/%C3%BC")]}
    keys = [o.key for o in select_uploads(event, "b", "up/").objects]
    assert keys == ["up/red flower.jpg", "up/a+b.jpg", "up/ü"]


def test_other_buckets_prefixes_and_event_types_are_ignored() -> None:
    def record(bucket: str, key: str, name: str, source: str = "aws:s3") -> dict[str, Any]:
        return {
            "eventSource": source,
            "eventName": name,
            "s3": {"bucket": {"name": bucket}, "object": {"key": key}},
        }

    event = {
        "Records": [
            record("uploads", "uploads/a", "ObjectCreated:Put"),
            record("other", "uploads/b", "ObjectCreated:Put"),
            record("uploads", "elsewhere/c", "ObjectCreated:Put"),
            record("uploads", "uploads/d", "ObjectRemoved:Delete"),
            record("uploads", "uploads/e", "ObjectCreated:Put", source="aws:sqs"),
        ]
    }
    selection = select_uploads(event, "uploads", "uploads/")
    assert [o.key for o in selection.objects] == ["uploads/a"]
    assert selection.ignored == 4


def test_bad_utf8_escape_is_malformed() -> None:
    event = object_created_event("b", "uploads/x", 1, "e")
    event["Records"][0]["s3"]["object"]["key"] = "uploads/%FF"
    with pytest.raises(MalformedEvent):
        select_uploads(event, "b", "uploads/")


def test_image_ids_are_safe_for_any_key() -> None:
    assert image_id_for_upload("uploads/", "uploads/" + "a" * 32) == "a" * 32
    for key in ODD_KEYS:
        image_id = image_id_for_upload("uploads/", key)
        assert image_id is not None
        assert is_image_id(image_id)
        assert image_id == image_id_for_upload("uploads/", key)  # deterministic
    assert image_id_for_upload("uploads/", "other/x") is None
    assert image_id_for_upload("uploads/", "uploads/") is None


# --- official samples from ../shared/events ---------------------------------------------------


def _samples(folder: str) -> list[Path]:
    if not SHARED_EVENTS.is_dir():
        pytest.skip("../shared/events is not present")
    return sorted((SHARED_EVENTS / folder).glob("*.json"))


def test_official_s3_samples_decode() -> None:
    seen = {}
    for path in _samples("s3"):
        event = json.loads(path.read_text())
        if "Records" not in event:
            with pytest.raises(MalformedEvent):
                select_uploads(event, "x", "")
            continue
        if event["Records"][0].get("eventSource") != "aws:s3":
            continue  # the SQS-wrapped sample
        bucket = event["Records"][0]["s3"]["bucket"]["name"]
        seen[path.name] = [o.key for o in select_uploads(event, bucket, "").objects]
    assert seen["lambda-go__s3-event.json"] == ["Happy Face.jpg"]
    assert seen["java-libs__s3_event.json"] == ["test/key"]
    assert seen["powertools__s3EventDeleteObject.json"] == []  # ObjectRemoved
    assert seen["lambda-go__s3-glacier-event.json"] == []  # ObjectRestore


def test_official_s3_sample_processes_end_to_end(client: TestClient, jpeg: bytes) -> None:
    (path,) = [p for p in _samples("s3") if p.name == "lambda-go__s3-event.json"]
    event = json.loads(path.read_text())
    # Point the sample at this app's bucket and prefix; the key stays AWS-encoded.
    record = event["Records"][0]
    record["s3"]["bucket"]["name"] = "uploads"
    record["s3"]["object"]["key"] = "uploads/" + record["s3"]["object"]["key"]
    client.app.state.storage.put("uploads", "uploads/Happy Face.jpg", jpeg, "image/jpeg")
    response = deliver(client, event)
    assert response.status_code == 200, response.text
    (image_id,) = response.json()["processed"]
    assert client.get(f"/images/{image_id}").json()["source"]["key"] == "uploads/Happy Face.jpg"


def test_function_url_samples_are_not_events(client: TestClient) -> None:
    for path in _samples("function_url"):
        event = json.loads(path.read_text())
        if "requestContext" not in event:
            continue  # the response sample
        assert_problem(deliver(client, event), 400, "bad_event")


# --- processing through the events route -----------------------------------------------------


@pytest.mark.parametrize("key", ODD_KEYS)
def test_odd_keys_round_trip(client: TestClient, jpeg: bytes, key: str) -> None:
    response = deliver(client, upload(client, key, jpeg))
    assert response.status_code == 200, response.text
    (image_id,) = response.json()["processed"]
    manifest = client.get(f"/images/{image_id}").json()
    assert manifest["source"]["key"] == key
    assert client.get(manifest["variants"][0]["url"]).status_code == 200
    assert client.delete(f"/images/{image_id}").status_code == 204
    assert client.app.state.storage.get("uploads", key) is None


def test_same_event_twice_changes_nothing(
    client: TestClient, settings: Settings, jpeg: bytes
) -> None:
    event = upload(client, "uploads/twice.jpg", jpeg)
    assert deliver(client, event).status_code == 200
    assert settings.data_dir is not None
    before = files_under(settings.data_dir)
    second = deliver(client, event)
    assert second.status_code == 200
    assert len(second.json()["processed"]) == 1
    assert files_under(settings.data_dir) == before


def test_rejected_upload_keeps_original_and_records_why(
    client: TestClient, settings: Settings
) -> None:
    junk = b"definitely not an image" * 4
    event = upload(client, "uploads/junk.png", junk)
    response = deliver(client, event)
    assert response.status_code == 200  # handled: no retry storm
    (rejected,) = response.json()["rejected"]
    assert rejected["reason"] == "unsupported_format"
    storage = client.app.state.storage
    assert storage.get("uploads", "uploads/junk.png") == junk
    record = json.loads(storage.get("rejected", f"{rejected['id']}.json"))
    assert record["reason"] == "unsupported_format"
    assert record["bytes"] == len(junk)
    assert record["rejected_at"].endswith("Z")
    assert "detected_format" in record
    # Re-delivery leaves the same record (same time: it is not rewritten).
    deliver(client, event)
    assert json.loads(storage.get("rejected", f"{rejected['id']}.json")) == record


def test_too_large_upload_is_rejected_before_download(make_settings: Any, jpeg: bytes) -> None:
    client = TestClient(create_app(make_settings(PRISM_MAX_INPUT_BYTES="100")))
    response = deliver(client, upload(client, "uploads/big.jpg", jpeg))
    assert response.json()["rejected"][0]["reason"] == "too_large"


def test_reupload_replaces_rejection_and_vice_versa(client: TestClient, jpeg: bytes) -> None:
    key = "uploads/changing.jpg"
    first = deliver(client, upload(client, key, b"junk" * 10)).json()
    image_id = first["rejected"][0]["id"]
    assert client.get(f"/images/{image_id}").status_code == 422
    deliver(client, upload(client, key, jpeg))
    assert client.get(f"/images/{image_id}").status_code == 200
    deliver(client, upload(client, key, b"junk again" * 10))
    assert client.get(f"/images/{image_id}").status_code == 422
    assert client.app.state.storage.list_keys("processed", f"{image_id}/") == []


def test_deleted_upload_is_handled_as_missing(client: TestClient, jpeg: bytes) -> None:
    event = upload(client, "uploads/gone.jpg", jpeg)
    client.app.state.storage.delete("uploads", ["uploads/gone.jpg"])
    body = deliver(client, event).json()
    assert len(body["missing"]) == 1


class FlakyStorage(LocalStorage):
    """Local storage whose manifest writes fail, like S3 throttling at the worst moment."""

    failing = True

    def put(self, bucket, key, data, content_type):  # type: ignore[no-untyped-def]
        if self.failing and key.endswith("manifest.json"):
            raise StorageError("SlowDown", transient=True)
        return super().put(bucket, key, data, content_type)


def test_transient_failure_fails_invocation_and_retry_completes(
    settings: Settings, jpeg: bytes
) -> None:
    assert settings.data_dir is not None
    storage = FlakyStorage(settings.data_dir)
    client = TestClient(create_app(settings, storage=storage))
    image_id = new_image_id()
    event = upload(client, f"uploads/{image_id}", jpeg)
    response = deliver(client, event)
    assert_problem(response, RETRY_STATUS, "retry")  # the status the adapter turns into a failure
    # The variants written before the failure were removed again: nothing half-written.
    assert storage.list_keys("processed", f"{image_id}/") == []
    assert client.get(f"/images/{image_id}").status_code == 202
    storage.failing = False
    assert deliver(client, event).json()["processed"] == [image_id]
    manifest = client.get(f"/images/{image_id}").json()
    for variant in manifest["variants"]:
        assert client.get(variant["url"]).status_code == 200


def test_logs_and_emf_metrics(
    client: TestClient, jpeg: bytes, capsys: Any, caplog: pytest.LogCaptureFixture
) -> None:
    capsys.readouterr()
    with caplog.at_level("INFO", logger="prism"):
        deliver(client, upload(client, "uploads/ok.jpg", jpeg))
        deliver(client, upload(client, "uploads/bad.jpg", b"nope" * 20))
    # Logs: JSON through the Powertools formatter, with image id and per-stage timings.
    formatter = logging.getLogger("prism").handlers[0].formatter
    assert formatter is not None
    logs = {}
    for record in caplog.records:
        line = json.loads(formatter.format(record))
        logs[line["message"]] = line
    processed = logs["image processed"]
    assert is_image_id(processed["image_id"])
    assert {"download", "process", "store_variants", "store_manifest"} <= set(
        processed["timings_ms"]
    )
    assert logs["image rejected"]["reason"] == "unsupported_format"
    # Metrics: CloudWatch EMF blobs printed to stdout.
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    emf = [line for line in lines if "_aws" in line]
    names = {
        m["Name"] for blob in emf for d in blob["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]
    }
    assert {"ImagesProcessed", "ImagesRejected", "BytesIn", "BytesOut", "ProcessingTime"} <= names
    assert all(d["Namespace"] == "Prism" for b in emf for d in b["_aws"]["CloudWatchMetrics"])
    rejected = next(b for b in emf if "ImagesRejected" in b)
    assert rejected["reason"] == "unsupported_format"
    processed_blob = next(b for b in emf if "BytesIn" in b)
    assert processed_blob["BytesIn"] == [float(len(jpeg))]
    assert "reason" not in processed_blob


def test_direct_image_counts_in_metrics(client: TestClient, capsys: Any) -> None:
    capsys.readouterr()
    client.post("/images", content=image_bytes(), headers={"content-type": "image/jpeg"})
    out = capsys.readouterr().out
    assert '"ImagesProcessed":[1.0]' in out
