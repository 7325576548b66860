"""Storage faults injected between the S3 implementation and moto's server (fault_proxy.py):
throttling (503 SlowDown), 500 InternalError, connection resets and read timeouts.

- Transient faults are retried by boto3's standard retry mode and the work completes.
- Persistent faults fail the S3 event with the retry status, so Lambda retries it; after
  Lambda's retries (modelled in lambda_async.py) the event is in the dead-letter queue (moto
  SQS) and the original is untouched. Redriving it once storage is back completes the job.
- HTTP callers get 503 problem+json with Retry-After while storage is down.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from fastapi.testclient import TestClient

from prism.core.constants import RETRY_STATUS
from prism.core.settings import load_settings
from prism.http.app import create_app
from prism.service.events import object_created_event
from prism.storage.s3 import S3Storage, default_client
from tests.images import small_image
from tests.reliability.aws import bucket_env
from tests.reliability.fault_proxy import FaultProxy, fault_proxy
from tests.reliability.lambda_async import AsyncInvoker, error_statuses
from tests.reliability.paths import PROBLEM
from tests.reliability.results import at_session_end

ADAPTER = {"content-type": "application/json", "x-amzn-request-context": "null"}
RESULTS: dict[str, Any] = {}


@pytest.fixture
def proxy(moto_endpoint: str) -> Iterator[FaultProxy]:
    with fault_proxy(moto_endpoint, hang_seconds=2.5) as running:
        yield running


def proxied_app(
    proxy: FaultProxy,
    buckets: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    *,
    read_timeout: float | None = None,
    max_attempts: int | None = None,
) -> TestClient:
    """The app on S3 storage whose client goes through the proxy: the production client
    (prism.storage.s3.default_client), optionally with a shorter timeout or fewer attempts
    to keep the test fast."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", proxy.url)
    client = default_client()
    changes: dict[str, Any] = {}
    if read_timeout is not None:
        changes["read_timeout"] = read_timeout
    if max_attempts is not None:
        changes["retries"] = {"mode": "standard", "max_attempts": max_attempts}
    if changes:
        client = boto3.client("s3", config=client.meta.config.merge(Config(**changes)))
    storage = S3Storage(buckets, client)
    settings = load_settings({"PRISM_STORAGE": "s3"} | bucket_env(buckets))
    return TestClient(create_app(settings, storage=storage))


def direct_s3() -> Any:
    """A client straight to moto, bypassing the proxy (AWS_ENDPOINT_URL_S3 points at it)."""
    return boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])


def put_original(buckets: dict[str, str], key: str, data: bytes) -> dict[str, Any]:
    """Upload straight to moto (not through the proxy), and the event S3 would send."""
    response = direct_s3().put_object(Bucket=buckets["uploads"], Key=key, Body=data)
    etag = response["ETag"].strip('"')
    return object_created_event(buckets["uploads"], key, len(data), etag)


def stored(buckets: dict[str, str], bucket: str, key: str) -> bytes | None:
    s3 = direct_s3()
    try:
        obj = s3.get_object(Bucket=buckets[bucket], Key=key)
    except s3.exceptions.NoSuchKey:
        return None
    return obj["Body"].read()


def processed_keys(buckets: dict[str, str]) -> list[str]:
    listing = direct_s3().list_objects_v2(Bucket=buckets["processed"])
    return sorted(item["Key"] for item in listing.get("Contents", []))


