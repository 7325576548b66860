"""A Python client of Prism's HTTP API (install the `client` extra: `prism[client]`).

    from prism.client import Prism

    with Prism("http://127.0.0.1:8080") as prism:
        manifest = prism.upload("photo.jpg")
        print(manifest.variant("thumb").url, prism.transform_url(manifest.id, width=400))

Light on purpose: httpx and pydantic only (botocore on the first SigV4-signed request), never
FastAPI or Pillow, so an app's backend can import it.
"""

from prism.client.api import Prism
from prism.client.aws import AwsAuth
from prism.client.errors import (
    AuthError,
    ImageRejected,
    NotFound,
    PrismError,
    StillProcessing,
    Timeout,
)
from prism.client.models import Manifest, Source, UploadTicket, Variant

__all__ = [
    "AuthError",
    "AwsAuth",
    "ImageRejected",
    "Manifest",
    "NotFound",
    "Prism",
    "PrismError",
    "Source",
    "StillProcessing",
    "Timeout",
    "UploadTicket",
    "Variant",
]
