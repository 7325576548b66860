"""The image build as a Pulumi resource: one CodeBuild run per build-context hash.

A dynamic provider (Pulumi pickles it with dill and re-imports this module in its own process),
so: nothing happens at import, boto3 is imported inside the methods, and the provider object
holds only plain values. `create` starts one build under a new image tag, as the stack's own
AWS identity (build_session.py), reports each phase while it waits, and returns `image_uri` as
`repository@sha256:...` from the digest the buildspec exports. A failed build fails
`pulumi up` with the build id, its console link and the last log lines.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ResourceProvider, UpdateResult

from prism_infra.build_session import AwsIdentity, ClientFactory, aws_client

#: Part of every image tag; bump it when the way images are built changes (replaces the build).
PROVIDER_VERSION = "2"
#: Inputs whose change means a new image (a new repository needs its own copy, too). Anything
#: else is bookkeeping: no change is reported, so nothing downstream moves.
REPLACE_ON = ("content_hash", "provider_version", "repository_url")
INPUTS = (
    "project_name",
    "source_bucket",
    "source_key",
    "content_hash",
    "repository_url",
    "region",
    "provider_version",
    "aws_identity",
)
OUTPUTS = ("image_uri", "image_digest", "image_tag", "build_id")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_LOG_TAIL = 25


class BuildFailed(Exception):
    """The CodeBuild run did not produce an image; the message says where to look."""


@dataclass(frozen=True, slots=True)
class BuildRequest:
    project_name: str
    source_bucket: str
    source_key: str
    content_hash: str
    repository_url: str
    region: str
    provider_version: str = PROVIDER_VERSION
    identity: AwsIdentity = field(default_factory=AwsIdentity)

    @classmethod
    def from_props(cls, props: dict[str, Any]) -> BuildRequest:
        plain = {n: str(props[n]) for n in INPUTS if n != "aws_identity"}
        return cls(**plain, identity=AwsIdentity.from_props(props.get("aws_identity")))


def image_tag(request: BuildRequest) -> str:
    """A tag no earlier build used: what decides the image (the context hash, which covers the
    Dockerfile's pinned base images, and the provider version), then a per-build suffix.

    ECR tags are immutable, so a replaced build resource (`pulumi up --replace`, a provider
    version bump) could never push under a reused tag, nor get a fresh image from one.
    """
    return f"{request.content_hash[:32]}-v{request.provider_version}-{uuid.uuid4().hex[:12]}"


def console_link(region: str, build_id: str) -> str:
    project = build_id.split(":", 1)[0]
    return (
        f"https://{region}.console.aws.amazon.com/codesuite/codebuild/projects/{project}"
        f"/build/{quote(build_id, safe='')}/log?region={region}"
    )


def _report(message: str) -> None:
    """Progress goes to the Pulumi engine when there is one (it shows under the resource)."""
    try:
        pulumi.log.info(message)
    except Exception:  # progress is best-effort; never fail a build over it
        print(message)


def log_tail(logs: Any, build: dict[str, Any], lines: int = _LOG_TAIL) -> list[str]:
    where = build.get("logs") or {}
    group, stream = where.get("groupName"), where.get("streamName")
    if not group or not stream:
        return ["(no CloudWatch log stream recorded for this build)"]
    try:
        events = logs.get_log_events(
            logGroupName=group, logStreamName=stream, limit=lines, startFromHead=False
        )["events"]
    except Exception as exc:  # the build failure matters more than its logs
        return [f"(could not read {group}/{stream}: {exc})"]
    return [event["message"].rstrip("\n") for event in events]


def _digest(build: dict[str, Any]) -> str:
    exported = {
        v["name"]: v.get("value", "") for v in build.get("exportedEnvironmentVariables") or []
    }
    digest = exported.get("IMAGE_DIGEST", "")
    if not _DIGEST.match(digest):
        raise BuildFailed(
            f"CodeBuild build {build['id']} succeeded but exported no image digest "
            f"(IMAGE_DIGEST={digest!r}); check buildspec.yml's exported-variables"
        )
    return digest


def run_build(
    request: BuildRequest,
    tag: str,
    client: ClientFactory,
    *,
    poll_seconds: float,
    report: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[str, str]:
    """Start one build under `tag`, wait for it, return (build id, image digest)."""
    report = report or _report
    codebuild = client("codebuild", request.region, request.identity)
    started = codebuild.start_build(
        projectName=request.project_name,
        sourceTypeOverride="S3",
        sourceLocationOverride=f"{request.source_bucket}/{request.source_key}",
        environmentVariablesOverride=[
            {"name": "IMAGE_TAG", "value": tag, "type": "PLAINTEXT"},
            {"name": "REPOSITORY_URI", "value": request.repository_url, "type": "PLAINTEXT"},
        ],
    )
    build_id = started["build"]["id"]
    link = console_link(request.region, build_id)
    report(f"CodeBuild build {build_id} started: {link}")
    phase = None
    while True:
        build = codebuild.batch_get_builds(ids=[build_id])["builds"][0]
        if build.get("currentPhase") != phase:
            phase = build.get("currentPhase")
            report(f"CodeBuild build {build_id}: {phase}")
        if build["buildStatus"] != "IN_PROGRESS":
            break
        sleep(poll_seconds)
    if build["buildStatus"] != "SUCCEEDED":
        tail = log_tail(client("logs", request.region, request.identity), build)
        raise BuildFailed(
            f"CodeBuild build {build_id} {build['buildStatus']}\n  console: {link}\n"
            f"  last log lines:\n" + "\n".join(f"    {line}" for line in tail)
        )
    return build_id, _digest(build)


class ImageBuildProvider(ResourceProvider):
    serialize_as_secret_always = False  # it holds no secrets; keep the state readable

    def __init__(self, poll_seconds: float = 10.0, client: ClientFactory | None = None) -> None:
        super().__init__()
        self.poll_seconds = poll_seconds
        self.client = client

    def _client(self) -> ClientFactory:
        return self.client or aws_client

    def create(self, props: dict[str, Any]) -> CreateResult:
        request = BuildRequest.from_props(props)
        tag = image_tag(request)
        build_id, digest = run_build(request, tag, self._client(), poll_seconds=self.poll_seconds)
        outs = {
            **{name: props.get(name) for name in INPUTS},
            "image_digest": digest,
            "image_tag": tag,
            "image_uri": f"{request.repository_url}@{digest}",
            "build_id": build_id,
        }
        return CreateResult(id_=build_id, outs=outs)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # Only a new image is a change. An in-place update would make preview show the image
        # outputs (and so the function) as changing: the dynamic provider host does not pass
        # `stables` on to the engine (pulumi/dynamic/__main__.py, Diff).
        replaces = [name for name in REPLACE_ON if olds.get(name) != news.get(name)]
        return DiffResult(changes=bool(replaces), replaces=replaces, delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        # Not reached (diff reports bookkeeping as no change); kept so an engine that asks
        # anyway records the new inputs and keeps what the build produced.
        return UpdateResult(
            outs={**{n: news.get(n) for n in INPUTS}, **{n: olds.get(n) for n in OUTPUTS}}
        )

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        # The image lives in ECR: the repository's lifecycle policy expires it, and
        # `pulumi destroy` deletes the repository with its images.
        return None


@dataclass(frozen=True, slots=True)
class ImageBuildArgs:
    project_name: pulumi.Input[str]
    source_bucket: pulumi.Input[str]
    source_key: pulumi.Input[str]
    content_hash: pulumi.Input[str]
    repository_url: pulumi.Input[str]
    region: pulumi.Input[str]
    #: The stack's `aws:profile` and `aws:assumeRoles` (build_session.identity_from_config).
    identity: AwsIdentity = field(default_factory=AwsIdentity)


class ImageBuild(pulumi.dynamic.Resource, module="prism", name="ImageBuild"):
    """Runs the CodeBuild project on the uploaded context; `image_uri` pins the pushed digest."""

    image_uri: pulumi.Output[str]
    image_digest: pulumi.Output[str]
    image_tag: pulumi.Output[str]
    build_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: ImageBuildArgs,
        opts: pulumi.ResourceOptions | None = None,
        provider: ImageBuildProvider | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "project_name": args.project_name,
            "source_bucket": args.source_bucket,
            "source_key": args.source_key,
            "content_hash": args.content_hash,
            "repository_url": args.repository_url,
            "region": args.region,
            "provider_version": PROVIDER_VERSION,
            "aws_identity": args.identity.to_props(),
            **dict.fromkeys(OUTPUTS),
        }
        super().__init__(provider or ImageBuildProvider(), name, props, opts)
