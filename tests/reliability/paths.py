"""Where the reliability tests find the repository, the shared corpus and their result files."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
#: Figures measured on this machine (git-ignored), read by report.py.
RESULTS = HERE / ".results"
PROBLEM = "application/problem+json"
MB = 1024 * 1024


def corpus_files(folder: str) -> list[Path]:
    root = CORPUS / folder
    if not root.is_dir():
        return []
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and p.name != "SOURCES.txt" and not p.name.startswith("LICENSE")
    )
