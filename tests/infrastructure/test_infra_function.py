"""The function under Pulumi's mocks: image, sizes, logs, dead letters, environment, and the
least-privilege roles of the function and the build."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import pytest
from infra_mocks import ACCOUNT, CONFIGURED, TODAY, Registered, Stack

from prism.core.settings import load_settings
from prism.core.settings_table import REQUIRED_FOR_S3
from prism_infra.environment import ADAPTER_ENV

FUNCTION = "aws:lambda/function:Function"
#: Set only with functionUrlAuth NONE: where the function reads its API keys.
PUBLIC_URL_ONLY = {"PRISM_API_KEYS_SECRET_ARN", "PRISM_API_KEYS_SECRET_VERSION"}
#: Set only with the CDN on (test_infra_cdn.py): its distribution and public URL.
CDN_ONLY = {"PRISM_CDN_DISTRIBUTION_ID", "PRISM_CDN_URL"}
#: Set only when transform URLs are signed (prism:transformSigningKeys; test_infra_signing.py).
SIGNING_ONLY = {"PRISM_TRANSFORM_SIGNING_SECRET_ARN", "PRISM_TRANSFORM_SIGNING_SECRET_VERSION"}


def _statements(resource: Registered) -> list[dict[str, Any]]:
    return resource.policy()["Statement"]


def _is_wildcard(resource: str) -> bool:
    """`*`, or an ARN whose region, account or resource name is a wildcard."""
    if resource == "*":
        return True
    parts = resource.split(":", 5)
    return "*" in (parts[3], parts[4]) or parts[5].startswith("*") or parts[5] == ""


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_function_is_an_arm64_image_from_the_build(default: Stack) -> None:
    fn = default.one(FUNCTION, "function-function")
    assert fn.inputs["packageType"] == "Image"
    assert fn.inputs["architectures"] == ["arm64"]
    assert fn.inputs["imageUri"] == default.outputs["image_uri"]
    assert "@sha256:" in fn.inputs["imageUri"]
    assert default.depends_on(fn, default.one("pulumi-python:dynamic/prism:ImageBuild"))


def test_function_sizes_come_from_config(default: Stack, configured: Stack) -> None:
    d = default.one(FUNCTION, "function-function").inputs
    assert (d["memorySize"], d["timeout"], d["ephemeralStorage"]["size"]) == (3008, 120, 1024)
    assert d["reservedConcurrentExecutions"] == -1
    p = configured.one(FUNCTION, "function-function").inputs
    assert (p["memorySize"], p["reservedConcurrentExecutions"]) == (3538, 5)


def test_function_logs_json_to_precreated_group_with_retention(default: Stack) -> None:
    fn = default.one(FUNCTION, "function-function")
    group = default.named("function-logs")
    assert group.inputs["retentionInDays"] == 30
    assert fn.inputs["loggingConfig"]["logFormat"] == "JSON"
    assert fn.inputs["loggingConfig"]["logGroup"] == group.inputs["name"]
    assert default.depends_on(fn, group)
    # Lambda checks the role can reach the DLQ when the function is created
    assert default.depends_on(fn, default.named("function-policy"))


def test_failed_s3_events_go_to_a_dead_letter_queue(default: Stack) -> None:
    fn = default.one(FUNCTION, "function-function").inputs
    assert (
        fn["deadLetterConfig"]["targetArn"]
        == f"arn:aws:sqs:eu-west-1:{ACCOUNT}:prism-prod-dead-letters"
    )


def test_recursive_loop_detection_stays_on(default: Stack) -> None:
    config = default.one("aws:lambda/functionRecursionConfig:FunctionRecursionConfig").inputs
    assert config == {"functionName": "prism-prod", "recursiveLoop": "Terminate"}


def test_environment_is_exactly_what_the_app_reads(default: Stack) -> None:
    from prism.core.settings_table import ENV_VARS

    env: dict[str, str] = default.one(FUNCTION, "function-function").inputs["environment"][
        "variables"
    ]
    app_vars = {k for k in env if k.startswith("PRISM_")}
    # every app variable is one the app reads, and all that S3 mode needs are there
    assert app_vars <= set(ENV_VARS)
    assert set(REQUIRED_FOR_S3) <= app_vars
    # "exactly": everything the app reads except what only local storage or a public URL uses
    local_only = {k for k, doc in ENV_VARS.items() if doc.startswith("local storage only")}
    assert local_only, "the contract marks PRISM_DATA_DIR as local-only"
    assert app_vars == set(ENV_VARS) - local_only - PUBLIC_URL_ONLY - CDN_ONLY - SIGNING_ONLY
    # the rest belongs to the Lambda Web Adapter and Powertools, nothing else
    others = set(env) - app_vars
    assert others == set(ADAPTER_ENV) | {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"}
    # and the app accepts it, pointing at the stack's buckets, with Lambda's own variable set
    # so its on-Lambda start-up checks (the adapter's retry status codes) run too
    settings = load_settings({**env, "AWS_LAMBDA_FUNCTION_NAME": "prism-test"})
    assert settings.storage == "s3"
    assert settings.uploads_bucket == "uploads-a1b2c3"
    assert settings.processed_bucket == "processed-a1b2c3"
    assert settings.rejected_bucket == "rejected-a1b2c3"
    assert [s.name for s in settings.variants] == ["jpeg85", "jpeg60", "webp", "png", "thumb"]
    assert settings.events_path == env["AWS_LWA_PASS_THROUGH_PATH"]
    assert settings.transform_widths == (
        16,
        32,
        48,
        64,
        96,
        128,
        256,
        384,
        640,
        750,
        828,
        1080,
        1200,
        1920,
        2048,
        3840,
    )
    assert settings.transform_widths_mode == "up"


def test_environment_follows_config(configured: Stack) -> None:
    env = configured.one(FUNCTION, "function-function").inputs["environment"]["variables"]
    assert env["PRISM_UPLOADS_PREFIX"] == "incoming/"
    assert load_settings(env).uploads_prefix == "incoming/"
    # a public URL: the app learns where its keys are, never the keys themselves
    assert {k for k in env if k.startswith("PRISM_")} >= PUBLIC_URL_ONLY
    assert not any(key in json.dumps(env) for key in CONFIGURED["apiKeys"])


def test_adapter_serves_readiness_buffered_responses_and_events(default: Stack) -> None:
    env = default.one(FUNCTION, "function-function").inputs["environment"]["variables"]
    assert env["AWS_LWA_PORT"] == "8080"
    assert env["AWS_LWA_READINESS_CHECK_PATH"] == "/healthz"
    # The function also takes S3 events, whose invokers cannot read a streamed response
    # (aws-lambda-web-adapter issue 536): buffered, on both the adapter and the URL.
    assert env["AWS_LWA_INVOKE_MODE"] == "buffered"
    assert default.one("aws:lambda/functionUrl:FunctionUrl").inputs["invokeMode"] == "BUFFERED"


def test_function_role_is_least_privilege(default: Stack) -> None:
    statements = _statements(default.named("function-policy"))
    by_sid = {s["Sid"]: s for s in statements}
    assert by_sid["Originals"]["Resource"] == ["arn:aws:s3:::uploads-a1b2c3/uploads/*"]
    assert "s3:GetObject" in by_sid["Originals"]["Action"]
    # S3 answers a missing key with 404 only to a caller allowed s3:ListBucket on the bucket
    # (else 403). A HeadObject request carries no s3:prefix, so a prefix condition would
    # never match there: ListBucket is unconditional, on this one bucket.
    assert by_sid["ListOriginals"] == {
        "Sid": "ListOriginals",
        "Effect": "Allow",
        "Action": ["s3:ListBucket"],
        "Resource": ["arn:aws:s3:::uploads-a1b2c3"],
    }
    assert set(by_sid["Variants"]["Action"]) == {
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
    }
    assert by_sid["Variants"]["Resource"] == ["arn:aws:s3:::processed-a1b2c3/*"]
    assert "s3:PutObject" in by_sid["Rejections"]["Action"]
    assert by_sid["Rejections"]["Resource"] == ["arn:aws:s3:::rejected-a1b2c3/*"]
    # POST /images notes its claim on an upload there too (prism.service.claims), and drops it
    from prism.storage.layout import claim_key

    assert fnmatch.fnmatch(
        f"arn:aws:s3:::rejected-a1b2c3/{claim_key('0' * 32)}", "arn:aws:s3:::rejected-a1b2c3/*"
    )
    assert {"s3:GetObject", "s3:PutObject", "s3:DeleteObject"} <= set(
        by_sid["Rejections"]["Action"]
    )
    assert by_sid["DeadLetters"] == {
        "Sid": "DeadLetters",
        "Effect": "Allow",
        "Action": ["sqs:SendMessage"],
        "Resource": [f"arn:aws:sqs:eu-west-1:{ACCOUNT}:prism-prod-dead-letters"],
    }
    assert by_sid["WriteLogs"]["Resource"] == [
        f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/lambda/prism-prod:*"
    ]
    # nothing may touch the source bucket or the repository
    flat = json.dumps(statements)
    assert "image-source" not in flat
    assert "ecr:" not in flat


@pytest.mark.parametrize("config", [TODAY, CONFIGURED], ids=["default", "public"])
def test_no_wildcard_resources_on_s3_ecr_logs_or_sqs(stack_factory, config) -> None:
    stack = stack_factory(config)
    policies = stack.of_type("aws:iam/rolePolicy:RolePolicy")
    assert len(policies) == 3  # build, function, Batch Operations
    for policy in policies:
        for statement in _statements(policy):
            actions = _as_list(statement["Action"])
            resources = _as_list(statement["Resource"])
            assert statement["Effect"] == "Allow"
            wildcard = [r for r in resources if _is_wildcard(r)]
            if wildcard:
                # The one AWS-unscopable action: a registry login token.
                assert actions == ["ecr:GetAuthorizationToken"], statement
                continue
            for resource in resources:
                assert resource.startswith("arn:aws:"), resource
                service = resource.split(":")[2]
                assert all(a.split(":")[0] == service for a in actions), statement


def test_roles_trust_only_their_service(default: Stack) -> None:
    trusts = {
        r.name: json.loads(r.inputs["assumeRolePolicy"])["Statement"]
        for r in default.of_type("aws:iam/role:Role")
    }
    assert trusts["function-role"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert trusts["image-build-role"][0]["Principal"] == {"Service": "codebuild.amazonaws.com"}
    assert trusts["reprocessing-role"][0]["Principal"] == {
        "Service": "batchoperations.s3.amazonaws.com"
    }
    assert len(trusts) == 3


def test_only_the_events_route_can_fail_an_invocation(tmp_path) -> None:
    """The adapter turns the statuses in AWS_LWA_ERROR_STATUS_CODES into a failed invocation,
    and a function URL answers a failed invocation with a bare 502. So the list holds the
    events route's retry status and nothing an HTTP route answers: not 500 (unhandled or
    permanent storage errors) and not 503 (transient storage errors, with Retry-After)."""
    from prism.core.constants import EVENTS_PATH, RETRY_STATUS
    from prism.core.settings import load_settings
    from prism.http.app import create_app

    codes: set[int] = set()
    for part in ADAPTER_ENV["AWS_LWA_ERROR_STATUS_CODES"].split(","):
        low, _, high = part.strip().partition("-")
        codes.update(range(int(low), int(high or low) + 1))
    assert codes == {RETRY_STATUS}
    app = create_app(load_settings({"PRISM_STORAGE": "local", "PRISM_DATA_DIR": str(tmp_path)}))
    http_statuses = {500, 503} | {
        int(status)
        for path, operations in app.openapi()["paths"].items()
        if path != EVENTS_PATH
        for operation in operations.values()
        for status in operation["responses"]
        if status.isdigit()
    }
    assert 503 in http_statuses
    assert not codes & http_statuses


@pytest.mark.parametrize("enabled", [True, False])
def test_the_page_follows_console_enabled(stack_factory, enabled: bool) -> None:
    stack = stack_factory({"consoleEnabled": enabled})
    env = stack.one(FUNCTION, "function-function").inputs["environment"]["variables"]
    assert env["PRISM_CONSOLE_ENABLED"] == str(enabled).lower()
    assert load_settings(env).console_enabled is enabled


def test_the_page_is_off_by_default(default: Stack) -> None:
    env = default.one(FUNCTION, "function-function").inputs["environment"]["variables"]
    assert env["PRISM_CONSOLE_ENABLED"] == "false"
    assert load_settings(env).console_enabled is False
