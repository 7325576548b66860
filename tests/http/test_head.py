"""HEAD answers like GET without a body on every public GET route (issue #22.10, #21.8):
same status, same headers (Content-Length of the GET), no bytes."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi.testclient import TestClient
from http_support import PROBLEM

from prism.core.settings import Settings
from prism.http.app import create_app
from prism.storage.layout import new_image_id
from tests.images import image_bytes
from tests.servers import serve_in_thread

#: Every GET route by a path that reaches it ({id}: a processed image).
ROUTES = [
    "/healthz",
    "/images",
    "/images/{id}",
    "/images/{id}/thumb",
    "/images/{id}/transform?width=40&format=webp",
    "/{id}/t/format=png,width=30",
    "/",
    "/docs",
    "/redoc",
    "/openapi.json",
    "/static/console.css",
    "/static/swagger-ui/swagger-ui.css",
    "/images/{unknown}",  # a problem answers HEAD too
]


@pytest.fixture(scope="module")
def head_client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    from prism.core.settings import load_settings

    data = tmp_path_factory.mktemp("head")
    settings = load_settings({"PRISM_STORAGE": "local", "PRISM_DATA_DIR": str(data)})
    return TestClient(create_app(settings))


@pytest.fixture(scope="module")
def image_id(head_client: TestClient) -> str:
    created = head_client.post(
        "/images", content=image_bytes(), headers={"content-type": "image/jpeg"}
    )
    assert created.status_code == 201, created.text
    return created.json()["id"]


@pytest.mark.parametrize("route", ROUTES)
def test_head_answers_like_get_without_a_body(
    head_client: TestClient, image_id: str, route: str
) -> None:
    path = route.format(id=image_id, unknown=new_image_id())
    head_client.get(path)  # a transform is made on the first GET; compare like with like
    got = head_client.get(path)
    head = head_client.head(path)
    assert head.status_code == got.status_code, (head.status_code, head.text)
    assert head.content == b""
    assert dict(head.headers) == dict(got.headers)
    assert int(head.headers["content-length"]) == len(got.content) > 0


def test_head_of_a_cold_transform_makes_it_as_get_would(
    make_settings: Callable[..., Settings],
) -> None:
    # CloudFront forwards a HEAD miss to the origin: it is answered (and stored) as a GET.
    client = TestClient(create_app(make_settings()))
    image_id = client.post(
        "/images", content=image_bytes(), headers={"content-type": "image/jpeg"}
    ).json()["id"]
    for path in (f"/images/{image_id}/transform?width=24", f"/{image_id}/t/width=25"):
        head = client.head(path)
        assert head.status_code == 200, head.text
        assert head.content == b""
        got = client.get(path)
        assert got.status_code == 200
        assert int(head.headers["content-length"]) == len(got.content)
        assert head.headers["etag"] == got.headers["etag"]
    stored = client.app.state.storage.list_keys("processed", f"{image_id}/t/")
    assert len(stored) == 2, stored


def test_head_is_listed_where_get_is_allowed(head_client: TestClient) -> None:
    response = head_client.post("/healthz")
    assert response.status_code == 405
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.headers["allow"] == "GET, HEAD"


def test_head_on_a_post_only_route_is_405(head_client: TestClient) -> None:
    response = head_client.head("/uploads")
    assert response.status_code == 405
    assert response.content == b""
    assert response.headers["allow"] == "POST"


def test_the_openapi_document_does_not_list_head(head_client: TestClient) -> None:
    spec = head_client.get("/openapi.json").json()
    assert not [p for p, operations in spec["paths"].items() if "head" in operations]


def test_head_over_a_real_server(settings: Settings) -> None:
    with serve_in_thread(create_app(settings)) as base:
        got = httpx.get(f"{base}/healthz")
        head = httpx.head(f"{base}/healthz")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(got.content))
