"""The alarms and their topic, under Pulumi's mocks: what each watches, its threshold, who hears."""

from __future__ import annotations

from typing import Any

from infra_mocks import ACCOUNT, REGION, Stack

from prism_infra.alarms import REJECTION_MIN_IMAGES

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:prism-prod-alerts"
NAMESPACE = "Prism/prism-prod"


def _alarms(stack: Stack) -> dict[str, dict[str, Any]]:
    return {a.inputs["name"].removeprefix("prism-prod-"): a.inputs for a in stack.of_type(ALARM)}


def test_every_alarm_exists_without_an_email_and_notifies_the_topic(default: Stack) -> None:
    topic = default.one("aws:sns/topic:Topic")
    assert topic.inputs["name"] == "prism-prod-alerts"
    assert not default.of_type(SUBSCRIPTION)
    alarms = _alarms(default)
    assert set(alarms) == {
        "errors",
        "throttles",
        "duration-p99",
        "dead-letters",
        "rejection-rate",
        "build-failures",
    }
    for alarm in alarms.values():
        assert alarm["alarmActions"] == [TOPIC_ARN]
        assert alarm["okActions"] == [TOPIC_ARN]
        assert alarm["comparisonOperator"] == "GreaterThanThreshold"
        assert alarm["treatMissingData"] == "notBreaching"
        assert alarm["evaluationPeriods"] >= 1
    assert default.outputs["alerts_topic_arn"] == TOPIC_ARN


def test_email_subscribes_to_the_topic_only_when_configured(mailed: Stack) -> None:
    (subscription,) = mailed.of_type(SUBSCRIPTION)
    assert subscription.inputs == {
        "topic": TOPIC_ARN,
        "protocol": "email",
        "endpoint": "ops@example.com",
    }


def test_function_alarms_watch_this_function(default: Stack) -> None:
    alarms = _alarms(default)
    for key, metric in (("errors", "Errors"), ("throttles", "Throttles")):
        assert alarms[key]["namespace"] == "AWS/Lambda"
        assert alarms[key]["metricName"] == metric
        assert alarms[key]["dimensions"] == {"FunctionName": "prism-prod"}
        assert alarms[key]["statistic"] == "Sum"
        assert alarms[key]["period"] == 300
        assert alarms[key]["threshold"] == 0  # any error or throttle


def test_duration_alarm_is_p99_against_the_timeout(default: Stack, mailed: Stack) -> None:
    duration = _alarms(default)["duration-p99"]
    assert (duration["namespace"], duration["metricName"]) == ("AWS/Lambda", "Duration")
    assert duration["dimensions"] == {"FunctionName": "prism-prod"}
    assert duration["extendedStatistic"] == "p99"
    assert "statistic" not in duration
    assert duration["threshold"] == 0.8 * 120 * 1000  # 80% of the default 120 s timeout, in ms
    # 50% of a 60 s timeout
    assert _alarms(mailed)["duration-p99"]["threshold"] == 30_000


def test_dead_letter_alarm_fires_when_the_queue_is_not_empty(default: Stack) -> None:
    dlq = _alarms(default)["dead-letters"]
    assert (dlq["namespace"], dlq["metricName"]) == (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
    )
    assert dlq["dimensions"] == {"QueueName": "prism-prod-dead-letters"}
    assert dlq["statistic"] == "Maximum"
    assert dlq["threshold"] == 0


def test_build_failure_alarm_watches_this_codebuild_project(default: Stack) -> None:
    build = _alarms(default)["build-failures"]
    assert (build["namespace"], build["metricName"]) == ("AWS/CodeBuild", "FailedBuilds")
    assert build["dimensions"] == {"ProjectName": default.outputs["codebuild_project"]}
    assert build["threshold"] == 0


def test_rejection_rate_alarm_divides_the_apps_rejections_by_all_images(default: Stack) -> None:
    alarm = _alarms(default)["rejection-rate"]
    assert alarm["threshold"] == 20
    assert "metricName" not in alarm
    assert "period" not in alarm
    queries = {q["id"]: q for q in alarm["metricQueries"]}
    metrics = {q["id"]: q["metric"] for q in queries.values() if "metric" in q}
    assert all(m["namespace"] == NAMESPACE for m in metrics.values())
    assert metrics["processed"]["metricName"] == "ImagesProcessed"
    assert metrics["processed"]["dimensions"] == {"service": "prism"}
    rejected = [m for m in metrics.values() if m["metricName"] == "ImagesRejected"]
    # one per reason the app can give
    assert {m["dimensions"]["reason"] for m in rejected} == {
        "rejected",
        "unsupported_format",
        "too_large",
        "corrupt",
    }
    assert all(m["dimensions"]["service"] == "prism" for m in rejected)
    (returned,) = [q for q in queries.values() if q.get("returnData")]
    assert returned["expression"] == (
        f"IF(images >= {REJECTION_MIN_IMAGES}, 100 * rejected / images, 0)"
    )
    for query_id in metrics:
        if query_id != "processed":
            assert f"FILL({query_id}, 0)" in queries["rejected"]["expression"]
    assert len(alarm["metricQueries"]) <= 10  # CloudWatch's limit per alarm


def test_thresholds_come_from_config(mailed: Stack) -> None:
    alarms = _alarms(mailed)
    assert alarms["errors"]["threshold"] == 3
    assert alarms["rejection-rate"]["threshold"] == 40
    assert alarms["throttles"]["threshold"] == 0  # not overridden: the default
