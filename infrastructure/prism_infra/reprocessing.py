"""What `prism reprocess` needs in the stack: a worker function S3 Batch Operations invokes,
the role Batch Operations assumes, and a place for its completion reports that expires.

Why a second function: Batch Operations invokes synchronously and reads the result document
from the invocation's payload. The main function runs the Lambda Web Adapter in
`response_stream` mode (for its function URL), and in that mode every answer, events
included, is streamed with an HTTP "metadata prelude" in front of the body; an `Invoke` then
returns prelude and body together, which is not the JSON Batch Operations expects. In
`buffered` mode the adapter returns a pass-through route's body, parsed as JSON, as the
invocation's result. So the worker is the same image, role, log group and settings as the main
function, with only `AWS_LWA_INVOKE_MODE=buffered`, and no URL or S3 trigger.

Sources (awslabs/aws-lambda-web-adapter, src/lib.rs): `Adapter::run` serves response_stream
with `lambda_http::run_with_streaming_response_concurrent`; `fetch_response` posts a
pass-through event to AWS_LWA_PASS_THROUGH_PATH and fails the invocation only for statuses in
AWS_LWA_ERROR_STATUS_CODES. lambda_http's `LambdaResponse::from_response` (PassThrough arm)
parses a text body (application/json, or any +json type) as the result, and turns a binary
one - which a compressed body would be - into null: AWS_LWA_ENABLE_COMPRESSION must stay off.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from prism.core.fingerprint import spec_fingerprint
from prism.core.settings import parse_colour
from prism_infra.config import StackSettings
from prism_infra.policies import Document, assume_role_policy, to_json
from prism_infra.reprocess_job import ReprocessJob, ReprocessJobArgs
from prism_infra.storage import PrivateBucket, PrivateBucketArgs

BATCH_OPERATIONS = "batchoperations.s3.amazonaws.com"
#: Key prefix of the completion reports in the reports bucket (Batch Operations adds
#: `job-<id>/` below it).
REPORTS_PREFIX = "reprocess/"


def batch_operations_policy(
    *,
    function_arn: str,
    uploads_bucket_arn: str,
    uploads_prefix: str,
    reports_bucket_arn: str,
    reports_prefix: str,
) -> Document:
    """The role Batch Operations assumes for a reprocessing job, and nothing more.

    It lists the uploads bucket (the manifest generator's listing: how it pages is not
    documented, so there is no prefix condition; a listing reveals key names only), may read
    originals under the prefix, invokes the one worker function, and writes reports under the
    reports prefix. The function reads and writes images with its own role, not this one.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ListUploads",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [uploads_bucket_arn],
            },
            {
                "Sid": "ReadUploads",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                "Resource": [f"{uploads_bucket_arn}/{uploads_prefix}*"],
            },
            {
                "Sid": "InvokeWorker",
                "Effect": "Allow",
                "Action": ["lambda:InvokeFunction"],
                "Resource": [function_arn],
            },
            {
                "Sid": "WriteReports",
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": [f"{reports_bucket_arn}/{reports_prefix}*"],
            },
            {
                "Sid": "LocateReports",
                "Effect": "Allow",
                "Action": ["s3:GetBucketLocation"],
                "Resource": [reports_bucket_arn],
            },
        ],
    }


@dataclass(frozen=True, slots=True)
class ReprocessingArgs:
    name: str  # base name, e.g. prism-prod
    settings: StackSettings
    image_uri: pulumi.Input[str]
    #: The main function's execution role, log group and environment variables.
    role_arn: pulumi.Input[str]
    log_group_name: pulumi.Input[str]
    environment: pulumi.Input[Mapping[str, str]]
    uploads: aws.s3.Bucket
    #: Reports are deleted this many days after they are written.
    report_expiry_days: int = 30
    #: prism:reprocessOnSpecChange - `pulumi up` starts the job itself when the specs changed.
    start_on_spec_change: bool = False
    #: Resources the worker must not be created before (the image build, the role policy).
    depends_on: tuple[pulumi.Resource, ...] = ()


