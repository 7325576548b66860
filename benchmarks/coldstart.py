"""Cold start: import the app, build it and answer the first /healthz, in a fresh interpreter.

Measured twice per storage mode: timed runs without instrumentation (median), and one run
under `-X importtime` to name the heavy imports. 'Python time' here is the in-process clock
from before `import prism.app` to the first response, plus the bare interpreter start-up.
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

# Runs in the fresh interpreter. TestClient is imported after the app, so only the modules
# the app itself does not already pull in are charged to it (an upper bound for the app).
_PROBE = """
import inspect, json, time
t0 = time.perf_counter()
from prism.app import create_app
t1 = time.perf_counter()
if any(p.default is p.empty for p in inspect.signature(create_app).parameters.values()):
    from prism.settings import load_settings
    app = create_app(load_settings())
else:
    app = create_app()
t2 = time.perf_counter()
from fastapi.testclient import TestClient
client = TestClient(app)
response = client.get("/healthz")
t3 = time.perf_counter()
print(json.dumps({"import_ms": (t1 - t0) * 1e3, "create_ms": (t2 - t1) * 1e3,
                  "total_ms": (t3 - t0) * 1e3, "status": response.status_code}))
"""

# Offline stand-ins: nothing here may reach AWS; /healthz must not need it.
_MODES: dict[str, dict[str, str]] = {
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
}


@dataclass(frozen=True)
class ColdStart:
    mode: str
    total_ms: float | None  # interpreter start-up + import + create_app + first /healthz
    interpreter_ms: float
    import_ms: float | None
    create_ms: float | None
    status: int | None
    heaviest: tuple[tuple[str, float], ...]  # (module, cumulative ms) from -X importtime
    error: str | None = None


def _interpreter_ms(runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def _heaviest(stderr: str, top: int = 6) -> tuple[tuple[str, float], ...]:
    """Heaviest imports by cumulative time, from `-X importtime` output.

    Top-level imports, except that prism.app is replaced by its own direct imports (which is
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
            rows.extend(children if row[0] == "prism.app" else [row])
            children = []
    return tuple(sorted(rows, key=lambda row: -row[1])[:top])


def measure(mode: str, runs: int = 3) -> ColdStart:
    with tempfile.TemporaryDirectory(prefix="prism-coldstart-") as data_dir:
        env = {**os.environ, **_MODES[mode], "PRISM_DATA_DIR": data_dir}
        interpreter = _interpreter_ms(runs)
        samples = []
        for _ in range(runs):
            done = subprocess.run(
                [sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=120
            )
            if done.returncode != 0:
                reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
                return ColdStart(mode, None, interpreter, None, None, None, (), reason[:200])
            samples.append(json.loads(done.stdout.strip().splitlines()[-1]))
        traced = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", _PROBE],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def median(key: str) -> float:
        return statistics.median(sample[key] for sample in samples)

    return ColdStart(
        mode=mode,
        total_ms=median("total_ms") + interpreter,
        interpreter_ms=interpreter,
        import_ms=median("import_ms"),
        create_ms=median("create_ms"),
        status=samples[-1]["status"],
        heaviest=_heaviest(traced.stderr),
    )


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


def measure_all(runs: int = 3) -> list[ColdStart]:
    compile_bytecode()
    return [measure(mode, runs) for mode in _MODES]


if __name__ == "__main__":
    for result in measure_all():
        print(result)
