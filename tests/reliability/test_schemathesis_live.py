"""schemathesis against a live `prism serve` process over loopback, from the OpenAPI spec it
serves: no 5xx, and every response conforms to the spec (status documented, body and
content type as declared). tests/http/test_fuzz.py runs the same checks in-process over ASGI;
this goes through a real socket, uvicorn and the local-storage process as users run it.

PRISM_LIVE_FUZZ_EXAMPLES sets examples per operation (default 30).
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.reliability.results import at_session_end
from tests.servers import prism_serve

EXAMPLES = int(os.environ.get("PRISM_LIVE_FUZZ_EXAMPLES", "30"))
STATUSES: Counter[str] = Counter()


@pytest.fixture(scope="module")
def live_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data: Path = tmp_path_factory.mktemp("live-fuzz")
    with prism_serve(data) as (base, _):
        yield base


def operations(base: str) -> list[schemathesis.APIOperation]:
    return [
        result.ok()
        for result in schemathesis.openapi.from_url(f"{base}/openapi.json").get_all_operations()
    ]


def test_live_server_conforms(live_base: str) -> None:
    """Every operation of the served spec, EXAMPLES schema-valid and EXAMPLES schema-invalid
    (negative) requests each."""
    found = operations(live_base)
    assert {op.label for op in found} >= {"POST /images", "GET /images/{image_id}/{variant}"}
    for operation, mode in itertools.product(found, list(GenerationMode)):
        label = f"{operation.label} ({mode.value})"

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
        def conforms(case: schemathesis.Case) -> None:
            # As in tests/http/test_fuzz.py: schema-valid "images" are mostly not images and
            # schema-valid objects mostly not S3 events, so a 4xx for them is right.
            response = case.call_and_validate(
                excluded_checks=[positive_data_acceptance], timeout=60
            )
            STATUSES[f"{label} {response.status_code}"] += 1  # noqa: B023 (runs in this loop)
            assert response.status_code < 500

        try:
            conforms()
        except Unsatisfiable:
            # Nothing to make invalid (no parameters, no body): no negative cases exist.
            assert mode is GenerationMode.NEGATIVE, label


@at_session_end("schemathesis-live")
def _schemathesis_live_summary() -> dict[str, Any] | None:
    if not STATUSES:
        return None  # no live fuzz ran in this session
    return {
        "examples_per_operation": EXAMPLES,
        "requests": sum(STATUSES.values()),
        "server_errors": sum(n for k, n in STATUSES.items() if int(k.split()[-1]) >= 500),
        "by_operation_and_status": dict(sorted(STATUSES.items())),
    }
