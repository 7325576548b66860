"""Policy documents the CDN adds, built by pure functions from exact ARNs.

The processed bucket stays private: CloudFront reads it through origin access control, and
its policy lets only this distribution (AWS:SourceArn) read only the public keys (preset
variants and transforms, never manifests). The origin function may write transforms only.
"""

from __future__ import annotations

from collections.abc import Iterable

from prism_infra.policies import (
    LOG_WRITE_ACTIONS,
    Document,
    log_streams_arn,
    read_secret,
)

CLOUDFRONT = "cloudfront.amazonaws.com"
LOG_DELIVERY = "delivery.logs.amazonaws.com"
#: Folder of on-request transforms inside an image's folder: `<id>/t/<canonical form>`.
#: Mirrors prism.transforms.params.TRANSFORM_FOLDER (the app's key layout).
TRANSFORM_FOLDER = "t"


def public_key_patterns(variant_files: Iterable[str]) -> list[str]:
    """Object-key patterns the CDN may read: each preset variant file name (e.g.
    `jpeg85.jpg`) in any image folder, and every transform. Manifests are not public."""
    return [f"*/{TRANSFORM_FOLDER}/*", *(f"*/{name}" for name in variant_files)]


def cdn_read_statements(
    *, bucket_arn: str, distribution_arn: str, patterns: Iterable[str]
) -> list[Document]:
    """Bucket-policy statement: this distribution (and no other) may GET the public keys.

    No s3:ListBucket: a missing key answers 403, which is a failover code like 404."""
    return [
        {
            "Sid": "CloudFrontReadsPublicObjects",
            "Effect": "Allow",
            "Principal": {"Service": CLOUDFRONT},
            "Action": "s3:GetObject",
            "Resource": [f"{bucket_arn}/{p}" for p in patterns],
            "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
        }
    ]


def delivery_source_arn(region: str, account_id: str, source_name: str) -> str:
    return f"arn:aws:logs:{region}:{account_id}:delivery-source:{source_name}"


def log_delivery_statements(*, bucket_arn: str, account_id: str, source_arn: str) -> list[Document]:
    """Bucket-policy statements letting CloudWatch Logs deliver CloudFront's standard logs
    (v2) for one delivery source of this account, and nothing else (AWS-logs-infrastructure-
    V2-S3 in the CloudWatch Logs guide). Objects arrive owner-owned: no ACLs involved."""
    condition = {
        "StringEquals": {"aws:SourceAccount": account_id},
        "ArnLike": {"aws:SourceArn": source_arn},
    }
    return [
        {
            "Sid": "LogDeliveryWrite",
            "Effect": "Allow",
            "Principal": {"Service": LOG_DELIVERY},
            "Action": "s3:PutObject",
            "Resource": [f"{bucket_arn}/AWSLogs/{account_id}/*"],
            "Condition": {
                "StringEquals": {
                    "aws:SourceAccount": account_id,
                    "s3:x-amz-acl": "bucket-owner-full-control",
                },
                "ArnLike": {"aws:SourceArn": source_arn},
            },
        },
        {
            "Sid": "LogDeliveryCheck",
            "Effect": "Allow",
            "Principal": {"Service": LOG_DELIVERY},
            "Action": ["s3:GetBucketAcl", "s3:ListBucket"],
            "Resource": [bucket_arn],
            "Condition": condition,
        },
    ]


def invalidation_statements(distribution_arn: str) -> list[Document]:
    """The upload function may invalidate this distribution's cache (DELETE /images/{id})."""
    return [
        {
            "Sid": "InvalidateCdn",
            "Effect": "Allow",
            "Action": ["cloudfront:CreateInvalidation"],
            "Resource": [distribution_arn],
        }
    ]


def origin_function_policy(
    *,
    uploads_bucket_arn: str,
    uploads_prefix: str,
    processed_bucket_arn: str,
    rejected_bucket_arn: str,
    log_group_arn: str,
    signing_secret_arn: str | None = None,
) -> Document:
    """The origin function answers CloudFront's misses: it reads originals, manifests and
    rejection records, and writes transforms - nothing else (no deletes, no queue). With
    signed transform URLs it may read the signing keys; since its redirects stopped carrying a
    signature (they go to presigned URLs) it has no need to, so the grant may be dropped."""
    statements: list[Document] = [
        {
            "Sid": "ReadOriginals",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": [f"{uploads_bucket_arn}/{uploads_prefix}*"],
        },
        {
            # No s3:prefix condition, as for the upload function (prism_infra.policies): S3's
            # implicit ListBucket check for a missing key carries no prefix, so a condition
            # would turn the original of a deleted image into a 403 instead of a 404.
            "Sid": "ListOriginals",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [uploads_bucket_arn],
        },
        {
            "Sid": "ReadProcessed",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": [f"{processed_bucket_arn}/*"],
        },
        {
            "Sid": "WriteTransforms",
            "Effect": "Allow",
            "Action": ["s3:PutObject"],
            "Resource": [f"{processed_bucket_arn}/*/{TRANSFORM_FOLDER}/*"],
        },
        {
            "Sid": "ListProcessed",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [processed_bucket_arn],
        },
        {
            "Sid": "ReadRejections",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": [f"{rejected_bucket_arn}/*"],
        },
        {
            "Sid": "ListRejections",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [rejected_bucket_arn],
        },
        {
            "Sid": "WriteLogs",
            "Effect": "Allow",
            "Action": LOG_WRITE_ACTIONS,
            "Resource": [log_streams_arn(log_group_arn)],
        },
    ]
    if signing_secret_arn:
        statements.append(read_secret("ReadSigningKeys", signing_secret_arn))
    return {"Version": "2012-10-17", "Statement": statements}
