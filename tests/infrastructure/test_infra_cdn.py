"""The CDN (`prism:cdn`, on by default) under Pulumi's mocks: every property users rely on.

The edge function's own behaviour (its JavaScript against the shared table of cases) is
tested with the transforms; here: how the stack publishes and attaches it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from infra_mocks import ACCOUNT, DISTRIBUTION_ID, REGION, Registered, Stack, run_stack

from prism.core.settings import load_settings
from prism.core.settings_table import ENV_VARS
from prism_infra.config import parse_config

DIST = "aws:cloudfront/distribution:Distribution"
OAC = "aws:cloudfront/originAccessControl:OriginAccessControl"
PERMISSION = "aws:lambda/permission:Permission"
FUNCTION = "aws:lambda/function:Function"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DIST_ARN = f"arn:aws:cloudfront::{ACCOUNT}:distribution/{DISTRIBUTION_ID}"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100"
WEB_ACL = (
    "arn:aws:wafv2:us-east-1:123456789012:global/webacl/prism/0f0e0d0c-0b0a-0908-0706-050403020100"
)
CUSTOM: dict[str, Any] = {
    "cdnDomain": "img.example.com",
    "cdnCertificateArn": CERT,
    "cdnPriceClass": "PriceClass_All",
    "cdnWebAclArn": WEB_ACL,
    "cdnLogRetentionDays": 90,
    "cdnOriginTimeout": 45,
    "cdnOriginReservedConcurrency": 50,
    "corsOrigins": ["https://app.example.com"],
    "alertEmail": "ops@example.com",
    "alarmThresholds": {"cdn5xxRatePercent": 3, "cdnCacheHitRatePercent": 70},
    # a public upload URL does not make the origin function public
    "functionUrlAuth": "NONE",
    "apiKeys": ["k" * 32],
}


@pytest.fixture(scope="module")
def on(stack_factory) -> Stack:
    return stack_factory({})


@pytest.fixture(scope="module")
def off(stack_factory) -> Stack:
    return stack_factory({"cdn": False})


@pytest.fixture(scope="module")
def custom(stack_factory) -> Stack:
    return stack_factory(CUSTOM)


def _distribution(stack: Stack) -> dict[str, Any]:
    return stack.one(DIST).inputs


def _statements(resource: Registered) -> list[dict[str, Any]]:
    return resource.policy()["Statement"]


def _comparable(value: Any) -> str:
    """Inputs as text; assets compare by their path (each run makes new asset objects)."""
    return json.dumps(value, sort_keys=True, default=lambda o: getattr(o, "path", repr(o)))


# --- on by default; off is today's stack -------------------------------------------------


def test_cdn_is_on_by_default(on: Stack) -> None:
    assert parse_config({}).cdn.enabled is True
    assert len(on.of_type(DIST)) == 1
    assert on.outputs["cdn_url"] == "https://d111111abcdef8.cloudfront.net"
    assert on.outputs["cdn_distribution_id"] == DISTRIBUTION_ID


#: What turning the CDN on changes in resources that exist either way (and nothing else).
CHANGED_WHEN_ON = {
    ("aws:s3/bucketPolicy:BucketPolicy", "processed-tls-only"): {"policy"},  # + read grant
    (FUNCTION, "function-function"): {"environment"},  # + the distribution id and URL
    (FUNCTION, "reprocessing-worker"): {"environment"},  # the main function's, so the same
    ("aws:iam/rolePolicy:RolePolicy", "function-policy"): {"policy"},  # + invalidations
    ("aws:cloudwatch/dashboard:Dashboard", "dashboard"): {"dashboardBody"},  # + CDN widgets
}


def test_cdn_off_is_the_stack_without_it_exactly(on: Stack, off: Stack) -> None:
    on_by_key = {(r.type, r.name): r for r in on.resources}
    # every resource of the CDN-less stack is in the CDN stack, same parent and options
    for r in off.resources:
        twin = on_by_key[r.type, r.name]
        assert (twin.parent, twin.protect) == (r.parent, r.protect), r.name
        differing = {
            k
            for k in r.inputs.keys() | twin.inputs.keys()
            if _comparable(r.inputs.get(k)) != _comparable(twin.inputs.get(k))
        }
        assert differing == CHANGED_WHEN_ON.get((r.type, r.name), set()), r.name
    # and off has nothing of the CDN: no CloudFront, no origin function, no us-east-1 pieces
    flat = json.dumps([r.inputs for r in off.resources], default=str)
    assert not [r for r in off.resources if "cloudfront" in r.type or r.name.startswith("cdn")]
    assert "cloudfront" not in flat
    assert "PRISM_CDN_" not in flat
    assert "us-east-1" not in flat
    assert not {k for k in off.outputs if k.startswith("cdn_")}
    processed = off.named("processed-tls-only").policy()["Statement"]
    assert [s["Sid"] for s in processed] == ["DenyInsecureTransport"]


# --- origins: bucket first, function on 403/404, both behind origin access control ------------


def test_both_origins_use_origin_access_control_with_sigv4(on: Stack) -> None:
    controls = {r.inputs["originAccessControlOriginType"]: r for r in on.of_type(OAC)}
    assert set(controls) == {"s3", "lambda"}
    for control in controls.values():
        assert control.inputs["signingBehavior"] == "always"
        assert control.inputs["signingProtocol"] == "sigv4"
    origins = {o["originId"]: o for o in _distribution(on)["origins"]}
    bucket, function = origins["processed-bucket"], origins["origin-function"]
    assert bucket["originAccessControlId"] == f"{controls['s3'].name}-id"
    assert bucket["domainName"] == f"processed-a1b2c3.s3.{REGION}.amazonaws.com"
    assert bucket["s3OriginConfig"] == {"originAccessIdentity": ""}  # OAC, not a legacy OAI
    assert function["originAccessControlId"] == f"{controls['lambda'].name}-id"
    assert function["domainName"] == "cdn-origin-url-x9.lambda-url.eu-west-1.on.aws"
    assert function["customOriginConfig"]["originProtocolPolicy"] == "https-only"
    assert function["customOriginConfig"]["originReadTimeout"] == 30


def test_origin_group_fails_over_from_the_bucket_to_the_function_on_403_and_404(
    on: Stack,
) -> None:
    dist = _distribution(on)
    (group,) = dist["originGroups"]
    assert group["failoverCriteria"]["statusCodes"] == [403, 404]
    assert [m["originId"] for m in group["members"]] == ["processed-bucket", "origin-function"]
    assert dist["defaultCacheBehavior"]["targetOriginId"] == group["originId"]


def test_bucket_policy_lets_only_this_distribution_read_only_public_keys(on: Stack) -> None:
    policy = on.named("processed-tls-only")
    by_sid = {s["Sid"]: s for s in _statements(policy)}
    assert set(by_sid) == {"DenyInsecureTransport", "CloudFrontReadsPublicObjects"}
    grant = by_sid["CloudFrontReadsPublicObjects"]
    assert grant["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert grant["Action"] == "s3:GetObject"
    assert grant["Condition"] == {"StringEquals": {"AWS:SourceArn": DIST_ARN}}
    bucket = "arn:aws:s3:::processed-a1b2c3"
    # transforms, and each preset variant file; never manifests, never the whole bucket
    assert grant["Resource"] == [
        f"{bucket}/*/t/*",
        *(
            f"{bucket}/*/{f}"
            for f in sorted(["jpeg85.jpg", "jpeg60.jpg", "webp.webp", "png.png", "thumb.jpg"])
        ),
    ]
    assert f"{bucket}/*" not in grant["Resource"]
    assert not any("manifest" in r for r in grant["Resource"])
    # the grant waits for the distribution's ARN (registered after it), the bucket does not;
    # neither records a dependency on it, so `destroy --exclude-protected` can remove the CDN
    # (test_infra_protection.py)
    assert on.resources.index(policy) > on.resources.index(on.one(DIST))
    assert not on.depends_on(policy, on.one(DIST))
    assert not on.depends_on(on.one("aws:s3/bucket:Bucket", "processed"), on.one(DIST))


def _router(stack: Stack) -> dict[str, Any]:
    return stack.one("aws:cloudfront/function:Function", "cdn-router-request").inputs


def test_variant_patterns_follow_configured_variants(stack_factory) -> None:
    stack = stack_factory({"variants": [{"name": "hero", "format": "avif", "width": 1600}]})
    grant = _statements(stack.named("processed-tls-only"))[1]
    assert grant["Resource"] == [
        "arn:aws:s3:::processed-a1b2c3/*/t/*",
        "arn:aws:s3:::processed-a1b2c3/*/hero.avif",
    ]
    code = _router(stack)["code"]
    line = 'var PRISM_CONFIG = {"variants":{"hero":"hero.avif"}}; // PRISM_CONFIG'
    assert line in code.splitlines()


def test_origin_function_url_keeps_aws_iam_and_admits_only_this_distribution(
    custom: Stack,
) -> None:
    url = custom.one("aws:lambda/functionUrl:FunctionUrl", "cdn-origin-url").inputs
    assert url["authorizationType"] == "AWS_IAM"  # even with prism:functionUrlAuth NONE
    # the adapter's mode, as in the function's environment (a mismatch breaks every answer)
    env = custom.one("aws:lambda/function:Function", "cdn-origin-function").inputs
    assert env["environment"]["variables"]["AWS_LWA_INVOKE_MODE"] == "buffered"
    assert url["invokeMode"] == "BUFFERED"
    grants = [p.inputs for p in custom.of_type(PERMISSION) if p.name.startswith("cdn-")]
    assert sorted(g["action"] for g in grants) == [
        "lambda:InvokeFunction",
        "lambda:InvokeFunctionUrl",
    ]
    for grant in grants:
        assert grant["principal"] == "cloudfront.amazonaws.com"
        assert grant["sourceArn"] == DIST_ARN
        assert grant["function"] == "prism-prod-origin"
    by_action = {g["action"]: g for g in grants}
    assert by_action["lambda:InvokeFunctionUrl"]["functionUrlAuthType"] == "AWS_IAM"
    assert by_action["lambda:InvokeFunction"]["invokedViaFunctionUrl"] is True
    # nothing else may invoke the origin function
    others = [
        p.inputs
        for p in custom.of_type(PERMISSION)
        if p.inputs["function"] == "prism-prod-origin" and not p.name.startswith("cdn-")
    ]
    assert others == []


# --- caching, edge function, headers --------------------------------------------------------


def test_cache_key_is_the_uri_alone_with_long_ttl_and_no_compression(on: Stack) -> None:
    policy = on.one("aws:cloudfront/cachePolicy:CachePolicy").inputs
    key = policy["parametersInCacheKeyAndForwardedToOrigin"]
    assert key["headersConfig"] == {"headerBehavior": "none"}
    assert key["cookiesConfig"] == {"cookieBehavior": "none"}
    assert key["queryStringsConfig"] == {"queryStringBehavior": "none"}
    assert key["enableAcceptEncodingGzip"] is False
    assert key["enableAcceptEncodingBrotli"] is False
    assert policy["defaultTtl"] == policy["maxTtl"] == 365 * 24 * 3600
    assert policy["minTtl"] == 0  # an origin's no-store (errors, pending) is respected
    behaviour = _distribution(on)["defaultCacheBehavior"]
    assert behaviour["cachePolicyId"] == "cdn-cache-id"
    assert behaviour["compress"] is False
    assert behaviour["viewerProtocolPolicy"] == "redirect-to-https"
    assert behaviour["allowedMethods"] == ["GET", "HEAD"]
    assert "forwardedValues" not in behaviour
    assert "originRequestPolicyId" not in behaviour


def test_response_headers_cors_for_configured_origins_nosniff_and_strict_csp(
    on: Stack, custom: Stack
) -> None:
    policy = custom.one("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy").inputs
    cors = policy["corsConfig"]
    assert cors["accessControlAllowOrigins"] == {"items": ["https://app.example.com"]}
    assert cors["accessControlAllowMethods"] == {"items": ["GET", "HEAD"]}
    assert cors["accessControlAllowCredentials"] is False
    security = policy["securityHeadersConfig"]
    assert security["contentTypeOptions"] == {"override": True}
    csp = security["contentSecurityPolicy"]["contentSecurityPolicy"]
    assert csp.startswith("default-src 'none'")
    assert "sandbox" in csp
    assert security["strictTransportSecurity"]["override"] is True
    vary = policy["customHeadersConfig"]["items"]
    assert vary == [{"header": "Vary", "value": "Accept", "override": True}]
    assert _distribution(custom)["defaultCacheBehavior"]["responseHeadersPolicyId"] == (
        "cdn-headers-id"
    )
    # no origins configured: no CORS headers at all
    default_policy = on.one("aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")
    assert "corsConfig" not in default_policy.inputs


# --- protocol, certificate, domain, price class, WAF ---------------------------------------


def test_http3_ipv6_and_default_certificate(on: Stack) -> None:
    dist = _distribution(on)
    assert dist["httpVersion"] == "http2and3"
    assert dist["isIpv6Enabled"] is True
    assert dist["priceClass"] == "PriceClass_100"
    assert "aliases" not in dist
    assert "webAclId" not in dist
    # *.cloudfront.net: CloudFront applies TLSv1 whatever is set; pinned so no diff shows
    assert dist["viewerCertificate"] == {
        "cloudfrontDefaultCertificate": True,
        "minimumProtocolVersion": "TLSv1",
    }


def test_custom_domain_takes_its_certificate_tls12_price_class_and_waf(custom: Stack) -> None:
    dist = _distribution(custom)
    assert dist["aliases"] == ["img.example.com"]
    assert dist["viewerCertificate"] == {
        "acmCertificateArn": CERT,
        "sslSupportMethod": "sni-only",
        "minimumProtocolVersion": "TLSv1.2_2021",
    }
    assert dist["priceClass"] == "PriceClass_All"
    assert dist["webAclId"] == WEB_ACL
    assert custom.outputs["cdn_url"] == "https://img.example.com"


# --- the origin function --------------------------------------------------------------------


def test_origin_function_is_the_same_image_with_its_own_limits(custom: Stack) -> None:
    upload = custom.one(FUNCTION, "function-function").inputs
    origin = custom.one(FUNCTION, "cdn-origin-function").inputs
    assert origin["name"] == "prism-prod-origin"
    assert origin["imageUri"] == upload["imageUri"]
    assert origin["architectures"] == ["arm64"]
    assert origin["memorySize"] == upload["memorySize"]
    assert origin["timeout"] == 45
    assert origin["reservedConcurrentExecutions"] == 50
    assert "deadLetterConfig" not in origin  # CloudFront calls it synchronously
    env = origin["environment"]["variables"]
    # only CloudFront calls it: no API keys, even though the upload URL is public
    assert not {k for k in env if k.startswith("PRISM_API_KEYS")}
    assert {k for k in upload["environment"]["variables"] if k.startswith("PRISM_API_KEYS")}
    same = ("PRISM_PROCESSED_BUCKET", "PRISM_UPLOADS_BUCKET", "PRISM_VARIANTS", "PRISM_MAX_PIXELS")
    assert all(env[k] == upload["environment"]["variables"][k] for k in same)
    # the origin function does not wait for (or know) the distribution
    assert not custom.depends_on(custom.one(FUNCTION, "cdn-origin-function"), custom.one(DIST))


def test_origin_function_role_reads_and_writes_transforms_only(on: Stack) -> None:
    statements = _statements(on.named("cdn-origin-policy"))
    actions = {
        a
        for s in statements
        for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    }
    assert not {
        a
        for a in actions
        if "Delete" in a or a.startswith(("sqs:", "secretsmanager:", "cloudfront:"))
    }
    (write,) = [s for s in statements if "s3:PutObject" in s["Action"]]
    assert write["Resource"] == ["arn:aws:s3:::processed-a1b2c3/*/t/*"]
    for statement in statements:
        for resource in statement["Resource"]:
            assert resource.startswith("arn:aws:")
            assert resource != "*"
    logs = next(s for s in statements if s["Sid"] == "WriteLogs")
    assert logs["Resource"] == [
        f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/prism-prod-origin:*"
    ]
    # A deleted image's original must read as 404, not 403: S3's implicit ListBucket check
    # for a missing key carries no prefix, so the grant may not have an s3:prefix condition.
    listing = next(s for s in statements if s["Sid"] == "ListOriginals")
    assert listing == {
        "Sid": "ListOriginals",
        "Effect": "Allow",
        "Action": ["s3:ListBucket"],
        "Resource": ["arn:aws:s3:::uploads-a1b2c3"],
    }


# --- the upload function: invalidations and CDN URLs ----------------------------------------


def test_upload_function_may_invalidate_this_distribution_only(on: Stack) -> None:
    statements = _statements(on.named("function-policy"))
    cloudfront = [s for s in statements if any(a.startswith("cloudfront:") for a in s["Action"])]
    assert cloudfront == [
        {
            "Sid": "InvalidateCdn",
            "Effect": "Allow",
            "Action": ["cloudfront:CreateInvalidation"],
            "Resource": [DIST_ARN],
        }
    ]
    env = on.one(FUNCTION, "function-function").inputs["environment"]["variables"]
    assert env["PRISM_CDN_DISTRIBUTION_ID"] == DISTRIBUTION_ID
    assert env["PRISM_CDN_URL"] == "https://d111111abcdef8.cloudfront.net"
    # the app reads them back (and only variables it knows are set)
    app = load_settings({**env, "AWS_LAMBDA_FUNCTION_NAME": "prism-prod"})
    assert app.cdn_distribution_id == DISTRIBUTION_ID
    assert app.cdn_url == "https://d111111abcdef8.cloudfront.net"
    assert {k for k in env if k.startswith("PRISM_")} <= set(ENV_VARS)
    origin = on.one(FUNCTION, "cdn-origin-function").inputs["environment"]["variables"]
    assert (
        load_settings({**origin, "AWS_LAMBDA_FUNCTION_NAME": "prism-prod-origin"}).storage == "s3"
    )
    assert on.depends_on(on.one(FUNCTION, "function-function"), on.one(DIST))


def test_custom_domain_is_the_url_manifests_use(custom: Stack) -> None:
    env = custom.one(FUNCTION, "function-function").inputs["environment"]["variables"]
    assert env["PRISM_CDN_URL"] == "https://img.example.com"


# --- logs, metrics, alarms, dashboard -------------------------------------------------------


def test_access_logs_v2_to_a_private_expiring_bucket(custom: Stack) -> None:
    bucket = "cdn-logs-a1b2c3"
    assert custom.named("cdn-logs-public-access").inputs["restrictPublicBuckets"] is True
    assert custom.named("cdn-logs-ownership").inputs["rule"] == {
        "objectOwnership": "BucketOwnerEnforced"  # v2 needs no ACLs
    }
    (rule,) = custom.named("cdn-logs-expiry").inputs["rules"]
    assert rule["expiration"] == {"days": 90}
    by_sid = {s["Sid"]: s for s in _statements(custom.named("cdn-logs-tls-only"))}
    assert set(by_sid) == {"DenyInsecureTransport", "LogDeliveryWrite", "LogDeliveryCheck"}
    write = by_sid["LogDeliveryWrite"]
    assert write["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert write["Resource"] == [f"arn:aws:s3:::{bucket}/AWSLogs/{ACCOUNT}/*"]
    source_arn = f"arn:aws:logs:us-east-1:{ACCOUNT}:delivery-source:prism-prod-cdn"
    assert write["Condition"]["ArnLike"] == {"aws:SourceArn": source_arn}
    assert write["Condition"]["StringEquals"]["aws:SourceAccount"] == ACCOUNT
    source = custom.one("aws:cloudwatch/logDeliverySource:LogDeliverySource").inputs
    assert source == {
        "name": "prism-prod-cdn",
        "logType": "ACCESS_LOGS",
        "resourceArn": DIST_ARN,
        "region": "us-east-1",
        "tags": source.get("tags"),
    }
    destination = custom.one("aws:cloudwatch/logDeliveryDestination:LogDeliveryDestination")
    assert destination.inputs["deliveryDestinationConfiguration"] == {
        "destinationResourceArn": f"arn:aws:s3:::{bucket}"
    }
    delivery = custom.one("aws:cloudwatch/logDelivery:LogDelivery")
    assert delivery.inputs["deliverySourceName"] == "prism-prod-cdn"
    # the bucket policy is in place before CloudWatch Logs checks it
    assert custom.depends_on(delivery, custom.named("cdn-logs-tls-only"))
    assert "loggingConfig" not in _distribution(custom)  # not the legacy, ACL-based logging


def test_additional_metrics_are_on_and_alarms_live_in_us_east_1(custom: Stack) -> None:
    subscription = custom.one("aws:cloudfront/monitoringSubscription:MonitoringSubscription")
    assert subscription.inputs["distributionId"] == DISTRIBUTION_ID
    assert subscription.inputs["monitoringSubscription"] == {
        "realtimeMetricsSubscriptionConfig": {"realtimeMetricsSubscriptionStatus": "Enabled"}
    }
    alarms = {a.inputs["name"]: a.inputs for a in custom.of_type(ALARM) if a.name.startswith("cdn")}
    assert set(alarms) == {
        "prism-prod-cdn-5xx-rate",
        "prism-prod-cdn-origin-latency",
        "prism-prod-cdn-cache-hit-rate",
    }
    topic = f"arn:aws:sns:us-east-1:{ACCOUNT}:prism-prod-cdn-alerts"
    for alarm in alarms.values():
        assert alarm["region"] == "us-east-1"
        assert alarm["alarmActions"] == alarm["okActions"] == [topic]
    five = alarms["prism-prod-cdn-5xx-rate"]
    assert (five["namespace"], five["metricName"]) == ("AWS/CloudFront", "5xxErrorRate")
    assert five["dimensions"] == {"DistributionId": DISTRIBUTION_ID, "Region": "Global"}
    assert five["threshold"] == 3
    latency = alarms["prism-prod-cdn-origin-latency"]
    assert (latency["metricName"], latency["threshold"]) == ("OriginLatency", 5000)
    hits = alarms["prism-prod-cdn-cache-hit-rate"]
    assert hits["comparisonOperator"] == "LessThanThreshold"
    assert hits["threshold"] == 70
    names = {q.get("metric", {}).get("metricName") for q in hits["metricQueries"]}
    assert {"CacheHitRate", "Requests"} <= names
    subscription = custom.one("aws:sns/topicSubscription:TopicSubscription", "cdn-alarms-email")
    assert subscription.inputs["endpoint"] == "ops@example.com"
    assert subscription.inputs["region"] == "us-east-1"


def test_dashboard_shows_the_distribution_from_us_east_1(on: Stack) -> None:
    body = json.loads(on.one("aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"])
    cdn = [w for w in body["widgets"] if w["properties"].get("title", "").startswith("CDN")]
    # metric graphs; the CDN's alarms have widgets of their own (test_infra_dashboard.py)
    graphs = [w for w in cdn if "metrics" in w["properties"]]
    metrics = {m[1] for w in graphs for m in w["properties"]["metrics"]}
    assert {"5xxErrorRate", "CacheHitRate", "OriginLatency", "Requests"} <= metrics
    for widget in cdn:
        assert widget["properties"]["region"] == "us-east-1"
    for widget in graphs:
        assert all(DISTRIBUTION_ID in m for m in widget["properties"]["metrics"])
    cells = {(w["x"], w["y"]) for w in body["widgets"]}
    assert len(cells) == len(body["widgets"])


# --- stack-wide guarantees still hold with the CDN on ---------------------------------------


def test_every_bucket_stays_private_with_the_cdn(on: Stack) -> None:
    buckets = [r.name for r in on.of_type("aws:s3/bucket:Bucket")]
    assert "cdn-logs" in buckets
    for name in buckets:
        block = on.named(f"{name}-public-access").inputs
        assert all(
            block[k] is True
            for k in (
                "blockPublicAcls",
                "blockPublicPolicy",
                "ignorePublicAcls",
                "restrictPublicBuckets",
            )
        )
        statements = _statements(on.named(f"{name}-tls-only"))
        assert statements[0]["Sid"] == "DenyInsecureTransport"
        # no statement grants anyone at large: every Allow names a service and a condition
        for s in statements[1:]:
            assert s["Effect"] == "Allow"
            assert "Service" in s["Principal"]
            assert s["Condition"]


def test_cloudfront_names_differ_between_stacks(on: Stack) -> None:
    """OACs, policies and functions are account-wide names: two stacks must not collide."""
    dev = run_stack(parse_config({"memorySize": 1024, "maxPixels": 16_000_000}), stack="dev")

    def names(stack: Stack) -> set[str]:
        return {
            r.inputs["name"]
            for r in stack.resources
            if r.type.startswith(("aws:cloudfront/", "aws:cloudwatch/logDelivery"))
            and "name" in r.inputs
        }

    assert names(on)
    assert not names(on) & names(dev)
    assert all(n.startswith("prism-dev") for n in names(dev))
