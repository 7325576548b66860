"""The build resource's provider against stubbed CodeBuild/CloudWatch Logs clients."""

from __future__ import annotations

import base64
import pickle
import subprocess
import sys
import textwrap
from typing import Any

import boto3
import dill
import pytest
from botocore.stub import ANY, Stubber

from prism_infra import build_provider
from prism_infra.build_provider import (
    PROVIDER_VERSION,
    REPLACE_ON,
    BuildFailed,
    ImageBuildProvider,
    console_link,
)
from prism_infra.build_session import AwsIdentity

REGION = "eu-west-1"
PROJECT = "prism-prod-image"
BUILD_ID = f"{PROJECT}:6a0b1c2d-0000-4000-8000-000000000001"
DIGEST = "sha256:" + "0123456789abcdef" * 4
REPO = f"123456789012.dkr.ecr.{REGION}.amazonaws.com/prism-prod"
HASH = "f" * 64
PROPS: dict[str, Any] = {
    "project_name": PROJECT,
    "source_bucket": "prism-prod-source-x1",
    "source_key": f"build-context/{HASH}.zip",
    "content_hash": HASH,
    "repository_url": REPO,
    "region": REGION,
    "provider_version": PROVIDER_VERSION,
    "aws_identity": {"profile": "", "roles": []},
}


def _build(status: str, phase: str, **extra: Any) -> dict[str, Any]:
    return {"id": BUILD_ID, "buildStatus": status, "currentPhase": phase, **extra}


class Clients:
    """Real botocore clients with Stubbers: every call is checked against the AWS model."""

    def __init__(self) -> None:
        session = boto3.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION
        )
        self.codebuild = session.client("codebuild")
        self.logs = session.client("logs")
        self.codebuild_stub = Stubber(self.codebuild)
        self.started: list[dict[str, Any]] = []
        self.codebuild.meta.events.register(
            "provide-client-params.codebuild.StartBuild",
            lambda params, **_: self.started.append(dict(params)),
        )
        self.logs_stub = Stubber(self.logs)
        self.asked: list[tuple[str, str]] = []
        self.identities: list[AwsIdentity] = []

    def __call__(self, service: str, region: str, identity: AwsIdentity) -> Any:
        self.asked.append((service, region))
        self.identities.append(identity)
        return {"codebuild": self.codebuild, "logs": self.logs}[service]

    def expect_start(self) -> None:
        self.codebuild_stub.add_response(
            "start_build",
            {"build": {"id": BUILD_ID, "buildStatus": "IN_PROGRESS"}},
            {
                "projectName": PROJECT,
                "sourceTypeOverride": "S3",
                "sourceLocationOverride": f"prism-prod-source-x1/build-context/{HASH}.zip",
                "environmentVariablesOverride": ANY,
            },
        )

    def started_with(self) -> list[dict[str, str]]:
        """The environment each build was started with (IMAGE_TAG, REPOSITORY_URI)."""
        return [
            {v["name"]: v["value"] for v in params["environmentVariablesOverride"]}
            for params in self.started
        ]

    def expect_poll(self, build: dict[str, Any]) -> None:
        self.codebuild_stub.add_response(
            "batch_get_builds", {"builds": [build]}, {"ids": [BUILD_ID]}
        )

    def __enter__(self) -> Clients:
        self.codebuild_stub.activate()
        self.logs_stub.activate()
        return self

    def __exit__(self, *exc: object) -> None:
        self.codebuild_stub.deactivate()
        self.logs_stub.deactivate()


