"""The app with API keys (a public function URL): every public route needs a configured key
in `x-api-key`; the health check and the internal events route do not; keys come from
Secrets Manager (moto server) once, and never reach a log line."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from api_keys_support import KEYS
from fastapi.testclient import TestClient
from PIL import Image

from prism.core.settings import Settings
from prism.http.api_keys import HEADER
from prism.http.app import create_app
from prism.http.passthrough import REQUEST_CONTEXT
from prism.http.problems import PROBLEM_JSON

WRONG = "wrong-key-0123456789abcdef0123456789"
UNKNOWN_ID = "0" * 32


@pytest.fixture
def secret(make_secret: Callable[..., dict[str, str]]) -> dict[str, str]:
    return make_secret()


@pytest.fixture
def client(keyed_settings: Callable[..., Settings], secret: dict[str, str]) -> Iterator[TestClient]:
    with TestClient(create_app(keyed_settings(secret))) as test_client:
        yield test_client


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(out, "JPEG")
    return out.getvalue()


def _assert_unauthorized(response: Any, code: str) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["status"] == 401
    assert body["type"] == f"urn:prism:problem:{code}"
    assert HEADER in body["detail"]


def test_every_configured_key_is_accepted(client: TestClient) -> None:
    for key in KEYS:
        response = client.get(f"/images/{UNKNOWN_ID}", headers={HEADER: key})
        assert response.status_code == 404  # past the key check, to the route
        created = client.post(
            "/images", content=_jpeg(), headers={HEADER: key, "content-type": "image/jpeg"}
        )
        assert created.status_code == 201, created.text


def test_missing_key_is_401_problem_json(client: TestClient) -> None:
    _assert_unauthorized(client.get(f"/images/{UNKNOWN_ID}"), "missing_api_key")
    _assert_unauthorized(client.post("/uploads"), "missing_api_key")
    _assert_unauthorized(client.get("/openapi.json"), "missing_api_key")


def test_wrong_key_is_401_problem_json(client: TestClient) -> None:
    for wrong in (WRONG, "", KEYS[0][:-1], KEYS[0].upper()):
        response = client.get(f"/images/{UNKNOWN_ID}", headers={HEADER: wrong})
        _assert_unauthorized(response, "missing_api_key" if not wrong else "invalid_api_key")


def test_refused_requests_never_reach_the_route(client: TestClient) -> None:
    response = client.post(
        "/images", content=_jpeg(), headers={HEADER: WRONG, "content-type": "image/jpeg"}
    )
    _assert_unauthorized(response, "invalid_api_key")
    # nothing was stored: the key is checked before the body is read
    assert client.get(f"/images/{UNKNOWN_ID}", headers={HEADER: KEYS[0]}).status_code == 404
    assert client.app.state.storage.list_keys("uploads", "") == []


def test_health_check_and_events_route_need_no_key(client: TestClient) -> None:
    assert client.get("/healthz").status_code == 200
    # an S3 event as the Lambda Web Adapter delivers it needs no key...
    event = client.post("/events", json={"Records": []}, headers={REQUEST_CONTEXT: "null"})
    assert event.status_code == 200
    # ...and an HTTP caller posting there meets the route's own check (403), not the key's
    forged = client.post("/events", json={"Records": []}, headers={REQUEST_CONTEXT: "{}"})
    assert forged.status_code == 403
    # CORS preflights carry no custom headers
    assert client.options("/images").status_code != 401


def test_keys_are_read_from_secrets_manager_once(
    keyed_settings: Callable[..., Settings],
    secret: dict[str, str],
    secret_reads: list[dict[str, Any]],
) -> None:
    with TestClient(create_app(keyed_settings(secret))) as client:
        assert secret_reads == []  # not at start-up: on the first request that needs it
        for key in (*KEYS, WRONG, None, *KEYS):
            client.get(f"/images/{UNKNOWN_ID}", headers={HEADER: key} if key else {})
        client.get("/healthz")
    assert secret_reads == [{"SecretId": secret["arn"], "VersionId": secret["version"]}]


def test_rotation_a_new_version_is_read_by_the_next_cold_start(
    keyed_settings: Callable[..., Settings],
    make_secret: Callable[..., dict[str, str]],
) -> None:
    import boto3

    secret = make_secret()
    new_key = "rotated-in-key-0123456789abcdef0123"
    put = boto3.client("secretsmanager").put_secret_value(
        SecretId=secret["arn"], SecretString=f'{{"keys": ["{KEYS[1]}", "{new_key}"]}}'
    )
    # the stack deploys the new version id: the function restarts and reads it
    rotated = {"arn": secret["arn"], "version": put["VersionId"]}
    with TestClient(create_app(keyed_settings(rotated))) as client:
        assert client.get(f"/images/{UNKNOWN_ID}", headers={HEADER: new_key}).status_code == 404
        assert client.get(f"/images/{UNKNOWN_ID}", headers={HEADER: KEYS[1]}).status_code == 404
        _assert_unauthorized(
            client.get(f"/images/{UNKNOWN_ID}", headers={HEADER: KEYS[0]}), "invalid_api_key"
        )


def test_unreadable_keys_answer_503_and_are_retried(
    keyed_settings: Callable[..., Settings], aws: None
) -> None:
    missing = {"arn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:gone-AbCdEf"}
    with TestClient(create_app(keyed_settings(missing))) as client:
        for _ in range(2):
            response = client.get(f"/images/{UNKNOWN_ID}", headers={HEADER: KEYS[0]})
            assert response.status_code == 503
            assert response.headers["content-type"] == PROBLEM_JSON
            assert response.headers["retry-after"]
            assert KEYS[0] not in response.text


def test_no_key_ever_reaches_the_logs(
    keyed_settings: Callable[..., Settings],
    secret: dict[str, str],
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    capsys.readouterr()
    caplog.set_level(logging.DEBUG)  # everything, botocore's wire logging included
    settings = keyed_settings(secret, PRISM_LOG_LEVEL="DEBUG")
    with TestClient(create_app(settings)) as client:
        client.get(f"/images/{UNKNOWN_ID}", headers={HEADER: WRONG})
        client.get(f"/images/{UNKNOWN_ID}", headers={HEADER: KEYS[0]})
        client.get(f"/images/{UNKNOWN_ID}")
        client.post(
            "/images", content=_jpeg(), headers={HEADER: KEYS[1], "content-type": "image/jpeg"}
        )
    printed = capsys.readouterr()
    logs = caplog.text + printed.out + printed.err
    assert "refused" in logs  # refusals are logged...
    assert "GetSecretValue" in logs or "secretsmanager" in logs.lower()  # ...and so is botocore
    for secret_text in (*KEYS, WRONG):  # ...but no key, right or wrong
        assert secret_text not in logs
