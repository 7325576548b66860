"""Running Prism in production, under Pulumi's mocks: alarms and their topic, the dashboard,
tags, names per stack, data protection, API keys for a public URL, the invoke policy."""

from __future__ import annotations

import inspect
import json
from typing import Any

import pulumi_aws as aws
import pytest
from infra_mocks import ACCOUNT, REGION, Registered, Stack, run_stack
from pulumi.runtime import rpc

from prism.core.settings import load_settings
from prism.core.settings_table import ENV_VARS
from prism_infra.alarms import REJECTION_MIN_IMAGES
from prism_infra.config import StackSettings, parse_config
from prism_infra.stack import config_warnings

KEYS = ["0123456789abcdef0123456789abcdef", "rotation-key-two-0123456789abcdef"]
#: These tests describe the stack without the CDN (test_infra_cdn.py covers it on).
TODAY: dict[str, Any] = {"cdn": False}
PUBLIC: dict[str, Any] = {**TODAY, "functionUrlAuth": "NONE", "apiKeys": KEYS}
MAILED: dict[str, Any] = {
    **TODAY,
    "alertEmail": "ops@example.com",
    "timeout": 60,
    "alarmThresholds": {"errors": 3, "durationP99Percent": 50, "rejectionRatePercent": 40},
    "protectData": False,
}
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
BUCKET = "aws:s3/bucket:Bucket"
TAGS = {"project": "prism", "stack": "prod", "managed-by": "pulumi"}
TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:prism-prod-alerts"
NAMESPACE = "Prism/prism-prod"


@pytest.fixture(scope="module")
def default(stack_factory) -> Stack:
    return stack_factory(TODAY)


@pytest.fixture(scope="module")
def public(stack_factory) -> Stack:
    return stack_factory(PUBLIC)


@pytest.fixture(scope="module")
def mailed(stack_factory) -> Stack:
    return stack_factory(MAILED)


def _alarms(stack: Stack) -> dict[str, dict[str, Any]]:
    return {a.inputs["name"].removeprefix("prism-prod-"): a.inputs for a in stack.of_type(ALARM)}


# --- alarms and the topic ------------------------------------------------------------------


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


# --- dashboard ------------------------------------------------------------------------------


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
        "SEARCH('{Prism/prism-prod,reason,service} MetricName=\"ImagesRejected\"', 'Sum', 300)"
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


# --- tags and names ------------------------------------------------------------------------


def _taggable(resource: Registered) -> bool:
    """Independently of the stack's code: the pulumi-aws class for the type takes `tags`."""
    if not resource.type.startswith("aws:"):
        return False
    _, module_path, _ = resource.type.split(":")
    module_name = module_path.split("/")[0].replace("lambda", "lambda_")
    class_name = resource.type.rsplit(":", 1)[1]
    cls = getattr(getattr(aws, module_name), class_name)
    return "tags" in inspect.signature(cls.__init__).parameters or (
        "tags" in inspect.signature(cls._internal_init).parameters
    )


@pytest.mark.parametrize("config", [{}, PUBLIC, MAILED], ids=["default", "public", "mailed"])
def test_every_taggable_resource_carries_the_stack_tags(stack_factory, config) -> None:
    stack = stack_factory(config)
    taggable = [r for r in stack.resources if _taggable(r)]
    untagged = [r.name for r in taggable if r.inputs.get("tags") != TAGS]
    assert not untagged
    # resources that take no tags are left alone
    assert all("tags" not in r.inputs for r in stack.resources if not _taggable(r))
    # and the check covered the resources that matter
    types = {r.type for r in taggable}
    for expected in (
        "aws:lambda/function:Function",
        BUCKET,
        "aws:ecr/repository:Repository",
        "aws:iam/role:Role",
        "aws:sqs/queue:Queue",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:codebuild/project:Project",
        "aws:sns/topic:Topic",
        ALARM,
    ):
        assert expected in types, expected
    if config is PUBLIC:
        assert "aws:secretsmanager/secret:Secret" in types


_NAME_INPUTS = ("name", "namePrefix", "bucketPrefix", "dashboardName")


