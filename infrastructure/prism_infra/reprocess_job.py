"""`prism:reprocessOnSpecChange`: a resource whose input is the spec fingerprint, so that
`pulumi up` starts the S3 Batch Operations job itself when the variant specs changed.

A dynamic provider (pickled and re-imported by Pulumi, like the image build): nothing at
import, boto3 inside the methods, plain values only. Creating it records the fingerprint and
starts nothing (a new stack has nothing to redo). When the fingerprint changes, the preview
says a job will start and what it will cost, and the update starts it - after the worker
function runs the new specs, which the component's dependency guarantees - with the same
request `prism reprocess` makes, as the stack's own AWS identity (`aws:profile`,
`aws:assumeRoles`: build_session.py, the factory the image build uses too). The job id is an
output; follow it as the README says.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ResourceProvider, UpdateResult

from prism_infra.build_session import AwsIdentity, ClientFactory, aws_client

INPUTS = (
    "fingerprint",
    "uploads_bucket",
    "uploads_prefix",
    "function_arn",
    "role_arn",
    "reports_bucket",
    "reports_prefix",
    "memory_mb",
    # Last: the plain-string inputs above are INPUTS[:7] (diff checks they are known).
    "aws_identity",
)
OUTPUTS = ("job_id",)


def _stack(props: dict[str, Any]) -> Any:
    import json

    from prism.cli.batch_job import read_stack_outputs

    outputs = {
        "uploads_bucket": props["uploads_bucket"],
        "uploads_prefix": props["uploads_prefix"],
        "reprocess_function_arn": props["function_arn"],
        "batch_operations_role_arn": props["role_arn"],
        "reports_bucket": props["reports_bucket"],
        "reports_prefix": props["reports_prefix"],
        "spec_fingerprint": props["fingerprint"],
        "reprocess_memory_mb": props.get("memory_mb"),
    }
    return read_stack_outputs(json.dumps(outputs))


def _report(message: str) -> None:
    try:
        pulumi.log.info(message)
    except Exception:  # progress is best-effort
        print(message)


def preview_message(props: dict[str, Any], client: ClientFactory) -> str:
    """What the preview shows when the specs changed: the job to come and its estimate."""
    from prism.cli.batch_job import estimate
    from prism.cli.reprocess import count_objects

    stack = _stack(props)
    identity = AwsIdentity.from_props(props.get("aws_identity"))
    try:
        objects = count_objects(client("cloudwatch", stack.region, identity), stack)
        why = "S3's daily NumberOfObjects metric has no datapoint for the bucket yet"
    except Exception as exc:  # the estimate must never block a deploy, but says why it fell back
        objects, why = None, f"{type(exc).__name__}: {exc}"
    head = f"the variant specs changed ({props['fingerprint']}): `up` starts a reprocessing job"
    if objects is None:
        per_million = estimate(1_000_000, memory_mb=stack.memory_mb).total
        return (
            f"{head}; about ${per_million:,.0f} per million images remade "
            f"(the originals could not be counted: {why})"
        )
    cost = estimate(objects, memory_mb=stack.memory_mb)
    return f"{head} over ~{objects:,} originals, about ${cost.total:,.2f} if all are remade"


def start_job(props: dict[str, Any], client: ClientFactory, report: Callable[[str], None]) -> str:
    from prism.cli.batch_job import create_job_request, report_location

    stack = _stack(props)
    identity = AwsIdentity.from_props(props.get("aws_identity"))
    request = create_job_request(stack, token=str(uuid.uuid4()), prune=False)
    job_id = client("s3control", stack.region, identity).create_job(**request)["JobId"]
    report(f"reprocessing job {job_id} started; report: {report_location(stack, job_id)}")
    return job_id


class ReprocessJobProvider(ResourceProvider):
    serialize_as_secret_always = False

    def __init__(
        self, client: ClientFactory | None = None, report: Callable[[str], None] | None = None
    ) -> None:
        super().__init__()
        self.client = client
        self.report = report

    def _client(self) -> ClientFactory:
        return self.client or aws_client

    def create(self, props: dict[str, Any]) -> CreateResult:
        # The first deploy only records what the images are made with.
        return CreateResult(
            id_=str(props["fingerprint"]), outs={**{n: props.get(n) for n in INPUTS}, "job_id": ""}
        )

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [n for n in INPUTS if olds.get(n) != news.get(n)]
        if "fingerprint" in changed and all(isinstance(news.get(n), str) for n in INPUTS[:7]):
            (self.report or _report)(preview_message(news, self._client()))
        return DiffResult(
            changes=bool(changed),
            replaces=[],
            stables=[] if "fingerprint" in changed else list(OUTPUTS),
            delete_before_replace=False,
        )

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        job_id = olds.get("job_id", "")
        if olds.get("fingerprint") != news.get("fingerprint"):
            job_id = start_job(news, self._client(), self.report or _report)
        return UpdateResult(outs={**{n: news.get(n) for n in INPUTS}, "job_id": job_id})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        # A running job is left to finish: its work is the images', not the stack's.
        return None


@dataclass(frozen=True, slots=True)
class ReprocessJobArgs:
    fingerprint: pulumi.Input[str]
    uploads_bucket: pulumi.Input[str]
    uploads_prefix: pulumi.Input[str]
    function_arn: pulumi.Input[str]
    role_arn: pulumi.Input[str]
    reports_bucket: pulumi.Input[str]
    reports_prefix: pulumi.Input[str]
    memory_mb: pulumi.Input[int]
    #: The stack's `aws:profile` and `aws:assumeRoles` (config.read_build_identity).
    identity: AwsIdentity = field(default_factory=AwsIdentity)


class ReprocessJob(pulumi.dynamic.Resource, module="prism", name="ReprocessJob"):
    """Starts a reprocessing job whenever `fingerprint` changes; `job_id` is the last one."""

    job_id: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: ReprocessJobArgs,
        opts: pulumi.ResourceOptions | None = None,
        provider: ReprocessJobProvider | None = None,
    ) -> None:
        props: dict[str, Any] = {n: getattr(args, n) for n in INPUTS if n != "aws_identity"}
        props |= {"aws_identity": args.identity.to_props(), "job_id": None}
        super().__init__(provider or ReprocessJobProvider(), name, props, opts)
