"""`prism serve` as a real process: upload through the local presigned flow, fetch variants."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image

from prism.cli.main import main
from prism.core.specs import DEFAULT_SPECS
from tests.images import image_bytes
from tests.servers import free_port, wait_until_up


def test_prism_serve_end_to_end(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRISM_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "prism.cli", "serve", "--port", str(port), "--data", str(tmp_path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_up(base, process)
        ticket = httpx.post(f"{base}/uploads").json()
        assert ticket["url"].startswith(base)
        photo = image_bytes(900, 600)
        upload = httpx.post(
            ticket["url"],
            data=ticket["fields"] | {"Content-Type": "image/jpeg"},
            files={"file": ("photo.jpg", photo, "image/jpeg")},
        )
        assert upload.status_code == 204, upload.text

        deadline = time.monotonic() + 30
        while (status := httpx.get(ticket["status_url"])).status_code == 202:
            assert time.monotonic() < deadline, "never processed"
            time.sleep(0.1)
        assert status.status_code == 200, status.text
        manifest = status.json()
        assert [v["name"] for v in manifest["variants"]] == [s.name for s in DEFAULT_SPECS]
        for variant, spec in zip(manifest["variants"], DEFAULT_SPECS, strict=True):
            got = httpx.get(variant["url"])
            assert got.status_code == 200
            with Image.open(io.BytesIO(got.content)) as image:
                image.load()
                assert image.size == (variant["width"], variant["height"])
            # The promised dimensions: bounded by the spec, aspect kept, never upscaled.
            bound_w, bound_h = spec.width or 900, spec.height or 600
            scale = min(bound_w / 900, bound_h / 600, 1.0)
            assert image.size == (round(900 * scale), round(600 * scale))
        # The data directory holds the three buckets.
        assert {p.name for p in tmp_path.iterdir()} >= {"uploads", "processed"}
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert "serving on" in out


def test_prism_serve_refuses_a_blank_signing_key_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before the server starts: a message naming the variable, exit 2, no traceback.
    monkeypatch.setenv("PRISM_TRANSFORM_SIGNING_KEYS", " , ")
    import uvicorn

    def started(*args: object, **kwargs: object) -> None:
        raise AssertionError("the server started with signing off")

    monkeypatch.setattr(uvicorn, "run", started)
    assert main(["serve", "--port", "0", "--data", str(tmp_path / "data")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("prism serve: PRISM_TRANSFORM_SIGNING_KEYS must list at least one key")
    assert "Traceback" not in err
