"""The Lambda function (container image), its role, logs, dead letters, URL and S3 trigger."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from prism_infra.config import StackSettings
from prism_infra.environment import function_environment
from prism_infra.policies import assume_role_policy, function_policy, to_json, with_statements

#: Methods browsers may call on the function URL when CORS origins are configured.
CORS_METHODS = ["GET", "POST", "DELETE"]
CORS_HEADERS = [
    "authorization",
    "content-type",
    "x-amz-date",
    "x-amz-security-token",
    "x-api-key",  # a public URL's API key (prism.http.api_keys.HEADER)
]


@dataclass(frozen=True, slots=True)
class ImageFunctionArgs:
    name: str  # function name, e.g. prism-prod
    settings: StackSettings
    image_uri: pulumi.Input[str]
    account_id: pulumi.Input[str]
    uploads: aws.s3.Bucket
    processed: aws.s3.Bucket
    rejected: aws.s3.Bucket
    #: CloudWatch namespace the app's metrics go to (POWERTOOLS_METRICS_NAMESPACE).
    metrics_namespace: str = "Prism"
    #: Public URL only: the secret holding the API keys, and its current version.
    api_keys_secret_arn: pulumi.Input[str] | None = None
    api_keys_version: pulumi.Input[str] | None = None
    #: Resources the function must not be created before (the image build).
    depends_on: tuple[pulumi.Resource, ...] = ()
    #: Added by the CDN (issue 14): environment variables and role statements.
    extra_environment: pulumi.Input[Mapping[str, str]] | None = None
    extra_policy_statements: pulumi.Input[Sequence[Mapping[str, Any]]] | None = None


class ImageFunction(pulumi.ComponentResource):
    function: aws.lambda_.Function
    url: aws.lambda_.FunctionUrl
    log_group: aws.cloudwatch.LogGroup
    dead_letters: aws.sqs.Queue

    def __init__(
        self, name: str, args: ImageFunctionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("prism:function:ImageFunction", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        s = args.settings

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/lambda/{args.name}",
            retention_in_days=s.log_retention_days,
            opts=child,
        )
        # S3 invokes asynchronously; events that still fail after Lambda's retries land here.
        self.dead_letters = aws.sqs.Queue(
            f"{name}-dead-letters",
            name=f"{args.name}-dead-letters",
            message_retention_seconds=14 * 24 * 3600,
            sqs_managed_sse_enabled=True,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-role",
            name_prefix=f"{args.name[:32]}-fn-",
            assume_role_policy=to_json(assume_role_policy("lambda.amazonaws.com")),
            opts=child,
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.id,
            policy=pulumi.Output.all(
                args.uploads.arn,
                args.processed.arn,
                args.rejected.arn,
                self.dead_letters.arn,
                self.log_group.arn,
                args.api_keys_secret_arn,
                args.extra_policy_statements,
            ).apply(
                lambda arns: to_json(
                    with_statements(
                        function_policy(
                            uploads_bucket_arn=arns[0],
                            uploads_prefix=s.uploads_prefix,
                            processed_bucket_arn=arns[1],
                            rejected_bucket_arn=arns[2],
                            dead_letter_queue_arn=arns[3],
                            log_group_arn=arns[4],
                            api_keys_secret_arn=arns[5],
                        ),
                        arns[6] or [],
                    )
                )
            ),
            opts=child,
        )
        environment = pulumi.Output.all(
            args.uploads.bucket,
            args.processed.bucket,
            args.rejected.bucket,
            args.api_keys_secret_arn,
            args.api_keys_version,
            args.extra_environment,
        ).apply(
            lambda values: {
                **function_environment(
                    s,
                    uploads_bucket=values[0],
                    processed_bucket=values[1],
                    rejected_bucket=values[2],
                    service=args.name,
                    metrics_namespace=args.metrics_namespace,
                    api_keys_secret_arn=values[3],
                    api_keys_version=values[4],
                ),
                **(values[5] or {}),
            }
        )
        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=args.name,
            package_type="Image",
            image_uri=args.image_uri,
            architectures=["arm64"],
            role=role.arn,
            memory_size=s.memory_mb,
            timeout=s.timeout_seconds,
            ephemeral_storage={"size": s.ephemeral_storage_mb},
            reserved_concurrent_executions=s.reserved_concurrency,
            environment={"variables": environment},
            logging_config={"log_format": "JSON", "log_group": self.log_group.name},
            dead_letter_config={"target_arn": self.dead_letters.arn},
            # The role policy must exist first: Lambda checks it can reach the DLQ on create.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[self.log_group, role_policy, *args.depends_on]
            ),
        )
        # Lambda stops a function that keeps re-triggering itself (the default; pinned here).
        aws.lambda_.FunctionRecursionConfig(
            f"{name}-recursion",
            function_name=self.function.name,
            recursive_loop="Terminate",
            opts=child,
        )

        self.url = aws.lambda_.FunctionUrl(
            f"{name}-url",
            function_name=self.function.name,
            authorization_type=s.function_url_auth,
            invoke_mode="RESPONSE_STREAM",
            cors=(
                {
                    "allow_origins": list(s.cors_origins),
                    "allow_methods": CORS_METHODS,
                    "allow_headers": CORS_HEADERS,
                    "max_age": 3600,
                }
                if s.cors_origins
                else None
            ),
            opts=child,
        )
        if s.function_url_auth == "NONE":
            # Since October 2025 a public function URL needs both grants; the second one is
            # limited to calls that arrive through the URL.
            aws.lambda_.Permission(
                f"{name}-public-url",
                function=self.function.name,
                action="lambda:InvokeFunctionUrl",
                principal="*",
                function_url_auth_type="NONE",
                opts=child,
            )
            aws.lambda_.Permission(
                f"{name}-public-invoke",
                function=self.function.name,
                action="lambda:InvokeFunction",
                principal="*",
                invoked_via_function_url=True,
                opts=child,
            )

        s3_permission = aws.lambda_.Permission(
            f"{name}-s3-invoke",
            function=self.function.name,
            action="lambda:InvokeFunction",
            principal="s3.amazonaws.com",
            source_arn=args.uploads.arn,
            source_account=args.account_id,
            opts=child,
        )
        # S3 tests the destination when the notification is saved: permission first.
        aws.s3.BucketNotification(
            f"{name}-uploads-notification",
            bucket=args.uploads.id,
            lambda_functions=[
                {
                    "lambda_function_arn": self.function.arn,
                    "events": ["s3:ObjectCreated:*"],
                    "filter_prefix": s.uploads_prefix,
                }
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[s3_permission]),
        )
        self.register_outputs(
            {
                "function_name": self.function.name,
                "function_arn": self.function.arn,
                "url": self.url.function_url,
            }
        )
