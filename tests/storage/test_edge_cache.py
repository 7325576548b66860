"""Forgetting a deleted image at the CDN: the CloudFront call, stubbed with botocore's Stubber."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import ANY, Stubber

from prism.storage.base import StorageError
from prism.storage.edge_cache import CloudFrontCache, NoEdgeCache, invalidation_paths

IMAGE = "0123456789abcdef0123456789abcdef"
DISTRIBUTION = "E2QWRUHAPOMQZL"


@pytest.fixture
def client():
    return boto3.client(
        "cloudfront",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def _expected(paths: list[str]) -> dict:
    return {
        "DistributionId": DISTRIBUTION,
        "InvalidationBatch": {
            "Paths": {"Quantity": len(paths), "Items": paths},
            "CallerReference": ANY,
        },
    }


def _created() -> dict:
    return {
        "Location": "https://cloudfront.amazonaws.com/2020-05-31/distribution/x/invalidation/I1",
        "Invalidation": {
            "Id": "I1",
            "Status": "InProgress",
            "CreateTime": "2026-01-01T00:00:00Z",
            "InvalidationBatch": {
                "Paths": {"Quantity": 2, "Items": invalidation_paths(IMAGE)},
                "CallerReference": "x",
            },
        },
    }


def test_one_image_is_two_wildcard_paths_the_cached_and_the_viewers() -> None:
    assert invalidation_paths(IMAGE) == [f"/{IMAGE}/*", f"/images/{IMAGE}/*"]
    with pytest.raises(ValueError, match="not an image id"):
        invalidation_paths("../" + IMAGE[3:])


def test_forgetting_an_image_invalidates_its_paths_on_this_distribution(client) -> None:
    cache = CloudFrontCache(DISTRIBUTION, client)
    references = []
    with Stubber(client) as stub:
        for _ in range(2):
            stub.add_response(
                "create_invalidation", _created(), _expected(invalidation_paths(IMAGE))
            )
        original = client.create_invalidation

        def spy(**kwargs):
            references.append(kwargs["InvalidationBatch"]["CallerReference"])
            return original(**kwargs)

        client.create_invalidation = spy
        cache.forget_image(IMAGE)
        cache.forget_image(IMAGE)  # a repeated delete invalidates again
        stub.assert_no_pending_responses()
    assert len(set(references)) == 2


def test_a_failed_invalidation_is_a_transient_storage_error(client) -> None:
    cache = CloudFrontCache(DISTRIBUTION, client)
    with Stubber(client) as stub:
        stub.add_client_error(
            "create_invalidation", "TooManyInvalidationsInProgress", http_status_code=400
        )
        with pytest.raises(StorageError, match="TooManyInvalidationsInProgress") as info:
            cache.forget_image(IMAGE)
    assert info.value.transient is True


def test_without_a_cdn_nothing_is_called() -> None:
    assert NoEdgeCache().forget_image(IMAGE) is None