@pytest.mark.parametrize("kind", ["slowdown", "internal", "reset", "timeout"])
def test_transient_faults_are_retried_and_the_event_completes(
    proxy: FaultProxy, buckets: dict[str, str], monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    event = put_original(buckets, "uploads/photo.jpg", small_image())
    timeout = 1.0 if kind == "timeout" else None
    with proxied_app(proxy, buckets, monkeypatch, read_timeout=timeout) as client:
        proxy.fail_next(kind, 2)
        response = client.post("/events", json=event, headers=ADAPTER)
    assert response.status_code == 200, response.text
    (image_id,) = response.json()["processed"]
    assert proxy.faults() == [kind, kind]
    # The faulted request was sent again, and then went through.
    first, second, third = proxy.log[:3]
    assert first[:2] == second[:2] == third[:2]
    assert third[2] == "ok"
    manifest = json.loads(stored(buckets, "processed", f"{image_id}/manifest.json") or b"{}")
    assert {v["key"] for v in manifest["variants"]} <= set(processed_keys(buckets))
    RESULTS.setdefault("transient", []).append(
        {"fault": kind, "injected": 2, "outcome": "processed", "requests": len(proxy.log)}
    )


@pytest.mark.parametrize("kind", ["slowdown", "reset"])
def test_transient_faults_on_post_images_are_retried(
    proxy: FaultProxy, buckets: dict[str, str], monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    with proxied_app(proxy, buckets, monkeypatch) as client:
        proxy.fail_next(kind, 3)
        response = client.post(
            "/images", content=small_image(), headers={"content-type": "image/jpeg"}
        )
    assert response.status_code == 201, response.text
    assert proxy.faults() == [kind] * 3


@pytest.mark.parametrize("kind", ["slowdown", "internal", "reset"])
def test_persistent_faults_fail_the_event_for_lambda_to_retry(
    proxy: FaultProxy, buckets: dict[str, str], monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    original = small_image()
    event = put_original(buckets, "uploads/photo.jpg", original)
    # Production retry policy for the first kind; fewer attempts for the others (speed).
    attempts = None if kind == "slowdown" else 2
    with proxied_app(proxy, buckets, monkeypatch, max_attempts=attempts) as client:
        proxy.fail_always(kind)
        response = client.post("/events", json=event, headers=ADAPTER)
        proxy.heal()
    assert response.status_code == RETRY_STATUS
    assert RETRY_STATUS in error_statuses()  # the adapter counts it as a failed invocation
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["type"] == "urn:prism:problem:retry"
    # boto3 tried the first call as often as its policy allows, then gave up (the config's
    # `max_attempts` counts retries, `total_max_attempts` tries).
    production = default_client().meta.config.retries["total_max_attempts"]
    assert len(proxy.log) == (attempts + 1 if attempts else production)
    assert len({(m, p) for m, p, _ in proxy.log}) == 1
    # Untouched: the original as uploaded, nothing processed or rejected.
    assert stored(buckets, "uploads", "uploads/photo.jpg") == original
    assert processed_keys(buckets) == []
    RESULTS.setdefault("persistent", []).append(
        {"fault": kind, "attempts": len(proxy.log), "status": response.status_code}
    )


def test_http_callers_get_503_while_storage_is_down(
    proxy: FaultProxy, buckets: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with proxied_app(proxy, buckets, monkeypatch, max_attempts=2) as client:
        proxy.fail_always("internal")
        upload = client.post(
            "/images", content=small_image(), headers={"content-type": "image/jpeg"}
        )
        read = client.get("/images/" + "0" * 32)
    for response in (upload, read):
        assert response.status_code == 503, response.text
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.headers["retry-after"]


# --- Lambda's async retries and the dead-letter queue ----------------------------------------


@pytest.fixture
def dead_letters(aws_env: dict[str, str], request: pytest.FixtureRequest) -> tuple[Any, str]:
    sqs = boto3.client("sqs")
    name = f"prism-dlq-{abs(hash(request.node.nodeid)) % 10**8}"
    return sqs, sqs.create_queue(QueueName=name)["QueueUrl"]


def invoker_for(client: TestClient, dead_letters: tuple[Any, str], **options: Any) -> AsyncInvoker:
    def invoke(event: dict[str, Any]) -> tuple[int, str]:
        response = client.post("/events", json=event, headers=ADAPTER)
        return response.status_code, response.text

    sqs, url = dead_letters
    return AsyncInvoker(invoke, sqs, url, **options)


def receive(dead_letters: tuple[Any, str]) -> list[dict[str, Any]]:
    sqs, url = dead_letters
    found = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=0
    )
    return found.get("Messages", [])


def test_persistent_failure_lands_in_the_dead_letter_queue_with_the_original_kept(
    proxy: FaultProxy,
    buckets: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    dead_letters: tuple[Any, str],
) -> None:
    original = small_image(seed=7)
    event = put_original(buckets, "uploads/holiday.jpg", original)
    with proxied_app(proxy, buckets, monkeypatch, max_attempts=2) as client:
        proxy.fail_always("slowdown")
        lambda_ = invoker_for(client, dead_letters)
        assert lambda_(event) == "dead-lettered"
        assert lambda_.attempts == [RETRY_STATUS] * 3  # the invocation and 2 retries
        (message,) = receive(dead_letters)
        assert json.loads(message["Body"]) == event
        assert message["MessageAttributes"]["ErrorCode"]["StringValue"] == str(RETRY_STATUS)
        assert stored(buckets, "uploads", "uploads/holiday.jpg") == original
        assert processed_keys(buckets) == []

        # Storage recovers; redriving the dead letter completes the job: nothing was lost.
        proxy.heal()
        redriven = client.post("/events", content=message["Body"], headers=ADAPTER)
    assert redriven.status_code == 200
    (image_id,) = redriven.json()["processed"]
    assert f"{image_id}/manifest.json" in processed_keys(buckets)
    RESULTS["dead_letter"] = {
        "attempts": lambda_.attempts,
        "dead_lettered": 1,
        "original_kept": True,
        "redrive": "processed",
    }


def test_failure_that_clears_before_the_retry_never_reaches_the_queue(
    proxy: FaultProxy,
    buckets: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    dead_letters: tuple[Any, str],
) -> None:
    event = put_original(buckets, "uploads/holiday.jpg", small_image(seed=8))
    with proxied_app(proxy, buckets, monkeypatch, max_attempts=2) as client:
        proxy.fail_always("reset")
        lambda_ = invoker_for(client, dead_letters, between_attempts=lambda _: proxy.heal())
        assert lambda_(event) == "succeeded"
    assert lambda_.attempts == [RETRY_STATUS, 200]
    assert receive(dead_letters) == []
    assert any(key.endswith("/manifest.json") for key in processed_keys(buckets))


@at_session_end("faults")
def _faults_summary() -> dict[str, Any] | None:
    if not RESULTS:
        return None  # no fault test ran in this session
    return RESULTS
