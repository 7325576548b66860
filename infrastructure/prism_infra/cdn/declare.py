"""What the stack calls to put the CDN in: one function, one record of what it made.

Order matters and has no cycle: the processed bucket's policy takes the distribution's read
grant through a deferred output (the bucket exists first, its policy after the
distribution); the upload function learns the distribution id and may invalidate it; the
origin function comes from the same image and never depends on the distribution.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from prism_infra.cdn import edge
from prism_infra.cdn.distribution import Cdn, CdnArgs
from prism_infra.cdn.origin import OriginFunction, OriginFunctionArgs
from prism_infra.cdn.policies import public_key_patterns
from prism_infra.config import StackSettings

#: Variables the upload function gets (the app reads them; prism.core.settings).
DISTRIBUTION_ID_VAR = "PRISM_CDN_DISTRIBUTION_ID"
URL_VAR = "PRISM_CDN_URL"
#: Shown by every preview with the CDN on: CloudFront refuses a new account's first resources
#: with AccessDenied "Your account must be verified before you can add new CloudFront
#: resources" until AWS Support verifies it (a case; there is no self-service check).
NEW_ACCOUNT_NOTE = (
    "prism:cdn is on: a new AWS account may get 'Your account must be verified before you can "
    "add new CloudFront resources' - open an AWS Support case, or deploy with prism:cdn false "
    "meanwhile (README, Troubleshooting)"
)


@dataclass(frozen=True, slots=True)
class CdnParts:
    cdn: Cdn
    origin: OriginFunction
    #: For the upload function (ImageFunctionArgs.extra_environment / extra_policy_statements).
    environment: pulumi.Output[dict[str, str]]
    policy_statements: pulumi.Output[list[dict[str, Any]]]
    outputs: dict[str, pulumi.Output[Any]]


def declare_cdn(
    *,
    name: str,
    settings: StackSettings,
    image_uri: pulumi.Input[str],
    account_id: pulumi.Input[str],
    uploads: aws.s3.Bucket,
    processed: aws.s3.Bucket,
    rejected: aws.s3.Bucket,
    grant_processed_read: Callable[[pulumi.Output[Any]], None],
    metrics_namespace: str,
    signing_secret_arn: pulumi.Input[str] | None = None,
    signing_version: pulumi.Input[str] | None = None,
    depends_on: tuple[pulumi.Resource, ...] = (),
) -> CdnParts:
    pulumi.log.info(NEW_ACCOUNT_NOTE)
    origin = OriginFunction(
        "cdn-origin",
        OriginFunctionArgs(
            name=name,
            settings=settings,
            image_uri=image_uri,
            uploads_bucket=uploads.bucket,
            uploads_arn=uploads.arn,
            processed_bucket=processed.bucket,
            processed_arn=processed.arn,
            rejected_bucket=rejected.bucket,
            rejected_arn=rejected.arn,
            metrics_namespace=metrics_namespace,
            signing_secret_arn=signing_secret_arn,
            signing_version=signing_version,
            depends_on=depends_on,
        ),
    )
    cdn = Cdn(
        "cdn",
        CdnArgs(
            name=name,
            settings=settings,
            account_id=account_id,
            processed_bucket_arn=processed.arn,
            processed_bucket_domain=processed.bucket_regional_domain_name,
            public_key_patterns=public_key_patterns(edge.variant_files(settings)),
            origin_function_name=origin.function.name,
            origin_function_url=origin.url.function_url,
            transform_code=edge.transform_code(settings),
            router_code=edge.router_code(settings),
        ),
    )
    grant_processed_read(cdn.bucket_read_statements)
    environment = pulumi.Output.all(cdn.distribution.id, cdn.url).apply(
        lambda v: {DISTRIBUTION_ID_VAR: v[0], URL_VAR: v[1]}
    )
    return CdnParts(
        cdn=cdn,
        origin=origin,
        environment=environment,
        policy_statements=cdn.invalidation_statements,
        outputs={
            "cdn_url": cdn.url,
            "cdn_distribution_id": cdn.distribution.id,
            "cdn_origin_function_name": origin.function.name,
            "cdn_logs_bucket": cdn.logs.bucket.bucket.bucket,
            "cdn_alerts_topic_arn": cdn.alarms.topic.arn,
        },
    )
