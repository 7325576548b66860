"""GET /images/{id}/transform end to end, on local storage and on S3 (moto over HTTP): made
on the first request, answered from storage afterwards, refused as problem+json."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from prism.core.settings import Settings, load_settings
from prism.http.app import create_app
from prism.http.routers import transforms as router
from prism.service.transforms import CACHE_CONTROL
from prism.transforms.signing import signature
from tests.images import encode, noisy


def photo(mode: str = "RGB", fmt: str = "JPEG") -> bytes:
    """640x480 with detail in it; with alpha, the left column is fully transparent."""
    return encode(noisy((640, 480), mode), fmt)


@dataclass
class Site:
    client: TestClient
    settings: Settings
    image_id: str

    def get(self, query: str, **headers: str) -> Any:
        url = f"/images/{self.image_id}/transform"
        return self.client.get(
            f"{url}?{query}" if query else url, headers=headers, follow_redirects=False
        )

    def upload(self, data: bytes, content_type: str = "image/jpeg") -> str:
        response = self.client.post("/images", content=data, headers={"content-type": content_type})
        assert response.status_code in (201, 413, 415, 422), response.text
        return response.json().get("id") or response.json()["image_id"]


def _site(settings: Settings, data: bytes) -> Iterator[Site]:
    with TestClient(create_app(settings)) as client:
        site = Site(client, settings, "")
        site.image_id = site.upload(data)
        yield site


@pytest.fixture
def make_local(tmp_path: Path) -> Callable[..., Iterator[Site]]:
    def make(data: bytes | None = None, **env: str) -> Iterator[Site]:
        base = {"PRISM_STORAGE": "local", "PRISM_DATA_DIR": str(tmp_path / "data")}
        return _site(load_settings(base | env), data or photo())

    return make


@pytest.fixture
def local(make_local: Callable[..., Iterator[Site]]) -> Iterator[Site]:
    yield from make_local()


@pytest.fixture
def make_s3(s3_buckets: dict[str, str]) -> Callable[..., Iterator[Site]]:
    def make(data: bytes | None = None, **env: str) -> Iterator[Site]:
        base = {
            "PRISM_STORAGE": "s3",
            "PRISM_UPLOADS_BUCKET": s3_buckets["uploads"],
            "PRISM_PROCESSED_BUCKET": s3_buckets["processed"],
            "PRISM_REJECTED_BUCKET": s3_buckets["rejected"],
        }
        return _site(load_settings(base | env), data or photo())

    return make


@pytest.fixture(params=["local", "s3"])
def site(request: pytest.FixtureRequest) -> Iterator[Site]:
    """The same app on either storage (the S3 one with transforms delivered as bytes, so both
    answer 200 with the image)."""
    if request.param == "local":
        yield from request.getfixturevalue("make_local")()
    else:
        yield from request.getfixturevalue("make_s3")(PRISM_TRANSFORM_DELIVERY="bytes")


PROBLEM = "application/problem+json"


def pixels(response: httpx.Response) -> Image.Image:
    im = Image.open(io.BytesIO(response.content))
    im.load()
    return im


def stored_keys(site: Site) -> list[str]:
    storage = site.client.app.state.services.storage
    return storage.list_keys("processed", f"{site.image_id}/t/")


def problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    return response.json()


def test_first_request_renders_and_stores_later_ones_never_decode(
    site: Site, renders: list[int]
) -> None:
    first = site.get("width=320&format=webp")
    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "image/webp"
    assert first.headers["cache-control"] == CACHE_CONTROL
    assert first.headers["etag"].startswith('"')
    assert pixels(first).size == (320, 240)
    assert renders == [1]
    assert stored_keys(site) == [f"{site.image_id}/t/format=webp,width=320"]

    again = site.get("format=webp&width=0320&fit=contain&quality=80")  # another spelling
    assert again.status_code == 200
    assert renders == [1]  # answered from storage: nothing decoded
    assert again.content == first.content
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["content-type"] == "image/webp"


def test_not_modified(local: Site) -> None:
    first = local.get("width=100")
    again = local.get("width=100", **{"if-none-match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["etag"] == first.headers["etag"]
    assert local.get("width=100", **{"if-none-match": '"other"'}).status_code == 200
    assert local.get("width=100", **{"if-none-match": "*"}).status_code == 304


def test_never_upscales_and_covers_with_a_centre_crop(local: Site) -> None:
    assert pixels(local.get("width=4000")).size == (640, 480)
    assert pixels(local.get("width=300&height=300&fit=cover")).size == (300, 300)
    # Wider than the source: no upscaling, the crop keeps the full width and the height asked.
    assert pixels(local.get("width=2000&height=100&fit=cover")).size == (640, 100)


def test_same_pipeline_as_the_presets(make_local: Callable[..., Iterator[Site]]) -> None:
    # An alpha PNG as JPEG is flattened onto the configured background, like the presets.
    site_iter = make_local(photo("RGBA", "PNG"), PRISM_BACKGROUND="#ff0000")
    site = next(site_iter)
    jpeg = pixels(site.get("format=jpeg&width=64"))
    assert jpeg.mode == "RGB"
    red, green, blue = jpeg.getpixel((0, 0))
    assert red > 200  # the transparent corner came out red, not black
    assert green < 80
    assert blue < 80
    kept = pixels(site.get("width=64"))  # no format: the original's family keeps alpha
    assert kept.format == "PNG"
    assert kept.mode == "RGBA"
    assert "exif" not in jpeg.info  # metadata stripped
    site_iter.close()


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("image/avif,image/webp,image/apng,image/*,*/*;q=0.8", "image/avif"),
        ("image/webp,*/*", "image/webp"),
        ("*/*", "image/jpeg"),
        (None, "image/jpeg"),
    ],
)
def test_auto_follows_accept_and_says_so(local: Site, accept: str | None, content_type: str):
    headers = {"accept": accept} if accept is not None else {}
    response = local.get("format=auto&width=200", **headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == content_type
    assert response.headers["vary"] == "Accept"
    assert pixels(response).width == 200


def test_auto_gives_png_to_old_browsers_for_alpha(make_local: Callable[..., Iterator[Site]]):
    site = next(make_local(photo("RGBA", "PNG")))
    response = site.get("format=auto&width=50", accept="image/png,image/*;q=0.8")
    assert response.headers["content-type"] == "image/png"
    assert pixels(response).mode == "RGBA"


def test_refusals_are_problems_naming_the_parameter(local: Site) -> None:
    body = problem(local.get("width=abc"), 400)
    assert body["param"] == "width"
    assert "1 to 4096" in body["detail"]
    assert body["type"] == "urn:prism:problem:invalid_transform"
    assert problem(local.get("width=1&width=2"), 400)["param"] == "width"
    assert problem(local.get("colour=red"), 400)["param"] == "colour"
    assert problem(local.get("format=gif"), 400)["param"] == "format"


def test_unknown_and_malformed_ids_are_404(local: Site) -> None:
    problem(local.client.get(f"/images/{'f' * 32}/transform?width=10"), 404)
    problem(local.client.get("/images/not-an-id/transform?width=10"), 404)


def test_rejected_image_is_422_with_its_reason(local: Site) -> None:
    bad = local.upload(b"\xff\xd8\xff\xe0" + b"\x00" * 200)
    body = problem(local.client.get(f"/images/{bad}/transform?width=10"), 422)
    assert body["reason"]


def test_too_many_output_pixels_is_400(make_local: Callable[..., Iterator[Site]]) -> None:
    site = next(make_local(PRISM_TRANSFORM_MAX_PIXELS="10000"))
    body = problem(site.get("width=200"), 400)
    assert body["param"] == "width"
    assert "pixels" in body["detail"]
    assert site.get("width=100").status_code == 200  # 100x75 fits


def test_width_allowlist(make_local: Callable[..., Iterator[Site]]) -> None:
    site = next(make_local(PRISM_TRANSFORM_WIDTHS="100,200,400"))
    assert pixels(site.get("width=150")).width == 200
    assert problem(site.get("width=500"), 400)["param"] == "width"
    reject = next(
        make_local(PRISM_TRANSFORM_WIDTHS="100,200", PRISM_TRANSFORM_WIDTHS_MODE="reject")
    )
    assert problem(reject.get("width=150"), 400)["param"] == "width"


def test_signed_urls(make_local: Callable[..., Iterator[Site]], monkeypatch) -> None:
    site = next(make_local(PRISM_TRANSFORM_SIGNING_KEYS="new-key,old-key"))
    storage = site.client.app.state.services.storage
    reads: list[str] = []
    for name in ("get", "head"):
        real = getattr(storage, name)
        monkeypatch.setattr(
            storage, name, lambda *a, _real=real, _n=name: reads.append(_n) or _real(*a)
        )

    assert problem(site.get("width=100"), 403)["param"] == "sig"
    assert problem(site.get("width=100&sig=" + "A" * 32), 403)["param"] == "sig"
    assert reads == []  # refused before any image (or stored result) was read
    for key in ("new-key", "old-key"):
        sig = signature(key, site.image_id, "width=100")
        assert site.get(f"width=100&sig={sig}").status_code == 200
    assert problem(site.get(f"width=100&sig={signature('gone', site.image_id, 'width=100')}"), 403)


def test_delete_removes_derived_results(site: Site) -> None:
    for query in ("width=100", "width=200&format=png", "format=auto"):
        assert site.get(query).status_code == 200
    assert len(stored_keys(site)) == 3
    assert site.client.delete(f"/images/{site.image_id}").status_code == 204
    assert stored_keys(site) == []
    problem(site.get("width=100"), 404)


def test_manifest_does_not_list_transforms(local: Site) -> None:
    local.get("width=100")
    manifest = local.client.get(f"/images/{local.image_id}").json()
    assert len(manifest["variants"]) == 5  # the presets only
    assert "/t/" not in str(manifest)
    assert "transform" not in str(manifest)


def test_s3_redirects_to_storage_like_variants(
    make_s3: Callable[..., Iterator[Site]], renders: list[int]
) -> None:
    site = next(make_s3())
    renders.clear()  # the upload's own processing
    first = site.get("width=320&format=avif")
    assert first.status_code == 302
    assert first.headers["cache-control"] == "no-store"
    fetched = httpx.get(first.headers["location"])
    assert fetched.status_code == 200
    assert fetched.headers["content-type"] == "image/avif"
    assert fetched.headers["cache-control"] == CACHE_CONTROL
    assert pixels(fetched).size == (320, 240)
    again = site.get("format=avif&width=320")
    assert again.status_code == 302
    assert renders == [1]
    # The legacy format's type is the stored object's own: no override in the presigned URL.
    legacy = site.get("format=auto&width=50", accept="*/*")
    assert legacy.headers["vary"] == "Accept"
    assert httpx.get(legacy.headers["location"]).headers["content-type"] == "image/jpeg"


def test_large_results_redirect_even_in_bytes_mode(
    make_s3: Callable[..., Iterator[Site]], monkeypatch: pytest.MonkeyPatch
) -> None:
    site = next(make_s3(PRISM_TRANSFORM_DELIVERY="bytes"))
    monkeypatch.setattr(router, "BYTES_LIMIT", 1000)  # stands in for the 6 MB function URL cap
    big = site.get("format=png")
    assert big.status_code == 302
    assert len(httpx.get(big.headers["location"]).content) > 1000
    small = site.get("width=16&format=webp&quality=10")
    assert small.status_code == 200


def test_concurrent_first_requests_store_one_object(local: Site) -> None:
    answers: list[bytes] = []

    def fetch() -> None:
        answers.append(local.get("width=333&format=avif").content)

    threads = [threading.Thread(target=fetch) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(answers)) == 1
    assert stored_keys(local) == [f"{local.image_id}/t/format=avif,width=333"]
    assert local.get("format=avif&width=333").content == answers[0]


def test_openapi_documents_the_route(local: Site) -> None:
    spec = local.client.get("/openapi.json").json()
    operation = spec["paths"]["/images/{image_id}/transform"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert names == {"image_id", "width", "height", "fit", "format", "quality", "sig"}
    assert {"200", "302", "400", "403", "404", "422"} <= set(operation["responses"])


def test_requests_rewritten_by_the_edge_reach_the_same_object(local: Site, renders) -> None:
    from prism.service.transforms import find_or_make_stored
    from prism.transforms.params import TransformError

    by_url = local.get("format=auto&width=200", accept="image/webp")
    services = local.client.app.state.services
    by_key = find_or_make_stored(
        services.storage, services.settings, local.image_id, "format=webp,width=200"
    )
    assert not by_key.made
    assert renders == [1]
    assert by_key.etag == by_url.headers["etag"].strip('"')
    legacy = find_or_make_stored(
        services.storage, services.settings, local.image_id, "format=legacy,width=100"
    )
    assert legacy.made
    assert legacy.content_type == "image/jpeg"
    for junk in ("width=0200", "format=auto", "width=200,sig=x", "../manifest.json"):
        with pytest.raises(TransformError):
            find_or_make_stored(services.storage, services.settings, local.image_id, junk)


def test_an_unreadable_pending_original_is_422(local: Site) -> None:
    from prism.storage.layout import new_image_id, upload_key

    storage = local.client.app.state.services.storage
    image_id = new_image_id()
    key = upload_key(local.settings.uploads_prefix, image_id)
    storage.put("uploads", key, b"GIF89a" + b"\x00" * 20, "image/gif")  # not processed yet
    body = problem(local.client.get(f"/images/{image_id}/transform?width=10"), 422)
    assert body["reason"] == "corrupt"
