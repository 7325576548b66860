"""Lies and tricks in uploads: wrong content types, non-image documents, empty bodies,
decompression bombs hidden in PNG text chunks and in later animation frames, truncated bodies,
and bodies whose length disagrees with Content-Length. Each ends as 201 with variants or a
4xx problem+json with a specific reason, quickly and within bounded memory; none as a 5xx."""

from __future__ import annotations

import functools
import http.client
import io
import socket
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from prism.core.settings import Settings, load_settings
from prism.http.app import create_app
from tests.images import small_image
from tests.reliability.paths import MB, PROBLEM
from tests.reliability.procstats import peak_rss_bytes, reset_peak_rss, rss_bytes
from tests.reliability.results import at_session_end
from tests.servers import serve_in_thread

#: Every trick must be answered within this time and grow the process by at most this much.
SECONDS = 10
GROWTH_MB = 150
OUTCOMES: list[dict[str, Any]] = []


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings({"PRISM_STORAGE": "local", "PRISM_DATA_DIR": str(tmp_path / "data")})


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        test_client.post("/images", content=small_image(), headers={"content-type": "image/jpeg"})
        yield test_client


def send(client: TestClient, name: str, body: bytes, content_type: str) -> Any:
    """POST /images, timing it and measuring this process's memory growth while it ran."""
    before = rss_bytes()
    reset_peak_rss()
    start = time.perf_counter()
    response = client.post("/images", content=body, headers={"content-type": content_type})
    seconds = time.perf_counter() - start
    growth = (peak_rss_bytes() - before) / MB
    OUTCOMES.append(
        {"case": name, "status": response.status_code, "type": response.json().get("type")}
        | {"seconds": round(seconds, 3), "rss_growth_mb": round(growth, 1)}
    )
    assert response.status_code < 500, response.text
    assert seconds < SECONDS, f"{name} took {seconds:.1f} s"
    assert growth < GROWTH_MB, f"{name} grew memory by {growth:.0f} MB"
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["detail"]
    return response


def reason(response: Any) -> str:
    return response.json()["type"].removeprefix("urn:prism:problem:")


# --- content type vs magic bytes ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "claimed"),
    [("PNG", "image/jpeg"), ("JPEG", "image/gif"), ("WEBP", "image/png"), ("GIF", "image/svg+xml")],
)
def test_magic_bytes_win_over_the_content_type(client: TestClient, fmt: str, claimed: str) -> None:
    response = send(client, f"{fmt} as {claimed}", small_image(fmt), claimed)
    assert response.status_code == 201
    assert response.json()["source"]["format"] == fmt


def test_magic_bytes_win_in_a_multipart_form(client: TestClient) -> None:
    form = {"file": ("photo.jpg", small_image("PNG"), "image/jpeg")}
    response = client.post("/images", files=form)
    assert response.status_code == 201
    assert response.json()["source"]["format"] == "PNG"


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY xxe SYSTEM "file:///etc/passwd">]><svg>&lol2;&xxe;</svg>'
)
DOCUMENTS = {
    "svg": (SVG, "image/svg+xml", "SVG"),
    "svg-billion-laughs-xxe": (XXE, "image/svg+xml", "SVG"),
    "xml": (b'<?xml version="1.0"?><note>hi</note>', "image/png", "XML"),
    "pdf": (b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "image/jpeg", "PDF"),
    "html": (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "image/png", "HTML"),
    "html-utf8-bom": (b"\xef\xbb\xbf<html><body>x</body></html>", "image/webp", "HTML"),
    "text": (b"just some text", "image/png", "unknown"),
    "elf": (b"\x7fELF\x02\x01\x01" + bytes(64), "image/jpeg", "ELF executable"),
    "zip": (b"PK\x03\x04" + bytes(60), "image/png", "ZIP"),
}


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_documents_posing_as_images_are_415_naming_what_they_are(
    client: TestClient, settings: Settings, name: str
) -> None:
    body, claimed, detected = DOCUMENTS[name]
    response = send(client, name, body, claimed)
    assert response.status_code == 415
    problem = response.json()
    assert reason(response) == "unsupported_format"
    assert problem["detected_format"] == detected
    # Never lost: the original is kept and the rejection is on record.
    storage = client.app.state.storage  # type: ignore[attr-defined]
    assert storage.get("uploads", f"uploads/{problem['image_id']}") == body
    assert storage.get("rejected", f"{problem['image_id']}.json") is not None


def test_non_image_content_type_is_415_before_reading(client: TestClient) -> None:
    response = send(client, "text/html content type", small_image(), "text/html")
    assert response.status_code == 415
    assert reason(response) == "unsupported_media_type"