class Reprocessing(pulumi.ComponentResource):
    worker: aws.lambda_.Function
    role: aws.iam.Role
    reports: PrivateBucket

    def __init__(
        self, name: str, args: ReprocessingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("prism:reprocessing:Reprocessing", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        s = args.settings
        self.uploads_prefix = s.uploads_prefix
        self.fingerprint = spec_fingerprint(s.variants, parse_colour(s.background))

        self.worker = aws.lambda_.Function(
            f"{name}-worker",
            name=f"{args.name}-reprocess",
            package_type="Image",
            image_uri=args.image_uri,
            architectures=["arm64"],
            role=args.role_arn,
            memory_size=s.memory_mb,
            timeout=s.timeout_seconds,
            ephemeral_storage={"size": s.ephemeral_storage_mb},
            environment={
                "variables": pulumi.Output.from_input(args.environment).apply(
                    lambda env: {**env, "AWS_LWA_INVOKE_MODE": "buffered"}
                )
            },
            logging_config={"log_format": "JSON", "log_group": args.log_group_name},
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
        )
        self.reports = PrivateBucket(
            f"{name}-reports",
            PrivateBucketArgs(f"{args.name}-reports-", expire_after_days=args.report_expiry_days),
            opts=child,
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            name_prefix=f"{args.name[:32]}-batch-",
            assume_role_policy=to_json(assume_role_policy(BATCH_OPERATIONS)),
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=self.role.id,
            policy=pulumi.Output.all(
                self.worker.arn, args.uploads.arn, self.reports.bucket.arn
            ).apply(
                lambda arns: to_json(
                    batch_operations_policy(
                        function_arn=arns[0],
                        uploads_bucket_arn=arns[1],
                        uploads_prefix=s.uploads_prefix,
                        reports_bucket_arn=arns[2],
                        reports_prefix=REPORTS_PREFIX,
                    )
                )
            ),
            opts=child,
        )
        self.job: ReprocessJob | None = None
        if args.start_on_spec_change:
            self.job = ReprocessJob(
                f"{name}-on-spec-change",
                ReprocessJobArgs(
                    fingerprint=self.fingerprint,
                    uploads_bucket=args.uploads.bucket,
                    uploads_prefix=s.uploads_prefix,
                    function_arn=self.worker.arn,
                    role_arn=self.role.arn,
                    reports_bucket=self.reports.bucket.bucket,
                    reports_prefix=REPORTS_PREFIX,
                    memory_mb=s.memory_mb,
                ),
                # Only once the worker runs the new specs and the role may invoke it.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.worker, policy]),
            )
        self.register_outputs(self.outputs())

    def outputs(self) -> dict[str, pulumi.Input]:
        """What `prism reprocess --stack-outputs` reads (prism.cli.batch_job.REQUIRED_OUTPUTS)."""
        return {
            "uploads_prefix": self.uploads_prefix,
            "reprocess_function_arn": self.worker.arn,
            "reprocess_memory_mb": self.worker.memory_size,
            "batch_operations_role_arn": self.role.arn,
            "reports_bucket": self.reports.bucket.bucket,
            "reports_prefix": REPORTS_PREFIX,
            "spec_fingerprint": self.fingerprint,
            **({"reprocess_job_id": self.job.job_id} if self.job else {}),
        }


def attach_reprocessing(
    name: str,
    settings: StackSettings,
    *,
    image_uri: pulumi.Input[str],
    function: aws.lambda_.Function,
    log_group: aws.cloudwatch.LogGroup,
    uploads: aws.s3.Bucket,
    depends_on: tuple[pulumi.Resource, ...] = (),
    start_on_spec_change: bool = False,
) -> Reprocessing:
    """The component wired to the stack's main function: its role, log group and environment.
    `build_stack` calls this once and adds `.outputs()` to the stack outputs."""
    return Reprocessing(
        "reprocessing",
        ReprocessingArgs(
            name=name,
            settings=settings,
            image_uri=image_uri,
            role_arn=function.role,
            log_group_name=log_group.name,
            environment=function.environment.apply(
                lambda env: dict((env.variables if env else None) or {})
            ),
            uploads=uploads,
            depends_on=(function, *depends_on),
            start_on_spec_change=start_on_spec_change,
        ),
    )