def _names(stack: Stack) -> list[str]:
    return [
        r.inputs[key]
        for r in stack.resources
        if r.type.startswith("aws:")
        for key in _NAME_INPUTS
        if isinstance(r.inputs.get(key), str)
    ]


def test_every_chosen_name_starts_with_project_and_stack(default: Stack, public: Stack) -> None:
    for stack in (default, public):
        names = _names(stack)
        assert len(names) >= 15
        for name in names:
            assert (
                name.removeprefix("/aws/lambda/")
                .removeprefix("/aws/codebuild/")
                .startswith("prism-prod")
            ), name
    # roles are named too (IAM role names are account-wide)
    for role in default.of_type("aws:iam/role:Role"):
        assert role.inputs["namePrefix"].startswith("prism-prod-")
        assert len(role.inputs["namePrefix"]) <= 38


def test_a_dev_stack_shares_no_name_with_prod(default: Stack) -> None:
    dev_config = {**TODAY, "memorySize": 1024, "maxPixels": 16_000_000}
    dev = run_stack(parse_config(dev_config), stack="dev")
    dev_names, prod_names = set(_names(dev)), set(_names(default))
    assert not dev_names & prod_names
    assert dev.outputs["function_name"] == "prism-dev"
    assert dev.one("aws:lambda/function:Function").inputs["tags"]["stack"] == "dev"
    assert dev.outputs["metrics_namespace"] == "Prism/prism-dev"


# --- removal policy -------------------------------------------------------------------------


DATA_BUCKETS = ("uploads", "processed")
DISPOSABLE_BUCKETS = ("rejected", "image-source")


def test_prod_data_buckets_are_protected_and_never_force_destroyed(default: Stack) -> None:
    for name in DATA_BUCKETS:
        bucket = default.one(BUCKET, name)
        assert bucket.protect is True
        assert bucket.inputs["forceDestroy"] is False
        component = default.one("prism:storage:PrivateBucket", name)
        assert component.protect is True
        # its guards (policy, public access block, encryption) stay with it
        children = default.children_of(component)
        assert len(children) >= 5
        assert all(child.protect for child in children)
    for name in DISPOSABLE_BUCKETS:
        bucket = default.one(BUCKET, name)
        assert bucket.protect is False
        assert bucket.inputs["forceDestroy"] is True
    # nothing else is protected: destroy removes the rest of the stack
    protected = {r.urn for r in default.resources if r.protect}
    components = [default.one("prism:storage:PrivateBucket", name) for name in DATA_BUCKETS]
    assert protected == {r.urn for c in components for r in [c, *default.children_of(c)]}


def test_with_protection_off_destroy_empties_and_removes_every_bucket(mailed: Stack) -> None:
    for bucket in mailed.of_type(BUCKET):
        assert bucket.protect is False
        assert bucket.inputs["forceDestroy"] is True
    assert not [r.name for r in mailed.resources if r.protect]


def test_repository_is_always_removed_with_its_images(default: Stack) -> None:
    # images are rebuilt from the repository at every `pulumi up`: nothing to lose
    repository = default.one("aws:ecr/repository:Repository")
    assert repository.inputs["forceDelete"] is True
    assert repository.protect is False


# --- access control ------------------------------------------------------------------------


def test_iam_stack_outputs_a_policy_granting_exactly_url_invocation(default: Stack) -> None:
    arn = default.outputs["function_arn"]
    policy = json.loads(default.outputs["invoke_policy"])
    assert policy == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "InvokeFunctionUrl",
                "Effect": "Allow",
                "Action": ["lambda:InvokeFunctionUrl"],
                "Resource": [arn],
                "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}},
            },
            {
                "Sid": "InvokeThroughFunctionUrl",
                "Effect": "Allow",
                "Action": ["lambda:InvokeFunction"],
                "Resource": [arn],
                "Condition": {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}},
            },
        ],
    }
    assert not default.of_type("aws:secretsmanager/secret:Secret")
    assert "api_keys_secret_arn" not in default.outputs


