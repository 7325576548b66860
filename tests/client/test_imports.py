"""The client stays light and apart: importing it loads no web framework, no Pillow and (until a
request is signed) no botocore; and the function image does not install httpx for it."""

from __future__ import annotations

import json
import re
import shlex
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


def _image_export(out: Path) -> list[str]:
    """The Dockerfile's own `uv export` command, writing to `out`."""
    text = (ROOT / "Dockerfile.lambda").read_text().replace("\\\n", " ")
    (run,) = [line for line in text.splitlines() if line.startswith("RUN uv export")]
    export = shlex.split(run[4:].split("&&")[0])
    return [*export[: export.index("--output-file")], "--output-file", str(out)]


@pytest.mark.skipif(shutil.which("uv") is None, reason="uv is not on PATH")
def test_the_function_image_does_not_install_the_clients_httpx(tmp_path: Path) -> None:
    """The image installs what the Dockerfile's `uv export` lists: no extras, so not the
    `client` extra's httpx (which the same export with `--extra client` would list)."""
    image, with_client = tmp_path / "image.txt", tmp_path / "client.txt"
    subprocess.run(_image_export(image), cwd=ROOT, capture_output=True, check=True)
    command = [*_image_export(with_client), "--extra", "client"]
    subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
    assert not re.search(r"^httpx==", image.read_text(), re.MULTILINE)
    assert re.search(r"^httpx==", with_client.read_text(), re.MULTILINE)
