"""Issue 17, item 11: the smaller findings, each through HTTP on local storage.

Media types compared without regard to case; an APNG that declares 2^31 frames; a body over
PRISM_MAX_INPUT_BYTES (but within the request cap) refused before anything is stored; local
URLs built from the bound address, never the Host header; variant downloads with
Cache-Control and nosniff; the local upload stand-in refusing what S3 refuses.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from prism.core.settings import load_settings
from prism.http.app import create_app
from tests.images import photo_like, small_image
from tests.reliability.paths import PROBLEM

BOUNDARY = "prism-test-boundary"


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[Any]:
    clients: list[TestClient] = []

    def make(**env: str) -> TestClient:
        settings = load_settings(
            {"PRISM_STORAGE": "local", "PRISM_DATA_DIR": str(tmp_path / "data")} | env
        )
        client = TestClient(create_app(settings))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    if code is not None:
        assert body["type"] == f"urn:prism:problem:{code}", body
    return body


def multipart(parts: list[tuple[str, str | tuple[str, bytes, str]]]) -> bytes:
    """A multipart/form-data body with the parts in exactly this order (duplicates kept)."""
    out = io.BytesIO()
    for name, value in parts:
        out.write(f"--{BOUNDARY}\r\n".encode())
        if isinstance(value, tuple):
            filename, data, content_type = value
            out.write(
                f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {content_type}\r\n\r\n".encode()
            )
            out.write(data)
        else:
            out.write(f'Content-Disposition: form-data; name="{name}"\r\n\r\n{value}'.encode())
        out.write(b"\r\n")
    out.write(f"--{BOUNDARY}--\r\n".encode())
    return out.getvalue()


# --- media types ------------------------------------------------------------------------------


def test_media_types_are_matched_without_regard_to_case(make_client: Any) -> None:
    client = make_client()
    jpeg = small_image("JPEG")
    raw = client.post("/images", content=jpeg, headers={"content-type": "IMAGE/JPEG"})
    assert raw.status_code == 201, raw.text
    body = multipart([("file", ("a.jpg", jpeg, "Image/Jpeg"))])
    form = client.post(
        "/images",
        content=body,
        headers={"content-type": f"Multipart/Form-Data; boundary={BOUNDARY}"},
    )
    assert form.status_code == 201, form.text


# --- APNG frame count -------------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def lying_apng(frames: int = 2**31) -> bytes:
    """A 1x1 PNG whose acTL chunk declares `frames` frames (89 bytes for 2^31)."""
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"acTL", struct.pack(">II", frames, 0))
        + _chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + _chunk(b"IEND", b"")
    )


def test_apng_declaring_two_billion_frames_is_refused_as_too_large(make_client: Any) -> None:
    data = lying_apng()
    assert len(data) < 100
    with Image.open(io.BytesIO(data)) as im:
        assert im.n_frames >= 2**31  # what Pillow reports, and what the manifest used to say
    response = make_client().post("/images", content=data, headers={"content-type": "image/png"})
    problem(response, 413, "too_large")


# --- an oversize body is not stored -----------------------------------------------------------


def test_body_over_max_input_bytes_is_refused_before_it_is_stored(make_client: Any) -> None:
    client = make_client(PRISM_MAX_INPUT_BYTES="2000")
    big = photo_like(300, 300)
    assert 2000 < len(big) < 4_500_000
    problem(client.post("/images", content=big, headers={"content-type": "image/jpeg"}), 413)
    storage = client.app.state.storage
    for bucket in ("uploads", "processed", "rejected"):
        assert storage.list_keys(bucket, "") == [], bucket


# --- URLs come from the bound address, not the Host header -------------------------------------


def test_local_urls_ignore_the_host_header(make_client: Any) -> None:
    # A name the server answers to (others are refused: tests/http/test_guards.py), which
    # still must not become the URLs' host.
    evil = {"host": "evil.example"}
    client = make_client(PRISM_ALLOWED_HOSTS="evil.example")
    ticket = client.post("/uploads", headers=evil).json()
    assert "evil.example" not in ticket["url"], ticket
    assert "evil.example" not in ticket["status_url"], ticket
    assert ticket["url"].startswith("http://testserver/")
    created = client.post(
        "/images", content=small_image("JPEG"), headers={"content-type": "image/jpeg"} | evil
    )
    assert created.status_code == 201, created.text
    assert "evil.example" not in created.headers["location"]
    assert all("evil.example" not in v["url"] for v in created.json()["variants"])


# --- variant downloads ------------------------------------------------------------------------


def test_local_variant_downloads_carry_cache_control_and_nosniff(make_client: Any) -> None:
    client = make_client()
    created = client.post(
        "/images", content=small_image("JPEG"), headers={"content-type": "image/jpeg"}
    )
    assert created.status_code == 201, created.text
    for variant in created.json()["variants"]:
        got = client.get(variant["url"])
        assert got.status_code == 200
        assert got.headers.get("x-content-type-options") == "nosniff"
        assert "max-age" in got.headers.get("cache-control", ""), got.headers


# --- the local upload stand-in refuses what S3 refuses ------------------------------------------


def _ticket(client: TestClient) -> dict[str, Any]:
    response = client.post("/uploads")
    assert response.status_code == 200, response.text
    return response.json()


def _post_form(client: TestClient, url: str, body: bytes) -> Any:
    return client.post(
        url, content=body, headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    )


def test_local_upload_refuses_the_file_before_the_policy_fields(make_client: Any) -> None:
    client = make_client()
    ticket = _ticket(client)
    jpeg = small_image("JPEG")
    # S3 ignores every field after the file, so a form whose policy follows it has none.
    parts: list[Any] = [("file", ("p.jpg", jpeg, "image/jpeg"))]
    parts += list((ticket["fields"] | {"Content-Type": "image/jpeg"}).items())
    response = _post_form(client, ticket["url"], multipart(parts))
    assert 400 <= response.status_code < 500, response.text
    assert client.get(ticket["status_url"]).status_code == 404


def test_local_upload_refuses_a_repeated_key_field(make_client: Any) -> None:
    client = make_client()
    ticket = _ticket(client)
    fields = ticket["fields"] | {"Content-Type": "image/jpeg"}
    parts: list[Any] = [("key", "uploads/someone-else")]
    parts += [*fields.items(), ("file", ("p.jpg", small_image("JPEG"), "image/jpeg"))]
    response = _post_form(client, ticket["url"], multipart(parts))
    assert 400 <= response.status_code < 500, response.text
    assert client.get(ticket["status_url"]).status_code == 404
    # The same form without the repeat is accepted: the refusal is about the repeat.
    good = _post_form(client, ticket["url"], multipart(parts[1:]))
    assert good.status_code == 204, good.text
