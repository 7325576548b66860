# ruff: noqa: F811  (fixtures imported from test_transforms, used by name)
"""The CDN's miss: GET /{id}/t/{form}, the URI CloudFront's origin group fails over with."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from prism.http.routers import cdn_origin
from prism.service.transforms import CACHE_CONTROL
from prism.transforms.signing import signature
from tests.http.test_transforms import Site, local, make_local, make_s3  # noqa: F401

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(params=["local", "s3"])
def origin(request: pytest.FixtureRequest) -> Iterator[Site]:
    maker: Callable[..., Iterator[Site]] = request.getfixturevalue(f"make_{request.param}")
    yield from maker()


#: A transform that is large next to a BYTES_LIMIT lowered for the test.
FORM = "format=png,width=320"


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
    make_s3: Callable[..., Iterator[Site]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cdn_origin, "BYTES_LIMIT", 10)
    for site in make_s3(PRISM_TRANSFORM_DELIVERY="bytes"):
        r = _get(site, f"/{site.image_id}/t/format=png,width=320")
        assert r.status_code == 307
        assert r.headers["cache-control"] == "no-store"
        location = r.headers["location"]
        assert location == f"/images/{site.image_id}/transform?format=png&width=320"
        # the redirect names the same stored object: following it needs no new render
        stored = site.client.app.state.storage.get("processed", f"{site.image_id}/t/{FORM}")  # type: ignore[attr-defined]
        assert stored is not None
        followed = _get(site, location)
        assert followed.status_code == 200
        assert followed.content == stored


def test_a_signed_deployments_redirect_mints_no_signature(
    make_s3: Callable[..., Iterator[Site]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The origin cannot see the viewer's signature, so signing the redirect would hand any
    # caller of the route a signed URL it never had: it is the stored object's presigned URL.
    monkeypatch.setattr(cdn_origin, "BYTES_LIMIT", 10)
    for site in make_s3(PRISM_TRANSFORM_SIGNING_KEYS="k1"):
        r = _get(site, f"/{site.image_id}/t/{FORM}")
        assert r.status_code == 307
        assert r.headers["cache-control"] == "no-store"
        location = httpx.URL(r.headers["location"])
        assert "sig" not in location.params
        assert location.path.endswith(f"/{site.image_id}/t/{FORM}")
        assert "X-Amz-Signature" in location.params  # storage's own, for this one object
        stored = site.client.app.state.storage.get("processed", f"{site.image_id}/t/{FORM}")  # type: ignore[attr-defined]
        assert httpx.get(location).content == stored


def test_locally_a_large_result_is_answered_as_bytes(
    local: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing buffers under `prism serve` (no function URL): bytes, as the transform route.
    monkeypatch.setattr(cdn_origin, "BYTES_LIMIT", 10)
    r = _get(local, f"/{local.image_id}/t/{FORM}")
    assert r.status_code == 200, r.headers
    assert r.content == local.client.app.state.storage.get(  # type: ignore[attr-defined]
        "processed", f"{local.image_id}/t/{FORM}"
    )


def _problem(r: Any, status: int, param: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["param"] == param


def test_locally_the_route_asks_for_the_signature_the_transform_route_would(
    make_local: Callable[..., Iterator[Site]], renders: list[int]
) -> None:
    for site in make_local(PRISM_TRANSFORM_SIGNING_KEYS="new-key,old-key"):
        before = len(renders)
        _problem(_get(site, f"/{site.image_id}/t/width=17"), 403, "sig")
        _problem(_get(site, f"/{site.image_id}/t/width=320?sig=forged"), 403, "sig")
        assert len(renders) == before  # refused before any decode
        old = signature("old-key", site.image_id, "width=320")
        assert _get(site, f"/{site.image_id}/t/width=320?sig={old}").status_code == 200
        # the same signature /transform takes for it, and nothing else beside it
        assert site.get(f"width=320&sig={old}").status_code == 200
        _problem(_get(site, f"/{site.image_id}/t/width=320?sig={old}&junk=1"), 400, "junk")
        # `legacy` is what format=auto became: the signature of format=auto covers it
        auto = signature("new-key", site.image_id, "format=auto,width=320")
        legacy = _get(site, f"/{site.image_id}/t/format=legacy,width=320?sig={auto}")
        assert legacy.status_code == 200
        assert legacy.headers["content-type"] == "image/jpeg"
        # too large: bytes, never a redirect carrying a signature
        with pytest.MonkeyPatch.context() as m:
            m.setattr(cdn_origin, "BYTES_LIMIT", 10)
            assert _get(site, f"/{site.image_id}/t/width=320?sig={old}").status_code == 200


@pytest.mark.parametrize("mode", ["up", "reject"])
def test_the_allowlist_holds_on_the_route_as_on_the_transform_route(
    make_local: Callable[..., Iterator[Site]], renders: list[int], mode: str
) -> None:
    env = {"PRISM_TRANSFORM_WIDTHS": "320,640", "PRISM_TRANSFORM_WIDTHS_MODE": mode}
    for site in make_local(**env):
        before = len(renders)
        _problem(_get(site, f"/{site.image_id}/t/width=17"), 400, "width")
        _problem(_get(site, f"/{site.image_id}/t/format=webp,width=641"), 400, "width")
        assert len(renders) == before
        assert _get(site, f"/{site.image_id}/t/width=640").status_code == 200


def test_on_aws_the_edge_checked_the_signature_and_the_allowlist_holds(
    make_s3: Callable[..., Iterator[Site]],
) -> None:
    # S3 storage is the function's: CloudFront (origin access control) or an authenticated
    # caller of the function URL; the URI carries no signature, and needs none.
    env = {"PRISM_TRANSFORM_SIGNING_KEYS": "k1", "PRISM_TRANSFORM_WIDTHS": "320,640"}
    for site in make_s3(PRISM_TRANSFORM_DELIVERY="bytes", **env):
        assert _get(site, f"/{site.image_id}/t/width=320").status_code == 200
        _problem(_get(site, f"/{site.image_id}/t/width=17"), 400, "width")


def test_a_preset_variant_miss_is_a_404_problem(local: Site) -> None:
    # the router's rewrite of /images/<id>/jpeg85; presets are stored before the manifest,
    # so only a guess at an image still processing misses the bucket
    r = _get(local, f"/{local.image_id}/jpeg85.jpg")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
