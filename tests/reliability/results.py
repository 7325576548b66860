"""Result files: each reliability test module gathers figures while its tests run, and the
session writes them to .results/<name>.json when it ends (the pytest_sessionfinish hook in
conftest.py), whatever order the tests ran in."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.reliability.paths import RESULTS

Summary = Callable[[], dict[str, Any] | None]
_AT_END: dict[str, Summary] = {}


def at_session_end(name: str) -> Callable[[Summary], Summary]:
    """Register `summary` to be written as .results/<name>.json when the session ends; it
    returns None when none of its tests ran (nothing is written then)."""

    def register(summary: Summary) -> Summary:
        _AT_END[name] = summary
        return summary

    return register


def write_registered() -> list[Path]:
    written = []
    for name, summary in _AT_END.items():
        data = summary()
        if data:
            written.append(write_result(name, data))
    return written


def write_result(name: str, data: dict[str, Any]) -> Path:
    """Save one test's figures as .results/<name>.json (with when and where they were made)."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / ".gitignore").write_text("*\n")  # measured on this machine: not committed
    path = RESULTS / f"{name}.json"
    stamp = {"measured_at": time.strftime("%Y-%m-%d %H:%M:%S %z"), "cpus": os.cpu_count()}
    path.write_text(json.dumps(stamp | data, indent=2, sort_keys=True) + "\n")
    return path


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
