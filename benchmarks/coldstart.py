"""Cold start: import the app, build it and answer the first /healthz, in a fresh interpreter.

Each probe runs in its own interpreter and calls the ASGI app directly (no HTTP client is
imported, so nothing but the app is charged). Prism in both storage modes is interleaved,
run by run, with a floor: the smallest FastAPI app that answers /healthz, which is what the
framework alone costs on this machine. One more run per probe under `-X importtime` names
the heavy imports. 'Python time' = bare interpreter start-up + the in-process clock from the
first import to the first response.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

# Runs in the fresh interpreter: {build} must leave an ASGI app in `app`.
_PROBE = """
import json, time
t0 = time.perf_counter()
{imports}
t1 = time.perf_counter()
{build}
t2 = time.perf_counter()
import asyncio
sent = []
async def receive():
    return {{"type": "http.request", "body": b"", "more_body": False}}
async def send(message):
    sent.append(message)
scope = {{"type": "http", "asgi": {{"version": "3.0"}}, "http_version": "1.1", "method": "GET",
         "scheme": "http", "path": "/healthz", "raw_path": b"/healthz", "query_string": b"",
         "root_path": "", "headers": [(b"host", b"localhost")], "client": ("127.0.0.1", 1),
         "server": ("127.0.0.1", 8080)}}
asyncio.run(app(scope, receive, send))
t3 = time.perf_counter()
print(json.dumps({{"import_ms": (t1 - t0) * 1e3, "create_ms": (t2 - t1) * 1e3,
                  "total_ms": (t3 - t0) * 1e3, "status": sent[0]["status"]}}))
"""

_PRISM = {"imports": "from prism.http.app import create_app", "build": "app = create_app()"}
# The framework's floor: what any FastAPI app pays before doing anything of its own.
_FLOOR = {
    "imports": "from fastapi import FastAPI",
    "build": (
        "app = FastAPI()\n"
        "@app.get('/healthz')\n"
        "def healthz() -> dict[str, str]:\n"
        "    return {'status': 'ok'}"
    ),
}
FLOOR = "bare FastAPI"

# Offline stand-ins: nothing here may reach AWS; /healthz must not need it.
_ENV: dict[str, dict[str, str]] = {
    "s3": {
        "PRISM_STORAGE": "s3",
        "PRISM_UPLOADS_BUCKET": "bench-uploads",
        "PRISM_PROCESSED_BUCKET": "bench-processed",
        "PRISM_REJECTED_BUCKET": "bench-rejected",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
    },
    "local": {"PRISM_STORAGE": "local"},
    FLOOR: {},
}


@dataclass(frozen=True)
class ColdStart:
    mode: str  # "s3" or "local" storage, or FLOOR
    total_ms: float | None  # interpreter start-up + import + create + first /healthz (median)
    interpreter_ms: float
    import_ms: float | None
    create_ms: float | None
    status: int | None
    heaviest: tuple[tuple[str, float], ...]  # (module, cumulative ms) from -X importtime
    error: str | None = None
    best_ms: float | None = None  # the fastest run: the least disturbed by other load


def _interpreter_ms(runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def _heaviest(stderr: str, top: int = 6) -> tuple[tuple[str, float], ...]:
    """Heaviest imports by cumulative time, from `-X importtime` output.

    Top-level imports, except that prism.http.app is replaced by its own direct imports (which is
    where a slow cold start comes from). The output lists children before their parent.
    """
    rows: list[tuple[str, float]] = []
    children: list[tuple[str, float]] = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line[len("import time:") :].split("|")
        # Nested imports are indented by two spaces per level.
        level = (len(name) - len(name.lstrip()) - 1) // 2
        row = (name.strip(), int(cumulative) / 1e3)
        if level == 1:
            children.append(row)
        elif level == 0:
            rows.extend(children if row[0] == "prism.http.app" else [row])
            children = []
    return tuple(sorted(rows, key=lambda row: -row[1])[:top])


def _probe(mode: str) -> str:
    return _PROBE.format(**(_FLOOR if mode == FLOOR else _PRISM))


def _run(mode: str, env: dict[str, str], *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *flags, "-c", _probe(mode)],
        env={**env, **_ENV[mode]},
        capture_output=True,
        text=True,
        timeout=120,
    )


def measure_all(runs: int = 7) -> list[ColdStart]:
    """Prism (S3 and local storage) and the bare-FastAPI floor, interleaved run by run."""
    compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="prism-coldstart-") as data_dir:
        env = {**os.environ, "PRISM_DATA_DIR": data_dir}
        interpreter = _interpreter_ms(runs)
        samples: dict[str, list[dict]] = {mode: [] for mode in _ENV}
        errors: dict[str, str] = {}
        modes = list(_ENV)
        for run in range(runs):
            # Rotate the order, so no probe always runs right after the same neighbour.
            for mode in modes[run % len(modes) :] + modes[: run % len(modes)]:
                if mode in errors:
                    continue
                done = _run(mode, env)
                if done.returncode != 0:
                    errors[mode] = ((done.stderr.strip().splitlines() or ["no output"])[-1])[:200]
                    continue
                samples[mode].append(json.loads(done.stdout.strip().splitlines()[-1]))
        traced = {mode: _run(mode, env, "-X", "importtime").stderr for mode in _ENV}

    results = []
    for mode, got in samples.items():
        if mode in errors:
            results.append(ColdStart(mode, None, interpreter, None, None, None, (), errors[mode]))
            continue

        def median(key: str, got: list[dict] = got) -> float:
            return statistics.median(sample[key] for sample in got)

        results.append(
            ColdStart(
                mode=mode,
                total_ms=median("total_ms") + interpreter,
                interpreter_ms=interpreter,
                import_ms=median("import_ms"),
                create_ms=median("create_ms"),
                status=got[-1]["status"],
                heaviest=_heaviest(traced[mode]),
                best_ms=min(sample["total_ms"] for sample in got) + interpreter,
            )
        )
    return results


def compile_bytecode() -> None:
    """Write .pyc files for the environment and the app, as the Lambda image does
    (Dockerfile.lambda installs with --compile-bytecode and runs compileall on the app).
    Without them every fresh interpreter compiles FastAPI and pydantic from source, which is
    most of a cold start on a machine that sets PYTHONDONTWRITEBYTECODE, as this one does."""
    import sysconfig
    from pathlib import Path

    app = Path(__file__).resolve().parent.parent / "lambda"
    paths = [sysconfig.get_paths()["purelib"], str(app)]
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-j0", *paths], check=False)


if __name__ == "__main__":
    for result in measure_all():
        print(result)
