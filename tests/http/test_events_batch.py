"""Batch Operations invocations through the app's events route, as the Lambda Web Adapter
posts them: AWS's documented example with our bucket and key, for a remade image, an
up-to-date one, a rejected original, and storage gone (a moto server stopped)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import boto3
import pytest
from botocore.config import Config
from fastapi.testclient import TestClient
from moto.server import ThreadedMotoServer

from prism.core.settings import load_settings
from prism.http.app import create_app
from prism.storage.s3 import S3Storage
from tests.images import small_image
from tests.reprocessing import NEW_SPECS, OLD_SPECS, ingestor_for, settings_for

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "batch_operations"
#: What the adapter sets on a pass-through event (see prism.http.passthrough).
ADAPTER = {"x-amzn-request-context": "null"}
KEY = "uploads/red flower.jpg"


def documented_event(bucket: str, key: str, **arguments: str) -> dict[str, Any]:
    """AWS's schema 2.0 example, pointed at our bucket and (URL-encoded) key."""
    event = json.loads((FIXTURES / "request-2.0.json").read_text())
    event["tasks"][0] |= {"s3Bucket": bucket, "s3Key": quote_plus(key, safe="/")}
    event["job"]["userArguments"] = arguments
    return event


def documented_answer(result_code: str) -> dict[str, Any]:
    answer = json.loads((FIXTURES / "response-1.0.json").read_text())
    answer["invocationSchemaVersion"] = "2.0"
    answer["results"][0]["resultCode"] = result_code
    return answer


