# ruff: noqa: F811  (fixtures imported from test_transforms, used by name)
"""The CDN's miss: GET /{id}/t/{form}, the URI CloudFront's origin group fails over with."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PIL import Image

from prism.http.routers import cdn_origin
from prism.service.transforms import CACHE_CONTROL
from tests.http.test_transforms import Site, local, make_local, make_s3  # noqa: F401

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(params=["local", "s3"])
def origin(request: pytest.FixtureRequest) -> Iterator[Site]:
    maker: Callable[..., Iterator[Site]] = request.getfixturevalue(f"make_{request.param}")
    yield from maker()


def _get(site: Site, path: str) -> Any:
    return site.client.get(path, follow_redirects=False)


def test_a_miss_answers_the_bytes_cacheably_and_stores_them(origin: Site) -> None:
    r = _get(origin, f"/{origin.image_id}/t/format=webp,width=320")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/webp"
    assert r.headers["cache-control"] == CACHE_CONTROL
    with Image.open(io.BytesIO(r.content)) as im:
        assert (im.format, im.width) == ("WEBP", 320)
    # stored under the same key: the bucket (the CDN's first origin) has it from now on
    key = f"{origin.image_id}/t/format=webp,width=320"
    stored = origin.client.app.state.storage.get("processed", key)  # type: ignore[attr-defined]
    assert stored == r.content
    again = _get(origin, f"/{origin.image_id}/t/format=webp,width=320")
    assert again.headers["etag"] == r.headers["etag"]


@pytest.mark.parametrize(
    "form",
    [
        "width=320,format=webp",  # not in canonical order
        "fit=contain,width=320",  # a default spelled out
        "format=auto,width=320",  # auto is resolved at the edge, never stored
        "width=320,sig=abc",
        "junk",
        "width=99999",
    ],
)
def test_anything_not_exactly_canonical_is_refused_before_any_decode(
    local: Site, form: str, renders: list[int]
) -> None:
    r = _get(local, f"/{local.image_id}/t/{form}")
    assert r.status_code == 400, (form, r.text)
    assert r.headers["content-type"] == "application/problem+json"
    assert renders == []


def test_a_percent_escaped_canonical_form_is_the_same_object(local: Site) -> None:
    # S3 reads /<id>/t/width%3D320 as the key <id>/t/width=320; so does the origin
    plain = _get(local, f"/{local.image_id}/t/width=320")
    escaped = _get(local, f"/{local.image_id}/t/width%3D320")
    assert plain.status_code == escaped.status_code == 200
    assert escaped.headers["etag"] == plain.headers["etag"]
    assert _get(local, f"/{local.image_id}/t/width%3D320%2Cformat%3Dwebp").status_code == 400


def test_unknown_images_are_404(local: Site) -> None:
    assert _get(local, f"/{'0' * 32}/t/width=320").status_code == 404
    assert _get(local, "/not-an-id/t/width=320").status_code == 404


def test_too_large_for_a_buffered_response_redirects_to_the_public_url(
    local: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cdn_origin, "BYTES_LIMIT", 10)
    r = _get(local, f"/{local.image_id}/t/format=png,width=320")
    assert r.status_code == 307
    assert r.headers["cache-control"] == "no-store"
    location = r.headers["location"]
    assert location == f"/images/{local.image_id}/transform?format=png&width=320"
    # the redirect names the same stored object: following it needs no new render
    key = f"{local.image_id}/t/format=png,width=320"
    assert local.client.app.state.storage.get("processed", key) is not None  # type: ignore[attr-defined]
    followed = _get(local, location)
    assert followed.status_code == 200
    assert followed.content == local.client.app.state.storage.get("processed", key)  # type: ignore[attr-defined]


def test_the_redirect_is_signed_when_the_deployment_signs(
    make_local: Callable[..., Iterator[Site]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cdn_origin, "BYTES_LIMIT", 10)
    for site in make_local(PRISM_TRANSFORM_SIGNING_KEYS="k1"):
        r = _get(site, f"/{site.image_id}/t/width=320")
        assert r.status_code == 307
        assert "&sig=" in r.headers["location"] or "?sig=" in r.headers["location"]
        assert _get(site, r.headers["location"]).status_code == 200


def test_a_preset_variant_miss_is_a_404_problem(local: Site) -> None:
    # the router's rewrite of /images/<id>/jpeg85; presets are stored before the manifest,
    # so only a guess at an image still processing misses the bucket
    r = _get(local, f"/{local.image_id}/jpeg85.jpg")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
