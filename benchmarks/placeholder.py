"""What the manifest's placeholder (ThumbHash + dominant colour) adds to an upload's job.

    uv run python benchmarks/placeholder.py [FOLDER_OR_FILE ...] [--runs N]

Default: ../shared/corpus/photos/camera. Each image runs in its own process: one untimed
warm-up job, then N rounds of the default variants with and without the placeholder,
interleaved. The placeholder step itself is timed inside the real job (the pipeline's
`placeholder` wrapped by a timer), so its share is measured directly instead of as the
difference of two noisy multi-second jobs (that difference is shown too). The one-time cost
of importing thash (and numpy, when no scaled JPEG decode loaded it yet) is measured in
fresh interpreters. Prints Markdown and writes it to benchmarks/results/placeholder.md.
Goal (issue 27): under 2% of the pipeline.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT = HERE.parent.parent / "shared" / "corpus" / "photos" / "camera"
RESULTS = HERE / "results"
SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".avif", ".tif", ".tiff"}
GOAL = 0.02


def child(path: Path, runs: int) -> None:
    """One image: prints {"mp", "with", "without", "step", "step_cpu"} (seconds, lists)."""
    import PIL.Image
    from pillow_heif import register_heif_opener

    from prism.image import pipeline

    PIL.Image.init()
    register_heif_opener()
    steps: list[tuple[float, float]] = []
    real = pipeline.placeholder

    def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return real(*args, **kwargs)
        finally:
            steps.append((time.perf_counter() - wall, time.thread_time() - cpu))

    pipeline.placeholder = timed  # type: ignore[assignment]
    data = path.read_bytes()
    made = pipeline.make_variants(data)  # warm-up: plugins, ICC cache, first imports
    steps.clear()
    with_, without = [], []
    for _ in range(runs):
        for flag, sink in ((True, with_), (False, without)):
            t0 = time.perf_counter()
            pipeline.make_variants(data, with_placeholder=flag)
            sink.append(time.perf_counter() - t0)
    source = made.source
    print(
        json.dumps(
            {
                "mp": source.width * source.height / 1e6,
                "with": with_,
                "without": without,
                "step": [s[0] for s in steps],
                "step_cpu": [s[1] for s in steps],
            }
        )
    )


def import_cost(preload: str, rounds: int = 5) -> float:
    """Median seconds to `import thash` in a fresh interpreter after `preload`."""
    code = (
        f"import time; import prism.image.pipeline; {preload}\n"
        "t = time.perf_counter(); import numpy, thash; print(time.perf_counter() - t)"
    )
    samples = [
        float(
            subprocess.run(
                [sys.executable, "-c", code], capture_output=True, check=True, text=True
            ).stdout
        )
        for _ in range(rounds)
    ]
    return statistics.median(samples)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[DEFAULT])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.runs)
        return 0
    images = sorted(
        p
        for path in args.paths
        for p in ([path] if path.is_file() else path.rglob("*"))
        if p.suffix.lower() in SUFFIXES
    )
    if not images:
        raise SystemExit(f"no images under {', '.join(map(str, args.paths))}")
    rows, total_step, total_job = [], 0.0, 0.0
    for image in images:
        print(f"{image.name} ...", file=sys.stderr, flush=True)
        run = subprocess.run(
            [sys.executable, __file__, "--child", str(image), "--runs", str(args.runs)],
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            rows.append(f"| {image.name} | n/a: {run.stderr.strip().splitlines()[-1][:80]} |")
            continue
        r = json.loads(run.stdout)
        job, bare = statistics.median(r["with"]), statistics.median(r["without"])
        step, cpu = statistics.median(r["step"]), statistics.median(r["step_cpu"])
        total_step, total_job = total_step + step, total_job + job
        rows.append(
            f"| {image.name} | {r['mp']:.1f} | {job:.3f} | {bare:.3f} | {1000 * step:.1f} | "
            f"{1000 * cpu:.1f} | {100 * step / job:.2f}% | {1000 * (job - bare):+.0f} |"
        )
    cold = import_cost("")
    warm = import_cost("import numpy")
    share = total_step / total_job if total_job else float("nan")
    verdict = "PASS" if share < GOAL else "FAIL"
    report = "\n".join(
        [
            f"# Placeholder cost, {time.strftime('%Y-%m-%d')}, medians of {args.runs} rounds",
            "",
            "| image | MP | job s (with) | job s (without) | step ms | step CPU ms | "
            "step / job | with - without ms |",
            "|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            f"- **{verdict}** under {100 * GOAL:.0f}% of the pipeline: the step is "
            f"{100 * share:.2f}% of the jobs' wall time ({1000 * total_step:.1f} ms of "
            f"{total_job:.2f} s over {len(images)} images).",
            f"- First use in a process: `import numpy, thash` {1000 * cold:.0f} ms when numpy "
            f"is not loaded yet (no scaled JPEG decode so far), {1000 * warm:.0f} ms when it is.",
        ]
    )
    print(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "placeholder.md").write_text(report + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