@pytest.fixture
def progress(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    messages: list[str] = []
    monkeypatch.setattr(build_provider, "_report", messages.append)
    return messages


def _provider(clients: Clients) -> ImageBuildProvider:
    return ImageBuildProvider(poll_seconds=0, client=clients)


def test_create_starts_one_build_waits_and_returns_the_pinned_image(progress) -> None:
    clients = Clients()
    clients.expect_start()
    clients.expect_poll(_build("IN_PROGRESS", "PROVISIONING"))
    clients.expect_poll(_build("IN_PROGRESS", "BUILD"))
    clients.expect_poll(_build("IN_PROGRESS", "BUILD"))
    clients.expect_poll(
        _build(
            "SUCCEEDED",
            "COMPLETED",
            exportedEnvironmentVariables=[{"name": "IMAGE_DIGEST", "value": DIGEST}],
        )
    )
    with clients:
        result = _provider(clients).create(dict(PROPS))
    clients.codebuild_stub.assert_no_pending_responses()  # exactly one start, then polls

    assert result.id == BUILD_ID
    assert result.outs["image_uri"] == f"{REPO}@{DIGEST}"
    assert result.outs["image_digest"] == DIGEST
    assert result.outs["build_id"] == BUILD_ID
    assert result.outs["content_hash"] == HASH
    assert clients.asked == [("codebuild", REGION)]
    (env,) = clients.started_with()
    assert env["REPOSITORY_URI"] == REPO
    assert env["IMAGE_TAG"] == result.outs["image_tag"]
    # progress: the start with its console link, then each phase once
    assert progress[0].startswith(f"CodeBuild build {BUILD_ID} started: https://")
    assert [m.rsplit(": ", 1)[1] for m in progress[1:]] == ["PROVISIONING", "BUILD", "COMPLETED"]


def test_failed_build_surfaces_id_console_link_and_log_tail(progress) -> None:
    clients = Clients()
    clients.expect_start()
    clients.expect_poll(
        _build(
            "FAILED",
            "COMPLETED",
            logs={"groupName": "/aws/codebuild/prism-prod-image", "streamName": "6a0b1c2d"},
        )
    )
    clients.logs_stub.add_response(
        "get_log_events",
        {
            "events": [
                {"timestamp": 1, "message": "Step 4/9 : RUN uv export --frozen\n"},
                {"timestamp": 2, "message": "error: The lockfile needs to be updated\n"},
            ]
        },
        {
            "logGroupName": "/aws/codebuild/prism-prod-image",
            "logStreamName": "6a0b1c2d",
            "limit": ANY,
            "startFromHead": False,
        },
    )
    with clients, pytest.raises(BuildFailed) as failure:
        _provider(clients).create(dict(PROPS))
    message = str(failure.value)
    assert f"CodeBuild build {BUILD_ID} FAILED" in message
    assert console_link(REGION, BUILD_ID) in message
    assert "error: The lockfile needs to be updated" in message
    assert message.index("Step 4/9") < message.index("error: The lockfile")


def test_failure_without_readable_logs_still_names_the_build(progress) -> None:
    clients = Clients()
    clients.expect_start()
    clients.expect_poll(
        _build("TIMED_OUT", "BUILD", logs={"groupName": "/aws/codebuild/x", "streamName": "s"})
    )
    clients.logs_stub.add_client_error("get_log_events", "AccessDeniedException")
    with clients, pytest.raises(BuildFailed) as failure:
        _provider(clients).create(dict(PROPS))
    assert f"{BUILD_ID} TIMED_OUT" in str(failure.value)
    assert "could not read /aws/codebuild/x/s" in str(failure.value)


def test_success_without_a_digest_fails_clearly(progress) -> None:
    clients = Clients()
    clients.expect_start()
    clients.expect_poll(_build("SUCCEEDED", "COMPLETED", exportedEnvironmentVariables=[]))
    with clients, pytest.raises(BuildFailed, match="exported no image digest"):
        _provider(clients).create(dict(PROPS))


def test_console_link_points_at_the_build() -> None:
    link = console_link(REGION, BUILD_ID)
    assert link.startswith(f"https://{REGION}.console.aws.amazon.com/codesuite/codebuild/")
    assert f"/projects/{PROJECT}/build/{PROJECT}%3A6a0b1c2d" in link


# --- the image tag: new for every build, named after what decides the image -----------------


def _succeeding_build(clients: Clients) -> None:
    clients.expect_start()
    clients.expect_poll(
        _build(
            "SUCCEEDED",
            "COMPLETED",
            exportedEnvironmentVariables=[{"name": "IMAGE_DIGEST", "value": DIGEST}],
        )
    )


def test_every_build_pushes_a_new_tag_named_after_content_and_provider_version(progress) -> None:
    # ECR tags are immutable and the buildspec pushes whatever it builds: if a replacement
    # (a provider-version bump, `pulumi up --replace`) reused the tag, it could not push.
    clients = Clients()
    _succeeding_build(clients)
    _succeeding_build(clients)
    with clients:
        first = _provider(clients).create(dict(PROPS)).outs["image_tag"]
        second = _provider(clients).create(dict(PROPS)).outs["image_tag"]
    assert first != second
    for tag in (first, second):
        assert tag.startswith(f"{HASH[:32]}-v{PROVIDER_VERSION}-")
        assert len(tag) <= 128
        assert all(c.isalnum() or c in "-_." for c in tag)


def test_the_build_uses_the_stacks_aws_identity(progress) -> None:
    clients = Clients()
    _succeeding_build(clients)
    role = {"roleArn": "arn:aws:iam::210987654321:role/deployer"}
    identity = {"profile": "prod-admin", "roles": [role]}
    with clients:
        _provider(clients).create({**PROPS, "aws_identity": identity})
    (used,) = clients.identities
    assert used == AwsIdentity.from_props(identity)
    assert used.profile == "prod-admin"


# --- diff: a new image exactly when the content (or provider version) changes ---------------


def _outs() -> dict[str, Any]:
    return {**PROPS, "image_uri": f"{REPO}@{DIGEST}", "image_digest": DIGEST, "build_id": BUILD_ID}


def test_diff_unchanged_inputs_change_nothing() -> None:
    diff = ImageBuildProvider().diff(BUILD_ID, _outs(), dict(PROPS))
    assert not diff.changes
    assert not diff.replaces


@pytest.mark.parametrize("key", ["content_hash", "provider_version", "repository_url"])
def test_diff_replaces_when_content_provider_version_or_repository_changes(key: str) -> None:
    # a new repository must get its own image: the function may not keep the old one's
    news = {**PROPS, key: "something-else"}
    diff = ImageBuildProvider().diff(BUILD_ID, _outs(), news)
    assert diff.changes
    assert diff.replaces == [key]
    assert key in REPLACE_ON


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("project_name", "renamed"),
        ("source_bucket", "renamed"),
        ("region", "renamed"),
        ("aws_identity", {"profile": "other", "roles": []}),
    ],
)
def test_diff_bookkeeping_changes_nothing_so_the_function_stays(key: str, value: Any) -> None:
    # Reported as no change: an in-place update would show the image outputs as unknown in
    # preview (the dynamic provider host does not pass `stables` on), so the function would
    # look as if it changed.
    diff = ImageBuildProvider().diff(BUILD_ID, _outs(), {**PROPS, key: value})
    assert not diff.changes
    assert diff.replaces == []


