"""Issue 17, items 9 and 10: the AWS paths answer inside the invocation's time, and API-key
trouble is bounded, explained and never leaks credentials.

Item 9: with S3 hung (a proxy that never answers), a request whose Lambda invocation has a
few seconds left (the deadline the Lambda Web Adapter forwards in `x-amzn-lambda-context`)
is answered 503 with Retry-After before that deadline, with the production S3 client.

Item 10: while the API-keys secret cannot be read, requests do not each call GetSecretValue
(backoff); the log names the cause (an error code, never secret text); a permanent cause (no
such secret) says it is permanent. Credentials in a query string never reach the access log.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from fastapi.testclient import TestClient

from prism.core.settings import load_settings
from prism.http.app import create_app
from tests.reliability.aws import bucket_env
from tests.reliability.fault_proxy import FaultProxy, fault_proxy
from tests.reliability.paths import PROBLEM
from tests.reliability.test_bounded_serve import serve
from tests.servers import serve_in_thread

KEY = "first-key-0123456789abcdef0123456789"
UNKNOWN = "0" * 32


def lambda_context(seconds_left: float) -> str:
    """The `x-amzn-lambda-context` header: the runtime's Context, deadline in epoch ms."""
    return json.dumps(
        {
            "request_id": "test",
            "deadline": int((time.time() + seconds_left) * 1000),
            "invoked_function_arn": "arn:aws:lambda:us-east-1:123456789012:function:prism",
            "xray_trace_id": "",
            "client_context": None,
            "identity": None,
            "env_config": {},
        }
    )


# --- item 9 -----------------------------------------------------------------------------------


@pytest.fixture
def hung(moto_endpoint: str) -> Iterator[FaultProxy]:
    with fault_proxy(moto_endpoint, hang_seconds=300) as proxy:
        proxy.fail_always("timeout")
        yield proxy


def test_a_hung_s3_is_503_before_the_invocation_deadline(
    hung: FaultProxy, buckets: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", hung.url)
    settings = load_settings({"PRISM_STORAGE": "s3"} | bucket_env(buckets))
    with serve_in_thread(create_app(settings)) as base:
        start = time.monotonic()
        try:
            response = httpx.get(
                f"{base}/images/{UNKNOWN}",
                headers={"x-amzn-lambda-context": lambda_context(6)},
                timeout=10,
            )
        except httpx.ReadTimeout:
            pytest.fail(f"no answer {time.monotonic() - start:.1f} s in; the deadline was 6 s")
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert int(response.headers["retry-after"]) > 0
    assert hung.log, "the request never reached S3"


# --- item 10 ----------------------------------------------------------------------------------


@pytest.fixture
def secret_calls(aws_env: dict[str, str]) -> Iterator[list[dict[str, Any]]]:
    """Every GetSecretValue call made through boto3's default session."""
    boto3.setup_default_session()
    calls: list[dict[str, Any]] = []
    assert boto3.DEFAULT_SESSION is not None
    boto3.DEFAULT_SESSION.events.register(
        "provide-client-params.secrets-manager.GetSecretValue",
        lambda params, **_: calls.append(dict(params)),
    )
    yield calls
    boto3.DEFAULT_SESSION = None


def keyed_app(tmp_path: Path, arn: str) -> Any:
    env = {
        "PRISM_STORAGE": "local",
        "PRISM_DATA_DIR": str(tmp_path / "data"),
        "PRISM_API_KEYS_SECRET_ARN": arn,
    }
    return create_app(load_settings(env))


MISSING_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:no-such-secret-AbCdEf"


def test_an_unreadable_secret_is_read_with_backoff_and_its_cause_logged(
    tmp_path: Path, secret_calls: list[dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with TestClient(keyed_app(tmp_path, MISSING_ARN)) as client:
        answers = [client.get(f"/images/{UNKNOWN}", headers={"x-api-key": KEY}) for _ in range(20)]
    assert all(a.status_code == 503 for a in answers), [a.status_code for a in answers]
    assert len(secret_calls) <= 2, f"{len(secret_calls)} GetSecretValue calls for 20 requests"
    assert "ResourceNotFoundException" in caplog.text
    assert KEY not in caplog.text
    # A secret that does not exist will not appear by retrying: the answer says so.
    body = answers[-1].json()
    assert body["type"] == "urn:prism:problem:keys_misconfigured", body
    assert "try again shortly" not in body["detail"]


def test_query_strings_with_credentials_never_reach_the_access_log(tmp_path: Path) -> None:
    secrets = ("SEKRET-api-key-1234", "SIGNATURE-abcdef", "CREDENTIAL-xyz")
    with serve(tmp_path / "data", log_level="INFO") as (base, _, lines):
        query = f"x-api-key={secrets[0]}&X-Amz-Signature={secrets[1]}&X-Amz-Credential={secrets[2]}"
        assert httpx.get(f"{base}/healthz?{query}", timeout=5).status_code == 200
        assert httpx.get(f"{base}/images/{UNKNOWN}?{query}", timeout=5).status_code == 404
        time.sleep(0.5)
        log = b"".join(lines).decode(errors="replace")
    assert "GET /healthz" in log, log[-2000:]  # the access log is on...
    for secret in secrets:  # ...but holds no credential
        assert secret not in log, log[-2000:]


def test_the_fixture_counts_calls(tmp_path: Path, secret_calls: list[dict[str, Any]]) -> None:
    """The premise of the backoff test: the fixture sees the app's GetSecretValue calls (the
    first request makes one)."""
    with TestClient(keyed_app(tmp_path, MISSING_ARN)) as client:
        client.get(f"/images/{UNKNOWN}", headers={"x-api-key": KEY})
    assert len(secret_calls) == 1
