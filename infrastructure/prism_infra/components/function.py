"""The Lambda function (arm64 container image): its role and logs, and its dead-letter queue."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from prism_infra.components.service_role import service_role
from prism_infra.config import StackSettings
from prism_infra.environment import function_environment
from prism_infra.policies import function_policy, to_json, with_statements


@dataclass(frozen=True, slots=True)
class ImageFunctionArgs:
    name: str  # function name, e.g. prism-prod
    settings: StackSettings
    image_uri: pulumi.Input[str]
    #: The three buckets: name (for the environment) and ARN (for the role) of each.
    uploads_bucket: pulumi.Input[str]
    uploads_arn: pulumi.Input[str]
    processed_bucket: pulumi.Input[str]
    processed_arn: pulumi.Input[str]
    rejected_bucket: pulumi.Input[str]
    rejected_arn: pulumi.Input[str]
    #: CloudWatch namespace the app's metrics go to (POWERTOOLS_METRICS_NAMESPACE).
    metrics_namespace: str = "Prism"
    #: Public URL only: the secret holding the API keys, and its current version.
    api_keys_secret_arn: pulumi.Input[str] | None = None
    api_keys_version: pulumi.Input[str] | None = None
    #: Signed transform URLs only: the secret holding the signing keys, and its version.
    signing_secret_arn: pulumi.Input[str] | None = None
    signing_version: pulumi.Input[str] | None = None
    #: Added by the CDN (issue 14): environment variables and role statements.
    extra_environment: pulumi.Input[Mapping[str, str]] | None = None
    extra_policy_statements: pulumi.Input[Sequence[Mapping[str, Any]]] | None = None


class ImageFunction(pulumi.ComponentResource):
    """The function waits for everything in `opts.depends_on` (the image, the buckets)."""

    function: aws.lambda_.Function
    dead_letters: aws.sqs.Queue
    #: What the reprocessing worker shares with the function (components/reprocessing.py).
    log_group: aws.cloudwatch.LogGroup
    environment: pulumi.Output[dict[str, str]]

    def __init__(
        self, name: str, args: ImageFunctionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("prism:function:ImageFunction", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        s = args.settings
        # S3 invokes asynchronously; events that still fail after Lambda's retries land here.
        self.dead_letters = aws.sqs.Queue(
            f"{name}-dead-letters",
            name=f"{args.name}-dead-letters",
            message_retention_seconds=14 * 24 * 3600,
            sqs_managed_sse_enabled=True,
            opts=child,
        )
        runs_as = service_role(
            name,
            service="lambda.amazonaws.com",
            role_name_prefix=f"{args.name[:32]}-fn-",
            log_group_name=f"/aws/lambda/{args.name}",
            log_retention_days=s.log_retention_days,
            policy=lambda log_group_arn: pulumi.Output.all(
                uploads_bucket_arn=args.uploads_arn,
                processed_bucket_arn=args.processed_arn,
                rejected_bucket_arn=args.rejected_arn,
                dead_letter_queue_arn=self.dead_letters.arn,
                log_group_arn=log_group_arn,
                api_keys_secret_arn=args.api_keys_secret_arn,
                signing_secret_arn=args.signing_secret_arn,
                extra=args.extra_policy_statements,
            ).apply(
                lambda arns: to_json(
                    with_statements(
                        function_policy(
                            uploads_prefix=s.uploads_prefix,
                            **{k: v for k, v in arns.items() if k != "extra"},
                        ),
                        arns["extra"] or [],
                    )
                )
            ),
            parent=self,
        )
        self.log_group = runs_as.log_group
        self.environment = environment = pulumi.Output.all(
            uploads_bucket=args.uploads_bucket,
            processed_bucket=args.processed_bucket,
            rejected_bucket=args.rejected_bucket,
            api_keys_secret_arn=args.api_keys_secret_arn,
            api_keys_version=args.api_keys_version,
            signing_secret_arn=args.signing_secret_arn,
            signing_version=args.signing_version,
            extra=args.extra_environment,
        ).apply(
            lambda names: {
                **function_environment(
                    s,
                    service=args.name,
                    metrics_namespace=args.metrics_namespace,
                    **{k: v for k, v in names.items() if k != "extra"},
                ),
                **(names["extra"] or {}),
            }
        )
        waits_for = [runs_as.log_group, runs_as.policy, *((opts and opts.depends_on) or [])]
        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=args.name,
            package_type="Image",
            image_uri=args.image_uri,
            architectures=["arm64"],
            role=runs_as.role.arn,
            memory_size=s.memory_mb,
            timeout=s.timeout_seconds,
            ephemeral_storage={"size": s.ephemeral_storage_mb},
            reserved_concurrent_executions=s.reserved_concurrency,
            environment={"variables": environment},
            logging_config={"log_format": "JSON", "log_group": runs_as.log_group.name},
            dead_letter_config={"target_arn": self.dead_letters.arn},
            # The role policy first: Lambda checks it can reach the DLQ on create.
            opts=pulumi.ResourceOptions(parent=self, depends_on=waits_for),
        )
        # Lambda stops a function that keeps re-triggering itself (the default; pinned here).
        aws.lambda_.FunctionRecursionConfig(
            f"{name}-recursion",
            function_name=self.function.name,
            recursive_loop="Terminate",
            opts=child,
        )
        self.register_outputs(
            {"function_name": self.function.name, "function_arn": self.function.arn}
        )
