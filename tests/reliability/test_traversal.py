"""Ids, variant names and upload keys that try to leave their image's own keys: `..`,
encoded slashes and dots, unicode lookalikes, NULs, overlong values, unknown variants.

Requests go over a real socket with the path bytes exactly as written (no client-side
normalisation) to a live server whose storage records every key it touches. Each ends as a
4xx; only keys of images the test created are ever read, nothing is written or deleted, and
no file outside the data directory changes.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import socket
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from prism.core.settings import Settings, load_settings
from prism.http.app import create_app
from prism.service.events import object_created_event
from prism.storage.base import Bucket, ObjectInfo
from prism.storage.local import LocalStorage, encode_key
from tests.images import small_image
from tests.reliability.paths import PROBLEM
from tests.reliability.results import at_session_end
from tests.servers import serve_in_thread

ADAPTER = {"content-type": "application/json", "x-amzn-request-context": "null"}
#: Every key Prism may touch for an image id.
OWN_KEY = re.compile(
    r"^(uploads/)?(?P<id>[0-9a-f]{32})(\.json|/manifest\.json|/[a-z0-9_-]+\.\w+)?$"
)


class RecordingStorage(LocalStorage):
    """Local storage that records every (operation, bucket, key) it is asked for."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.calls: list[tuple[str, str, str]] = []

    def put(self, bucket: Bucket, key: str, data: bytes, content_type: str) -> str:
        self.calls.append(("put", bucket, key))
        return super().put(bucket, key, data, content_type)

    def get(self, bucket: Bucket, key: str) -> bytes | None:
        self.calls.append(("get", bucket, key))
        return super().get(bucket, key)

    def head(self, bucket: Bucket, key: str) -> ObjectInfo | None:
        self.calls.append(("head", bucket, key))
        return super().head(bucket, key)

    def delete(self, bucket: Bucket, keys: Iterable[str]) -> None:
        keys = list(keys)
        self.calls.extend(("delete", bucket, k) for k in keys)
        super().delete(bucket, keys)

    def list_keys(self, bucket: Bucket, prefix: str) -> list[str]:
        self.calls.append(("list", bucket, prefix))
        return super().list_keys(bucket, prefix)


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A live server with one processed image, and a secret file beside the data folder."""
    (tmp_path / "secret.txt").write_text("do not touch")
    data = tmp_path / "data"
    settings = load_settings({"PRISM_STORAGE": "local", "PRISM_DATA_DIR": str(data)})
    storage = RecordingStorage(data)
    app = create_app(settings, storage=storage)
    with TestClient(app) as client:
        created = client.post(
            "/images", content=small_image(), headers={"content-type": "image/jpeg"}
        )
    assert created.status_code == 201
    with serve_in_thread(app) as base:
        storage.calls.clear()
        yield {
            "base": base,
            "storage": storage,
            "id": created.json()["id"],
            "root": tmp_path,
            "settings": settings,
        }


def raw(base: str, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
    """One request with the path's UTF-8 bytes exactly as given (no normalising client)."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        sock.sendall(head.encode("utf-8"))
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, dict(response.getheaders()), response.read()


def hostile_paths(image_id: str) -> dict[str, str]:
    lookalike = image_id[:-1] + "\u0430"  # Cyrillic a, looks like "a"
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in image_id)
    return {
        "dotdot": "/images/../../../etc/passwd",
        "dotdot-in-variant": f"/images/{image_id}/../../uploads/{image_id}",
        "encoded-dotdot": "/images/%2e%2e/%2e%2e/etc/passwd",
        "encoded-slash-id": "/images/..%2F..%2Fsecret.txt",
        "encoded-slash-variant": f"/images/{image_id}/..%2F..%2F..%2Fsecret.txt",
        "encoded-backslash": f"/images/{image_id}/..%5C..%5Csecret.txt",
        "double-encoded": f"/images/{image_id}/%252e%252e%252fmanifest",
        "variant-manifest-json": f"/images/{image_id}/manifest.json",
        "variant-manifest": f"/images/{image_id}/manifest",
        "variant-dot": f"/images/{image_id}/.",
        "variant-dotdot": f"/images/{image_id}/..",
        "variant-unknown": f"/images/{image_id}/nope",
        "variant-nul": f"/images/{image_id}/png%00.json",
        "id-nul": f"/images/{image_id}%00",
        "id-uppercase": f"/images/{image_id.upper()}",
        "id-cyrillic-lookalike": "/images/" + lookalike,
        "id-cyrillic-encoded": "/images/" + "".join(f"%{b:02X}" for b in lookalike.encode()),
        "id-fullwidth": "/images/" + "".join(f"%{b:02X}" for b in fullwidth.encode()),
        "id-unicode-two-dot-leader": "/images/%E2%80%A5/x",
        "id-overlong": "/images/" + "a" * 10_000,
        "id-33-hex": f"/images/{image_id}0",
        "variant-overlong": f"/images/{image_id}/" + "a" * 10_000,
        "variant-33-chars": f"/images/{image_id}/" + "a" * 33,
        "id-with-slash-prefix": f"/images//{image_id}",
        "absolute-url-path": f"http://evil.example/images/{image_id}/../../secret.txt",
    }


