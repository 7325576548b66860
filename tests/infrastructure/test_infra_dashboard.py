"""The CloudWatch dashboard, under Pulumi's mocks: every widget shows this stack's resources."""

from __future__ import annotations

import json
from typing import Any

from infra_mocks import REGION, Stack

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
NAMESPACE = "Prism/prism-prod"


def _dashboard(stack: Stack) -> dict[str, Any]:
    dashboard = stack.one("aws:cloudwatch/dashboard:Dashboard")
    assert dashboard.inputs["dashboardName"] == "prism-prod"
    return json.loads(dashboard.inputs["dashboardBody"])


def _widget(body: dict[str, Any], title: str) -> dict[str, Any]:
    (found,) = [w["properties"] for w in body["widgets"] if w["properties"]["title"] == title]
    return found


def test_dashboard_shows_this_function_queue_and_app_metrics(default: Stack) -> None:
    body = _dashboard(default)
    fn = ["FunctionName", "prism-prod"]

    def lines(title: str) -> list[list[Any]]:
        widget = _widget(body, title)
        assert widget["region"] == REGION
        return widget["metrics"]

    assert lines("Invocations") == [["AWS/Lambda", "Invocations", *fn, {"stat": "Sum"}]]
    assert [line[1] for line in lines("Errors and throttles")] == ["Errors", "Throttles"]
    duration = lines("Duration p50 / p99 (ms)")
    assert [line[:4] for line in duration] == [["AWS/Lambda", "Duration", *fn]] * 2
    assert [line[4]["stat"] for line in duration] == ["p50", "p99"]
    assert _widget(body, "Duration p50 / p99 (ms)")["annotations"]["horizontal"][0]["value"] == (
        120_000
    )
    assert lines("Concurrent executions")[0][:4] == ["AWS/Lambda", "ConcurrentExecutions", *fn]
    assert lines("Images processed")[0][:4] == [NAMESPACE, "ImagesProcessed", "service", "prism"]
    assert [line[:2] for line in lines("Bytes in / out")] == [
        [NAMESPACE, "BytesIn"],
        [NAMESPACE, "BytesOut"],
    ]
    assert lines("Dead-letter queue depth")[0][:4] == [
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        "QueueName",
        "prism-prod-dead-letters",
    ]
    (search,) = lines("Images rejected, by reason")
    assert search[0]["expression"] == (
        "SEARCH('{\"Prism/prism-prod\",reason,service} MetricName=\"ImagesRejected\"', 'Sum', 300)"
    )


def test_dashboard_lists_every_alarm_and_is_laid_out_on_the_grid(default: Stack) -> None:
    body = _dashboard(default)
    (alarm_widget,) = [w for w in body["widgets"] if w["type"] == "alarm"]
    arns = {a.inputs["name"] for a in default.of_type(ALARM)}
    assert {arn.rsplit(":", 1)[1] for arn in alarm_widget["properties"]["alarms"]} == arns
    cells = {(w["x"], w["y"]) for w in body["widgets"]}
    assert len(cells) == len(body["widgets"])  # no two widgets on the same spot
    assert all(w["x"] + w["width"] <= 24 for w in body["widgets"])
    assert default.outputs["dashboard_url"].endswith("#dashboards/dashboard/prism-prod")


def test_dashboard_graphs_the_cdn_alarms_from_their_region(stack_factory) -> None:
    """With the CDN on, its three alarms (in us-east-1) are on the dashboard too: each as a
    metric widget with the alarm's annotation and its region, beside the alarm-status widget
    of the stack's region."""
    on = stack_factory({})
    body = _dashboard(on)
    cdn_alarms = {a.inputs["name"] for a in on.of_type(ALARM) if a.inputs.get("region")}
    assert cdn_alarms == {
        f"prism-prod-{k}" for k in ("cdn-5xx-rate", "cdn-origin-latency", "cdn-cache-hit-rate")
    }
    graphed = {
        w["properties"]["annotations"]["alarms"][0].rsplit(":", 1)[1]: w["properties"]
        for w in body["widgets"]
        if "alarms" in w["properties"].get("annotations", {})
    }
    assert set(graphed) == cdn_alarms
    assert {p["region"] for p in graphed.values()} == {"us-east-1"}
    (status,) = [w for w in body["widgets"] if w["type"] == "alarm"]
    listed = {arn.rsplit(":", 1)[1] for arn in status["properties"]["alarms"]}
    # every alarm of the stack is on the dashboard, once
    assert listed | set(graphed) == {a.inputs["name"] for a in on.of_type(ALARM)}
    assert not listed & set(graphed)
    cells = {(w["x"], w["y"]) for w in body["widgets"]}
    assert len(cells) == len(body["widgets"])
