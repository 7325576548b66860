"""Fixtures for the infrastructure tests (helpers live in infra_mocks.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from infra_mocks import Stack, run_stack

from prism_infra.cdn import edge
from prism_infra.config import parse_config

#: Stand-in edge code while the real viewer_request.js is not in this tree (see the file).
PLACEHOLDER_EDGE_CODE = Path(__file__).with_name("fixtures") / "viewer_request_placeholder.js"


@pytest.fixture(autouse=True, scope="session")
def edge_code() -> Iterator[Path]:
    """The edge function's code the stack publishes: the real file once it exists."""
    real = edge.VIEWER_REQUEST_JS
    if not real.exists():
        edge.VIEWER_REQUEST_JS = PLACEHOLDER_EDGE_CODE
    yield edge.VIEWER_REQUEST_JS
    edge.VIEWER_REQUEST_JS = real


@pytest.fixture(scope="module")
def stack_factory() -> Callable[[dict[str, Any]], Stack]:
    cache: dict[str, Stack] = {}

    def make(raw: dict[str, Any]) -> Stack:
        key = json.dumps(raw, sort_keys=True)
        if key not in cache:
            cache[key] = run_stack(parse_config(raw))
        return cache[key]

    return make


def pytest_configure(config: pytest.Config) -> None:
    # pulumi_aws warns about its own deprecated modules as they load; not our resources.
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:pulumi_aws")
