"""The buckets under mocks: private, encrypted, TLS-only; named per stack; expiry and CORS."""

from __future__ import annotations

from typing import Any

import pytest
from infra_mocks import Registered, Stack

BUCKET = "aws:s3/bucket:Bucket"


def _statements(resource: Registered) -> list[dict[str, Any]]:
    return resource.policy()["Statement"]


@pytest.mark.parametrize("bucket", ["image-source", "uploads", "processed", "rejected"])
def test_every_bucket_is_private_encrypted_tls_only_and_owner_enforced(
    default: Stack, bucket: str
) -> None:
    arn = f"arn:aws:s3:::{bucket}-a1b2c3"

    block = default.named(f"{bucket}-public-access").inputs
    assert block["bucket"] == f"{bucket}-a1b2c3"
    for flag in (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ):
        assert block[flag] is True, flag

    sse = default.named(f"{bucket}-encryption").inputs
    assert sse["bucket"] == f"{bucket}-a1b2c3"
    (rule,) = sse["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] in ("AES256", "aws:kms")

    ownership = default.named(f"{bucket}-ownership").inputs
    assert ownership["rule"]["objectOwnership"] == "BucketOwnerEnforced"

    policy_resource = default.named(f"{bucket}-tls-only")
    (statement,) = _statements(policy_resource)
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == "*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert sorted(statement["Resource"]) == [arn, f"{arn}/*"]
    # the policy goes on after public access is blocked
    assert default.depends_on(policy_resource, default.named(f"{bucket}-public-access"))


def test_bucket_names_carry_stack_prefix(default: Stack) -> None:
    assert default.one(BUCKET, "uploads").inputs["bucketPrefix"] == "prism-prod-uploads-"
    assert default.one(BUCKET, "image-source").inputs["bucketPrefix"] == "prism-prod-source-"


def test_rejected_records_expire_after_configured_days(default: Stack, configured: Stack) -> None:
    for stack, days in ((default, 30), (configured, 7)):
        (rule,) = stack.named("rejected-expiry").inputs["rules"]
        assert rule["status"] == "Enabled"
        assert rule["expiration"]["days"] == days
        assert rule["filter"] == {"prefix": ""}
    # nothing else expires but the reprocessing reports (user data never does)
    lifecycles = default.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    assert [r.name for r in lifecycles] == ["rejected-expiry", "reprocessing-reports-expiry"]


def test_uploads_cors_only_from_configured_origins(default: Stack, configured: Stack) -> None:
    assert not default.of_type("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration")
    cors = configured.one("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration")
    assert cors.inputs["bucket"] == "uploads-a1b2c3"
    (rule,) = cors.inputs["corsRules"]
    assert rule["allowedOrigins"] == ["https://app.example.com"]
    assert "POST" in rule["allowedMethods"]
