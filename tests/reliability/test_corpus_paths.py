"""Every corpus file through POST /images and through the S3-event path (moto S3).

Each ends as 201 with variants that decode at the manifest's sizes, or as a 4xx
problem+json / rejection record with a specific reason and the original kept; never a 5xx,
a hang or a dead worker. The files run in a worker process (corpus_worker.py) that records
each case's time and peak RSS; if it dies, the run resumes after the case that killed it.
Skipped when ../shared is absent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from prism.core.specs import DEFAULT_SPECS
from tests.reliability.aws import AWS_ENV, bucket_env, make_buckets
from tests.reliability.paths import CORPUS, MB, REPO, corpus_files
from tests.reliability.procstats import default_lambda_memory_mb
from tests.reliability.results import write_result

FILES = corpus_files("edge") + corpus_files("photos")
#: A case taking longer than this fails (the worker itself gives up on a case at 60 s).
CASE_SECONDS = 45
WORKER = [sys.executable, "-m", "tests.reliability.corpus_worker"]
#: The stack's default Lambda memory, less 25% headroom.
MEMORY_BUDGET = int(default_lambda_memory_mb() * MB * 0.75)
#: Photos in the default run; the rest (megapixel photos take seconds each, twice) are `slow`.
DEFAULT_PHOTOS = 4


def _pixels(path: Path) -> float:
    try:
        with Image.open(path) as im:
            return im.width * im.height
    except Exception:
        return float("inf")  # e.g. HEIC, which plain Pillow cannot size: not a quick one


def _cases() -> list[Any]:
    photos = [p for p in FILES if p.is_relative_to(CORPUS / "photos")]
    quick = set(sorted(photos, key=_pixels)[:DEFAULT_PHOTOS])
    cases = []
    for path in FILES:
        case = str(path.relative_to(CORPUS))
        slow = path in photos and path not in quick
        cases.append(pytest.param(case, id=case, marks=[pytest.mark.slow] if slow else []))
    return cases or [pytest.param(None, id="corpus-absent")]


CASES = _cases()


def selected_cases(session: pytest.Session) -> list[str]:
    """The corpus cases this session will run (after -m / -k deselection)."""
    chosen = {
        item.callspec.params["case"]
        for item in session.items
        if item.path == Path(__file__) and hasattr(item, "callspec")
        if item.callspec.params.get("case")
    }
    return sorted(chosen)


def run_corpus(
    mode: str, cases: list[str], env: dict[str, str], out: Path
) -> dict[str, dict[str, Any]]:
    """Run the cases in worker processes, resuming after a case that killed its worker."""
    results: dict[str, dict[str, Any]] = {}
    for _ in range(len(cases)):
        todo = [str(CORPUS / c) for c in cases if c not in results]
        if not todo:
            break
        worker = subprocess.run(
            [*WORKER, mode, str(out), str(CORPUS), *todo],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        lines = out.read_text().splitlines() if out.exists() else []
        results = {r["case"]: r for r in map(json.loads, lines)}
        if worker.returncode not in (0, 3):
            # Died without recording: blame the first case it had not finished.
            dead = next(p for p in todo if str(Path(p).relative_to(CORPUS)) not in results)
            case = str(Path(dead).relative_to(CORPUS))
            record = {"case": case, "outcome": "worker died", "status": None}
            record |= {"failed_checks": [f"exit {worker.returncode}: {worker.stderr[-500:]}"]}
            results[case] = record
            with out.open("a") as handle:
                handle.write(json.dumps(record) + "\n")
    summarise(mode, results)
    return results


def summarise(mode: str, results: dict[str, dict[str, Any]]) -> None:
    if not results:
        return
    by_folder: dict[str, Any] = {}
    for folder in ("edge", "photos"):
        cases = [r for r in results.values() if r["case"].startswith(folder + "/")]
        if not cases:
            continue
        by_folder[folder] = {
            "cases": len(cases),
            "outcomes": dict(Counter(str(r["outcome"]) for r in cases)),
            "statuses": dict(Counter(str(r["status"]) for r in cases)),
            "reasons": dict(Counter(r["reason"] for r in cases if r.get("reason"))),
            "max_seconds": max(r.get("seconds", 0) for r in cases),
            "total_seconds": round(sum(r.get("seconds", 0) for r in cases), 1),
            "max_peak_rss_mb": round(max(r.get("peak_rss", 0) for r in cases) / MB, 1),
            "max_rss_growth_mb": round(
                max(r.get("peak_rss", 0) - r.get("rss_before", 0) for r in cases) / MB, 1
            ),
            "failed": sorted(r["case"] for r in cases if r.get("failed_checks")),
        }
    slowest = sorted(results.values(), key=lambda r: -r.get("seconds", 0))[:5]
    hungriest = sorted(results.values(), key=lambda r: -r.get("peak_rss", 0))[:5]
    everything = len(results) == len(FILES)
    write_result(
        f"corpus-{mode}" if everything else f"corpus-{mode}-partial",
        {
            "mode": mode,
            "selection": "every corpus file" if everything else f"{len(results)} selected cases",
            "folders": by_folder,
            "slowest": [(r["case"], r.get("seconds")) for r in slowest],
            "largest_peak_rss_mb": [
                (r["case"], round(r.get("peak_rss", 0) / MB, 1)) for r in hungriest
            ],
            "cases": sorted(results.values(), key=lambda r: r["case"]),
        },
    )


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("PRISM_", "AWS_"))}


@pytest.fixture(scope="session")
def http_results(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> dict[str, dict[str, Any]]:
    if not FILES:
        pytest.skip(f"{CORPUS} is absent: corpus tests need ../shared beside the repo")
    out = tmp_path_factory.mktemp("corpus") / "http.jsonl"
    return run_corpus("http", selected_cases(request.session), _clean_env(), out)


@pytest.fixture(scope="session")
def event_results(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest, moto_endpoint: str
) -> dict[str, dict[str, Any]]:
    if not FILES:
        pytest.skip(f"{CORPUS} is absent: corpus tests need ../shared beside the repo")
    env = AWS_ENV | {"AWS_ENDPOINT_URL": moto_endpoint}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        names = make_buckets("corpus")
    out = tmp_path_factory.mktemp("corpus") / "event.jsonl"
    cases = selected_cases(request.session)
    return run_corpus("event", cases, _clean_env() | env | bucket_env(names), out)


def check(record: dict[str, Any]) -> None:
    assert record["outcome"] in ("processed", "rejected"), record
    assert not record["failed_checks"], record
    assert record["seconds"] < CASE_SECONDS, record
    assert record["peak_rss"] < MEMORY_BUDGET, record
    if record["case"].startswith("photos/"):
        assert record["outcome"] == "processed", record  # real photos must all work
    if record["outcome"] == "processed":
        assert record["variants"] == len(DEFAULT_SPECS), record


@pytest.mark.parametrize("case", CASES)
def test_post_images(case: str | None, http_results: dict[str, dict[str, Any]]) -> None:
    record = http_results[case]
    check(record)
    expected = 201 if record["outcome"] == "processed" else (400, 413, 415, 422)
    assert record["status"] in (expected if isinstance(expected, tuple) else (expected,))


@pytest.mark.parametrize("case", CASES)
def test_s3_event(case: str | None, event_results: dict[str, dict[str, Any]]) -> None:
    record = event_results[case]
    check(record)
    assert record["status"] == 200  # handled: processed, or rejected with a record


def test_both_paths_agree(
    http_results: dict[str, dict[str, Any]], event_results: dict[str, dict[str, Any]]
) -> None:
    """The same bytes end the same way whichever way they arrive (zero-length aside: the
    HTTP path refuses an empty body before it is stored)."""
    differ = {
        case: (http_results[case].get("reason"), event_results[case].get("reason"))
        for case in http_results
        if http_results[case]["outcome"] != event_results[case]["outcome"]
        or (
            http_results[case].get("reason") != event_results[case].get("reason")
            and http_results[case].get("reason") != "empty_body"
        )
    }
    assert not differ