# --- pickling: Pulumi serialises the provider with dill and loads it in another process -----


@pytest.mark.parametrize("dumps", [pickle.dumps, dill.dumps], ids=["pickle", "dill"])
def test_provider_round_trips(dumps) -> None:
    restored = pickle.loads(dumps(ImageBuildProvider(poll_seconds=3)))
    assert isinstance(restored, ImageBuildProvider)
    assert restored.poll_seconds == 3
    assert restored.diff(BUILD_ID, _outs(), {**PROPS, "content_hash": "x"}).replaces == [
        "content_hash"
    ]


def test_provider_pickled_as_pulumi_does_loads_in_a_fresh_interpreter() -> None:
    from pulumi.dynamic.dynamic import serialize_provider

    payload = serialize_provider(ImageBuildProvider(poll_seconds=7))
    script = textwrap.dedent(
        f"""
        import base64, sys, dill
        provider = dill.loads(base64.b64decode({payload!r}))
        print(type(provider).__module__, provider.poll_seconds, "boto3" in sys.modules)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    # imported by reference from the installed package, and loading it did no AWS work
    assert done.stdout.split() == ["prism_infra.build_provider", "7", "False"]
    assert base64.b64decode(payload)  # it is the base64 text Pulumi stores in the state


def test_importing_the_module_does_no_aws_work() -> None:
    script = (
        "import sys; import prism_infra.build_provider as m; "
        "print('boto3' in sys.modules, 'botocore' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["False", "False"]
