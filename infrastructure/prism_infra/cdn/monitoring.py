"""Watching the distribution: CloudFront's additional metrics, alarms and dashboard widgets.

CloudFront publishes its metrics in us-east-1 only (namespace AWS/CloudFront, dimensions
DistributionId and Region=Global), so the alarms - and the SNS topic they notify, which must
share their region - are declared there whatever the stack's region. Origin latency and cache
hit rate are "additional metrics": a monitoring subscription turns them on (billed as
CloudWatch custom metrics).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from prism_infra.config import AlarmThresholds

#: Where CloudFront's metrics (and so these alarms) live.
METRICS_REGION = "us-east-1"
NAMESPACE = "AWS/CloudFront"
PERIOD = 300
#: The cache hit rate is judged only from this many requests per window.
HIT_RATE_MIN_REQUESTS = 100


def dimensions(distribution_id: pulumi.Input[str]) -> dict[str, Any]:
    return {"DistributionId": distribution_id, "Region": "Global"}


def hit_rate_queries(distribution_id: pulumi.Input[str]) -> list[dict[str, Any]]:
    """Cache hit rate, reported as 100 while traffic is too thin to judge."""

    def metric(query_id: str, name: str, stat: str) -> dict[str, Any]:
        return {
            "id": query_id,
            "return_data": False,
            "metric": {
                "namespace": NAMESPACE,
                "metric_name": name,
                "dimensions": dimensions(distribution_id),
                "stat": stat,
                "period": PERIOD,
            },
        }

    return [
        metric("requests", "Requests", "Sum"),
        metric("hits", "CacheHitRate", "Average"),
        {
            "id": "rate",
            "expression": f"IF(FILL(requests, 0) >= {HIT_RATE_MIN_REQUESTS}, hits, 100)",
            "label": "Cache hit rate (%)",
            "return_data": True,
        },
    ]


@dataclass(frozen=True, slots=True)
class CdnAlarmsArgs:
    name: str
    distribution_id: pulumi.Input[str]
    thresholds: AlarmThresholds
    email: str = ""


class CdnAlarms(pulumi.ComponentResource):
    topic: aws.sns.Topic
    alarms: dict[str, aws.cloudwatch.MetricAlarm]

    def __init__(
        self, name: str, args: CdnAlarmsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("prism:cdn:CdnAlarms", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        t = args.thresholds
        self.topic = aws.sns.Topic(
            f"{name}-topic", name=f"{args.name}-cdn-alerts", region=METRICS_REGION, opts=child
        )
        if args.email:
            aws.sns.TopicSubscription(
                f"{name}-email",
                topic=self.topic.arn,
                protocol="email",
                endpoint=args.email,
                region=METRICS_REGION,
                opts=child,
            )
        dims = dimensions(args.distribution_id)
        specs: list[dict[str, Any]] = [
            {
                "key": "cdn-5xx-rate",
                "alarm_description": "Prism CDN: more than "
                f"{t.cdn_5xx_rate_percent}% of requests answered 5xx",
                "metric_name": "5xxErrorRate",
                "namespace": NAMESPACE,
                "dimensions": dims,
                "statistic": "Average",
                "period": PERIOD,
                "threshold": t.cdn_5xx_rate_percent,
                "comparison_operator": "GreaterThanThreshold",
            },
            {
                "key": "cdn-origin-latency",
                "alarm_description": "Prism CDN: cache misses take more than "
                f"{t.cdn_origin_latency_ms} ms on average at the origin",
                "metric_name": "OriginLatency",
                "namespace": NAMESPACE,
                "dimensions": dims,
                "statistic": "Average",
                "period": PERIOD,
                "threshold": t.cdn_origin_latency_ms,
                "comparison_operator": "GreaterThanThreshold",
            },
            {
                "key": "cdn-cache-hit-rate",
                "alarm_description": "Prism CDN: cache hit rate below "
                f"{t.cdn_cache_hit_rate_percent}% (from {HIT_RATE_MIN_REQUESTS} requests "
                "per 5 minutes)",
                "metric_queries": hit_rate_queries(args.distribution_id),
                "threshold": t.cdn_cache_hit_rate_percent,
                "comparison_operator": "LessThanThreshold",
            },
        ]
        self.alarms = {}
        for spec in specs:
            key = spec.pop("key")
            self.alarms[key] = aws.cloudwatch.MetricAlarm(
                f"{name}-{key}",
                name=f"{args.name}-{key}",
                region=METRICS_REGION,
                evaluation_periods=1,
                treat_missing_data="notBreaching",
                alarm_actions=[self.topic.arn],
                ok_actions=[self.topic.arn],
                opts=child,
                **spec,
            )
        self.register_outputs({"topic_arn": self.topic.arn})


def cdn_widgets(distribution_id: str, alarm_arns: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Dashboard widgets (the dashboard may live in another region; each widget names its);
    none without a distribution.

    The CDN's alarms live in us-east-1, and the alarm-status widget names no region, so each
    gets a metric widget with its alarm annotation and `region` (the dashboard body's
    documented way to graph one alarm from another region, as CDK's AlarmWidget renders it).
    """
    if not distribution_id:
        return []
    dist = ["DistributionId", distribution_id, "Region", "Global"]

    def widget(title: str, metrics: list[list[Any]]) -> dict[str, Any]:
        return {
            "type": "metric",
            "properties": {
                "title": title,
                "region": METRICS_REGION,
                "view": "timeSeries",
                "stacked": False,
                "period": PERIOD,
                "metrics": metrics,
            },
        }

    return [
        widget("CDN requests", [[NAMESPACE, "Requests", *dist, {"stat": "Sum"}]]),
        widget(
            "CDN error rates (%)",
            [
                [NAMESPACE, "4xxErrorRate", *dist, {"stat": "Average"}],
                [NAMESPACE, "5xxErrorRate", *dist, {"stat": "Average"}],
            ],
        ),
        widget("CDN cache hit rate (%)", [[NAMESPACE, "CacheHitRate", *dist, {"stat": "Average"}]]),
        widget(
            "CDN origin latency (ms)", [[NAMESPACE, "OriginLatency", *dist, {"stat": "Average"}]]
        ),
        *(
            {
                "type": "metric",
                "properties": {
                    "title": f"CDN alarm: {arn.rsplit(':', 1)[-1]}",
                    "region": METRICS_REGION,
                    "view": "timeSeries",
                    "stacked": False,
                    "annotations": {"alarms": [arn]},
                },
            }
            for arn in sorted(alarm_arns)
        ),
    ]
