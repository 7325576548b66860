"""CloudFront in front of Prism: edge functions, origin group, policies, logs, alarms.

Request path: a viewer-request function validates the URL and rewrites it to its object key,
or answers 400/403/404 at the edge - the transform function on /images/*/transform, the
router (preset variants; 404 for anything else) on every other path. The cache key is that
URI alone. On a miss the origin group asks the processed bucket (origin access control,
SigV4), and on 403/404 fails over to the origin function's URL (origin access control of type
lambda), which makes, stores and answers the object. Both origins stay private: the bucket
policy and the function's resource policy name this distribution's ARN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from prism_infra.cdn.access_logs import AccessLogs, AccessLogsArgs
from prism_infra.cdn.caching import (
    ORIGIN_GROUP,
    images_behaviour,
    images_cache_policy,
    images_headers_policy,
)
from prism_infra.cdn.monitoring import CdnAlarms, CdnAlarmsArgs
from prism_infra.cdn.policies import cdn_read_statements, invalidation_statements
from prism_infra.config import StackSettings

BUCKET_ORIGIN = "processed-bucket"
FUNCTION_ORIGIN = "origin-function"
#: Paths the transform function handles; the router takes the rest.
TRANSFORM_PATH = "/images/*/transform"
#: The bucket answers 403 for a key it does not have (CloudFront may not list it) and 404
#: would come with ListBucket; either means "not made yet": ask the function.
FAILOVER_STATUS_CODES = [403, 404]
#: Viewer security policy with a custom domain. With the default *.cloudfront.net
#: certificate CloudFront always applies TLSv1, whatever is set (ViewerCertificate docs).
CUSTOM_DOMAIN_TLS = "TLSv1.2_2021"
DEFAULT_CERTIFICATE_TLS = "TLSv1"


@dataclass(frozen=True, slots=True)
class CdnArgs:
    name: str  # the stack's name stem, e.g. prism-prod
    settings: StackSettings
    account_id: pulumi.Input[str]
    processed_bucket_arn: pulumi.Input[str]
    #: The bucket's regional domain (<bucket>.s3.<region>.amazonaws.com), as OAC needs.
    processed_bucket_domain: pulumi.Input[str]
    #: Object-key patterns CloudFront may read (prism_infra.cdn.policies.public_key_patterns).
    public_key_patterns: Sequence[str]
    origin_function_name: pulumi.Input[str]
    origin_function_url: pulumi.Input[str]
    #: Viewer-request code for `/images/*/transform` and for every other path
    #: (prism_infra.cdn.edge).
    transform_code: pulumi.Input[str]
    router_code: pulumi.Input[str]


def url_host(url: str) -> str:
    """`https://abc.lambda-url.eu-west-1.on.aws/` -> `abc.lambda-url.eu-west-1.on.aws`."""
    return url.removeprefix("https://").split("/", 1)[0]


def viewer_certificate(settings: StackSettings) -> dict[str, Any]:
    c = settings.cdn
    if c.custom_domain:
        return {
            "acm_certificate_arn": c.certificate_arn,
            "ssl_support_method": "sni-only",
            "minimum_protocol_version": CUSTOM_DOMAIN_TLS,
        }
    return {
        "cloudfront_default_certificate": True,
        "minimum_protocol_version": DEFAULT_CERTIFICATE_TLS,
    }


class Cdn(pulumi.ComponentResource):
    distribution: aws.cloudfront.Distribution
    transform_function: aws.cloudfront.Function
    router_function: aws.cloudfront.Function
    alarms: CdnAlarms
    logs: AccessLogs
    #: Statements the processed bucket's policy must carry for this distribution.
    bucket_read_statements: pulumi.Output[list[dict[str, Any]]]
    #: Statements the upload function's role needs to invalidate this distribution.
    invalidation_statements: pulumi.Output[list[dict[str, Any]]]
    url: pulumi.Output[str]

    def __init__(
        self, name: str, args: CdnArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("prism:cdn:Cdn", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        s = args.settings
        c = s.cdn

        s3_access = aws.cloudfront.OriginAccessControl(
            f"{name}-s3-access",
            name=f"{args.name}-processed",
            description="Prism CDN reads the processed bucket",
            origin_access_control_origin_type="s3",
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=child,
        )
        lambda_access = aws.cloudfront.OriginAccessControl(
            f"{name}-lambda-access",
            name=f"{args.name}-origin-function",
            description="Prism CDN calls the origin function's URL",
            origin_access_control_origin_type="lambda",
            signing_behavior="always",
            signing_protocol="sigv4",
            opts=child,
        )
        # The transform code may hold signing keys: kept secret in the state.
        self.transform_function = aws.cloudfront.Function(
            f"{name}-transform-request",
            name=f"{args.name}-transform-request",
            runtime="cloudfront-js-2.0",
            comment="Prism: validate, sign-check and canonicalise transform URLs",
            code=pulumi.Output.secret(args.transform_code),
            publish=True,
            opts=child,
        )
        self.router_function = aws.cloudfront.Function(
            f"{name}-router-request",
            name=f"{args.name}-router-request",
            runtime="cloudfront-js-2.0",
            comment="Prism: preset variant URLs to their objects; anything else 404",
            code=args.router_code,
            publish=True,
            opts=child,
        )
        cache_policy = images_cache_policy(f"{name}-cache", args.name, child)
        headers = images_headers_policy(f"{name}-headers", args.name, s.cors_origins, child)
        self.distribution = aws.cloudfront.Distribution(
            f"{name}-distribution",
            enabled=True,
            comment=f"Prism images ({args.name})",
            http_version="http2and3",
            is_ipv6_enabled=True,
            price_class=c.price_class,
            aliases=[c.domain] if c.custom_domain else None,
            web_acl_id=c.web_acl_arn or None,
            origins=[
                {
                    "origin_id": BUCKET_ORIGIN,
                    "domain_name": args.processed_bucket_domain,
                    "origin_access_control_id": s3_access.id,
                    # OAC, not the legacy origin access identity: the identity stays empty.
                    "s3_origin_config": {"origin_access_identity": ""},
                },
                {
                    "origin_id": FUNCTION_ORIGIN,
                    "domain_name": pulumi.Output.from_input(args.origin_function_url).apply(
                        url_host
                    ),
                    "origin_access_control_id": lambda_access.id,
                    "custom_origin_config": {
                        "http_port": 80,
                        "https_port": 443,
                        "origin_protocol_policy": "https-only",
                        "origin_ssl_protocols": ["TLSv1.2"],
                        "origin_read_timeout": c.origin_timeout_seconds,
                    },
                },
            ],
            origin_groups=[
                {
                    "origin_id": ORIGIN_GROUP,
                    "failover_criteria": {"status_codes": FAILOVER_STATUS_CODES},
                    "members": [{"origin_id": BUCKET_ORIGIN}, {"origin_id": FUNCTION_ORIGIN}],
                }
            ],
            # Transforms get the transform function; every other path the router.
            ordered_cache_behaviors=[
                {
                    **images_behaviour(cache_policy.id, headers.id),
                    "path_pattern": TRANSFORM_PATH,
                    "function_associations": [
                        {
                            "event_type": "viewer-request",
                            "function_arn": self.transform_function.arn,
                        }
                    ],
                }
            ],
            default_cache_behavior={
                **images_behaviour(cache_policy.id, headers.id),
                "function_associations": [
                    {"event_type": "viewer-request", "function_arn": self.router_function.arn}
                ],
            },
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            viewer_certificate=viewer_certificate(s),
            opts=child,
        )
        arn = self.distribution.arn

        # Since October 2025 a function URL call is authorised against both actions; each
        # grant names this distribution, so no other distribution's OAC can use it.
        aws.lambda_.Permission(
            f"{name}-invoke-url",
            function=args.origin_function_name,
            action="lambda:InvokeFunctionUrl",
            principal="cloudfront.amazonaws.com",
            source_arn=arn,
            function_url_auth_type="AWS_IAM",
            opts=child,
        )
        aws.lambda_.Permission(
            f"{name}-invoke",
            function=args.origin_function_name,
            action="lambda:InvokeFunction",
            principal="cloudfront.amazonaws.com",
            source_arn=arn,
            invoked_via_function_url=True,
            opts=child,
        )
        # Origin latency and cache hit rate are additional metrics: off unless subscribed.
        aws.cloudfront.MonitoringSubscription(
            f"{name}-metrics",
            distribution_id=self.distribution.id,
            monitoring_subscription={
                "realtime_metrics_subscription_config": {
                    "realtime_metrics_subscription_status": "Enabled"
                }
            },
            opts=child,
        )
        self.logs = AccessLogs(
            f"{name}-logs",
            AccessLogsArgs(
                name=args.name,
                distribution_arn=self.distribution.arn,
                account_id=args.account_id,
                retention_days=c.log_retention_days,
            ),
            opts=child,
        )
        self.alarms = CdnAlarms(
            f"{name}-alarms",
            CdnAlarmsArgs(
                name=args.name,
                distribution_id=self.distribution.id,
                thresholds=s.alarm_thresholds,
                email=s.alert_email,
            ),
            opts=child,
        )

        patterns = list(args.public_key_patterns)
        self.bucket_read_statements = pulumi.Output.all(args.processed_bucket_arn, arn).apply(
            lambda v: cdn_read_statements(bucket_arn=v[0], distribution_arn=v[1], patterns=patterns)
        )
        self.invalidation_statements = arn.apply(invalidation_statements)
        self.url = (
            pulumi.Output.from_input(f"https://{c.domain}")
            if c.custom_domain
            else self.distribution.domain_name.apply(lambda d: f"https://{d}")
        )
        self.register_outputs(
            {"distribution_id": self.distribution.id, "url": self.url, "arn": arn}
        )
