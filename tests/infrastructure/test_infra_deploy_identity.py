"""Every deploy-time provider calls AWS as the stack's identity: aws:profile, then each role of
aws:assumeRoles, in the stack's region - through the one factory (build_session.aws_client).

boto3.Session is replaced by a recorder whose clients are real botocore clients behind
Stubbers (every call checked against the AWS model); boto3.client is made to fail, so a
provider that reaches for boto3's default credentials fails the test instead of calling AWS.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.session
import pulumi
import pytest
from botocore.stub import Stubber
from infra_mocks import ACCOUNT, run_stack
from test_infra_build_provider import PROPS as BUILD_PROPS
from test_infra_reprocess_job import CHANGED, PROPS

from prism_infra.build_provider import ImageBuildProvider
from prism_infra.build_session import identity_from_config
from prism_infra.config import parse_config
from prism_infra.reprocess_job import ReprocessJobProvider

BUILDER = f"arn:aws:iam::{ACCOUNT}:role/deployer"
#: The stack's aws:* config as Pulumi passes it (structured values as JSON).
AWS_CONFIG = {
    "profile": "prod-admin",
    "assumeRoles": json.dumps([{"roleArn": BUILDER, "externalId": "x-1"}]),
}
IDENTITY = identity_from_config(AWS_CONFIG).to_props()
ASSUMED_KEY = "ASIAASSUMEDROLE00001"


class Sessions:
    """Stands in for boto3.Session: records how each session is made and what it is asked."""

    def __init__(self) -> None:
        self.made: list[dict[str, Any]] = []
        self.calls: list[tuple[int, str, str, dict[str, Any]]] = []
        self.responses: dict[tuple[str, str], dict[str, Any]] = {}

    def __call__(self, **kwargs: Any) -> Any:
        self.made.append(kwargs)
        return _Session(self, len(self.made) - 1, kwargs["region_name"])


class _Session:
    def __init__(self, sessions: Sessions, index: int, region: str) -> None:
        self.sessions, self.index, self.region = sessions, index, region

    def client(self, service: str) -> Any:
        client = botocore.session.get_session().create_client(
            service, region_name=self.region, aws_access_key_id="x", aws_secret_access_key="x"
        )
        stub = Stubber(client)
        for (svc, operation), response in self.sessions.responses.items():
            if svc == service:
                stub.add_response(operation, response, None)
        client.meta.events.register(
            "provide-client-params",  # this client only (its own event system)
            lambda params, model, **_: self.sessions.calls.append(
                (self.index, service, model.name, dict(params))
            ),
        )
        stub.activate()
        return client


@pytest.fixture
def sessions(monkeypatch: pytest.MonkeyPatch) -> Sessions:
    recorder = Sessions()
    recorder.responses[("sts", "assume_role")] = {
        "Credentials": {
            "AccessKeyId": ASSUMED_KEY,
            "SecretAccessKey": "assumed-secret",
            "SessionToken": "assumed-token",
            "Expiration": datetime(2030, 1, 1, tzinfo=UTC),
        }
    }
    monkeypatch.setattr(boto3, "Session", recorder)

    def default_credentials(*_: Any, **__: Any) -> Any:
        raise AssertionError("boto3.client: boto3's default credentials, not the stack's")

    monkeypatch.setattr(boto3, "client", default_credentials)
    return recorder


def assert_ran_as_the_stack(sessions: Sessions, region: str, service: str, operation: str):
    """The profile's session assumed the role; the assumed session made the call."""
    profile, assumed = sessions.made
    assert profile == {"profile_name": "prod-admin", "region_name": region}
    assert assumed == {
        "aws_access_key_id": ASSUMED_KEY,
        "aws_secret_access_key": "assumed-secret",
        "aws_session_token": "assumed-token",
        "region_name": region,
    }
    ((index, _, _, role),) = [c for c in sessions.calls if c[2] == "AssumeRole"]
    assert index == 0
    assert (role["RoleArn"], role["ExternalId"]) == (BUILDER, "x-1")
    assert [(i, s) for i, s, op, _ in sessions.calls if op == operation] == [(1, service)]


def test_the_image_build_runs_as_the_stacks_profile_and_role(sessions: Sessions) -> None:
    build_id = f"{BUILD_PROPS['project_name']}:0000-build"
    done = {
        "id": build_id,
        "buildStatus": "SUCCEEDED",
        "currentPhase": "COMPLETED",
        "exportedEnvironmentVariables": [{"name": "IMAGE_DIGEST", "value": "sha256:" + "a" * 64}],
    }
    sessions.responses[("codebuild", "start_build")] = {"build": {"id": build_id}}
    sessions.responses[("codebuild", "batch_get_builds")] = {"builds": [done]}
    props = BUILD_PROPS | {"aws_identity": IDENTITY}
    result = ImageBuildProvider(poll_seconds=0).create(props)
    assert result.id == build_id
    assert_ran_as_the_stack(sessions, BUILD_PROPS["region"], "codebuild", "StartBuild")


def test_the_reprocessing_estimate_runs_as_the_stacks_profile_and_role(sessions: Sessions):
    day = datetime(2026, 11, 29, tzinfo=UTC)
    sessions.responses[("cloudwatch", "get_metric_statistics")] = {
        "Datapoints": [{"Timestamp": day, "Average": 1000.0}]
    }
    said: list[str] = []
    provider = ReprocessJobProvider(report=said.append)
    provider.diff("id", PROPS | {"aws_identity": IDENTITY}, CHANGED | {"aws_identity": IDENTITY})
    assert "over ~1,000 originals" in said[0]
    region = PROPS["function_arn"].split(":")[3]
    assert_ran_as_the_stack(sessions, region, "cloudwatch", "GetMetricStatistics")


def test_the_reprocessing_job_starts_as_the_stacks_profile_and_role(sessions: Sessions):
    sessions.responses[("s3control", "create_job")] = {"JobId": "job-7"}
    said: list[str] = []
    news = CHANGED | {"aws_identity": IDENTITY}
    result = ReprocessJobProvider(report=said.append).update("id", PROPS | {"job_id": ""}, news)
    assert result.outs["job_id"] == "job-7"
    region = PROPS["function_arn"].split(":")[3]
    assert_ran_as_the_stack(sessions, region, "s3control", "CreateJob")
    ((*_, request),) = [c for c in sessions.calls if c[2] == "CreateJob"]
    assert request["AccountId"] == ACCOUNT
    assert request["RoleArn"] == PROPS["role_arn"]


@pytest.fixture
def aws_config() -> Iterator[None]:
    pulumi.runtime.set_all_config({f"aws:{k}": v for k, v in AWS_CONFIG.items()}, secret_keys=[])
    yield
    pulumi.runtime.set_all_config({}, secret_keys=[])


def test_the_stack_gives_both_providers_its_identity(aws_config: None) -> None:
    stack = run_stack(parse_config({"cdn": False, "reprocessOnSpecChange": True}))
    build = stack.one("pulumi-python:dynamic/prism:ImageBuild")
    job = stack.one("pulumi-python:dynamic/prism:ReprocessJob")
    assert build.inputs["aws_identity"] == IDENTITY
    assert job.inputs["aws_identity"] == IDENTITY
