"""The image under Pulumi's mocks: ECR, the build context, CodeBuild and the build resource."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest
from infra_mocks import ACCOUNT, Registered, Stack, run_stack

from prism_infra.build_provider import PROVIDER_VERSION
from prism_infra.config import parse_config


def _statements(resource: Registered) -> list[dict[str, Any]]:
    return resource.policy()["Statement"]


def test_ecr_repository_scans_is_immutable_keeps_few_and_is_deletable(default: Stack) -> None:
    repo = default.one("aws:ecr/repository:Repository").inputs
    assert repo["imageScanningConfiguration"]["scanOnPush"] is True
    assert repo["imageTagMutability"] == "IMMUTABLE"
    assert repo["forceDelete"] is True
    policy = json.loads(default.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs["policy"])
    (rule,) = policy["rules"]
    assert rule["selection"]["countType"] == "imageCountMoreThan"
    assert 1 <= rule["selection"]["countNumber"] <= 20
    assert rule["action"]["type"] == "expire"


def test_build_context_is_uploaded_under_its_content_hash(default: Stack) -> None:
    obj = default.one("aws:s3/bucketObjectv2:BucketObjectv2").inputs
    build = default.one("pulumi-python:dynamic/prism:ImageBuild").inputs
    assert obj["bucket"] == "image-source-a1b2c3"
    assert obj["key"] == f"build-context/{build['content_hash']}.zip"
    assert len(build["content_hash"]) == 64


def test_codebuild_project_is_arm_privileged_with_own_log_group(default: Stack) -> None:
    project = default.one("aws:codebuild/project:Project").inputs
    env = project["environment"]
    assert env["type"] == "ARM_CONTAINER"
    assert "aarch64" in env["image"]
    assert env["privilegedMode"] is True
    logs = default.named("image-build-logs").inputs
    assert logs["retentionInDays"] == 30
    assert project["logsConfig"]["cloudwatchLogs"]["groupName"] == logs["name"]
    assert project["source"]["type"] == "S3"
    assert project["serviceRole"] == f"arn:aws:iam::{ACCOUNT}:role/image-build-role"


def test_codebuild_role_reads_only_the_prefix_pushes_only_the_repo_logs_only_its_group(
    default: Stack,
) -> None:
    by_sid = {s["Sid"]: s for s in _statements(default.named("image-build-policy"))}
    assert by_sid["ReadBuildContext"]["Resource"] == [
        "arn:aws:s3:::image-source-a1b2c3/build-context/*"
    ]
    assert by_sid["PushImage"]["Resource"] == [
        f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/prism-prod"
    ]
    assert by_sid["WriteBuildLogs"]["Resource"] == [
        f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/codebuild/prism-prod-image:*"
    ]
    assert "ecr:PutImage" in by_sid["PushImage"]["Action"]
    assert by_sid["LocateBuildContext"]["Resource"] == ["arn:aws:s3:::image-source-a1b2c3"]


def test_build_runs_after_upload_and_permissions_and_yields_pinned_image(default: Stack) -> None:
    build = default.one("pulumi-python:dynamic/prism:ImageBuild")
    assert build.inputs["project_name"] == "prism-prod-image"
    assert build.inputs["source_bucket"] == "image-source-a1b2c3"
    assert build.inputs["repository_url"].endswith(".amazonaws.com/prism-prod")
    assert build.inputs["region"] == "eu-west-1"
    assert build.inputs["provider_version"] == PROVIDER_VERSION
    assert "__provider" in build.inputs  # the pickled provider travels with the resource
    assert default.depends_on(build, default.one("aws:s3/bucketObjectv2:BucketObjectv2"))
    assert default.depends_on(build, default.one("aws:codebuild/project:Project"))
    assert default.depends_on(build, default.named("image-build-policy"))


@pytest.fixture
def aws_config() -> Iterator[dict[str, str]]:
    """Stack `aws:*` config for one run (as Pulumi passes it: strings, structured as JSON)."""
    config: dict[str, str] = {}
    yield config
    pulumi.runtime.set_all_config({}, secret_keys=[])


def test_the_build_runs_as_the_stacks_aws_profile_and_roles(aws_config) -> None:
    roles = [
        {"roleArn": "arn:aws:iam::210987654321:role/deployer", "externalId": "x-1"},
        {"roleArn": "arn:aws:iam::210987654321:role/builder", "duration": "1h"},
    ]
    aws_config.update({"aws:profile": "prod-admin", "aws:assumeRoles": json.dumps(roles)})
    pulumi.runtime.set_all_config(aws_config, secret_keys=[])
    stack = run_stack(parse_config({}))
    identity = stack.one("pulumi-python:dynamic/prism:ImageBuild").inputs["aws_identity"]
    assert identity["profile"] == "prod-admin"
    assert [r["RoleArn"] for r in identity["roles"]] == [r["roleArn"] for r in roles]
    assert identity["roles"][0]["ExternalId"] == "x-1"
    assert identity["roles"][1]["DurationSeconds"] == 3600


def test_without_aws_config_the_build_uses_the_default_credentials(default: Stack) -> None:
    identity = default.one("pulumi-python:dynamic/prism:ImageBuild").inputs["aws_identity"]
    assert identity == {"profile": "", "roles": []}
