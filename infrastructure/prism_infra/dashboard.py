"""The stack's CloudWatch dashboard, as a pure function of names (body JSON in, nothing else).

Function: invocations, errors and throttles, p50/p99 duration against the timeout, concurrent
executions. App (from its EMF metrics): images processed, rejected by reason, bytes in and
out, processing time. Queue: dead-letter depth. And the state of every alarm.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prism_infra import app_metrics

PERIOD = 300
WIDTH = 8
HEIGHT = 6
PER_ROW = 24 // WIDTH


def _metric_widget(
    title: str, region: str, metrics: list[list[Any]], **properties: Any
) -> dict[str, Any]:
    return {
        "type": "metric",
        "properties": {
            "title": title,
            "region": region,
            "view": "timeSeries",
            "stacked": False,
            "period": PERIOD,
            "metrics": metrics,
            **properties,
        },
    }


def rejected_by_reason_search(namespace: str) -> str:
    """Every reason the app reports, including ones added later (SEARCH finds them).

    The namespace is double-quoted: CloudWatch's search syntax requires it for names with
    non-alphanumeric characters, and `Prism/prism-prod` has a `-` (search-expression-syntax).
    """
    dims = ",".join(sorted([app_metrics.REASON, *app_metrics.SERVICE_DIMENSIONS]))
    return (
        f'SEARCH(\'{{"{namespace}",{dims}}} MetricName="{app_metrics.IMAGES_REJECTED}"\', '
        f"'Sum', {PERIOD})"
    )


def dashboard_body(
    *,
    region: str,
    function_name: str,
    queue_name: str,
    namespace: str,
    timeout_seconds: int,
    alarm_arns: list[str],
    extra_widgets: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    fn = ["FunctionName", function_name]
    (service_key, service), *_ = app_metrics.SERVICE_DIMENSIONS.items()
    app = [service_key, service]
    widgets = [
        _metric_widget(
            "Invocations", region, [["AWS/Lambda", "Invocations", *fn, {"stat": "Sum"}]]
        ),
        _metric_widget(
            "Errors and throttles",
            region,
            [
                ["AWS/Lambda", "Errors", *fn, {"stat": "Sum"}],
                ["AWS/Lambda", "Throttles", *fn, {"stat": "Sum"}],
            ],
        ),
        _metric_widget(
            "Duration p50 / p99 (ms)",
            region,
            [
                ["AWS/Lambda", "Duration", *fn, {"stat": "p50", "label": "p50"}],
                ["AWS/Lambda", "Duration", *fn, {"stat": "p99", "label": "p99"}],
            ],
            annotations={"horizontal": [{"label": "timeout", "value": timeout_seconds * 1000}]},
        ),
        _metric_widget(
            "Concurrent executions",
            region,
            [["AWS/Lambda", "ConcurrentExecutions", *fn, {"stat": "Maximum"}]],
        ),
        _metric_widget(
            "Images processed",
            region,
            [[namespace, app_metrics.IMAGES_PROCESSED, *app, {"stat": "Sum"}]],
        ),
        _metric_widget(
            "Images rejected, by reason",
            region,
            [[{"expression": rejected_by_reason_search(namespace), "id": "rejected"}]],
        ),
        _metric_widget(
            "Bytes in / out",
            region,
            [
                [namespace, app_metrics.BYTES_IN, *app, {"stat": "Sum"}],
                [namespace, app_metrics.BYTES_OUT, *app, {"stat": "Sum"}],
            ],
        ),
        _metric_widget(
            "Processing time p50 / p99 (ms)",
            region,
            [
                [namespace, app_metrics.PROCESSING_TIME, *app, {"stat": "p50", "label": "p50"}],
                [namespace, app_metrics.PROCESSING_TIME, *app, {"stat": "p99", "label": "p99"}],
            ],
        ),
        _metric_widget(
            "Dead-letter queue depth",
            region,
            [
                [
                    "AWS/SQS",
                    "ApproximateNumberOfMessagesVisible",
                    "QueueName",
                    queue_name,
                    {"stat": "Maximum"},
                ]
            ],
        ),
        *extra_widgets,
        {"type": "alarm", "properties": {"title": "Alarms", "alarms": sorted(alarm_arns)}},
    ]
    for i, widget in enumerate(widgets):
        widget.update(
            x=(i % PER_ROW) * WIDTH, y=(i // PER_ROW) * HEIGHT, width=WIDTH, height=HEIGHT
        )
    return {"widgets": widgets}


def dashboard_url(region: str, name: str) -> str:
    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#dashboards/dashboard/{name}"
    )
