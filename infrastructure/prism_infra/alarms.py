"""What the alarms watch: the function, its dead-letter queue, the app's rejections and the
image build, each against its threshold from `prism:alarmThresholds` (pure; the component that
declares them is components/alarms.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from prism_infra import app_metrics
from prism_infra.config import AlarmThresholds

PERIOD = 300
#: The rejection rate is judged only from this many images per window: one bad upload out of
#: two is not an incident.
REJECTION_MIN_IMAGES = 10


@dataclass(frozen=True, slots=True)
class AlarmsArgs:
    name: str  # e.g. prism-prod: prefixes the topic and every alarm
    thresholds: AlarmThresholds
    timeout_seconds: int
    function_name: pulumi.Input[str]
    dead_letter_queue_name: pulumi.Input[str]
    build_project_name: pulumi.Input[str]
    metrics_namespace: str
    email: str = ""


@dataclass(frozen=True, slots=True)
class AlarmSpec:
    """One alarm: what it watches (a metric, or `queries` for metric math) and its limit."""

    key: str
    description: str
    threshold: float
    namespace: str = ""
    metric_name: str = ""
    dimensions: Any = None
    statistic: str | None = "Sum"
    extended_statistic: str | None = None
    queries: list[dict[str, Any]] | None = None


def duration_threshold_ms(timeout_seconds: int, percent: int) -> int:
    return timeout_seconds * 1000 * percent // 100


def rejection_rate_queries(namespace: str) -> list[dict[str, Any]]:
    """Percent of images rejected: one metric per rejection reason plus the processed count."""

    def metric(query_id: str, name: str, dimensions: dict[str, str]) -> dict[str, Any]:
        return {
            "id": query_id,
            "return_data": False,
            "metric": {
                "namespace": namespace,
                "metric_name": name,
                "dimensions": dimensions,
                "stat": "Sum",
                "period": PERIOD,
            },
        }

    reasons = app_metrics.rejection_reasons()
    rejected = [
        metric(
            f"r{i}", app_metrics.IMAGES_REJECTED, {**app_metrics.SERVICE_DIMENSIONS, "reason": r}
        )
        for i, r in enumerate(reasons)
    ]
    total_rejected = " + ".join(f"FILL(r{i}, 0)" for i in range(len(reasons)))
    return [
        metric("processed", app_metrics.IMAGES_PROCESSED, app_metrics.SERVICE_DIMENSIONS),
        *rejected,
        {"id": "rejected", "expression": total_rejected, "return_data": False},
        {
            "id": "images",
            "expression": "FILL(processed, 0) + rejected",
            "return_data": False,
        },
        {
            "id": "rate",
            "expression": f"IF(images >= {REJECTION_MIN_IMAGES}, 100 * rejected / images, 0)",
            "label": "Rejected images (%)",
            "return_data": True,
        },
    ]


def alarm_specs(args: AlarmsArgs) -> list[AlarmSpec]:
    t = args.thresholds
    function = {"FunctionName": args.function_name}
    return [
        AlarmSpec(
            "errors",
            "Prism: the function failed invocations (see its log group)",
            t.errors,
            "AWS/Lambda",
            "Errors",
            function,
        ),
        AlarmSpec(
            "throttles",
            "Prism: invocations were throttled (reserved concurrency or account limit)",
            t.throttles,
            "AWS/Lambda",
            "Throttles",
            function,
        ),
        AlarmSpec(
            "duration-p99",
            f"Prism: p99 duration is above {t.duration_p99_percent}% of the "
            f"{args.timeout_seconds} s timeout",
            duration_threshold_ms(args.timeout_seconds, t.duration_p99_percent),
            "AWS/Lambda",
            "Duration",
            function,
            statistic=None,
            extended_statistic="p99",
        ),
        AlarmSpec(
            "dead-letters",
            "Prism: S3 events failed after retries and wait in the dead-letter queue",
            t.dead_letters,
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            {"QueueName": args.dead_letter_queue_name},
            statistic="Maximum",
        ),
        AlarmSpec(
            "rejection-rate",
            f"Prism: more than {t.rejection_rate_percent}% of images were rejected "
            f"(from {REJECTION_MIN_IMAGES} images per 5 minutes)",
            t.rejection_rate_percent,
            statistic=None,
            queries=rejection_rate_queries(args.metrics_namespace),
        ),
        AlarmSpec(
            "build-failures",
            "Prism: the image build failed (see the CodeBuild project's logs)",
            t.failed_builds,
            "AWS/CodeBuild",
            "FailedBuilds",
            {"ProjectName": args.build_project_name},
        ),
    ]
