"""Fixtures for the HTTP app: local and S3 (moto server over real HTTP) storage, test images."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient

from prism.core.settings import Settings, load_settings
from prism.http.app import create_app
from prism.image import pipeline
from tests.images import image_bytes


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts every run of the pipeline from here on (a transform's render must not happen
    when the result is already stored, nor twice for one key)."""
    calls: list[int] = []
    real = pipeline.make_variants

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "make_variants", spy)
    return calls


@pytest.fixture
def jpeg() -> bytes:
    return image_bytes()


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def make(**env: str) -> Settings:
        base = {"PRISM_STORAGE": "local", "PRISM_DATA_DIR": str(tmp_path / "data")}
        return load_settings(base | env)

    return make


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


# --- S3 through moto's server, over real HTTP ------------------------------------------------


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, moto_endpoint: str) -> str:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    return moto_endpoint


@pytest.fixture
def s3_buckets(aws_env: str, request: pytest.FixtureRequest) -> dict[str, str]:
    """Three fresh buckets on the moto server; names unique per test."""
    suffix = f"{abs(hash(request.node.nodeid)) % 10**10}"
    names = {b: f"{b}-{suffix}" for b in ("uploads", "processed", "rejected")}
    client = boto3.client("s3")
    for name in names.values():
        client.create_bucket(Bucket=name)
    return names


@pytest.fixture
def s3_settings(s3_buckets: dict[str, str]) -> Settings:
    return load_settings(
        {
            "PRISM_STORAGE": "s3",
            "PRISM_UPLOADS_BUCKET": s3_buckets["uploads"],
            "PRISM_PROCESSED_BUCKET": s3_buckets["processed"],
            "PRISM_REJECTED_BUCKET": s3_buckets["rejected"],
        }
    )


@pytest.fixture
def s3_client(s3_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(s3_settings)) as test_client:
        yield test_client
