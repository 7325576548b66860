"""Fixtures shared by every test area."""

from __future__ import annotations

from pathlib import Path

import pytest

#: ../shared beside the repo: real photos, hostile files and event samples. Optional.
SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent: corpus tests need ../shared beside the repo")
    return SHARED
