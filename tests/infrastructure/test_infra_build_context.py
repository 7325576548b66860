"""The build context zip: deterministic, sensitive to every shipped file, and nothing else."""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from infra_mocks import REPO_ROOT

from prism_infra.build_context import (
    SHIPPED_FILES,
    build_context,
    shipped_files,
    write_build_context,
)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the shipped part of the repository, plus the junk a real checkout has."""
    root = tmp_path / "repo"
    for name in SHIPPED_FILES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / name, root / name)
    shutil.copytree(
        REPO_ROOT / "lambda",
        root / "lambda",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"),
    )
    junk = [
        "tests/test_app.py",
        ".venv/lib/python3.12/site-packages/x.py",
        "lambda/prism/__pycache__/app.cpython-312.pyc",
        "lambda/prism/stale.pyc",
        "lambda/.pytest_cache/v/cache",
        "lambda/prism.egg-info/PKG-INFO",
        "infrastructure/__main__.py",
        "README.md",
        ".git/HEAD",
        "benchmarks/run.py",
    ]
    for name in junk:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("junk")
    return root


def _names(data: bytes) -> list[str]:
    return zipfile.ZipFile(io.BytesIO(data)).namelist()


def test_contains_exactly_the_shipped_files(tree: Path) -> None:
    names = _names(build_context(tree).data)
    expected = sorted(
        [*SHIPPED_FILES]
        + [
            p.relative_to(tree).as_posix()
            for p in (tree / "lambda").rglob("*")
            if p.is_file()
            and "__pycache__" not in p.parts
            and ".pytest_cache" not in p.parts
            and not p.name.endswith(".pyc")
            and "prism.egg-info" not in p.parts
        ]
    )
    assert names == expected
    assert "lambda/prism/core/settings.py" in names
    assert {"Dockerfile.lambda", "buildspec.yml", "pyproject.toml", "uv.lock"} <= set(names)
    for name in names:
        assert not name.startswith(("tests/", ".venv/", "infrastructure/", ".git/", "benchmarks/"))
        assert "__pycache__" not in name
        assert not name.endswith(".pyc")


def test_byte_identical_for_an_unchanged_tree(tree: Path) -> None:
    first = build_context(tree)
    # touching files (new mtimes, as a fresh checkout has) changes nothing
    for path in tree.rglob("*"):
        if path.is_file():
            os.utime(path, (1_000_000_000, 1_000_000_000))
    second = build_context(tree)
    assert first.data == second.data
    assert first.content_hash == second.content_hash
    assert first.key == f"build-context/{first.content_hash}.zip"


@pytest.mark.parametrize(
    "shipped", ["Dockerfile.lambda", "buildspec.yml", "uv.lock", "lambda/prism/core/settings.py"]
)
def test_any_shipped_change_changes_the_hash(tree: Path, shipped: str) -> None:
    before = build_context(tree)
    with (tree / shipped).open("a") as f:
        f.write("\n# changed\n")
    after = build_context(tree)
    assert after.content_hash != before.content_hash
    assert after.data != before.data


def test_new_shipped_file_changes_the_hash_but_junk_does_not(tree: Path) -> None:
    before = build_context(tree).content_hash
    (tree / "tests" / "test_more.py").write_text("more junk")
    (tree / "lambda" / "prism" / "__pycache__" / "more.pyc").write_text("junk")
    assert build_context(tree).content_hash == before
    (tree / "lambda" / "prism" / "new_module.py").write_text("X = 1\n")
    assert build_context(tree).content_hash != before


def test_renaming_a_file_changes_the_hash(tree: Path) -> None:
    before = build_context(tree).content_hash
    (tree / "lambda" / "prism" / "core" / "limits.py").rename(tree / "lambda/prism/core/limitz.py")
    assert build_context(tree).content_hash != before


def test_entries_have_fixed_times_and_modes(tree: Path) -> None:
    archive = zipfile.ZipFile(io.BytesIO(build_context(tree).data))
    for info in archive.infolist():
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.external_attr >> 16 == 0o100644


def test_missing_shipped_file_fails_clearly(tree: Path) -> None:
    (tree / "uv.lock").unlink()
    with pytest.raises(FileNotFoundError, match=r"uv\.lock is missing"):
        build_context(tree)


def test_written_once_under_its_hash(tree: Path, tmp_path: Path) -> None:
    context = build_context(tree)
    path = write_build_context(context, tmp_path / "out")
    assert path.name == f"{context.content_hash}.zip"
    assert path.read_bytes() == context.data
    assert write_build_context(context, tmp_path / "out") == path


def test_real_repository_context_ships_the_app() -> None:
    names = [name for name, _ in shipped_files(REPO_ROOT)]
    assert "lambda/prism/core/settings.py" in names
    assert all(name.startswith("lambda/") or name in SHIPPED_FILES for name in names)
