"""AWS on moto's server: credentials and fresh buckets for the reliability tests."""

from __future__ import annotations

import boto3

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def make_buckets(tag: str) -> dict[str, str]:
    """Three fresh buckets on the moto server (boto3's environment), named after `tag`."""
    names = {b: f"{b}-{tag}".lower()[:63] for b in ("uploads", "processed", "rejected")}
    client = boto3.client("s3")
    for name in names.values():
        client.create_bucket(Bucket=name)
    return names


def bucket_env(names: dict[str, str]) -> dict[str, str]:
    """The PRISM_* variables naming these buckets."""
    return {
        "PRISM_UPLOADS_BUCKET": names["uploads"],
        "PRISM_PROCESSED_BUCKET": names["processed"],
        "PRISM_REJECTED_BUCKET": names["rejected"],
    }
