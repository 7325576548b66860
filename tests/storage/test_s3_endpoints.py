"""Which host S3Storage's presigned URLs and forms name: the bucket's own Regional host on AWS,
a configured endpoint (moto, MinIO) as it is. Presigning is local: no request is made."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from prism.storage.s3 import S3Storage

NAMES = {"uploads": "prism-uploads-1a2b", "processed": "prism-processed-3c4d", "rejected": "r"}
# us-east-1 (the legacy global host's own Region), an older Region, and two launched after
# March 2019, where the global host answers 400.
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-3", "me-central-1"]


def in_region(env: pytest.MonkeyPatch, region: str) -> None:
    # As Lambda sets them: both names (botocore reads AWS_DEFAULT_REGION).
    env.setenv("AWS_REGION", region)
    env.setenv("AWS_DEFAULT_REGION", region)


def _urls(storage: S3Storage) -> tuple[str, str]:
    form = storage.upload_form("uploads/abc", 60, 1000)
    download = storage.download_url("processed", "abc/thumb.webp", 60, "image/webp")
    assert download is not None
    return form.url, download


@pytest.mark.parametrize("region", REGIONS)
def test_presigned_urls_name_the_buckets_regional_host(
    lambda_env: pytest.MonkeyPatch, region: str
) -> None:
    in_region(lambda_env, region)
    form, download = _urls(S3Storage(NAMES))
    assert urlsplit(form).netloc == f"prism-uploads-1a2b.s3.{region}.amazonaws.com"
    assert urlsplit(form).scheme == "https"
    parts = urlsplit(download)
    assert parts.netloc == f"prism-processed-3c4d.s3.{region}.amazonaws.com"
    assert parts.path == "/abc/thumb.webp"
    # Signed for the same Region as the host it names.
    credential = parse_qs(parts.query)["X-Amz-Credential"][0]
    assert f"/{region}/s3/aws4_request" in credential


@pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"])
@pytest.mark.parametrize("endpoint", ["http://minio.internal:9000", "http://127.0.0.1:5000"])
def test_a_configured_endpoint_wins_path_style(
    lambda_env: pytest.MonkeyPatch, variable: str, endpoint: str
) -> None:
    in_region(lambda_env, "eu-west-1")
    lambda_env.setenv(variable, endpoint)
    form, download = _urls(S3Storage(NAMES))
    assert form == f"{endpoint}/prism-uploads-1a2b"
    assert download.startswith(f"{endpoint}/prism-processed-3c4d/abc/thumb.webp?")


def test_without_a_region_the_urls_name_the_global_host(lambda_env: pytest.MonkeyPatch) -> None:
    """No Region to name (never so on Lambda): botocore's aws-global, as before."""
    form, download = _urls(S3Storage(NAMES))
    assert urlsplit(form).netloc == "prism-uploads-1a2b.s3.amazonaws.com"
    assert urlsplit(download).netloc == "prism-processed-3c4d.s3.amazonaws.com"


def test_a_bucket_name_with_dots_stays_path_style(lambda_env: pytest.MonkeyPatch) -> None:
    """A dotted name cannot be a TLS-valid virtual host: the Regional host, path-style."""
    in_region(lambda_env, "eu-west-1")
    storage = S3Storage({"uploads": "a.b", "processed": "img.example.com", "rejected": "r"})
    form, download = _urls(storage)
    assert form.startswith("https://s3.eu-west-1.amazonaws.com/a.b")
    assert download.startswith("https://s3.eu-west-1.amazonaws.com/img.example.com/abc/")
