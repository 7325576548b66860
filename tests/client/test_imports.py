"""The client stays light and apart: importing it loads no web framework, no Pillow and (until a
request is signed) no botocore; and the function image does not install httpx for it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = (
    "fastapi",
    "starlette",
    "uvicorn",
    "PIL",
    "pillow_heif",
    "simplejpeg",
    "boto3",
    "botocore",
    "prism.http",
    "prism.service",
    "prism.storage",
    "prism.image",
)
SCRIPT = """
import json, sys
import prism.client
from prism.client import Prism
prism = Prism("http://127.0.0.1:9", api_key="k")
prism.transform_url("0" * 32, width=10)
print(json.dumps(sorted(m for m in sys.argv[1:] if m in sys.modules)))
"""


def test_importing_the_client_loads_no_web_image_or_aws_library() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *HEAVY],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv is not on PATH")
def test_the_function_image_does_not_install_the_clients_httpx() -> None:
    """The image installs `uv export --frozen --no-default-groups` (Dockerfile.lambda): no
    extras, so not the `client` extra's httpx."""
    assert "--no-default-groups" in (ROOT / "Dockerfile.lambda").read_text()
    export = [
        "uv", "export", "--frozen", "--no-default-groups", "--no-emit-project",
        "--format", "requirements-txt", "--no-hashes",
    ]  # fmt: skip
    image = subprocess.run(export, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    with_client = subprocess.run(
        [*export, "--extra", "client"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    names = {line.split("==")[0] for line in image.splitlines() if "==" in line}
    assert "httpx" not in names
    assert "httpx==" in with_client  # the extra does bring it
