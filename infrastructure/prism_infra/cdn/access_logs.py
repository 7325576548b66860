"""CloudFront access logs: standard logging (v2) to a private bucket that expires them.

v2 delivers through CloudWatch Logs with a bucket policy, so the bucket stays
BucketOwnerEnforced like every other; legacy logging would need ACLs turned back on for
CloudFront's log account. The delivery source, destination and delivery live in us-east-1,
with the distribution's other regional pieces.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from prism_infra.cdn.monitoring import METRICS_REGION
from prism_infra.cdn.policies import delivery_source_arn, log_delivery_statements
from prism_infra.components.bucket import PrivateBucket, PrivateBucketArgs
from prism_infra.naming import bucket_prefix


@dataclass(frozen=True, slots=True)
class AccessLogsArgs:
    name: str  # the stack's name stem, e.g. prism-prod
    distribution_arn: pulumi.Input[str]
    account_id: pulumi.Input[str]
    retention_days: int


class AccessLogs(pulumi.ComponentResource):
    bucket: PrivateBucket

    def __init__(
        self, name: str, args: AccessLogsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("prism:cdn:AccessLogs", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        source_name = f"{args.name}-cdn"
        source_arn = pulumi.Output.from_input(args.account_id).apply(
            lambda account: delivery_source_arn(METRICS_REGION, account, source_name)
        )
        # The bucket's policy names the bucket: its statements resolve once it exists.
        statements, grant = pulumi.deferred_output()
        self.bucket = PrivateBucket(
            "cdn-logs",
            PrivateBucketArgs(
                bucket_prefix(args.name, "cdn-logs"),
                expire_after_days=args.retention_days,
                extra_policy_statements=statements,
            ),
            opts=child,
        )
        grant(
            pulumi.Output.all(self.bucket.bucket.arn, args.account_id, source_arn).apply(
                lambda v: log_delivery_statements(bucket_arn=v[0], account_id=v[1], source_arn=v[2])
            )
        )
        source = aws.cloudwatch.LogDeliverySource(
            f"{name}-source",
            name=source_name,
            log_type="ACCESS_LOGS",
            resource_arn=args.distribution_arn,
            region=METRICS_REGION,
            opts=child,
        )
        destination = aws.cloudwatch.LogDeliveryDestination(
            f"{name}-destination",
            name=f"{args.name}-cdn-logs",
            output_format="parquet",
            delivery_destination_configuration={
                "destination_resource_arn": self.bucket.bucket.arn,
            },
            region=METRICS_REGION,
            opts=child,
        )
        aws.cloudwatch.LogDelivery(
            f"{name}-delivery",
            delivery_source_name=source.name,
            delivery_destination_arn=destination.arn,
            region=METRICS_REGION,
            # The bucket policy must be in place before CloudWatch Logs checks it.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.bucket]),
        )
        self.register_outputs({"bucket": self.bucket.bucket.bucket})
