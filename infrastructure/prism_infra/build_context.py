"""The image's build context: a deterministic zip of exactly what Dockerfile.lambda needs.

Same tree in, same bytes out (sorted entries, fixed timestamps and modes), so the content hash
only moves when a shipped file does, and an unchanged tree changes nothing on the next `up`.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

#: Project root: infrastructure/prism_infra/build_context.py -> ../../
PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: Shipped single files and directories, relative to the project root.
SHIPPED_FILES = ("Dockerfile.lambda", "buildspec.yml", "pyproject.toml", "uv.lock")
SHIPPED_DIRS = ("lambda",)
_SKIP_DIRS = {"__pycache__", "node_modules"}
_SKIP_SUFFIXES = {".pyc", ".pyo", ".so", ".egg-info"}
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # earliest time a zip entry can carry


@dataclass(frozen=True, slots=True)
class BuildContext:
    data: bytes
    #: sha256 of the file list and contents (independent of how zlib compresses them).
    content_hash: str

    @property
    def key(self) -> str:
        return f"build-context/{self.content_hash}.zip"


def _shipped(path: Path) -> bool:
    parts = path.parts
    if any(p in _SKIP_DIRS or p.startswith(".") or p.endswith(".egg-info") for p in parts):
        return False
    return path.suffix not in _SKIP_SUFFIXES


def shipped_files(root: Path = PROJECT_ROOT) -> Iterator[tuple[str, Path]]:
    """(archive name, path) for every shipped file, sorted by archive name."""
    found: dict[str, Path] = {}
    for name in SHIPPED_FILES:
        path = root / name
        if not path.is_file():
            raise FileNotFoundError(f"build context: {path} is missing")
        found[name] = path
    for directory in SHIPPED_DIRS:
        for path in (root / directory).rglob("*"):
            relative = path.relative_to(root)
            if path.is_file() and _shipped(relative):
                found[relative.as_posix()] = path
    for name in sorted(found):
        yield name, found[name]


def build_context(root: Path = PROJECT_ROOT) -> BuildContext:
    digest = hashlib.sha256(b"prism-build-context-v1\0")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, path in shipped_files(root):
            content = path.read_bytes()
            digest.update(name.encode() + b"\0" + len(content).to_bytes(8, "big") + content)
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.external_attr = 0o100644 << 16  # regular file, rw-r--r--
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content, compresslevel=9)
    return BuildContext(data=buffer.getvalue(), content_hash=digest.hexdigest())


def write_build_context(context: BuildContext, directory: Path) -> Path:
    """Write the zip once under its hash (Pulumi uploads it from a file); returns the path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{context.content_hash}.zip"
    if not path.exists() or path.read_bytes() != context.data:
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(context.data)
        tmp.replace(path)
    return path
