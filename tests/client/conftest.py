"""Live servers for the client: `prism serve` as a real process (plain, and with API keys and
transform signing on), and the app on moto-backed S3 with S3's notification delivered."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest

from prism.http.api_keys import encode_keys
from prism.http.passthrough import REQUEST_CONTEXT
from tests.servers import prism_serve, serve_in_thread

API_KEY = "client-test-key-0123456789abcdef0123"
SIGNING_KEY = "client-signing-key-0123456789abcdef"
AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A plain `prism serve` (no keys, no signing), shared by a module's tests."""
    with prism_serve(tmp_path_factory.mktemp("data")) as (base, _):
        yield base


@pytest.fixture(scope="module")
def aws_env(moto_endpoint: str) -> Iterator[str]:
    """AWS credentials and moto's endpoint in this process's environment, for the module."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in (AWS | {"AWS_ENDPOINT_URL": moto_endpoint}).items():
            patch.setenv(name, value)
        for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
            patch.delenv(name, raising=False)
        yield moto_endpoint


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory, aws_env: str) -> Iterator[str]:
    """`prism serve` as a public URL behind API keys (a Secrets Manager secret on moto), with
    transform URLs that must be signed."""
    secret = (
        boto3.Session()
        .client("secretsmanager")
        .create_secret(
            Name=f"prism-client-keys-{id(tmp_path_factory)}", SecretString=encode_keys([API_KEY])
        )
    )
    env = AWS | {
        "AWS_ENDPOINT_URL": aws_env,
        "PRISM_API_KEYS_SECRET_ARN": secret["ARN"],
        "PRISM_TRANSFORM_SIGNING_KEYS": SIGNING_KEY,
    }
    with prism_serve(tmp_path_factory.mktemp("keyed"), env=env) as (base, _):
        yield base


@pytest.fixture
def s3_served(aws_env: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """The app on S3 storage (moto's server), with S3's ObjectCreated notification going to an
    SQS queue and a thread handing each message to the app's events route, as the Lambda Web
    Adapter does on AWS."""
    from prism.core.settings import load_settings
    from prism.http.app import create_app

    suffix = f"{abs(hash(request.node.nodeid)) % 10**10}"
    names = {b: f"client-{b}-{suffix}" for b in ("uploads", "processed", "rejected")}
    session = boto3.Session()  # this env, whatever default session an earlier test made
    s3, sqs = session.client("s3"), session.client("sqs")
    for name in names.values():
        s3.create_bucket(Bucket=name)
    queue = sqs.create_queue(QueueName=f"client-events-{suffix}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    s3.put_bucket_notification_configuration(
        Bucket=names["uploads"],
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    settings = load_settings(
        {
            "PRISM_STORAGE": "s3",
            "PRISM_UPLOADS_BUCKET": names["uploads"],
            "PRISM_PROCESSED_BUCKET": names["processed"],
            "PRISM_REJECTED_BUCKET": names["rejected"],
        }
    )
    stop = threading.Event()
    with serve_in_thread(create_app(settings)) as base:

        def deliver() -> None:
            headers = {"content-type": "application/json", REQUEST_CONTEXT: "null"}
            while not stop.is_set():
                answer = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)
                for message in answer.get("Messages", []):
                    if '"Records"' in message["Body"]:  # not S3's test event
                        httpx.post(
                            f"{base}/events", content=message["Body"], headers=headers
                        ).raise_for_status()
                    sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])

        thread = threading.Thread(target=deliver, daemon=True)
        thread.start()
        try:
            yield base
        finally:
            stop.set()
            thread.join(5)


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    from tests.images import image_bytes

    path = tmp_path / "photo.jpg"
    path.write_bytes(image_bytes(320, 200))
    return path
