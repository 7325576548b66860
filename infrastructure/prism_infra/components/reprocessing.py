"""`prism reprocess`: a worker function of its own, capped by prism:reprocessConcurrency so that a
backfill of millions of images cannot take the concurrency uploads and HTTP need; the role S3
Batch Operations assumes to invoke it; and a place for its completion reports that expires.

The worker is the main function's image, role, log group and environment under another name,
with no URL and no S3 trigger: Batch Operations invokes it synchronously, once per original,
as fast as its concurrency allows, so on the main function a job would fill the main
function's reservation (or the account's unreserved pool) and throttle everything else, and
its errors would trip the main function's alarms. Both run the Lambda Web Adapter buffered, in
which a pass-through route's JSON body becomes the invocation's result (aws-lambda-web-adapter
src/lib.rs `fetch_response`; lambda_http `LambdaResponse::from_response`, PassThrough arm):
that is where Batch Operations reads each task's result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from prism.core.fingerprint import spec_fingerprint
from prism.core.setting_values import parse_colour
from prism_infra.build_session import AwsIdentity
from prism_infra.components.bucket import PrivateBucket, PrivateBucketArgs
from prism_infra.config import StackSettings
from prism_infra.naming import bucket_prefix
from prism_infra.policies import assume_role_policy, batch_operations_policy, to_json
from prism_infra.reprocess_job import ReprocessJob, ReprocessJobArgs

BATCH_OPERATIONS = "batchoperations.s3.amazonaws.com"
#: Key prefix of the completion reports (Batch Operations adds `job-<id>/` below it).
REPORTS_PREFIX = "reprocess/"


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
    #: Who starts the job at deploy time: the stack's aws:profile and aws:assumeRoles.
    identity: AwsIdentity = field(default_factory=AwsIdentity)


class Reprocessing(pulumi.ComponentResource):
    """The worker waits for everything in `opts.depends_on` (the image, the main function)."""

    worker: aws.lambda_.Function
    role: aws.iam.Role
    reports: PrivateBucket
    job: ReprocessJob | None

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
            reserved_concurrent_executions=s.reprocess_concurrency,
            environment={"variables": args.environment},
            logging_config={"log_format": "JSON", "log_group": args.log_group_name},
            opts=pulumi.ResourceOptions(parent=self, depends_on=(opts and opts.depends_on) or []),
        )
        self.reports = PrivateBucket(
            f"{name}-reports",
            PrivateBucketArgs(
                bucket_prefix(args.name, "reports"), expire_after_days=args.report_expiry_days
            ),
            opts=child,
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            name_prefix=f"{args.name[:31]}-batch-",
            assume_role_policy=to_json(assume_role_policy(BATCH_OPERATIONS)),
            opts=child,
        )
        policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=self.role.id,
            policy=pulumi.Output.all(
                function_arn=self.worker.arn,
                uploads_bucket_arn=args.uploads.arn,
                reports_bucket_arn=self.reports.bucket.arn,
            ).apply(
                lambda arns: to_json(
                    batch_operations_policy(
                        uploads_prefix=s.uploads_prefix, reports_prefix=REPORTS_PREFIX, **arns
                    )
                )
            ),
            opts=child,
        )
        self.job = None
        if s.reprocess_on_spec_change:
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
                    identity=args.identity,
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
