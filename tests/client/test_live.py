"""prism.client against a live `prism serve` over loopback: the whole API, and its errors."""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pytest
from PIL import Image

from prism.client import AuthError, ImageRejected, Manifest, NotFound, Prism
from tests.client.conftest import API_KEY, SIGNING_KEY
from tests.images import image_bytes


class CountingTransport(httpx.HTTPTransport):
    """A real transport that keeps each request's method and path."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, str]] = []
        self.posted: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, request.url.path))
        if request.method == "POST":
            self.posted.append(str(request.url.copy_with(query=None)))
        return super().handle_request(request)


def test_upload_a_file_then_get_it(served: str, photo: Path) -> None:
    with Prism(served) as prism:
        manifest = prism.upload(photo)
        assert isinstance(manifest, Manifest)
        assert manifest.status == "processed"
        assert (manifest.source.width, manifest.source.height) == (320, 200)
        assert manifest.source.format == "JPEG"
        assert prism.get(manifest.id) == manifest
        thumb = manifest.variant("thumb")
        fetched = httpx.get(thumb.url)
        assert fetched.status_code == 200
        assert fetched.headers["content-type"] == thumb.content_type
        with Image.open(io.BytesIO(fetched.content)) as image:
            assert image.size == (thumb.width, thumb.height)


def test_upload_bytes_needs_an_image_type(served: str) -> None:
    with Prism(served) as prism:
        with pytest.raises(ValueError, match="content_type"):
            prism.upload(image_bytes())
        manifest = prism.upload(image_bytes(64, 48, "PNG"), content_type="image/png")
        assert manifest.source.format == "PNG"


def test_list_walks_every_page(tmp_path_factory: pytest.TempPathFactory) -> None:
    from tests.servers import prism_serve

    with prism_serve(tmp_path_factory.mktemp("listing")) as (base, _):
        transport = CountingTransport()
        with Prism(base, transport=transport) as prism:
            ids = [
                prism.upload(image_bytes(40 + i, 30), content_type="image/jpeg").id
                for i in range(5)
            ]
            transport.sent.clear()
            listed = [m.id for m in prism.list(page_size=2)]
        assert listed == ids[::-1]  # newest first
        assert transport.sent == [("GET", "/images")] * 3  # 2 + 2 + 1


def test_delete_then_it_is_gone(served: str, photo: Path) -> None:
    with Prism(served) as prism:
        manifest = prism.upload(photo)
        prism.delete(manifest.id)
        with pytest.raises(NotFound):
            prism.get(manifest.id)
        with pytest.raises(NotFound) as caught:
            prism.delete(manifest.id)
        assert caught.value.status == 404
        assert caught.value.code == "not_found"


@pytest.mark.parametrize("image_id", ["0" * 32, "not-an-id", "../healthz"])
def test_an_unknown_id_is_not_found(served: str, image_id: str) -> None:
    with Prism(served) as prism, pytest.raises(NotFound):
        prism.get(image_id)


def test_garbage_is_rejected_with_its_reason(served: str) -> None:
    with Prism(served) as prism, pytest.raises(ImageRejected) as caught:
        prism.upload(b"this is not an image at all", content_type="image/jpeg")
    rejected = caught.value
    assert rejected.reason == "unsupported_format"
    assert rejected.status == 422
    assert rejected.image_id
    assert "rejected" in rejected.detail


def test_transform_url_is_fetched(served: str, photo: Path) -> None:
    with Prism(served) as prism:
        manifest = prism.upload(photo)
        url = prism.transform_url(manifest.id, width=100, format="webp")
    assert url == f"{served}/images/{manifest.id}/transform?format=webp&width=100"
    fetched = httpx.get(url)
    assert fetched.status_code == 200, fetched.text
    with Image.open(io.BytesIO(fetched.content)) as image:
        assert (image.format, image.width) == ("WEBP", 100)


def test_transform_url_refuses_bad_parameters(served: str) -> None:
    with Prism(served) as prism:
        with pytest.raises(ValueError, match="width"):
            prism.transform_url("0" * 32, width="wide")
        with pytest.raises(ValueError, match="colour"):
            prism.transform_url("0" * 32, colour="red")


def test_keys_and_signed_urls(keyed: str, photo: Path) -> None:
    """A public URL with API keys: no key or a wrong one is an AuthError; with the key the
    API answers, and signed transform URLs (signing on) need no key."""
    for key in (None, "wrong-key-0123456789abcdef0123456789"):
        with Prism(keyed, api_key=key) as prism:
            with pytest.raises(AuthError) as caught:
                prism.upload(photo)
            assert caught.value.status == 401
            assert caught.value.code == ("missing_api_key" if key is None else "invalid_api_key")
            with pytest.raises(AuthError):
                next(prism.list())
    with Prism(keyed, api_key=API_KEY) as prism:
        manifest = prism.upload(photo)
        assert [m.id for m in prism.list()] == [manifest.id]
        signed = prism.sign_url(manifest.id, SIGNING_KEY, width=80, format="png")
        unsigned = prism.transform_url(manifest.id, width=80, format="png")
    assert "sig=" in signed
    fetched = httpx.get(signed)
    assert fetched.status_code == 200, fetched.text
    with Image.open(io.BytesIO(fetched.content)) as image:
        assert (image.format, image.width) == ("PNG", 80)
    assert httpx.get(unsigned).status_code == 403
    assert httpx.get(signed.replace("sig=", "sig=x")).status_code == 403


def test_presigned_s3_form_upload(s3_served: str, aws_env: str, photo: Path) -> None:
    """On S3 the ticket's form goes to the bucket (moto), not to the app; S3's notification
    then has the image processed."""
    transport = CountingTransport()
    with Prism(s3_served, transport=transport) as prism:
        manifest = prism.upload(photo, timeout=30)
        assert manifest.source.width == 320
        assert prism.get(manifest.id) == manifest
    posts = transport.posted
    assert posts[0] == f"{s3_served}/uploads"
    assert posts[1].startswith(f"{aws_env}/client-uploads-")  # the bucket, on moto's server
    assert len(posts) == 2
