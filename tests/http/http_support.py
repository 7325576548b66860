"""Helpers shared by the HTTP tests (imported as `http_support`; pytest puts this folder on
sys.path)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from prism.storage.s3 import S3Storage

SHARED_EVENTS = Path(__file__).resolve().parents[2].parent / "shared" / "events"
PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert body["title"]
    if code is not None:
        assert body["type"] == f"urn:prism:problem:{code}"
    return body


def pass_through_headers() -> dict[str, str]:
    """What the Lambda Web Adapter sends with a pass-through (non-HTTP) event."""
    return {"content-type": "application/json", "x-amzn-request-context": "null"}


def function_url_context() -> str:
    """The x-amzn-request-context the adapter sends with a function-URL request."""
    return json.dumps(
        {
            "accountId": "123456789012",
            "apiId": "abc",
            "domainName": "abc.lambda-url.us-east-1.on.aws",
            "http": {"method": "POST", "path": "/events", "protocol": "HTTP/1.1"},
            "requestId": "id",
            "routeKey": "$default",
            "stage": "$default",
        }
    )


def unreachable_s3(names: dict[str, str]) -> S3Storage:
    """S3 storage pointing at a closed port: every call fails like a network outage."""
    client = boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:9",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=1),
    )
    return S3Storage(names, client)
