"""A worker killed part-way through a job (SIGKILL: no cleanup, no finally) leaves no manifest
pointing at missing or different variants, keeps the original, and re-running the event
completes the job.

Two ways: a worker process that kills itself at exact points (between variants, in the
middle of a write, after the manifest); and a real `prism serve` killed while it processes a
large image sent to POST /images.
"""

from __future__ import annotations

import contextlib
import io
import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from prism.core.settings import load_settings
from prism.core.specs import DEFAULT_SPECS
from prism.http.app import create_app
from prism.service.events import object_created_event
from prism.storage.local import LocalStorage
from tests.images import photo_like, small_image
from tests.reliability.paths import REPO
from tests.reliability.results import at_session_end
from tests.servers import prism_serve

KEY = "uploads/photo.jpg"
WORKER = [sys.executable, "-m", "tests.reliability.crash_worker"]
VARIANTS = len(DEFAULT_SPECS)
RESULTS: list[dict[str, Any]] = []


def consistent(storage: LocalStorage) -> list[str]:
    """Every manifest's variants exist with the bytes and size it states; problems, if any."""
    problems = []
    for key in storage.list_keys("processed", ""):
        if not key.endswith("/manifest.json"):
            continue
        manifest = json.loads(storage.get("processed", key) or b"{}")
        for variant in manifest["variants"]:
            data = storage.get("processed", variant["key"])
            if data is None:
                problems.append(f"{key} points at missing {variant['key']}")
                continue
            with Image.open(io.BytesIO(data)) as im:
                size = im.size
            if len(data) != variant["bytes"] or size != (variant["width"], variant["height"]):
                problems.append(f"{key} describes {variant['key']} wrongly")
    return problems


def rerun(data: Path, key: str = KEY) -> dict[str, Any]:
    """Deliver the same event again, as Lambda's retry would."""
    settings = load_settings({"PRISM_STORAGE": "local", "PRISM_DATA_DIR": str(data)})
    with TestClient(create_app(settings)) as client:
        storage = client.app.state.storage  # type: ignore[attr-defined]
        info = storage.head("uploads", key)
        event = object_created_event("uploads", key, info.size, info.etag)
        response = client.post("/events", json=event)
    assert response.status_code == 200, response.text
    return response.json()


def crash(data: Path, when: str, at: int) -> None:
    worker = subprocess.run(
        [*WORKER, str(data), KEY, when, str(at)], cwd=REPO, capture_output=True, timeout=120
    )
    assert worker.returncode == -signal.SIGKILL, worker.stderr[-1000:]


def temp_files(data: Path) -> list[Path]:
    return [p for p in data.rglob(".tmp-*")]


KILL_POINTS = [
    ("after", 1),  # first variant stored
    ("after", VARIANTS - 1),
    ("after", VARIANTS),  # every variant stored, manifest not yet
    ("during", VARIANTS + 1),  # in the middle of writing the manifest
    ("after", VARIANTS + 1),  # manifest stored, clean-up not done
]


@pytest.mark.parametrize(("when", "at"), KILL_POINTS, ids=[f"{w}-{n}" for w, n in KILL_POINTS])
def test_killed_between_variants_then_rerun(tmp_path: Path, when: str, at: int) -> None:
    data = tmp_path / "data"
    storage = LocalStorage(data)
    original = small_image(size=(400, 300))
    storage.put("uploads", KEY, original, "image/jpeg")
    crash(data, when, at)

    assert consistent(storage) == []
    manifests = [k for k in storage.list_keys("processed", "") if k.endswith("manifest.json")]
    assert bool(manifests) == (when == "after" and at > VARIANTS)
    assert storage.get("uploads", KEY) == original
    leftovers = len(temp_files(data))

    result = rerun(data)
    (image_id,) = result["processed"]
    assert consistent(storage) == []
    manifest = json.loads(storage.get("processed", f"{image_id}/manifest.json") or b"{}")
    expected = {f"{image_id}/manifest.json"} | {v["key"] for v in manifest["variants"]}
    assert set(storage.list_keys("processed", "")) == expected
    RESULTS.append(
        {"kill": f"{when} processed write {at}", "manifest_after_kill": bool(manifests)}
        | {"temp_files_left": leftovers, "rerun": "processed"}
    )


@pytest.mark.parametrize("at", [1, VARIANTS])
def test_killed_while_reprocessing_a_replaced_upload(tmp_path: Path, at: int) -> None:
    """The key is re-uploaded with a different image after it was processed; the worker dies
    while overwriting the old variants. The old manifest must not describe the new files."""
    data = tmp_path / "data"
    storage = LocalStorage(data)
    storage.put("uploads", KEY, small_image(size=(120, 80)), "image/jpeg")
    rerun(data)
    storage.put("uploads", KEY, small_image(size=(400, 300), seed=5), "image/jpeg")
    crash(data, "after", at)

    assert consistent(storage) == []
    (image_id,) = rerun(data)["processed"]
    manifest = json.loads(storage.get("processed", f"{image_id}/manifest.json") or b"{}")
    assert manifest["source"]["width"] == 400
    assert consistent(storage) == []
    RESULTS.append({"kill": f"re-processing, after processed write {at}", "rerun": "processed"})


def test_prism_serve_killed_mid_job(tmp_path: Path) -> None:
    """SIGKILL a real `prism serve` while it processes a large image from POST /images."""
    data = tmp_path / "data"
    big = photo_like(4900, 3300, quality=80)
    assert len(big) < 4_500_000
    with prism_serve(data) as (base, process):
        sender = threading.Thread(target=lambda: _post_ignoring_errors(base, big), daemon=True)
        sender.start()
        deadline = time.monotonic() + 60
        while not list((data / "uploads").glob("**/*[!.]*")):
            assert time.monotonic() < deadline, "the original never arrived"
            time.sleep(0.01)
        time.sleep(0.3)  # into decoding / encoding
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        sender.join(10)

    storage = LocalStorage(data)
    (key,) = storage.list_keys("uploads", "")
    assert storage.get("uploads", key) == big
    manifests = [k for k in storage.list_keys("processed", "") if k.endswith("manifest.json")]
    assert manifests == [], "killed too late to show anything: the job had finished"
    assert consistent(storage) == []

    with prism_serve(data) as (base, _):
        event = object_created_event("uploads", key, len(big), storage.head("uploads", key).etag)
        response = httpx.post(f"{base}/events", json=event, timeout=120)
        assert response.status_code == 200, response.text
        (image_id,) = response.json()["processed"]
        manifest = httpx.get(f"{base}/images/{image_id}").json()
        assert manifest["source"]["width"] == 4900
        for variant in manifest["variants"]:
            assert httpx.get(variant["url"]).status_code == 200
    assert consistent(storage) == []
    RESULTS.append({"kill": "prism serve SIGKILL mid-job (16 MP)", "rerun": "processed"})


def _post_ignoring_errors(base: str, body: bytes) -> None:
    with contextlib.suppress(httpx.TransportError):  # the server dies under it, as intended
        httpx.post(
            f"{base}/images", content=body, headers={"content-type": "image/jpeg"}, timeout=120
        )


@at_session_end("crash")
def _crash_summary() -> dict[str, Any] | None:
    if not RESULTS:
        return None  # no crash test ran in this session
    return {"cases": RESULTS}
