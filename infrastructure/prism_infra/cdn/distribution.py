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

from prism_infra.cdn.monitoring import METRICS_REGION, CdnAlarms, CdnAlarmsArgs
from prism_infra.cdn.policies import (
    cdn_read_statements,
    delivery_source_arn,
    invalidation_statements,
    log_delivery_statements,
)
from prism_infra.config import StackSettings
from prism_infra.storage import PrivateBucket, PrivateBucketArgs

BUCKET_ORIGIN = "processed-bucket"
FUNCTION_ORIGIN = "origin-function"
ORIGIN_GROUP = "images"
#: Paths the transform function handles; the router takes the rest.
TRANSFORM_PATH = "/images/*/transform"
#: The bucket answers 403 for a key it does not have (CloudFront may not list it) and 404
#: would come with ListBucket; either means "not made yet": ask the function.
FAILOVER_STATUS_CODES = [403, 404]
ONE_YEAR = 365 * 24 * 3600
#: Viewer security policy with a custom domain. With the default *.cloudfront.net
#: certificate CloudFront always applies TLSv1, whatever is set (ViewerCertificate docs).
CUSTOM_DOMAIN_TLS = "TLSv1.2_2021"
DEFAULT_CERTIFICATE_TLS = "TLSv1"
#: Served to anything that is not an image (errors, a stray HTML or SVG): nothing may load,
#: run or frame it.
CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"


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


def images_behaviour(
    cache_policy_id: pulumi.Input[str], headers_policy_id: pulumi.Input[str]
) -> dict[str, Any]:
    """What every cache behaviour shares: the origin group, reads only, the URI-only key."""
    return {
        "target_origin_id": ORIGIN_GROUP,
        "viewer_protocol_policy": "redirect-to-https",
        # Origin groups serve reads only; with OAC to a function URL, bodies would also
        # need x-amz-content-sha256 from the viewer. Images are GET.
        "allowed_methods": ["GET", "HEAD"],
        "cached_methods": ["GET", "HEAD"],
        "compress": False,
        "cache_policy_id": cache_policy_id,
        "response_headers_policy_id": headers_policy_id,
    }


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
    return {"cloudfront_default_certificate": True, "minimum_protocol_version": "TLSv1"}


class Cdn(pulumi.ComponentResource):
    distribution: aws.cloudfront.Distribution
    transform_function: aws.cloudfront.Function
    router_function: aws.cloudfront.Function
    alarms: CdnAlarms
    logs: PrivateBucket
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
        # The edge function folds every request into its object key, so the URI alone is
        # the key: no header, cookie or query string can split or poison the cache.
        cache_policy = aws.cloudfront.CachePolicy(
            f"{name}-cache",
            name=f"{args.name}-images",
            comment="Prism: URI-only key, long TTL, no compression (images are compressed)",
            min_ttl=0,
            default_ttl=ONE_YEAR,
            max_ttl=ONE_YEAR,
            parameters_in_cache_key_and_forwarded_to_origin={
                "cookies_config": {"cookie_behavior": "none"},
                "headers_config": {"header_behavior": "none"},
                "query_strings_config": {"query_string_behavior": "none"},
                "enable_accept_encoding_gzip": False,
                "enable_accept_encoding_brotli": False,
            },
            opts=child,
        )
        headers = aws.cloudfront.ResponseHeadersPolicy(
            f"{name}-headers",
            name=f"{args.name}-images",
            comment="Prism: CORS for the configured origins, nosniff, strict CSP",
            cors_config=(
                {
                    "access_control_allow_credentials": False,
                    "access_control_allow_headers": {"items": ["*"]},
                    "access_control_allow_methods": {"items": ["GET", "HEAD"]},
                    "access_control_allow_origins": {"items": list(s.cors_origins)},
                    "access_control_max_age_sec": 3600,
                    "origin_override": True,
                }
                if s.cors_origins
                else None
            ),
            security_headers_config={
                "content_type_options": {"override": True},
                "content_security_policy": {
                    "content_security_policy": CONTENT_SECURITY_POLICY,
                    "override": True,
                },
                "frame_options": {"frame_option": "DENY", "override": True},
                "referrer_policy": {"referrer_policy": "no-referrer", "override": True},
                "strict_transport_security": {
                    "access_control_max_age_sec": ONE_YEAR,
                    "include_subdomains": False,
                    "override": True,
                },
            },
            # format=auto answers by the browser's Accept: browsers and proxies must not
            # reuse one answer for another Accept (the edge already keyed it by format).
            custom_headers_config={
                "items": [{"header": "Vary", "value": "Accept", "override": True}]
            },
            opts=child,
        )
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
        self._access_logs(name, args)
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

    def _access_logs(self, name: str, args: CdnArgs) -> None:
        """Standard logging (v2) to a private bucket that expires logs.

        v2 delivers through CloudWatch Logs with a bucket policy, so the bucket keeps
        BucketOwnerEnforced like every other; legacy logging would need ACLs turned back on
        for CloudFront's log account. The delivery objects live in us-east-1 with the
        distribution's other regional pieces."""
        c = args.settings.cdn
        source_name = f"{args.name}-cdn"
        source_arn = pulumi.Output.from_input(args.account_id).apply(
            lambda account: delivery_source_arn(METRICS_REGION, account, source_name)
        )
        statements, grant = pulumi.deferred_output()
        self.logs = PrivateBucket(
            f"{name}-logs",
            PrivateBucketArgs(
                f"{args.name}-cdn-logs-",
                expire_after_days=c.log_retention_days,
                extra_policy_statements=statements,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        grant(
            pulumi.Output.all(self.logs.bucket.arn, args.account_id, source_arn).apply(
                lambda v: log_delivery_statements(bucket_arn=v[0], account_id=v[1], source_arn=v[2])
            )
        )
        child = pulumi.ResourceOptions(parent=self)
        source = aws.cloudwatch.LogDeliverySource(
            f"{name}-log-source",
            name=source_name,
            log_type="ACCESS_LOGS",
            resource_arn=self.distribution.arn,
            region=METRICS_REGION,
            opts=child,
        )
        destination = aws.cloudwatch.LogDeliveryDestination(
            f"{name}-log-destination",
            name=f"{args.name}-cdn-logs",
            output_format="parquet",
            delivery_destination_configuration={
                "destination_resource_arn": self.logs.bucket.arn,
            },
            region=METRICS_REGION,
            opts=child,
        )
        aws.cloudwatch.LogDelivery(
            f"{name}-log-delivery",
            delivery_source_name=source.name,
            delivery_destination_arn=destination.arn,
            region=METRICS_REGION,
            # The bucket policy must be in place before CloudWatch Logs checks it.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.logs]),
        )
