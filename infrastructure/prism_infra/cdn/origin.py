"""The CDN's origin function: the same image as the upload function, its own limits.

CloudFront calls it only on a cache miss the processed bucket cannot answer (a transform not
made yet). It is a second function rather than a second URL on the upload function because:
- its timeout must fit CloudFront's origin response timeout (30 s by default), while
  processing an upload may take the upload function's full timeout;
- its reserved concurrency (`prism:cdnOriginReservedConcurrency`) caps what a flood of misses
  can take from the account, so S3 events and API calls keep their share;
- its role is narrower: it reads, and writes transforms only (no deletes, no queue, no keys);
- its URL is always AWS_IAM behind origin access control, whatever `prism:functionUrlAuth`;
- the upload function learns the distribution id (for invalidations) without a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from prism_infra.cdn.policies import origin_function_policy
from prism_infra.components.service_role import service_role
from prism_infra.config import StackSettings
from prism_infra.environment import function_environment
from prism_infra.policies import to_json

#: Suffix of the origin function's name: `<project>-<stack>-origin`.
SUFFIX = "-origin"


@dataclass(frozen=True, slots=True)
class OriginFunctionArgs:
    name: str  # the stack's name stem, e.g. prism-prod
    settings: StackSettings
    image_uri: pulumi.Input[str]
    uploads_bucket: pulumi.Input[str]
    uploads_arn: pulumi.Input[str]
    processed_bucket: pulumi.Input[str]
    processed_arn: pulumi.Input[str]
    rejected_bucket: pulumi.Input[str]
    rejected_arn: pulumi.Input[str]
    metrics_namespace: str = "Prism"
    #: Signed transform URLs only: the secret holding the signing keys, and its version.
    signing_secret_arn: pulumi.Input[str] | None = None
    signing_version: pulumi.Input[str] | None = None
    depends_on: tuple[pulumi.Resource, ...] = ()


class OriginFunction(pulumi.ComponentResource):
    function: aws.lambda_.Function
    url: aws.lambda_.FunctionUrl
    log_group: aws.cloudwatch.LogGroup

    def __init__(
        self, name: str, args: OriginFunctionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("prism:cdn:OriginFunction", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        s = args.settings
        function_name = f"{args.name}{SUFFIX}"

        runs_as = service_role(
            name,
            service="lambda.amazonaws.com",
            role_name_prefix=f"{args.name[:32]}-origin-",
            log_group_name=f"/aws/lambda/{function_name}",
            log_retention_days=s.log_retention_days,
            policy=lambda log_group_arn: pulumi.Output.all(
                uploads_bucket_arn=args.uploads_arn,
                processed_bucket_arn=args.processed_arn,
                rejected_bucket_arn=args.rejected_arn,
                log_group_arn=log_group_arn,
                signing_secret_arn=args.signing_secret_arn,
            ).apply(
                lambda arns: to_json(
                    origin_function_policy(uploads_prefix=s.uploads_prefix, **arns)
                )
            ),
            parent=self,
        )
        self.log_group = runs_as.log_group
        # The upload function's variables, without API keys: only CloudFront calls this URL.
        environment = pulumi.Output.all(
            uploads_bucket=args.uploads_bucket,
            processed_bucket=args.processed_bucket,
            rejected_bucket=args.rejected_bucket,
            signing_secret_arn=args.signing_secret_arn,
            signing_version=args.signing_version,
        ).apply(
            lambda names: function_environment(
                s, service=args.name, metrics_namespace=args.metrics_namespace, **names
            )
        )
        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=function_name,
            package_type="Image",
            image_uri=args.image_uri,
            architectures=["arm64"],
            role=runs_as.role.arn,
            # A miss may decode any accepted original: the same memory rule as uploads.
            memory_size=s.memory_mb,
            timeout=s.cdn.origin_timeout_seconds,
            ephemeral_storage={"size": s.ephemeral_storage_mb},
            reserved_concurrent_executions=s.cdn.origin_reserved_concurrency,
            environment={"variables": environment},
            logging_config={"log_format": "JSON", "log_group": self.log_group.name},
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[runs_as.log_group, runs_as.policy, *args.depends_on]
            ),
        )
        # AWS_IAM always: CloudFront signs with origin access control; nobody else may call.
        self.url = aws.lambda_.FunctionUrl(
            f"{name}-url",
            function_name=self.function.name,
            authorization_type="AWS_IAM",
            # As the adapter's AWS_LWA_INVOKE_MODE (environment.py): buffered, 6 MB at most.
            # Larger results are stored, then answered 307 to their public URL, which the
            # bucket serves (prism.http.routers.cdn_origin).
            invoke_mode="BUFFERED",
            opts=child,
        )
        self.register_outputs({"function_name": self.function.name, "url": self.url.function_url})
