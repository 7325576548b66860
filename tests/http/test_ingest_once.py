"""POST /images processes an upload once, though its original fires the S3 trigger.

Against moto's S3 server over real HTTP, with the bucket notifying an SQS queue so the event
delivered to /events is the one S3 itself sends for the stored original. The work done is
counted where it happens (the pipeline's make_variants) and where it is reported (the
ImagesProcessed metric).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient
from http_support import pass_through_headers

from prism.core.constants import RETRY_STATUS
from prism.core.settings import Settings
from prism.http.app import create_app
from prism.image import pipeline
from prism.service import claims
from prism.storage.base import StorageError
from prism.storage.layout import upload_key


class Harness:
    """The app on S3 (moto), the S3 notifications of its uploads bucket, and counters."""

    def __init__(self, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
        self.app = create_app(settings)
        self.client = TestClient(self.app)
        self.services = self.app.state.services
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName=f"n-{settings.uploads_bucket}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
        boto3.client("s3").put_bucket_notification_configuration(
            Bucket=settings.uploads_bucket,
            NotificationConfiguration={
                "QueueConfigurations": [
                    {"QueueArn": arn["QueueArn"], "Events": ["s3:ObjectCreated:*"]}
                ]
            },
        )
        self.sqs, self.queue_url = sqs, url
        self.work: list[int] = []
        self.processed: list[str] = []
        self.on_work: Callable[[int], None] = lambda n: None
        real_make_variants = pipeline.make_variants
        telemetry = self.services.telemetry
        real_processed = telemetry.processed

        def make_variants(*args: Any, **kwargs: Any) -> Any:
            self.work.append(1)
            self.on_work(len(self.work))
            return real_make_variants(*args, **kwargs)

        def processed(image_id: str, **kwargs: Any) -> None:
            self.processed.append(image_id)
            real_processed(image_id, **kwargs)

        monkeypatch.setattr(pipeline, "make_variants", make_variants)
        monkeypatch.setattr(telemetry, "processed", processed)

    def notification(self) -> dict[str, Any]:
        """The one ObjectCreated event S3 sent since the last call."""
        for _ in range(20):
            messages = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10
            ).get("Messages", [])
            events = [json.loads(m["Body"]) for m in messages]
            events = [e for e in events if "Records" in e]  # not S3's test event
            if events:
                (event,) = events
                return event
        raise AssertionError("S3 sent no notification")

    def deliver(self, event: dict[str, Any], deadline: float | None = None) -> Any:
        """POST the event as the Lambda Web Adapter does (with the invocation's deadline)."""
        headers = pass_through_headers()
        if deadline is not None:
            # The invocation's Lambda context, as the adapter forwards it (prism.http.deadline).
            headers["x-amzn-lambda-context"] = json.dumps(
                {"request_id": "r", "deadline": int(deadline * 1000)}
            )
        return self.client.post("/events", json=event, headers=headers)

    def post_image(self, body: bytes) -> Any:
        """POST /images as the function URL delivers it on Lambda (with a 120 s deadline)."""
        context = json.dumps({"request_id": "p", "deadline": int((time.time() + 120) * 1000)})
        headers = {"content-type": "image/jpeg", "x-amzn-lambda-context": context}
        return self.client.post("/images", content=body, headers=headers)


@pytest.fixture
def harness(s3_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Harness:
    return Harness(s3_settings, monkeypatch)


def test_the_event_of_a_posted_image_waits_for_the_request_instead_of_redoing_it(
    harness: Harness, jpeg: bytes
) -> None:
    waiting = threading.Event()

    def sleep(seconds: float) -> None:
        waiting.set()
        time.sleep(0.01)

    harness.services.ingestor.sleep = sleep
    answers: list[Any] = []

    def deliver_the_event_now(attempt: int) -> None:
        # Inside the request's processing: the original is stored, the manifest is not.
        if attempt == 1:
            event = harness.notification()
            thread = threading.Thread(target=lambda: answers.append(harness.deliver(event)))
            thread.start()
            assert waiting.wait(20), "the event did not wait for the request"
            answers.append(thread)

    harness.on_work = deliver_the_event_now
    response = harness.post_image(jpeg)
    assert response.status_code == 201
    image_id = response.json()["id"]
    thread = answers.pop(0)
    thread.join(20)
    (event_answer,) = answers
    assert event_answer.status_code == 200
    assert event_answer.json()["processed"] == [image_id]  # reported as done: by the request
    assert harness.work == [1]  # one decode and encode
    assert harness.processed == [image_id]  # one ImagesProcessed
    assert claims.read(harness.services.storage, image_id) is None  # released


def test_an_upload_whose_request_died_is_processed_by_its_event(
    harness: Harness, jpeg: bytes
) -> None:
    now = [time.time()]
    ingestor = harness.services.ingestor
    ingestor.clock = lambda: now[0]
    ingestor.sleep = lambda seconds: now.__setitem__(0, now[0] + seconds)
    # What a request killed mid-way (timeout, out of memory) leaves: its claim and the original.
    image_id = "0123456789abcdef0123456789abcdef"
    storage = harness.services.storage
    claims.stake(storage, image_id, now[0] + 120)
    storage.put("uploads", upload_key("uploads/", image_id), jpeg, "image/jpeg")
    event = harness.notification()

    first = harness.deliver(event, deadline=now[0] + 30)
    assert first.status_code == RETRY_STATUS  # Lambda retries the event later
    assert harness.work == []
    now[0] += 60  # Lambda's first retry comes a minute later
    second = harness.deliver(event, deadline=now[0] + 120)
    assert second.status_code == 200
    assert second.json()["processed"] == [image_id]
    assert harness.work == [1]
    assert harness.processed == [image_id]
    assert harness.client.get(f"/images/{image_id}").status_code == 200


def test_a_request_that_failed_leaves_its_event_nothing_to_wait_for(
    harness: Harness, jpeg: bytes
) -> None:
    slept: list[float] = []
    harness.services.ingestor.sleep = slept.append

    def storage_fails_once(attempt: int) -> None:
        if attempt == 1:
            raise StorageError("SlowDown", transient=True)

    harness.on_work = storage_fails_once
    response = harness.post_image(jpeg)
    assert response.status_code == 503  # the caller is told to retry, and learns no id
    answer = harness.deliver(harness.notification())
    assert answer.status_code == 200
    # The request removed its original and released its claim: the event neither waits
    # nor finds anything to process.
    assert slept == []
    (image_id,) = answer.json()["missing"]
    assert harness.processed == []
    assert claims.read(harness.services.storage, image_id) is None
