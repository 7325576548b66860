"""`prism process`: make variants of image files on disk, without any server or cloud."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from prism.core.errors import ImageRejected, InvalidSpec
from prism.core.limits import Limits
from prism.core.specs import DEFAULT_SPECS, VariantSpec, parse_specs
from prism.image.pipeline import VariantSet, make_variants

#: Extensions picked up when walking a folder; files named explicitly are always tried.
IMAGE_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".jfif", ".mpo", ".png", ".apng", ".webp", ".gif", ".tif"}
    | {".tiff", ".bmp", ".dib", ".avif", ".avifs", ".heic", ".heif", ".hif"}
)


@dataclass(frozen=True, slots=True)
class FileResult:
    path: Path
    seconds: float
    result: VariantSet | None = None
    error: str | None = None


def find_inputs(paths: Iterable[Path]) -> Iterator[Path]:
    """Files as given, and image files found recursively in folders, in a stable order."""
    for path in paths:
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in found.relative_to(path).parts)
                if found.is_file() and not hidden and found.suffix.lower() in IMAGE_EXTENSIONS:
                    yield found
        else:
            yield path


def output_dirs(inputs: list[Path], out: Path) -> list[Path]:
    """`out/<stem>` per input; a repeated stem gets its extension appended (a.jpg, a.png)."""
    seen: set[str] = set()
    dirs = []
    for path in inputs:
        name = path.stem
        if name in seen:
            name = f"{path.stem}-{path.suffix.lstrip('.').lower() or 'file'}"
        while name in seen:
            name += "_"
        seen.add(name)
        dirs.append(out / name)
    return dirs


def _process_one(
    path: Path, target: Path, specs: tuple[VariantSpec, ...], limits: Limits
) -> FileResult:
    start = time.perf_counter()
    try:
        data = path.read_bytes()
        result = make_variants(data, specs, limits)
    except ImageRejected as exc:
        return FileResult(path, time.perf_counter() - start, error=f"{exc.reason}: {exc.detail}")
    except OSError as exc:
        return FileResult(
            path, time.perf_counter() - start, error=f"unreadable: {exc.strerror or exc}"
        )
    target.mkdir(parents=True, exist_ok=True)
    for variant in result.variants:
        (target / f"{variant.name}.{variant.spec.extension}").write_bytes(variant.data)
    return FileResult(path, time.perf_counter() - start, result=result)


def _progress(done: int, total: int, name: str) -> None:
    if sys.stderr.isatty():
        width = 30
        filled = width * done // max(total, 1)
        bar = "#" * filled + "-" * (width - filled)
        print(f"\r[{bar}] {done}/{total} {name[:40]:<40}", end="", file=sys.stderr, flush=True)


def summary(outcomes: list[FileResult]) -> str:
    """The table printed at the end: one row per variant written, then totals."""
    rows = [("file", "variant", "format", "dimensions", "bytes", "time")]
    total_bytes = 0
    for outcome in outcomes:
        if outcome.result is None:
            continue
        for i, variant in enumerate(outcome.result.variants):
            total_bytes += len(variant.data)
            rows.append(
                (
                    outcome.path.name if i == 0 else "",
                    variant.name,
                    variant.spec.format,
                    f"{variant.width}x{variant.height}",
                    f"{len(variant.data):,}",
                    f"{outcome.seconds:.2f}s" if i == 0 else "",
                )
            )
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    ok = sum(1 for o in outcomes if o.result is not None)
    seconds = sum(o.seconds for o in outcomes)
    failed = len(outcomes) - ok
    lines.append(
        f"{ok} processed, {failed} failed, {total_bytes:,} bytes written in {seconds:.2f}s"
    )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        specs = (
            parse_specs(Path(args.variants).read_text(encoding="utf-8"))
            if args.variants
            else DEFAULT_SPECS
        )
    except (OSError, InvalidSpec) as exc:
        print(f"prism process: --variants {args.variants}: {exc}", file=sys.stderr)
        return 2
    if args.max_pixels is not None and args.max_pixels < 1:
        print("prism process: --max-pixels must be a positive number", file=sys.stderr)
        return 2
    limits = Limits(max_pixels=args.max_pixels) if args.max_pixels else Limits()

    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        print(f"prism process: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    inputs = list(find_inputs(Path(p) for p in args.paths))
    if not inputs:
        print("prism process: no image files found", file=sys.stderr)
        return 2
    out = Path(args.out)
    outcomes = []
    for n, (path, target) in enumerate(zip(inputs, output_dirs(inputs, out), strict=True)):
        _progress(n, len(inputs), path.name)
        outcome = _process_one(path, target, specs, limits)
        if outcome.error:
            if sys.stderr.isatty():
                print(file=sys.stderr)
            print(f"FAILED {path}: {outcome.error}", file=sys.stderr)
        outcomes.append(outcome)
    _progress(len(inputs), len(inputs), "done")
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(summary(outcomes))
    return 1 if any(o.error for o in outcomes) else 0
