"""Alarms on the function, its dead-letter queue, the app's rejections and the image build.

Every alarm is declared always and notifies one SNS topic (and says so again when it clears);
the topic mails `prism:alertEmail` when one is set. An alarm fires when its 5-minute value goes
above its threshold from `prism:alarmThresholds`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

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


class Alarms(pulumi.ComponentResource):
    topic: aws.sns.Topic
    alarms: dict[str, aws.cloudwatch.MetricAlarm]

    def __init__(
        self, name: str, args: AlarmsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("prism:alarms:Alarms", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.topic = aws.sns.Topic(f"{name}-topic", name=f"{args.name}-alerts", opts=child)
        if args.email:
            # AWS mails a confirmation link first; alarms reach the inbox once it is clicked.
            aws.sns.TopicSubscription(
                f"{name}-email",
                topic=self.topic.arn,
                protocol="email",
                endpoint=args.email,
                opts=child,
            )
        self.alarms = {}
        for spec in alarm_specs(args):
            self.alarms[spec.key] = aws.cloudwatch.MetricAlarm(
                f"{name}-{spec.key}",
                name=f"{args.name}-{spec.key}",
                alarm_description=spec.description,
                namespace=spec.namespace or None,
                metric_name=spec.metric_name or None,
                dimensions=spec.dimensions,
                statistic=spec.statistic,
                extended_statistic=spec.extended_statistic,
                metric_queries=spec.queries,
                period=None if spec.queries else PERIOD,
                evaluation_periods=1,
                threshold=spec.threshold,
                comparison_operator="GreaterThanThreshold",
                # No data means nothing ran, which is not a failure.
                treat_missing_data="notBreaching",
                alarm_actions=[self.topic.arn],
                ok_actions=[self.topic.arn],
                opts=child,
            )
        self.register_outputs({"topic_arn": self.topic.arn})