@pytest.mark.parametrize("content_type", ["image/png", "image/jpeg"])
def test_zero_bytes_is_400(client: TestClient, content_type: str) -> None:
    response = send(client, f"zero bytes as {content_type}", b"", content_type)
    assert response.status_code == 400
    assert reason(response) == "empty_body"


def test_empty_file_in_a_form_is_400(client: TestClient) -> None:
    response = client.post("/images", files={"file": ("empty.png", b"", "image/png")})
    assert response.status_code == 400
    assert reason(response) == "empty_body"


# --- bombs -------------------------------------------------------------------------------------


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with_chunks(before_idat: list[bytes], after_idat: list[bytes] = ()) -> bytes:  # type: ignore[assignment]
    """A small valid PNG with extra chunks spliced in before and after the image data."""
    png = small_image("PNG")
    idat = png.index(b"IDAT") - 4
    iend = png.index(b"IEND") - 4
    return png[:idat] + b"".join(before_idat) + png[idat:iend] + b"".join(after_idat) + png[iend:]


@functools.cache
def _bomb(size: int) -> bytes:
    return zlib.compress(bytes(size), 9)


TEXT_BOMBS: dict[str, Callable[[], bytes]] = {
    # 64 MB of zeros in ~64 KB: Pillow must refuse to inflate it.
    "zTXt-before-IDAT": lambda: png_with_chunks(
        [chunk(b"zTXt", b"Comment\x00\x00" + _bomb(64 * MB))]
    ),
    "zTXt-after-IDAT": lambda: png_with_chunks(
        [], [chunk(b"zTXt", b"Comment\x00\x00" + _bomb(64 * MB))]
    ),
    "iTXt-compressed": lambda: png_with_chunks(
        [chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x01\x00\x00\x00" + _bomb(64 * MB))]
    ),
    "iCCP-bomb": lambda: png_with_chunks([chunk(b"iCCP", b"icc\x00\x00" + _bomb(64 * MB))]),
    # Many medium chunks: each under Pillow's per-chunk cap, 200 MB in total.
    "many-zTXt": lambda: png_with_chunks(
        [chunk(b"zTXt", b"k%d\x00\x00" % i + _bomb(1000 * 1000)) for i in range(200)]
    ),
}


@pytest.mark.parametrize("name", sorted(TEXT_BOMBS))
def test_png_text_chunk_bombs_are_not_inflated(client: TestClient, name: str) -> None:
    body = TEXT_BOMBS[name]()
    assert len(body) < 4_500_000
    response = send(client, f"png {name}", body, "image/png")
    assert response.status_code in (201, 413, 422), response.text
    if response.status_code != 201:
        assert reason(response) in ("corrupt", "too_large")


def apng_with_huge_later_frame() -> bytes:
    """A 2-frame APNG whose second frame control chunk declares 60000 x 60000 pixels."""
    first = Image.new("RGBA", (32, 32), (255, 0, 0, 255))
    second = Image.new("RGBA", (32, 32), (0, 0, 255, 255))
    buf = io.BytesIO()
    first.save(buf, "PNG", save_all=True, append_images=[second])
    data = bytearray(buf.getvalue())
    fctl = [i for i in range(len(data)) if data[i : i + 4] == b"fcTL"]
    at = fctl[1]
    body = bytearray(data[at + 4 : at + 4 + 26])
    body[4:12] = struct.pack(">II", 60000, 60000)
    data[at + 4 : at + 30] = body
    data[at + 30 : at + 34] = struct.pack(">I", zlib.crc32(b"fcTL" + bytes(body)))
    return bytes(data)


def gif_with_huge_later_frame() -> bytes:
    """A 64x64 GIF whose second frame's descriptor declares 65535 x 65535 pixels."""
    buf = io.BytesIO()
    Image.new("P", (64, 64), 1).save(buf, "GIF")
    data = buf.getvalue()
    at = data.index(b"\x2c\x00\x00\x00\x00\x40\x00\x40\x00")
    head, frame = data[:at], data[at:-1]
    huge = bytearray(frame)
    huge[5:9] = struct.pack("<HH", 65535, 65535)
    return head + frame + bytes(huge) * 3 + b";"


def webp_animation_with_huge_canvas() -> bytes:
    """An animated WebP whose VP8X canvas claims 16384 x 16384 (frames stay small)."""
    frames = [Image.new("RGB", (32, 32), c) for c in ((255, 0, 0), (0, 255, 0))]
    buf = io.BytesIO()
    frames[0].save(buf, "WEBP", save_all=True, append_images=frames[1:])
    data = bytearray(buf.getvalue())
    at = data.index(b"VP8X") + 8
    data[at + 4 : at + 7] = (16383).to_bytes(3, "little")
    data[at + 7 : at + 10] = (16383).to_bytes(3, "little")
    return bytes(data)


ANIMATIONS = {
    "apng": (apng_with_huge_later_frame, "image/png"),
    "gif": (gif_with_huge_later_frame, "image/gif"),
    "webp-canvas": (webp_animation_with_huge_canvas, "image/webp"),
}


@pytest.mark.parametrize("name", sorted(ANIMATIONS))
def test_animations_whose_later_frames_lie_about_size(client: TestClient, name: str) -> None:
    make, claimed = ANIMATIONS[name]
    response = send(client, f"animation {name}", make(), claimed)
    assert response.status_code in (201, 413, 422), response.text
    if response.status_code == 201:
        # Only the first frame is used: the variants are the first frame's size.
        assert all(v["width"] <= 64 for v in response.json()["variants"])


# --- truncated bodies --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF", "TIFF", "BMP"])
@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9])
def test_truncated_uploads_end_in_422_or_variants(
    client: TestClient, fmt: str, keep: float
) -> None:
    whole = small_image(fmt, (160, 120))
    body = whole[: max(1, int(len(whole) * keep))]
    response = send(client, f"{fmt} truncated to {keep:.0%}", body, "image/" + fmt.lower())
    assert response.status_code in (201, 415, 422), response.text
    if response.status_code != 201:
        assert reason(response) in ("corrupt", "unsupported_format")


