"""Fixtures for the reliability tests: moto's S3/SQS server over real HTTP, and AWS env."""

from __future__ import annotations

import pytest

from tests.reliability.aws import AWS_ENV, make_buckets
from tests.reliability.results import write_registered


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, moto_endpoint: str) -> dict[str, str]:
    """Credentials and endpoint for boto3 in this process; returned for subprocesses too."""
    env = AWS_ENV | {"AWS_ENDPOINT_URL": moto_endpoint}
    for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def buckets(aws_env: dict[str, str], request: pytest.FixtureRequest) -> dict[str, str]:
    return make_buckets(f"r{abs(hash(request.node.nodeid)) % 10**10}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Write the figures each module gathered (results.at_session_end), once, at the end."""
    write_registered()