CASES = sorted(hostile_paths("0" * 32))
OUTCOMES: list[dict[str, Any]] = []


@pytest.mark.parametrize("method", ["GET", "DELETE"])
@pytest.mark.parametrize("case", CASES)
def test_hostile_ids_and_variants(world: dict[str, Any], case: str, method: str) -> None:
    image_id = world["id"]
    path = hostile_paths(image_id)[case]
    before = snapshot(world["root"])
    status, headers, body = raw(world["base"], method, path)
    OUTCOMES.append({"case": case, "method": method, "status": status})
    assert 400 <= status < 500, (status, body[:300])
    if status != 400 or headers.get("content-type", "").startswith(PROBLEM):
        # The app answered (uvicorn itself refuses only unparseable request lines, as text).
        assert headers["content-type"].startswith(PROBLEM), body[:300]
        assert json.loads(body)["detail"]
    # Only the real image's own keys were looked at, nothing written or deleted...
    storage: RecordingStorage = world["storage"]
    for operation, _, key in storage.calls:
        assert operation in ("get", "head"), storage.calls
        match = OWN_KEY.match(key)
        assert match, key
        assert match["id"] == image_id, key
    # ...and no file anywhere under the test's folder changed.
    assert snapshot(world["root"]) == before


def test_the_real_image_is_still_reachable(world: dict[str, Any]) -> None:
    """The control: the same server answers a well-formed path with the variant."""
    status, headers, body = raw(world["base"], "GET", f"/images/{world['id']}/thumb")
    assert status == 200
    assert headers["content-type"] == "image/jpeg"
    assert body[:3] == b"\xff\xd8\xff"


# --- upload keys in S3 events --------------------------------------------------------------


EVENT_KEYS = [
    "uploads/../../secret.txt",
    "uploads/../processed/x/manifest.json",
    "uploads/..%2F..%2Fsecret.txt",
    "uploads/%2e%2e/%2e%2e/secret.txt",
    "uploads/\u2025/\u2025/secret.txt",  # two-dot leaders
    "uploads/\uff0e\uff0e/\uff0e\uff0e/secret.txt",  # fullwidth full stops
    "uploads/./././x.jpg",
    "uploads//absolute/x.jpg",
    "uploads/.hidden",
    "uploads/" + "d/" * 100 + "deep.jpg",
    "uploads/" + "n" * 250,
    "uploads/0123456789abcdef0123456789abcdef",  # looks like an id: it is one
]


@pytest.mark.parametrize("key", EVENT_KEYS)
def test_event_keys_stay_inside_their_buckets(tmp_path: Path, key: str) -> None:
    (tmp_path / "secret.txt").write_text("do not touch")
    data = tmp_path / "data"
    settings: Settings = load_settings({"PRISM_STORAGE": "local", "PRISM_DATA_DIR": str(data)})
    storage = RecordingStorage(data)
    with TestClient(create_app(settings, storage=storage)) as client:
        etag = storage.put("uploads", key, small_image(), "image/jpeg")
        event = object_created_event("uploads", key, 1, etag)
        response = client.post("/events", json=event, headers=ADAPTER)
    assert response.status_code == 200, response.text
    (image_id,) = response.json()["processed"]
    rest = key.removeprefix("uploads/")
    expected = (
        rest
        if re.fullmatch("[0-9a-f]{32}", rest)
        else hashlib.sha256(key.encode()).hexdigest()[:32]
    )
    assert image_id == expected
    # Everything written is the image's own: variants and manifest under <id>/.
    for operation, bucket, written in storage.calls:
        if operation == "put" and bucket != "uploads":
            assert written.startswith(f"{image_id}/"), written
    assert (tmp_path / "secret.txt").read_text() == "do not touch"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "secret.txt"]
    top = {p.relative_to(data).parts[0] for p in data.rglob("*")}
    assert top <= {"uploads", "processed", "rejected"}
    assert storage.get("uploads", key) == small_image()


@given(st.text(min_size=1, max_size=80))
def test_any_key_maps_inside_its_bucket(key: str) -> None:
    """Local storage's key-to-path mapping never leaves the bucket folder, whatever the key."""
    root = Path("/srv/data/uploads")
    try:
        relative = encode_key(key)
    except Exception as exc:  # too long for a file name: refused, not mapped elsewhere
        assert "too long" in str(exc)
        return
    assert not relative.is_absolute()
    assert ".." not in relative.parts
    assert all(not part.startswith(".") for part in relative.parts)
    assert (root / relative).resolve().is_relative_to(root)


@at_session_end("traversal")
def _traversal_summary() -> dict[str, Any] | None:
    if not OUTCOMES:
        return None  # no traversal case ran in this session
    statuses: dict[str, int] = {}
    for outcome in OUTCOMES:
        statuses[str(outcome["status"])] = statuses.get(str(outcome["status"]), 0) + 1
    return {
        "requests": len(OUTCOMES),
        "statuses": statuses,
        "event_keys": len(EVENT_KEYS),
        "outcomes": OUTCOMES,
    }
