"""Cold transforms: Prism's transform service vs sharp doing the same resize+encode.

    uv run python benchmarks/transform.py [FOLDER ...] [--runs N]

Camera JPEGs of 8-22 MP from FOLDER (default ../shared/corpus/photos) to 400, 800 and 1600 px
wide as WebP, AVIF and JPEG, at the same quality for both (Prism's defaults: WebP 80, AVIF 60,
JPEG 85). Every job is a fresh process, Prism and sharp interleaved, that first makes the same
transform of another copy of the file untimed (a running function meeting a cache miss: what
a process loads on its first render is loaded), then times one; peak RSS (of the whole
process, from wait4()) counts both. Prism's cold time includes reading the original from
storage and storing the result; its cached time is the second request for the same URL.
Prints Markdown and writes it to benchmarks/results/transform.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
DEFAULT_FOLDER = HERE.parent.parent / "shared" / "corpus" / "photos"
RESULTS = HERE / "results" / "transform.md"
WIDTHS = (400, 800, 1600)
QUALITY = {"webp": 80, "avif": 60, "jpeg": 85}
MEGAPIXELS = (7.9, 22.0)  # "8 MP" phones are 7.99 (3264x2448)
TIMEOUT_S = 300


@dataclass
class Result:
    wall: list[float] = field(default_factory=list)
    bytes: list[int] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)
    cached: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def camera_jpegs(folders: list[Path]) -> list[Path]:
    found = []
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() not in (".jpg", ".jpeg"):
                continue
            with Image.open(path) as im:
                megapixels = im.width * im.height / 1e6
                if im.format == "JPEG" and MEGAPIXELS[0] <= megapixels <= MEGAPIXELS[1]:
                    found.append(path)
    return found


def measured(argv: list[str]) -> tuple[dict, int]:
    """One job: its JSON line and its own peak RSS (wait4 on its pid)."""
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL)
        deadline = time.perf_counter() + TIMEOUT_S
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                return {"error": "timed out"}, 0
            time.sleep(0.005)
        out.seek(0)
        lines = out.read().decode().strip().splitlines()
    if os.waitstatus_to_exitcode(status) != 0 or not lines:
        return {"error": f"exit {os.waitstatus_to_exitcode(status)}"}, 0
    return json.loads(lines[-1]), usage.ru_maxrss * 1024


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def run(
    images: list[Path], runs: int, formats: tuple[str, ...] = tuple(QUALITY)
) -> dict[tuple[str, str, int], Result]:
    results: dict[tuple[str, str, int], Result] = {}
    jobs = [(fmt, w) for fmt in formats for w in WIDTHS]
    total = len(images) * len(jobs) * runs
    done = 0
    for r in range(runs):
        for image in images:
            for fmt, width in jobs:
                q = str(QUALITY[fmt])
                commands = {
                    "prism": [
                        sys.executable,
                        str(HERE / "transform_job.py"),
                        str(image),
                        str(width),
                        fmt,
                        q,
                    ],
                    "sharp": [
                        "node",
                        str(HERE / "sharp_transform.mjs"),
                        str(image),
                        str(width),
                        fmt,
                        q,
                    ],
                }
                # Alternate who goes first, so neither always runs on a warmer machine.
                order = ["prism", "sharp"] if (r + done) % 2 == 0 else ["sharp", "prism"]
                for who in order:
                    out, rss = measured(commands[who])
                    cell = results.setdefault((who, fmt, width), Result())
                    if "error" in out:
                        cell.errors.append(f"{image.name}: {out['error']}")
                        continue
                    cell.wall.append(out["wall"])
                    cell.bytes.append(out["bytes"])
                    cell.rss.append(rss)
                    if "cached_wall" in out:
                        cell.cached.append(out["cached_wall"])
                done += 1
                log(f"[{done}/{total}] {image.name} {fmt} {width}")
    return results


def report(results: dict[tuple[str, str, int], Result], images: list[Path], runs: int) -> str:
    sharp_version = "?"
    meta = HERE / ".sharp" / "node_modules" / "sharp" / "package.json"
    if meta.exists():
        sharp_version = json.loads(meta.read_text())["version"]
    lines = [
        "# Cold transforms: Prism vs sharp",
        "",
        f"{len(images)} camera JPEGs ({', '.join(p.name for p in images)}), {runs} runs each,"
        f" one process per job; sharp {sharp_version}, {os.cpu_count()} CPUs (shared).",
        "Times in ms inside the job (after imports); ratios are Prism / sharp (< 1: Prism"
        " better). Bytes and RSS are medians.",
        "",
        "| format | width | Prism p50 | Prism p95 | sharp p50 | sharp p95 | time ratio (p50)"
        " | Prism KB | sharp KB | bytes ratio | Prism RSS MB | sharp RSS MB | RSS ratio"
        " | cached p50 |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    ratios: dict[str, list[float]] = {"time": [], "bytes": [], "rss": []}
    for fmt in QUALITY:
        for width in WIDTHS:
            p, s = results.get(("prism", fmt, width)), results.get(("sharp", fmt, width))
            if not p and not s:
                continue  # not measured this run (--formats)
            if not p or not s or not p.wall or not s.wall:
                lines.append(f"| {fmt} | {width} | n/a (errors: {(p or s).errors[:1]}) |")
                continue
            t = statistics.median(p.wall) / statistics.median(s.wall)
            b = statistics.median(p.bytes) / statistics.median(s.bytes)
            m = statistics.median(p.rss) / statistics.median(s.rss)
            ratios["time"].append(t)
            ratios["bytes"].append(b)
            ratios["rss"].append(m)
            median = statistics.median
            cells = [
                fmt,
                str(width),
                f"{median(p.wall) * 1000:.0f}",
                f"{percentile(p.wall, 95) * 1000:.0f}",
                f"{median(s.wall) * 1000:.0f}",
                f"{percentile(s.wall, 95) * 1000:.0f}",
                f"{t:.2f}",
                f"{median(p.bytes) / 1024:.1f}",
                f"{median(s.bytes) / 1024:.1f}",
                f"{b:.2f}",
                f"{median(p.rss) / 2**20:.0f}",
                f"{median(s.rss) / 2**20:.0f}",
                f"{m:.2f}",
                f"{median(p.cached) * 1000:.1f}",
            ]
            lines.append("| " + " | ".join(cells) + " |")
    errors = [e for cell in results.values() for e in cell.errors]
    lines += [
        "",
        "Geometric means of the ratios: "
        + ", ".join(
            f"{name} {statistics.geometric_mean(values):.2f}"
            for name, values in ratios.items()
            if values
        )
        + ".",
        f"Errors: {len(errors)}" + (f" (first: {errors[0]})" if errors else ""),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("folders", nargs="*", type=Path, help=f"default: {DEFAULT_FOLDER}")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--formats", default=",".join(QUALITY), help="comma-separated subset of webp,avif,jpeg"
    )
    args = parser.parse_args(argv)

    sys.path.insert(0, str(HERE))
    from run import ensure_sharp

    why = ensure_sharp()
    if why:
        raise SystemExit(f"sharp is needed for this comparison: {why}")
    images = camera_jpegs(args.folders or [DEFAULT_FOLDER])
    if not images:
        raise SystemExit("no 8-22 MP camera JPEGs found")
    formats = tuple(f for f in args.formats.split(",") if f)
    if unknown := set(formats) - set(QUALITY):
        raise SystemExit(f"unknown format(s): {', '.join(sorted(unknown))}")
    text = report(run(images, args.runs, formats), images, args.runs)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
