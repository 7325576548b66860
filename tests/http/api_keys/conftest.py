"""Secrets Manager through moto's server over real HTTP, and a count of GetSecretValue calls."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from api_keys_support import KEYS

from prism.core.settings import Settings, load_settings
from prism.http.api_keys import encode_keys


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, moto_endpoint: str) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ENDPOINT_URL": moto_endpoint,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    boto3.setup_default_session()  # a fresh default session per test, seeing this env
    yield
    boto3.DEFAULT_SESSION = None


@pytest.fixture
def secret_reads(aws: None) -> list[dict[str, Any]]:
    """Every GetSecretValue request any client of the default session makes, as sent."""
    calls: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        calls.append(dict(params))

    assert boto3.DEFAULT_SESSION is not None
    boto3.DEFAULT_SESSION.events.register(
        "provide-client-params.secrets-manager.GetSecretValue", record
    )
    return calls


@pytest.fixture
def make_secret(aws: None, request: pytest.FixtureRequest) -> Callable[..., dict[str, str]]:
    """Create a secret holding keys, as the stack does; returns its ARN and version id."""
    client = boto3.client("secretsmanager")

    def make(keys: tuple[str, ...] = KEYS, text: str | None = None) -> dict[str, str]:
        created = client.create_secret(
            Name=f"prism-test-api-keys-{request.node.name[:40]}-{len(keys)}",
            SecretString=text if text is not None else encode_keys(keys),
        )
        return {"arn": created["ARN"], "version": created["VersionId"]}

    return make


@pytest.fixture
def keyed_settings(tmp_path: Path) -> Callable[..., Settings]:
    def make(secret: dict[str, str], **env: str) -> Settings:
        return load_settings(
            {
                "PRISM_STORAGE": "local",
                "PRISM_DATA_DIR": str(tmp_path / "data"),
                "PRISM_API_KEYS_SECRET_ARN": secret["arn"],
                "PRISM_API_KEYS_SECRET_VERSION": secret.get("version", ""),
                **env,
            }
        )

    return make