def deliver(client: TestClient, event: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/events", json=event, headers=ADAPTER)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def assert_shape(answer: dict[str, Any], result_code: str) -> str:
    """Everything but resultString is as documented; returns the resultString."""
    expected = documented_answer(result_code)
    result_string = answer["results"][0].pop("resultString")
    expected["results"][0].pop("resultString")
    assert answer == expected
    return result_string


@pytest.fixture
def client(tmp_path: Path):
    old = ingestor_for(tmp_path, OLD_SPECS)
    old.storage.put("uploads", KEY, small_image(), "image/jpeg")
    assert old.handle_upload(KEY).status == "processed"
    with TestClient(create_app(settings_for(tmp_path, NEW_SPECS))) as test_client:
        yield test_client


def test_out_of_date_then_up_to_date(client: TestClient):
    first = assert_shape(deliver(client, documented_event("uploads", KEY)), "Succeeded")
    assert first.startswith("reprocessed ")
    second = assert_shape(deliver(client, documented_event("uploads", KEY)), "Succeeded")
    assert second.startswith("up_to_date ")


def test_prune_argument_reaches_the_task(client: TestClient, tmp_path: Path):
    deliver(client, documented_event("uploads", KEY, prune="true"))
    assert not list(tmp_path.rglob("thumb.jpg"))


def test_rejected_original_is_a_permanent_failure_with_its_reason(client: TestClient):
    truncated = small_image()[:200]
    client.app.state.storage.put("uploads", "uploads/bad.jpg", truncated, "image/jpeg")
    reason = assert_shape(
        deliver(client, documented_event("uploads", "uploads/bad.jpg")), "PermanentFailure"
    )
    assert reason.startswith("rejected ")
    assert "corrupt" in reason


def test_a_job_for_other_specs_is_refused_per_task(client: TestClient):
    event = documented_event("uploads", KEY, fingerprint="sha256:" + "0" * 64)
    reason = assert_shape(deliver(client, event), "PermanentFailure")
    assert "expects specs sha256:000" in reason


def test_another_bucket_is_refused_per_task(client: TestClient):
    reason = assert_shape(deliver(client, documented_event("elsewhere", KEY)), "PermanentFailure")
    assert "not this stack's bucket" in reason


def test_a_task_that_raises_costs_that_task_only(client: TestClient, monkeypatch):
    from prism.service import batch_worker

    def boom(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(batch_worker, "reprocess_upload", boom)
    reason = assert_shape(deliver(client, documented_event("uploads", KEY)), "PermanentFailure")
    assert "internal error" in reason


def test_malformed_invocations_are_400_problems(client: TestClient):
    response = client.post("/events", json={"invocationSchemaVersion": "2.0"}, headers=ADAPTER)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_http_callers_cannot_post_invocations(client: TestClient):
    event = documented_event("uploads", KEY)
    response = client.post("/events", json=event, headers={"x-amzn-request-context": "{}"})
    assert response.status_code == 403


def test_storage_gone_is_a_temporary_failure(monkeypatch):
    """A moto server of its own, stopped mid-job: Batch Operations is told to retry."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    s3 = boto3.client(
        "s3",
        endpoint_url=f"http://{host}:{port}",
        region_name="us-east-1",
        config=Config(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=1),
    )
    names = {"uploads": "uploads-x", "processed": "processed-x", "rejected": "rejected-x"}
    for name in names.values():
        s3.create_bucket(Bucket=name)
    s3.put_object(Bucket="uploads-x", Key=KEY, Body=small_image())
    settings = load_settings(
        {
            "PRISM_STORAGE": "s3",
            "PRISM_UPLOADS_BUCKET": "uploads-x",
            "PRISM_PROCESSED_BUCKET": "processed-x",
            "PRISM_REJECTED_BUCKET": "rejected-x",
            "PRISM_VARIANTS": json.dumps(NEW_SPECS),
        }
    )
    client = TestClient(create_app(settings, storage=S3Storage(names, s3)))
    assert_shape(deliver(client, documented_event("uploads-x", KEY)), "Succeeded")
    server.stop()
    reason = assert_shape(deliver(client, documented_event("uploads-x", KEY)), "TemporaryFailure")
    assert reason.startswith("failed ")


def test_a_key_local_storage_cannot_hold_is_a_permanent_failure(client: TestClient):
    """Retrying cannot make a 300-character file name fit: Batch Operations must not retry."""
    event = documented_event("uploads", "uploads/" + "a" * 300 + ".jpg")
    reason = assert_shape(deliver(client, event), "PermanentFailure")
    assert reason.startswith("unstorable ")


def repeated(schema: str, bucket: str, key: str, copies: int) -> dict[str, Any]:
    """AWS's example of `schema`, its one task repeated `copies` times with distinct ids."""
    event = json.loads((FIXTURES / f"request-{schema}.json").read_text())
    (task,) = event["tasks"]
    if schema == "1.0":
        task["s3BucketArn"] = f"arn:aws:s3:::{bucket}"
    else:
        task["s3Bucket"] = bucket
    task["s3Key"] = quote_plus(key, safe="/")
    event["tasks"] = [task | {"taskId": f"task-{n}"} for n in range(copies)]
    return event


@pytest.mark.parametrize("schema", ["1.0", "2.0"])
def test_one_object_repeated_in_a_document_is_worked_on_once(
    client: TestClient, monkeypatch, schema: str
):
    """5,000 tasks for one key (a 1 MB document): one reprocess, and every task its result."""
    from prism.service import batch_worker

    calls = []
    real = batch_worker.reprocess_upload

    def counted(ingestor, key, *, prune=False):
        calls.append(key)
        return real(ingestor, key, prune=prune)

    monkeypatch.setattr(batch_worker, "reprocess_upload", counted)
    event = repeated(schema, "uploads", KEY, 5000)
    event["tasks"].append(repeated(schema, "uploads", "uploads/other.jpg", 1)["tasks"][0])
    event["tasks"][-1]["taskId"] = "task-other"
    answer = deliver(client, event)
    assert calls == [KEY, "uploads/other.jpg"]
    results = answer["results"]
    assert [r["taskId"] for r in results] == [t["taskId"] for t in event["tasks"]]
    assert {(r["resultCode"], r["resultString"].split()[0]) for r in results[:-1]} == {
        ("Succeeded", "reprocessed")
    }
    assert results[-1]["resultString"].startswith("missing ")
    assert answer["invocationSchemaVersion"] == schema
