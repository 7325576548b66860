"""How the CDN caches and what it adds to answers: one cache policy, one headers policy,
and the behaviour settings every path shares.

The edge functions fold every request into its object key, so the URI alone is the cache
key: no header, cookie or query string can split or poison the cache.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

#: The origin group's id (the processed bucket, then the origin function).
ORIGIN_GROUP = "images"
ONE_YEAR = 365 * 24 * 3600
#: Served to anything that is not an image (errors, a stray HTML or SVG): nothing may load,
#: run or frame it.
CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"


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


def images_cache_policy(
    resource_name: str, name: str, opts: pulumi.ResourceOptions
) -> aws.cloudfront.CachePolicy:
    """URI-only key; a year unless the origin says otherwise (min 0 keeps its no-store);
    no compression: images are compressed already."""
    return aws.cloudfront.CachePolicy(
        resource_name,
        name=f"{name}-images",
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
        opts=opts,
    )


def images_headers_policy(
    resource_name: str, name: str, cors_origins: tuple[str, ...], opts: pulumi.ResourceOptions
) -> aws.cloudfront.ResponseHeadersPolicy:
    """CORS for the configured origins (none when empty), nosniff, strict CSP, HSTS."""
    return aws.cloudfront.ResponseHeadersPolicy(
        resource_name,
        name=f"{name}-images",
        comment="Prism: CORS for the configured origins, nosniff, strict CSP",
        cors_config=(
            {
                "access_control_allow_credentials": False,
                "access_control_allow_headers": {"items": ["*"]},
                "access_control_allow_methods": {"items": ["GET", "HEAD"]},
                "access_control_allow_origins": {"items": list(cors_origins)},
                "access_control_max_age_sec": 3600,
                "origin_override": True,
            }
            if cors_origins
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
        # format=auto answers by the browser's Accept: browsers and proxies must not reuse
        # one answer for another Accept (the edge already keyed it by format).
        custom_headers_config={"items": [{"header": "Vary", "value": "Accept", "override": True}]},
        opts=opts,
    )
