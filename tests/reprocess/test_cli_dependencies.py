"""The progress bar is a CLI-only dependency: the function's code paths never import it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROBE = """
import sys
from prism.app import create_app
from prism.settings import load_settings
from prism.service import batch, reprocess

create_app(load_settings({"PRISM_STORAGE": "local", "PRISM_DATA_DIR": sys.argv[1]}))
print(sorted(m for m in sys.modules if m.split(".")[0] in ("rich", "tqdm")))
"""


def test_the_app_and_the_batch_handler_do_not_import_rich(tmp_path: Path):
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert out.strip() == "[]"


def test_the_image_installs_runtime_dependencies_only():
    """The Dockerfile exports the lock without default groups, and `rich` is in a group."""
    root = Path(__file__).resolve().parents[2]
    dockerfile = (root / "Dockerfile.lambda").read_text()
    assert "--no-default-groups" in dockerfile
    pyproject = (root / "pyproject.toml").read_text()
    runtime = pyproject.split("dependencies = [", 1)[1].split("]", 1)[0]
    assert "rich" not in runtime
    assert '"rich>=' in pyproject.split("[dependency-groups]", 1)[1]
