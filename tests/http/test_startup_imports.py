"""Start-up stays light: building the app (what a Lambda cold start does before /healthz)
imports no image library - Pillow, and simplejpeg with numpy, load with the first image."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("PIL", "pillow_heif", "simplejpeg", "numpy", "thash", "boto3")

SCRIPT = """
import json, sys
from prism.core.settings import load_settings
from prism.http.app import create_app
from fastapi.testclient import TestClient
app = create_app(load_settings({"PRISM_STORAGE": "local", "PRISM_DATA_DIR": sys.argv[1]}))
with TestClient(app) as client:
    assert client.get("/healthz").status_code == 200
print(json.dumps(sorted(m for m in sys.argv[2:] if m in sys.modules)))
"""


def test_building_the_app_and_answering_healthz_loads_no_image_library(tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path), *HEAVY],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