def test_public_stack_keeps_api_keys_in_a_secret(public: Stack) -> None:
    secret = public.one("aws:secretsmanager/secret:Secret")
    assert secret.inputs["namePrefix"] == "prism-prod-api-keys-"
    assert secret.inputs["recoveryWindowInDays"] == 0
    version = public.one("aws:secretsmanager/secretVersion:SecretVersion")
    assert version.inputs["secretId"] == "api-keys-secret-id"
    # sent to the engine as a secret, so the state holds it encrypted
    wrapped = version.inputs["secretString"]
    assert wrapped[rpc._special_sig_key] == rpc._special_secret_sig
    assert json.loads(wrapped["value"]) == {"keys": KEYS}
    assert public.outputs["api_keys_secret_arn"].startswith(
        f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:prism-prod-api-keys-"
    )
    assert "invoke_policy" not in public.outputs


def test_function_may_read_exactly_its_secret(public: Stack, default: Stack) -> None:
    arn = public.outputs["api_keys_secret_arn"]
    statements = {s["Sid"]: s for s in public.named("function-policy").policy()["Statement"]}
    assert statements["ReadApiKeys"] == {
        "Sid": "ReadApiKeys",
        "Effect": "Allow",
        "Action": ["secretsmanager:GetSecretValue"],
        "Resource": [arn],
    }
    assert "secretsmanager" not in json.dumps(default.named("function-policy").policy())
    # no KMS grant: the secret uses the account's AWS-managed key
    assert "kms:" not in json.dumps(public.named("function-policy").policy())
    assert "kmsKeyId" not in public.one("aws:secretsmanager/secret:Secret").inputs


def test_public_function_knows_where_its_keys_are_not_what_they_are(public: Stack) -> None:
    env = public.one("aws:lambda/function:Function").inputs["environment"]["variables"]
    assert env["PRISM_API_KEYS_SECRET_ARN"] == public.outputs["api_keys_secret_arn"]
    # the version pins the read and changes with the keys, so the function restarts
    assert env["PRISM_API_KEYS_SECRET_VERSION"] == "v-0001"
    assert not any(key in json.dumps(env) for key in KEYS)
    # the app reads exactly these variables and accepts them
    app_vars = {k for k in env if k.startswith("PRISM_")}
    assert app_vars <= set(ENV_VARS)
    settings = load_settings({**env, "AWS_LAMBDA_FUNCTION_NAME": "prism-prod"})
    assert settings.api_keys_secret_arn == env["PRISM_API_KEYS_SECRET_ARN"]
    assert settings.api_keys_secret_version == "v-0001"


def test_function_metrics_go_to_the_stacks_namespace(default: Stack) -> None:
    env = default.one("aws:lambda/function:Function").inputs["environment"]["variables"]
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == NAMESPACE == default.outputs["metrics_namespace"]


def test_presigned_uploads_keep_a_size_cap_and_short_lifetime(default: Stack) -> None:
    env = default.one("aws:lambda/function:Function").inputs["environment"]["variables"]
    settings = load_settings(env)
    assert settings.limits.max_input_bytes == StackSettings().limits.max_input_bytes
    assert settings.upload_url_ttl == 300


def test_public_url_without_a_concurrency_cap_is_warned_about() -> None:
    assert config_warnings(parse_config({})) == []
    (warning,) = config_warnings(parse_config(PUBLIC))
    assert "prism:reservedConcurrency" in warning
    capped = parse_config({**PUBLIC, "reservedConcurrency": 20})
    assert config_warnings(capped) == []


def test_reserved_concurrency_caps_the_function(stack_factory) -> None:
    stack = stack_factory({**TODAY, "reservedConcurrency": 20})
    assert stack.one("aws:lambda/function:Function").inputs["reservedConcurrentExecutions"] == 20


def test_browsers_may_send_the_api_key_header(stack_factory) -> None:
    from prism.http.api_keys import HEADER

    stack = stack_factory({**PUBLIC, "corsOrigins": ["https://app.example.com"]})
    cors = stack.one("aws:lambda/functionUrl:FunctionUrl").inputs["cors"]
    assert HEADER in cors["allowHeaders"]
