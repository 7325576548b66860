"""Prism vs naive Pillow vs sharp (vs pyvips): the default variants, one image per process.

    uv run python benchmarks/run.py [FOLDER ...] [--runs N]

Every (image, contender) job runs in a fresh process, interleaved across contenders and runs.
Wall and CPU time are taken inside the job (after imports); peak RSS is the child's maxrss from
wait4(). Prints Markdown tables and writes them to benchmarks/results/latest.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import coldstart
import quality
import report
from report import Sample

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_FOLDER = REPO.parent / "shared" / "corpus" / "photos"
RESULTS = HERE / "results"
SHARP_DIR = HERE / ".sharp"  # gitignored: the benchmark installs sharp here itself
SHARP_VERSION = "^0.35"
PYVIPS_VENV = SHARP_DIR / "pyvips-venv"  # optional, same ignored folder
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".tif", ".tiff", ".bmp", ".avif"}
IMAGE_SUFFIXES |= {".heic", ".heif"}
JOB_TIMEOUT_S = 300
SSIM_VARIANTS = ("jpeg85", "jpeg60", "thumb")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def find_images(folders: list[Path]) -> list[Path]:
    images = []
    for folder in folders:
        if folder.is_file():
            images.append(folder)
        elif folder.is_dir():
            images.extend(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            raise SystemExit(f"no such file or folder: {folder}")
    return sorted(images)


def describe(path: Path) -> report.ImageInfo:
    """Format and upright size from the header (Pillow + pillow-heif), for classes and RSS."""
    from PIL import Image
    from pillow_heif import register_heif_opener

    register_heif_opener()
    try:
        with Image.open(path) as image:
            width, height = image.size
            if image.getexif().get(0x0112) in (5, 6, 7, 8):
                width, height = height, width
            fmt = image.format or "?"
    except Exception as exc:
        log(f"  cannot read {path.name}: {exc}")
        width = height = 0
        fmt = "unreadable"
    return report.ImageInfo(path=str(path), name=path.name, format=fmt, width=width, height=height)


# --- contenders: each gives the command line of one job -------------------------------------


def python_job(contender: str, python: str = sys.executable):
    def command(image: Path, out_dir: Path) -> list[str]:
        return [python, str(HERE / "job.py"), contender, str(image), str(out_dir)]

    return command


def sharp_job(image: Path, out_dir: Path) -> list[str]:
    return ["node", str(HERE / "sharp_job.mjs"), str(image), str(out_dir)]


def ensure_sharp() -> str | None:
    """Install sharp from npm into benchmarks/.sharp; returns why not, or None when ready."""
    if (SHARP_DIR / "node_modules" / "sharp" / "package.json").exists():
        return None
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node/npm not found"
    log(f"installing sharp@{SHARP_VERSION} into {SHARP_DIR} ...")
    done = subprocess.run(
        [
            *("npm", "install", "--prefix", str(SHARP_DIR), f"sharp@{SHARP_VERSION}"),
            *("--no-audit", "--no-fund", "--loglevel=error"),
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return f"npm install failed: {done.stderr.strip()[-200:]}"
    return None


def sharp_version() -> str:
    try:
        meta = json.loads((SHARP_DIR / "node_modules" / "sharp" / "package.json").read_text())
        return str(meta["version"])
    except (OSError, ValueError, KeyError):
        return "?"


def pyvips_python() -> str | None:
    """A Python that imports pyvips: the project's, or a venv in the ignored .sharp/ folder.

    Kept out of the project's lock on purpose: pyvips is only a yardstick, like sharp.
    """
    for python in (sys.executable, str(PYVIPS_VENV / "bin" / "python")):
        if Path(python).exists() and _imports(python, "pyvips"):
            return python
    if shutil.which("uv") is None:
        return None
    log(f"installing pyvips[binary] into {PYVIPS_VENV} ...")
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    subprocess.run(["uv", "venv", "--quiet", str(PYVIPS_VENV)], check=False, env=env)
    subprocess.run(
        [
            *("uv", "pip", "install", "--quiet"),
            *("--python", str(PYVIPS_VENV / "bin" / "python"), "pyvips[binary]"),
        ],
        check=False,
        env=env,
    )
    python = str(PYVIPS_VENV / "bin" / "python")
    return python if Path(python).exists() and _imports(python, "pyvips") else None


def _imports(python: str, module: str) -> bool:
    return subprocess.run([python, "-c", f"import {module}"], capture_output=True).returncode == 0


# --- one job ---------------------------------------------------------------------------------


def _sample(
    stdout: bytes,
    stderr: bytes,
    returncode: int,
    contender: str,
    image: Path,
    run: int,
    proc_wall: float,
) -> Sample:
    lines = stdout.decode(errors="replace").strip().splitlines()
    if returncode != 0 or not lines:
        errors = stderr.decode(errors="replace").strip().splitlines() or ["no output"]
        # Node prints its version last; the line naming the error is more useful.
        reason = next((line for line in errors if "Error" in line), errors[-1]).strip()
        return Sample(contender, str(image), run, error=f"exit {returncode}: {reason[:200]}")
    result = json.loads(lines[-1])
    if "error" in result:
        return Sample(contender, str(image), run, error=result["error"])
    return Sample(
        contender=contender,
        image=str(image),
        run=run,
        job_wall=result["job_wall"],
        job_cpu=result["job_cpu"],
        proc_wall=proc_wall,
        rss_after_imports=result["rss_after_imports"],
        variants={
            v["name"]: [v["bytes"], v["width"], v["height"], v["file"]] for v in result["variants"]
        },
    )


def run_measured(
    argv: list[str],
    contender: str,
    image: Path,
    run: int,
    out_dir: Path,
    env: dict[str, str] | None = None,
) -> Sample:
    """One job in a fresh process: its JSON result plus the child's CPU time and peak RSS.

    RUSAGE_CHILDREN's maxrss is the max over every child reaped so far, so it cannot give one
    job's peak; wait4() on the pid returns that child's own rusage.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
        deadline = t0 + JOB_TIMEOUT_S
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                proc.returncode = -9
                return Sample(contender, str(image), run, error=f"timed out after {JOB_TIMEOUT_S}s")
            time.sleep(0.005)
        proc_wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        sample = _sample(out.read(), err.read(), proc.returncode, contender, image, run, proc_wall)
    sample.proc_cpu = usage.ru_utime + usage.ru_stime
    sample.peak_rss = usage.ru_maxrss * 1024  # Linux reports KiB
    return sample


