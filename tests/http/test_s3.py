"""S3 storage against moto's S3 server over real HTTP: the presigned POST flow end to end."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import boto3
import httpx
import pytest
import requests
from fastapi.testclient import TestClient
from http_support import assert_problem, pass_through_headers, unreachable_s3
from moto import mock_aws
from PIL import Image

from prism.core.constants import RETRY_STATUS
from prism.core.settings import Settings, load_settings
from prism.http.app import create_app
from prism.storage.base import StorageError
from prism.storage.s3 import S3Storage
from tests.odd_keys import ODD_KEYS


@pytest.fixture
def storage(s3_settings: Settings) -> S3Storage:
    return S3Storage(
        {
            "uploads": s3_settings.uploads_bucket,
            "processed": s3_settings.processed_bucket,
            "rejected": s3_settings.rejected_bucket,
        }
    )


def test_storage_round_trip_with_odd_keys(storage: S3Storage) -> None:
    for index, key in enumerate(ODD_KEYS):
        etag = storage.put("processed", key, f"data {index}".encode(), "text/plain")
        info = storage.head("processed", key)
        assert info is not None
        assert info.etag == etag
        assert info.size == len(f"data {index}")
        assert storage.get("processed", key) == f"data {index}".encode()
    assert storage.list_keys("processed", "uploads/") == sorted(ODD_KEYS)
    storage.delete("processed", [*ODD_KEYS, "uploads/never-existed"])
    assert storage.list_keys("processed", "") == []
    assert storage.get("processed", ODD_KEYS[0]) is None
    assert storage.head("processed", ODD_KEYS[0]) is None


def test_missing_bucket_is_a_permanent_error(storage: S3Storage) -> None:
    broken = S3Storage({"uploads": "no-such-bucket-here"})  # type: ignore[dict-item]
    with pytest.raises(StorageError) as caught:
        broken.put("uploads", "k", b"x", "text/plain")
    assert not caught.value.transient


def test_network_failure_is_transient() -> None:
    storage = unreachable_s3({"uploads": "u", "processed": "p", "rejected": "r"})
    with pytest.raises(StorageError) as caught:
        storage.get("uploads", "k")
    assert caught.value.transient


def _receive_events(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_presigned_post_upload_and_its_event(
    s3_client: TestClient, s3_settings: Settings, aws_env: str
) -> None:
    """POST /uploads -> real multipart POST to S3 -> S3's own notification -> POST /events."""
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName=f"events-{s3_settings.uploads_bucket}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    boto3.client("s3").put_bucket_notification_configuration(
        Bucket=s3_settings.uploads_bucket,
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )

    ticket = s3_client.post("/uploads").json()
    assert ticket["url"].startswith(aws_env)
    policy = json.loads(base64.b64decode(ticket["fields"]["policy"]))
    conditions = policy["conditions"]
    assert ["content-length-range", 1, s3_settings.limits.max_input_bytes] in conditions
    assert ["starts-with", "$Content-Type", "image/"] in conditions
    assert {"key": f"uploads/{ticket['id']}"} in conditions

    photo = io.BytesIO()
    Image.new("RGB", (640, 480), (10, 200, 90)).save(photo, "JPEG")
    response = httpx.post(
        ticket["url"],
        data=ticket["fields"] | {"Content-Type": "image/jpeg"},
        files={"file": ("photo.jpg", photo.getvalue(), "image/jpeg")},
    )
    assert response.status_code == 204, response.text
    assert s3_client.get(ticket["status_url"]).status_code == 202  # stored, not processed

    events = _receive_events(sqs, queue_url)
    created = [e for e in events if "Records" in e]
    assert created
    assert created[0]["Records"][0]["eventName"].startswith("ObjectCreated:")
    for event in created:
        result = s3_client.post("/events", json=event, headers=pass_through_headers())
        assert result.status_code == 200, result.text
        assert result.json()["processed"] == [ticket["id"]]

    manifest = s3_client.get(ticket["status_url"]).json()
    assert manifest["source"]["width"] == 640
    for variant in manifest["variants"]:
        redirect = s3_client.get(variant["url"], follow_redirects=False)
        assert redirect.status_code == 302
        assert redirect.headers["cache-control"] == "no-store"
        data = httpx.get(redirect.headers["location"])
        assert data.status_code == 200
        assert data.headers["content-type"] == variant["content_type"]
        with Image.open(io.BytesIO(data.content)) as image:
            assert image.size == (variant["width"], variant["height"])


