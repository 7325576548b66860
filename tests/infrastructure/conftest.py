"""Fixtures for the infrastructure tests (helpers live in infra_mocks.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from infra_mocks import Stack, run_stack

from prism_infra.config import parse_config


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
