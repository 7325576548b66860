"""POST /console/transform-urls: the playground's URLs, signed on the server when signing
is on, and accepted by the transform route."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from http_support import assert_problem

from prism.core.settings import Settings
from prism.http.app import create_app
from tests.images import image_bytes

ASKS = [{"width": 64, "format": "webp", "quality": 50}, {"width": 32, "fit": "contain"}, {}]


def _upload(client: TestClient) -> str:
    response = client.post(
        "/images", content=image_bytes(120, 80), headers={"content-type": "image/jpeg"}
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_without_signing_the_urls_are_plain(client: TestClient) -> None:
    image_id = _upload(client)
    answer = client.post(
        "/console/transform-urls", json={"image_id": image_id, "transforms": ASKS}
    ).json()
    base = f"http://testserver/images/{image_id}/transform"
    assert answer == {
        "urls": [f"{base}?width=64&format=webp&quality=50", f"{base}?width=32", base],
        "signed": False,
    }
    assert client.get(answer["urls"][0]).headers["content-type"] == "image/webp"


def test_with_signing_the_server_signs_and_the_route_accepts(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(PRISM_TRANSFORM_SIGNING_KEYS="first-key,old-key")
    with TestClient(create_app(settings)) as client:
        image_id = _upload(client)
        answer = client.post(
            "/console/transform-urls", json={"image_id": image_id, "transforms": ASKS}
        ).json()
        assert answer["signed"] is True
        assert all("sig=" in url for url in answer["urls"])
        assert client.get(answer["urls"][0]).status_code == 200
        unsigned = f"/images/{image_id}/transform?width=64&format=webp&quality=50"
        assert client.get(unsigned).status_code == 403
        bad = client.post(
            "/console/transform-urls",
            json={"image_id": image_id, "transforms": [{"width": 0}]},
        )
        assert_problem(bad, 400)


@pytest.mark.parametrize(
    "body",
    [
        {"image_id": "nope", "transforms": [{}]},
        {"image_id": "0" * 32, "transforms": []},
        {"image_id": "0" * 32, "transforms": [{"fit": "stretch"}]},
    ],
)
def test_malformed_asks_are_422(client: TestClient, body: dict) -> None:
    assert_problem(client.post("/console/transform-urls", json=body), 422)


def test_only_with_the_page(make_settings: Callable[..., Settings]) -> None:
    with TestClient(create_app(make_settings(PRISM_CONSOLE_ENABLED="false"))) as client:
        body = {"image_id": "0" * 32, "transforms": [{}]}
        assert client.post("/console/transform-urls", json=body).status_code == 404


def _ask(client: TestClient, image_id: str, *transforms: dict) -> Any:
    body = {"image_id": image_id, "transforms": list(transforms)}
    return client.post("/console/transform-urls", json=body)


@pytest.mark.parametrize("signing", [{"PRISM_TRANSFORM_SIGNING_KEYS": "k"}, {}])
def test_it_signs_only_what_the_transform_route_allows(
    make_settings: Callable[..., Settings], signing: dict[str, str]
) -> None:
    env = {"PRISM_TRANSFORM_WIDTHS": "32,64", "PRISM_TRANSFORM_WIDTHS_MODE": "reject"}
    with TestClient(create_app(make_settings(**signing, **env))) as client:
        image_id = _upload(client)
        for bad, param in (
            ({"width": 999999}, "width"),  # past PRISM_TRANSFORM_MAX_SIZE
            ({"width": 17}, "width"),  # not on the allowlist
            ({"height": 5000}, "height"),
            ({"format": "gif"}, "format"),
            ({"quality": 101}, "quality"),
        ):
            r = _ask(client, image_id, {"width": 32}, bad)
            assert_problem(r, 400)
            assert r.json()["param"] == param, (bad, r.json())
        good = _ask(client, image_id, {"width": 64})
        assert good.status_code == 200, good.text
        assert client.get(good.json()["urls"][0]).status_code == 200


def test_an_unknown_or_rejected_image_gets_no_url(make_settings: Callable[..., Settings]) -> None:
    with TestClient(create_app(make_settings(PRISM_TRANSFORM_SIGNING_KEYS="k"))) as client:
        assert_problem(_ask(client, "0" * 32, {"width": 32}), 404)
        junk = client.post("/images", content=b"not a jpeg", headers={"content-type": "image/jpeg"})
        assert junk.status_code == 415, junk.text  # rejected: its record says why
        assert_problem(_ask(client, junk.json()["image_id"], {"width": 32}), 422)
