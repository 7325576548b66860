"""The alarms and dashboard read the app's metrics by name: run the app's telemetry, read the
EMF lines it prints, and check every name, dimension and reason the stack refers to."""

from __future__ import annotations

import json
from typing import Any

import pytest

from prism.core import errors
from prism.core.telemetry import Stopwatch, Telemetry
from prism_infra import app_metrics
from prism_infra.alarms import rejection_rate_queries
from prism_infra.dashboard import rejected_by_reason_search

NAMESPACE = app_metrics.metrics_namespace("prism-test")


def _emitted(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """(namespace, metric, dimension names, dimension values) of every EMF metric emitted."""
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", NAMESPACE)
    capsys.readouterr()
    telemetry = Telemetry()
    telemetry.processed("a" * 32, bytes_in=100, bytes_out=50, watch=Stopwatch(), variants=5)
    for reason in app_metrics.rejection_reasons():
        telemetry.rejected("b" * 32, reason=reason, detail="test", bytes_in=10)
    telemetry.flush()
    found: list[dict[str, Any]] = []
    for line in capsys.readouterr().out.splitlines():
        blob = json.loads(line) if line.startswith("{") else {}
        for directive in blob.get("_aws", {}).get("CloudWatchMetrics", []):
            for dimension_set in directive["Dimensions"]:
                for metric in directive["Metrics"]:
                    found.append(
                        {
                            "namespace": directive["Namespace"],
                            "name": metric["Name"],
                            "dimensions": {d: blob[d] for d in dimension_set},
                        }
                    )
    return found


def test_the_app_emits_every_metric_the_stack_reads(capsys, monkeypatch) -> None:
    emitted = _emitted(capsys, monkeypatch)
    assert {m["namespace"] for m in emitted} == {NAMESPACE}
    by_name: dict[str, list[dict[str, str]]] = {}
    for metric in emitted:
        by_name.setdefault(metric["name"], []).append(metric["dimensions"])
    for name in (
        app_metrics.IMAGES_PROCESSED,
        app_metrics.BYTES_IN,
        app_metrics.BYTES_OUT,
        app_metrics.PROCESSING_TIME,
    ):
        assert by_name[name] == [app_metrics.SERVICE_DIMENSIONS], name
    assert by_name[app_metrics.IMAGES_REJECTED] == [
        {**app_metrics.SERVICE_DIMENSIONS, app_metrics.REASON: reason}
        for reason in app_metrics.rejection_reasons()
    ]


def test_rejection_reasons_are_every_typed_rejection() -> None:
    reasons = set(app_metrics.rejection_reasons())
    typed = {
        cls.reason
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.ImageRejected)
    }
    assert reasons == typed
    assert {"unsupported_format", "too_large", "corrupt"} <= reasons


def test_alarm_and_dashboard_query_what_is_emitted(capsys, monkeypatch) -> None:
    emitted = {
        (m["namespace"], m["name"], tuple(sorted(m["dimensions"].items())))
        for m in _emitted(capsys, monkeypatch)
    }
    for query in rejection_rate_queries(NAMESPACE):
        if "metric" in query:
            metric = query["metric"]
            key = (
                metric["namespace"],
                metric["metric_name"],
                tuple(sorted(metric["dimensions"].items())),
            )
            assert key in emitted, key
    # the dashboard's SEARCH names the namespace, the full dimension set and the metric
    search = rejected_by_reason_search(NAMESPACE)
    rejected_dims = {
        tuple(sorted(dict(dims)))
        for namespace, name, dims in emitted
        if name == app_metrics.IMAGES_REJECTED
    }
    (dims,) = rejected_dims
    # CloudWatch's search syntax wants a namespace with non-alphanumerics (`-`) double-quoted
    assert f'{{"{NAMESPACE}",{",".join(dims)}}}' in search
    assert f'MetricName="{app_metrics.IMAGES_REJECTED}"' in search
