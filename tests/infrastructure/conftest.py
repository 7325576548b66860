"""Fixtures for the infrastructure tests (helpers live in infra_mocks.py)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from infra_mocks import CONFIGURED, MAILED, PUBLIC, TODAY, Stack, run_stack

from prism_infra.cdn import edge
from prism_infra.config import parse_config

#: Stand-in transform code while the transforms' renderer is not in this tree (see the file).
PLACEHOLDER_TRANSFORM_CODE = Path(__file__).with_name("fixtures") / "viewer_request_placeholder.js"


@pytest.fixture(autouse=True, scope="module")  # before the module-scoped stacks
def event_loop_for_pulumi() -> None:
    """Pulumi's mocks ask asyncio for the current loop; a test elsewhere that ran asyncio.run()
    in the main thread leaves none set (Python 3.12 then raises), so give them one."""
    try:
        asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        asyncio.set_event_loop(asyncio.new_event_loop())


@pytest.fixture(autouse=True, scope="session")
def transform_code() -> Iterator[None]:
    """The transform function's code the stack publishes: the real renderer once it exists."""
    real = edge.transform_code
    if importlib.util.find_spec("prism_infra.cdn.function_code") is None:
        edge.transform_code = lambda settings: PLACEHOLDER_TRANSFORM_CODE.read_text()
    yield
    edge.transform_code = real


@pytest.fixture(scope="session")
def stack_factory() -> Callable[[dict[str, Any]], Stack]:
    """The whole program under mocks for a `prism:*` config, run once per config."""
    cache: dict[str, Stack] = {}

    def make(raw: dict[str, Any]) -> Stack:
        key = json.dumps(raw, sort_keys=True)
        if key not in cache:
            cache[key] = run_stack(parse_config(raw))
        return cache[key]

    return make


@pytest.fixture(scope="module")
def default(stack_factory) -> Stack:
    """The stack without the CDN (test_infra_cdn*.py run it with)."""
    return stack_factory(TODAY)


@pytest.fixture(scope="module")
def public(stack_factory) -> Stack:
    """A public URL with API keys."""
    return stack_factory(PUBLIC)


@pytest.fixture(scope="module")
def configured(stack_factory) -> Stack:
    """Most settings away from their defaults, with a public URL."""
    return stack_factory(CONFIGURED)


@pytest.fixture(scope="module")
def mailed(stack_factory) -> Stack:
    """Alerts mailed, thresholds and timeout changed, data unprotected."""
    return stack_factory(MAILED)


def pytest_configure(config: pytest.Config) -> None:
    # pulumi_aws warns about its own deprecated modules as they load; not our resources.
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:pulumi_aws")