# --- bodies that disagree with Content-Length (raw HTTP against a live server) -------------


def raw_request(base: str, head: str, body: bytes, *, read: bool = True) -> tuple[int, bytes]:
    """Send bytes exactly as given; return the first response's status and body."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.encode() + b"\r\n" + body)
        if not read:
            return 0, b""
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.read()


def test_body_longer_than_content_length(settings: Settings) -> None:
    """The server reads what was declared (a truncated image: 422); the excess is not an
    image upload and never reaches storage as one."""
    image = small_image("PNG", (200, 150))
    head = (
        "POST /images HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\n"
        f"Content-Length: {len(image) // 2}\r\n"
    )
    with serve_in_thread(create_app(settings)) as base:
        status, body = raw_request(base, head, image)
        assert status == 422, body[:300]
        assert b"urn:prism:problem:corrupt" in body
        assert httpx_get(base + "/healthz") == 200
    uploads = list((settings.data_dir / "uploads").rglob("*"))  # type: ignore[operator]
    stored = [p.read_bytes() for p in uploads if p.is_file()]
    assert stored == [image[: len(image) // 2]]  # the declared part only, on record as rejected


def test_body_shorter_than_content_length_then_hang_up(settings: Settings) -> None:
    """A client that promises more than it sends and disconnects: nothing is stored, no temp
    file is left, and the server keeps serving."""
    image = small_image("JPEG", (200, 150))
    head = (
        "POST /images HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\n"
        f"Content-Length: {len(image) * 3}\r\n"
    )
    with serve_in_thread(create_app(settings)) as base:
        raw_request(base, head, image, read=False)
        time.sleep(0.3)
        assert httpx_get(base + "/healthz") == 200
    data = settings.data_dir
    assert data is not None
    assert [p for p in data.rglob("*") if p.is_file()] == []


def test_declared_length_over_the_cap_is_413_unread(settings: Settings) -> None:
    head = (
        "POST /images HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/jpeg\r\n"
        f"Content-Length: {settings.max_request_bytes + 1}\r\nConnection: close\r\n"
    )
    with serve_in_thread(create_app(settings)) as base:
        status, body = raw_request(base, head, b"\xff\xd8\xff" + bytes(1000))
        assert status == 413
        assert b"request_too_large" in body


def test_chunked_body_over_the_cap_is_413(settings: Settings) -> None:
    """No Content-Length at all: the cap applies while streaming."""
    cap = settings.max_request_bytes
    piece = bytes(1024 * 1024)
    with serve_in_thread(create_app(settings)) as base:
        host, port = base.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        chunks = iter([b"\xff\xd8\xff" + piece] + [piece] * (cap // len(piece) + 2))
        conn.request(
            "POST",
            "/images",
            body=chunks,
            headers={"Content-Type": "image/jpeg"},
            encode_chunked=True,
        )
        response = conn.getresponse()
        assert response.status == 413
        assert b"request_too_large" in response.read()
        conn.close()


def httpx_get(url: str) -> int:
    import httpx

    return httpx.get(url, timeout=5).status_code


@at_session_end("hostile-input")
def _hostile_input_summary() -> dict[str, Any] | None:
    if not OUTCOMES:
        return None  # no trick ran in this session
    return {
        "cases": len(OUTCOMES),
        "statuses": {
            str(s): sum(o["status"] == s for o in OUTCOMES)
            for s in sorted({o["status"] for o in OUTCOMES})
        },
        "max_seconds": max(o["seconds"] for o in OUTCOMES),
        "max_rss_growth_mb": max(o["rss_growth_mb"] for o in OUTCOMES),
        "outcomes": OUTCOMES,
    }