@pytest.mark.parametrize("key", ODD_KEYS[:5])
def test_s3_notification_keys_round_trip(
    s3_client: TestClient, s3_settings: Settings, aws_env: str, key: str
) -> None:
    """moto form-encodes keys in its notifications like S3; they must decode exactly."""
    sqs = boto3.client("sqs")
    name = f"keys-{s3_settings.uploads_bucket}-{abs(hash(key)) % 10**6}"
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    s3 = boto3.client("s3")
    s3.put_bucket_notification_configuration(
        Bucket=s3_settings.uploads_bucket,
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    photo = io.BytesIO()
    Image.new("RGB", (40, 30)).save(photo, "PNG")
    s3.put_object(Bucket=s3_settings.uploads_bucket, Key=key, Body=photo.getvalue())
    (event,) = [e for e in _receive_events(sqs, queue_url) if "Records" in e]
    result = s3_client.post("/events", json=event, headers=pass_through_headers()).json()
    (image_id,) = result["processed"]
    assert s3_client.get(f"/images/{image_id}").json()["source"]["key"] == key


def test_storage_outage(s3_settings: Settings, s3_buckets: dict[str, str]) -> None:
    """Transient storage failures: 503 to HTTP callers, the retry status to events."""
    client = TestClient(create_app(s3_settings, storage=unreachable_s3(s3_buckets)))
    body = assert_problem(
        client.post("/images", content=b"\xff\xd8x", headers={"content-type": "image/jpeg"}),
        503,
        "storage_unavailable",
    )
    assert body["detail"]
    assert client.get("/images/" + "0" * 32).headers["retry-after"]
    event = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "bucket": {"name": s3_buckets["uploads"]},
                    "object": {"key": "uploads/x.jpg", "size": 3, "eTag": "e"},
                },
            }
        ]
    }
    response = client.post("/events", json=event, headers=pass_through_headers())
    assert_problem(response, RETRY_STATUS, "retry")


def test_permanent_storage_error_is_500(s3_settings: Settings) -> None:
    wrong = {"uploads": "missing-u", "processed": "missing-p", "rejected": "missing-r"}
    client = TestClient(create_app(s3_settings, storage=S3Storage(wrong)))  # type: ignore[arg-type]
    assert_problem(client.get("/images/" + "0" * 32), 500, "storage_error")


# --- Presigned URLs on AWS itself: moto in-process (mock_aws), no endpoint configured --------

REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-3", "me-central-1"]


@pytest.mark.parametrize("region", REGIONS)
def test_every_presigned_url_names_the_buckets_regional_host(
    lambda_env: pytest.MonkeyPatch, region: str
) -> None:
    """The upload form, a variant's and a transform's redirect, and the page's CSP."""
    lambda_env.setenv("AWS_REGION", region)  # Lambda sets both names
    lambda_env.setenv("AWS_DEFAULT_REGION", region)
    names = {b: f"prism-{b}-{region}" for b in ("uploads", "processed", "rejected")}
    with mock_aws():
        s3 = boto3.client("s3")
        place = {} if region == "us-east-1" else {"LocationConstraint": region}
        for name in names.values():
            s3.create_bucket(Bucket=name, **({"CreateBucketConfiguration": place} if place else {}))
        settings = load_settings(
            {
                "PRISM_STORAGE": "s3",
                "PRISM_UPLOADS_BUCKET": names["uploads"],
                "PRISM_PROCESSED_BUCKET": names["processed"],
                "PRISM_REJECTED_BUCKET": names["rejected"],
                "PRISM_CONSOLE_ENABLED": "true",
            }
        )
        with TestClient(create_app(settings)) as client:
            uploads = f"https://{names['uploads']}.s3.{region}.amazonaws.com"
            processed = f"https://{names['processed']}.s3.{region}.amazonaws.com"
            assert client.post("/uploads").json()["url"].rstrip("/") == uploads

            photo = io.BytesIO()
            Image.new("RGB", (96, 64), (200, 40, 90)).save(photo, "JPEG")
            created = client.post(
                "/images", content=photo.getvalue(), headers={"Content-Type": "image/jpeg"}
            )
            assert created.status_code == 201, created.text
            image_id = created.json()["id"]
            variant = client.get(f"/images/{image_id}/thumb", follow_redirects=False)
            assert variant.status_code == 302
            assert variant.headers["location"].startswith(f"{processed}/")
            transform = client.get(
                f"/images/{image_id}/transform?width=32&format=webp", follow_redirects=False
            )
            assert transform.status_code == 302
            assert transform.headers["location"].startswith(f"{processed}/")
            # moto (intercepting `requests`) answers the URL as S3 would: the object is there.
            assert requests.get(transform.headers["location"]).content[:4] == b"RIFF"

            policy = client.get("/").headers["content-security-policy"]
            directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
            assert uploads in directives["connect-src"].split()
            assert processed in directives["img-src"].split()
            assert ".s3.amazonaws.com" not in policy
