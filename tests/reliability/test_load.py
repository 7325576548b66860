"""Bounded load on `prism serve` over loopback (benchmarks/load_serve.py does the driving):
concurrent clients mixing uploads, manifest reads and variant downloads. Asserts zero errors,
no file-descriptor or temporary-file leak, and flat memory between the first and the last
quarter of the run. Prints requests/s and p50/p99; speed thresholds live in the benchmark.

PRISM_LOAD_REQUESTS / PRISM_LOAD_CLIENTS size the run (default 3000 requests, 4 clients).
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from types import ModuleType

from tests.reliability.paths import REPO
from tests.reliability.results import write_result

REQUESTS = int(os.environ.get("PRISM_LOAD_REQUESTS", "3000"))
CLIENTS = int(os.environ.get("PRISM_LOAD_CLIENTS", "4"))
#: "Flat": the last quarter's mean RSS within this fraction (plus allocator slack) of the first's.
GROWTH = 0.10
SLACK_MB = 16


def driver() -> ModuleType:
    # benchmarks/ is a folder of scripts, not a package: load the module by path.
    spec = importlib.util.spec_from_file_location(
        "prism_load_serve", REPO / "benchmarks" / "load_serve.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_load_on_prism_serve(tmp_path: Path) -> None:
    load = driver()
    data, tmp = tmp_path / "data", tmp_path / "tmp"
    tmp.mkdir()
    with load.server(data, tmp) as (base, pid):
        assert base.startswith("http://127.0.0.1:")
        figures = load.load(base, pid, data, tmp, REQUESTS, CLIENTS)
    print(json.dumps(figures, indent=2))
    write_result("load", figures)

    assert figures["requests"] == REQUESTS
    assert figures["errors"] == 0, figures["error_examples"]
    assert figures["images_uploaded"] > REQUESTS // 40
    assert figures["fds_after"] <= figures["fds_before"], figures
    assert figures["temp_files_after"] == figures["temp_files_before"] == 0
    assert figures["tmpdir_files_after"] == figures["tmpdir_files_before"]
    first, last = figures["rss_first_quarter_mb"], figures["rss_last_quarter_mb"]
    assert last <= first * (1 + GROWTH) + SLACK_MB, figures