# --- the whole run ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("folders", nargs="*", type=Path, help=f"default: {DEFAULT_FOLDER}")
    parser.add_argument("--runs", type=int, default=3, help="runs per (image, contender)")
    parser.add_argument(
        "--contenders", default="prism,naive,sharp,pyvips", help="comma-separated subset"
    )
    parser.add_argument("--no-ssim", action="store_true", help="skip the quality comparison")
    parser.add_argument("--no-coldstart", action="store_true", help="skip the cold-start probe")
    parser.add_argument(
        "--lambda-memory-mb",
        type=int,
        default=None,
        help="for the cost estimate (default: the stack's memorySize default)",
    )
    args = parser.parse_args(argv)

    folders = args.folders or [DEFAULT_FOLDER]
    images = find_images(folders)
    if not images:
        raise SystemExit(f"no images under {', '.join(map(str, folders))}")
    wanted = [c.strip() for c in args.contenders.split(",") if c.strip()]

    commands, skipped = {}, {}
    for name in wanted:
        if name in ("prism", "naive"):
            commands[name] = python_job(name)
        elif name == "sharp":
            why = ensure_sharp()
            if why:
                skipped[name] = why
            else:
                commands[name] = sharp_job
        elif name == "pyvips":
            python = pyvips_python()
            if python:
                commands[name] = python_job("pyvips", python)
            else:
                skipped[name] = "pyvips[binary] could not be installed into .sharp/"
        else:
            raise SystemExit(f"unknown contender {name!r}")
    for name, why in skipped.items():
        log(f"skipping {name}: {why}")
    contenders = list(commands)

    infos = [describe(path) for path in images]
    started = time.strftime("%Y-%m-%d %H:%M %Z")
    code_before = prism_code_state()
    load_before = os.getloadavg()
    samples: list[Sample] = []
    with tempfile.TemporaryDirectory(prefix="prism-bench-") as scratch:
        scratch_dir = Path(scratch)
        # Prism's jobs import a snapshot of lambda/ taken now, so edits landing in the shared
        # work tree during a long run cannot mix versions into one table.
        snapshot = scratch_dir / "code"
        shutil.copytree(
            REPO / "lambda", snapshot, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
        job_env = {**os.environ, "PYTHONPATH": str(snapshot)}
        total = args.runs * len(images) * len(contenders)
        done = 0
        for run in range(args.runs):
            for index, image in enumerate(images):
                # Rotate the order so no contender always runs first (cache, thermal, neighbours).
                shift = (run + index) % len(contenders)
                for contender in contenders[shift:] + contenders[:shift]:
                    out_dir = scratch_dir / f"run{run}" / contender / str(index)
                    argv_ = commands[contender](image, out_dir)
                    sample = run_measured(argv_, contender, image, run, out_dir, job_env)
                    samples.append(sample)
                    done += 1
                    status = (
                        sample.error or f"{sample.job_wall:.2f}s {sample.peak_rss / 2**20:.0f}MB"
                    )
                    log(f"[{done}/{total}] run {run + 1} {contender:6} {image.name}: {status}")
                    if run > 0:
                        shutil.rmtree(out_dir, ignore_errors=True)  # only run 1's files are kept

        scores: dict[tuple[str, str], dict[str, float]] = {}
        if not args.no_ssim:
            log("computing SSIM against the reference ...")
            scores = score_quality(images, samples)

    cold = [] if args.no_coldstart else coldstart.measure_all()
    load_after = os.getloadavg()
    code_after = prism_code_state()
    code = f"{code_before[0]} (jobs ran a snapshot of lambda/ taken at the start)"
    if code_after[1] != code_before[1]:
        code += (
            f"; lambda/ changed during the run (now {code_after[0]}), cold start used the new code"
        )
    context = report.Context(
        date=started,
        machine=machine_description(),
        code=code,
        load=f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after",
        runs=args.runs,
        contenders=contenders,
        skipped=skipped,
        sharp_version=sharp_version() if "sharp" in contenders else None,
        lambda_memory_mb=args.lambda_memory_mb or stack_memory_mb(),
    )
    markdown = report.render(context, infos, samples, scores, cold)
    print(markdown)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.md").write_text(markdown)
    (RESULTS / "latest.json").write_text(
        json.dumps({"samples": [asdict(s) for s in samples], "images": [asdict(i) for i in infos]})
    )
    log(f"written {RESULTS / 'latest.md'}")
    return 0


def score_quality(
    images: list[Path], samples: list[Sample]
) -> dict[tuple[str, str], dict[str, float]]:
    """SSIM of run 1's variants against the reference, per (image, contender)."""
    scores: dict[tuple[str, str], dict[str, float]] = {}
    for image in images:
        firsts = [s for s in samples if s.image == str(image) and s.run == 0 and not s.error]
        if not firsts:
            continue
        try:
            ref = quality.reference(image)
        except Exception as exc:
            log(f"  no reference for {image.name}: {exc}")
            continue
        ref_luma = quality.luma(ref)
        for sample in firsts:
            per_variant = {}
            for name in SSIM_VARIANTS:
                if name in sample.variants:
                    try:
                        per_variant[name] = quality.variant_ssim(
                            ref, Path(sample.variants[name][3]), ref_luma
                        )
                    except (OSError, ValueError) as exc:
                        log(f"  SSIM failed for {sample.contender} {image.name} {name}: {exc}")
            scores[(str(image), sample.contender)] = per_variant
        ref.close()
    return scores


def stack_memory_mb() -> int:
    """The stack's default Lambda memory size (prism_infra/config.py), for the cost estimate."""
    try:
        from prism_infra.config import StackSettings

        return StackSettings().memory_mb
    except Exception:  # the infra package or pulumi missing: fall back to the last known value
        return 3538


def prism_code_state() -> tuple[str, str]:
    """(label, fingerprint) of Prism's code: the commit, and a hash of lambda/ as it is on disk.

    The fingerprint changes only when lambda/ does (committed or not), not when others commit.
    """

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout

    try:
        head = git("rev-parse", "--short", "HEAD").strip()
        tree = git("rev-parse", "HEAD:lambda").strip()
        diff = git("diff", "HEAD", "--", "lambda") + git(
            "ls-files", "--others", "--exclude-standard", "--", "lambda"
        )
    except OSError:
        return "unknown commit", ""
    fingerprint = hashlib.sha256(f"{tree}\n{diff}".encode()).hexdigest()[:12]
    dirty = " + uncommitted changes in lambda/" if diff.strip() else ""
    return f"commit {head}{dirty}", fingerprint


def machine_description() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import platform

    from PIL import __version__ as pillow_version

    return (
        f"{os.cpu_count()} cores ({cpu}, {platform.machine()}), "
        f"Python {platform.python_version()}, Pillow {pillow_version}"
    )


if __name__ == "__main__":
    sys.exit(main())
