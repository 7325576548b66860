"""Behind the CDN: manifests point at it, and DELETE forgets the image at its edges."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import boto3
import pytest
from botocore.stub import ANY, Stubber
from fastapi.testclient import TestClient

from prism.core.settings import Settings, SettingsError, load_settings
from prism.http.app import create_app
from prism.storage.edge_cache import CloudFrontCache, NoEdgeCache, invalidation_paths
from tests.http.http_support import assert_problem

CDN = {"PRISM_CDN_URL": "https://img.example.com/", "PRISM_CDN_DISTRIBUTION_ID": "E2QWRUHAPOMQZL"}


def _post(client: TestClient, jpeg: bytes) -> dict:
    response = client.post("/images", content=jpeg, headers={"content-type": "image/jpeg"})
    assert response.status_code == 201
    return response.json()


def test_manifest_variant_urls_point_at_the_cdn(
    make_settings: Callable[..., Settings], jpeg: bytes
) -> None:
    with TestClient(create_app(make_settings(**CDN))) as client:
        manifest = _post(client, jpeg)
        again = client.get(f"/images/{manifest['id']}").json()
    urls = [v["url"] for v in manifest["variants"]]
    assert urls == [
        f"https://img.example.com/images/{manifest['id']}/{v['name']}" for v in manifest["variants"]
    ]
    assert [v["url"] for v in again["variants"]] == urls


def test_without_a_cdn_variant_urls_stay_on_the_api(client: TestClient, jpeg: bytes) -> None:
    manifest = _post(client, jpeg)
    assert all(v["url"].startswith("http://testserver/images/") for v in manifest["variants"])
    assert isinstance(client.app.state.services.edge_cache, NoEdgeCache)


def test_delete_invalidates_the_image_on_the_distribution(
    make_settings: Callable[..., Settings], jpeg: bytes
) -> None:
    cloudfront = boto3.client(
        "cloudfront", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    app = create_app(make_settings(**CDN))
    assert isinstance(app.state.services.edge_cache, CloudFrontCache)
    app.state.services = replace(
        app.state.services, edge_cache=CloudFrontCache("E2QWRUHAPOMQZL", cloudfront)
    )
    with TestClient(app) as client, Stubber(cloudfront) as stub:
        image_id = _post(client, jpeg)["id"]
        paths = invalidation_paths(image_id)
        stub.add_response(
            "create_invalidation",
            {
                "Location": "https://cloudfront.amazonaws.com/x",
                "Invalidation": {
                    "Id": "I1",
                    "Status": "InProgress",
                    "CreateTime": "2026-01-01T00:00:00Z",
                    "InvalidationBatch": {
                        "Paths": {"Quantity": 2, "Items": paths},
                        "CallerReference": "x",
                    },
                },
            },
            {
                "DistributionId": "E2QWRUHAPOMQZL",
                "InvalidationBatch": {
                    "Paths": {"Quantity": 2, "Items": paths},
                    "CallerReference": ANY,
                },
            },
        )
        assert client.delete(f"/images/{image_id}").status_code == 204
        stub.assert_no_pending_responses()
        # an unknown image is a 404 and costs no invalidation (the stub has none left)
        assert client.delete(f"/images/{image_id}").status_code == 404


def test_a_failed_invalidation_answers_503_problem(
    make_settings: Callable[..., Settings], jpeg: bytes
) -> None:
    cloudfront = boto3.client(
        "cloudfront", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    app = create_app(make_settings(**CDN))
    app.state.services = replace(
        app.state.services, edge_cache=CloudFrontCache("E2QWRUHAPOMQZL", cloudfront)
    )
    with TestClient(app) as client, Stubber(cloudfront) as stub:
        image_id = _post(client, jpeg)["id"]
        stub.add_client_error("create_invalidation", "TooManyInvalidationsInProgress", 400)
        response = client.delete(f"/images/{image_id}")
    body = assert_problem(response, 503, "cdn_invalidation_failed")
    assert "TooManyInvalidationsInProgress" in body["detail"]
    assert f"/{image_id}/*" in body["detail"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PRISM_CDN_URL", "http://img.example.com"),
        ("PRISM_CDN_URL", "https://img.example.com/path"),
        ("PRISM_CDN_DISTRIBUTION_ID", "e2qw/../x"),
    ],
)
def test_bad_cdn_settings_stop_start_up(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({"PRISM_STORAGE": "s3", name: value} | _buckets())


def test_cdn_url_loses_its_trailing_slash() -> None:
    settings = load_settings(
        {"PRISM_STORAGE": "s3", "PRISM_CDN_URL": CDN["PRISM_CDN_URL"]} | _buckets()
    )
    assert settings.cdn_url == "https://img.example.com"


def _buckets() -> dict[str, str]:
    return {f"PRISM_{b}_BUCKET": b.lower() for b in ("UPLOADS", "PROCESSED", "REJECTED")}
