"""The OpenAPI spec is valid, and every error response it documents is reachable."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from http_support import assert_problem, function_url_context, pass_through_headers, unreachable_s3
from openapi_spec_validator import validate

from prism.core.constants import RETRY_STATUS
from prism.core.settings import Settings, load_settings
from prism.http.app import create_app
from prism.storage.layout import new_image_id
from tests.images import image_bytes


@dataclass
class Clients:
    local: TestClient
    small: TestClient  # tiny request limit
    outage: TestClient  # S3 storage that cannot be reached
    signed: TestClient  # transform URLs must be signed

    def processed_id(self) -> str:
        return self.local.post(
            "/images", content=image_bytes(), headers={"content-type": "image/jpeg"}
        ).json()["id"]

    def rejected_id(self) -> str:
        return self.local.post(
            "/images", content=b"junk" * 10, headers={"content-type": "image/png"}
        ).json()["image_id"]


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory) -> Clients:
    root = tmp_path_factory.mktemp("openapi")
    local = {"PRISM_STORAGE": "local", "PRISM_DATA_DIR": str(root)}
    s3: Settings = load_settings(
        {
            "PRISM_STORAGE": "s3",
            "PRISM_UPLOADS_BUCKET": "u",
            "PRISM_PROCESSED_BUCKET": "p",
            "PRISM_REJECTED_BUCKET": "r",
        }
    )
    names = {"uploads": "u", "processed": "p", "rejected": "r"}
    outage = create_app(s3, storage=unreachable_s3(names))
    return Clients(
        local=TestClient(create_app(load_settings(local))),
        small=TestClient(create_app(load_settings(local | {"PRISM_MAX_REQUEST_BYTES": "100"}))),
        outage=TestClient(outage),
        signed=TestClient(create_app(load_settings(local | {"PRISM_TRANSFORM_SIGNING_KEYS": "k"}))),
    )


def _event(bucket: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": bucket}, "object": {"key": "uploads/a.jpg"}},
            }
        ]
    }


JPEG = {"content-type": "image/jpeg"}
FUNCTION_URL = function_url_context()
Case = Callable[[Clients], Any]
# (method, path template, status) -> how to provoke it.
CASES: dict[tuple[str, str, str], Case] = {
    ("post", "/images", "400"): lambda c: c.local.post("/images", content=b"", headers=JPEG),
    ("post", "/images", "413"): lambda c: c.small.post(
        "/images", content=image_bytes(), headers=JPEG
    ),
    ("post", "/images", "415"): lambda c: c.local.post("/images", json={}),
    ("post", "/images", "422"): lambda c: c.local.post(
        "/images", content=image_bytes()[:200], headers=JPEG
    ),
    ("post", "/images", "503"): lambda c: c.outage.post(
        "/images", content=image_bytes(), headers=JPEG
    ),
    ("get", "/images", "400"): lambda c: c.local.get("/images", params={"cursor": "%%"}),
    ("get", "/images", "422"): lambda c: c.local.get("/images", params={"limit": 0}),
    ("get", "/images", "503"): lambda c: c.outage.get("/images"),
    ("get", "/images/{image_id}", "404"): lambda c: c.local.get(f"/images/{new_image_id()}"),
    ("get", "/images/{image_id}", "422"): lambda c: c.local.get(f"/images/{c.rejected_id()}"),
    ("get", "/images/{image_id}", "503"): lambda c: c.outage.get(f"/images/{new_image_id()}"),
    ("delete", "/images/{image_id}", "404"): lambda c: c.local.delete(f"/images/{new_image_id()}"),
    ("delete", "/images/{image_id}", "422"): lambda c: c.local.delete("/images/not-an-id"),
    ("delete", "/images/{image_id}", "503"): lambda c: c.outage.delete(f"/images/{new_image_id()}"),
    ("get", "/images/{image_id}/{variant}", "404"): lambda c: c.local.get(
        f"/images/{c.processed_id()}/missing"
    ),
    ("get", "/images/{image_id}/{variant}", "422"): lambda c: c.local.get(
        f"/images/{new_image_id()}/NO!"
    ),
    ("get", "/images/{image_id}/{variant}", "503"): lambda c: c.outage.get(
        f"/images/{new_image_id()}/thumb"
    ),
    ("get", "/images/{image_id}/transform", "400"): lambda c: c.local.get(
        f"/images/{c.processed_id()}/transform?width=abc"
    ),
    ("get", "/images/{image_id}/transform", "403"): lambda c: c.signed.get(
        f"/images/{new_image_id()}/transform?width=10"
    ),
    ("get", "/images/{image_id}/transform", "404"): lambda c: c.local.get(
        f"/images/{new_image_id()}/transform?width=10"
    ),
    ("get", "/images/{image_id}/transform", "422"): lambda c: c.local.get(
        f"/images/{c.rejected_id()}/transform?width=10"
    ),
    ("get", "/images/{image_id}/transform", "503"): lambda c: c.outage.get(
        f"/images/{new_image_id()}/transform?width=10"
    ),
    # the CDN's miss, by storage key
    ("get", "/{image_id}/t/{form}", "400"): lambda c: c.local.get(
        f"/{c.processed_id()}/t/width=10,format=webp"
    ),
    ("get", "/{image_id}/t/{form}", "404"): lambda c: c.local.get(f"/{new_image_id()}/t/width=10"),
    ("get", "/{image_id}/t/{form}", "422"): lambda c: c.local.get(f"/{c.rejected_id()}/t/width=10"),
    ("get", "/{image_id}/t/{form}", "503"): lambda c: c.outage.get(f"/{new_image_id()}/t/width=10"),
    ("post", "/events", "400"): lambda c: c.local.post(
        "/events", json={"nope": 1}, headers=pass_through_headers()
    ),
    ("post", "/events", "413"): lambda c: c.local.post(
        "/events", content=b" " * (2 * 1024 * 1024), headers=pass_through_headers()
    ),
    ("post", "/events", "415"): lambda c: c.local.post(
        "/events", content=b"{}", headers={"x-amzn-request-context": "null"}
    ),
    ("post", "/events", "403"): lambda c: c.local.post(
        "/events",
        json=_event("uploads"),
        headers={"x-amzn-request-context": function_url_context()},
    ),
    ("post", "/events", str(RETRY_STATUS)): lambda c: c.outage.post(
        "/events", json=_event("u"), headers=pass_through_headers()
    ),
}


def documented_errors(spec: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        (method, path, status)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        for status in operation["responses"]
        if int(status) >= 400
    }


def test_spec_is_valid_openapi(clients: Clients) -> None:
    spec = clients.local.get("/openapi.json").json()
    validate(spec)
    assert clients.local.get("/docs").status_code == 200
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["properties"])


def test_every_documented_error_has_a_case(clients: Clients) -> None:
    assert documented_errors(clients.local.get("/openapi.json").json()) == set(CASES)


@pytest.mark.parametrize("case", sorted(CASES), ids=lambda c: f"{c[0]} {c[1]} {c[2]}")
def test_documented_error_is_reachable(clients: Clients, case: tuple[str, str, str]) -> None:
    response = CASES[case](clients)
    assert_problem(response, int(case[2]))


def test_success_responses_match_the_schema(clients: Clients) -> None:
    """The bodies the app sends validate against the schemas it documents."""
    from jsonschema import Draft202012Validator

    spec = clients.local.get("/openapi.json").json()

    def check(path: str, method: str, status: str, body: Any) -> None:
        media = spec["paths"][path][method]["responses"][status]["content"]["application/json"]
        schema = {"$ref": media["schema"]["$ref"]} | {"components": spec["components"]}
        Draft202012Validator(schema).validate(body)

    image_id = clients.processed_id()
    check("/images/{image_id}", "get", "200", clients.local.get(f"/images/{image_id}").json())
    check("/uploads", "post", "200", clients.local.post("/uploads").json())
    check("/healthz", "get", "200", clients.local.get("/healthz").json())


def test_the_manifest_schema_documents_size_placeholder_and_colour(clients: Clients) -> None:
    from jsonschema import Draft202012Validator

    spec = clients.local.get("/openapi.json").json()
    manifest = spec["components"]["schemas"]["Manifest"]
    assert {"width", "height", "placeholder", "color"} <= set(manifest["required"])
    assert "ThumbHash" in manifest["properties"]["placeholder"]["description"]
    assert manifest["properties"]["width"]["type"] == "integer"
    clients.processed_id()
    listing = spec["paths"]["/images"]["get"]["responses"]["200"]["content"]["application/json"]
    schema = {"$ref": listing["schema"]["$ref"]} | {"components": spec["components"]}
    body = clients.local.get("/images").json()
    Draft202012Validator(schema).validate(body)
    assert body["items"]
    assert all(item["placeholder"] and item["color"] for item in body["items"])
    # A colour the schema does not allow is caught by it.
    wrong = body | {"items": [body["items"][0] | {"color": "red"}]}
    assert not Draft202012Validator(schema).is_valid(wrong)
