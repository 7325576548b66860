"""The CDN's edge caches, from the app's side: forget an image when it is deleted.

Behind CloudFront (PRISM_CDN_DISTRIBUTION_ID set), a deleted image's variants and transforms
would stay in edge caches until they expire (up to a year). DELETE /images/{id} invalidates
them. CloudFront caches each object under its URI after the viewer-request function's
rewrite (`/<id>/...`), and AWS advises invalidating the URI the viewer asked for as well
(`/images/<id>/...`): two wildcard paths per image (the first 1,000 paths a month are free).
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from prism.storage.base import StorageError
from prism.storage.layout import image_folder

CloudFrontClient = Any  # boto3 clients are generated at runtime; no static type to name


class EdgeCache(Protocol):
    def forget_image(self, image_id: str) -> None: ...


class NoEdgeCache:
    """No CDN configured: nothing to forget."""

    def forget_image(self, image_id: str) -> None:
        return None


def invalidation_paths(image_id: str) -> list[str]:
    """The cached URIs (after the edge rewrite) and the viewer's URIs of one image."""
    return [f"/{image_folder(image_id)}*", f"/images/{image_id}/*"]


def default_client() -> CloudFrontClient:
    # boto3 loads on first use, as for S3: start-up skips it.
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "standard", "max_attempts": 5})
    return boto3.client("cloudfront", config=config)


def open_edge_cache(distribution_id: str | None) -> EdgeCache:
    return CloudFrontCache(distribution_id) if distribution_id else NoEdgeCache()


class CloudFrontCache:
    """Invalidates one distribution's cache (the function's role allows that one only)."""

    def __init__(self, distribution_id: str, client: CloudFrontClient | None = None) -> None:
        self.distribution_id = distribution_id
        self._client = client

    @property
    def client(self) -> CloudFrontClient:
        if self._client is None:
            self._client = default_client()
        return self._client

    def forget_image(self, image_id: str) -> None:
        paths = invalidation_paths(image_id)
        try:
            self.client.create_invalidation(
                DistributionId=self.distribution_id,
                InvalidationBatch={
                    "Paths": {"Quantity": len(paths), "Items": paths},
                    # Unique per call: a repeated DELETE must invalidate again.
                    "CallerReference": f"prism-delete-{image_id}-{uuid.uuid4().hex}",
                },
            )
        except (BotoCoreError, ClientError) as exc:
            code = (
                exc.response.get("Error", {}).get("Code", "")
                if isinstance(exc, ClientError)
                else type(exc).__name__
            )
            raise StorageError(
                f"CloudFront invalidation of image {image_id} failed: {code}", transient=True
            ) from exc
