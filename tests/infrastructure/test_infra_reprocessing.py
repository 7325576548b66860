"""The reprocessing component under Pulumi mocks: the worker function (the main function's
configuration under its own concurrency cap), the exact policy of the role S3 Batch Operations
assumes, and the expiring reports bucket."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from infra_mocks import (
    ACCOUNT,
    REGION,
    TODAY,
    RecordingMocks,
    RecordingMonitor,
    Stack,
    fresh_root_stack,
)

from prism.cli.batch_job import REQUIRED_OUTPUTS, read_stack_outputs
from prism.core.fingerprint import spec_fingerprint
from prism.core.setting_values import parse_colour
from prism_infra.components.reprocessing import REPORTS_PREFIX, Reprocessing, ReprocessingArgs
from prism_infra.config import parse_config

ENV = {"PRISM_STORAGE": "s3", "AWS_LWA_INVOKE_MODE": "buffered", "X": "1"}
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/prism-prod@sha256:" + "ab" * 32
MAIN_ROLE = f"arn:aws:iam::{ACCOUNT}:role/function-role"


def run(raw: dict[str, Any]) -> tuple[Stack, Any]:
    settings = parse_config(raw)
    return run_component(settings), settings


def run_component(settings: Any) -> Stack:
    mocks = RecordingMocks()
    monitor = RecordingMonitor(mocks)
    fresh_root_stack()
    pulumi.runtime.set_mocks(mocks, project="prism", stack="prod", preview=False, monitor=monitor)
    resolved: dict[str, Any] = {}

    @pulumi.runtime.test
    def program() -> pulumi.Output:
        uploads = aws.s3.Bucket("uploads", bucket_prefix="prism-prod-uploads-")
        component = Reprocessing(
            "reprocessing",
            ReprocessingArgs(
                name="prism-prod",
                settings=settings,
                image_uri=IMAGE,
                role_arn=MAIN_ROLE,
                log_group_name="/aws/lambda/prism-prod",
                environment=ENV,
                uploads=uploads,
            ),
        )
        outputs = component.outputs() | {"uploads_bucket": uploads.bucket}
        return pulumi.Output.all(**outputs).apply(resolved.update)

    program()
    return Stack(resources=monitor.registered, outputs=resolved)


@pytest.fixture(scope="module")
def stack() -> Stack:
    return run({})[0]


def test_worker_is_the_main_functions_configuration_under_its_own_cap(stack: Stack):
    worker = stack.one("aws:lambda/function:Function")
    inputs = worker.inputs
    assert inputs["name"] == "prism-prod-reprocess"
    assert inputs["imageUri"] == IMAGE
    assert inputs["packageType"] == "Image"
    assert inputs["architectures"] == ["arm64"]
    assert inputs["role"] == MAIN_ROLE
    assert inputs["environment"]["variables"] == ENV
    assert inputs["loggingConfig"] == {"logFormat": "JSON", "logGroup": "/aws/lambda/prism-prod"}
    assert (inputs["memorySize"], inputs["timeout"]) == (3008, 120)
    assert inputs["reservedConcurrentExecutions"] == -1
    # Nothing but Batch Operations calls it: no URL, no S3 trigger.
    assert not stack.of_type("aws:lambda/functionUrl:FunctionUrl")
    assert not stack.of_type("aws:s3/bucketNotification:BucketNotification")
    assert not stack.of_type("aws:lambda/permission:Permission")


def test_the_worker_has_a_concurrency_cap_of_its_own():
    stack, _ = run({"reprocessConcurrency": 50, "reservedConcurrency": 20})
    worker = stack.one("aws:lambda/function:Function")
    assert worker.inputs["reservedConcurrentExecutions"] == 50


def test_batch_operations_role_is_trusted_by_batch_operations_only(stack: Stack):
    role = stack.one("aws:iam/role:Role")
    assert role.policy("assumeRolePolicy") == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "batchoperations.s3.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def test_batch_operations_policy_is_exact(stack: Stack):
    uploads = "arn:aws:s3:::uploads-a1b2c3"
    reports = "arn:aws:s3:::reprocessing-reports-a1b2c3"
    worker = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:prism-prod-reprocess"
    policy = stack.one("aws:iam/rolePolicy:RolePolicy").policy()
    assert policy == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ListUploads",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [uploads],
            },
            {
                "Sid": "ReadUploads",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                "Resource": [f"{uploads}/uploads/*"],
            },
            {
                "Sid": "InvokeWorker",
                "Effect": "Allow",
                "Action": ["lambda:InvokeFunction"],
                "Resource": [worker],
            },
            {
                "Sid": "WriteReports",
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": [f"{reports}/reprocess/*"],
            },
            {
                "Sid": "LocateReports",
                "Effect": "Allow",
                "Action": ["s3:GetBucketLocation"],
                "Resource": [reports],
            },
        ],
    }
    assert "*" not in str(policy).replace("/*", "")


def test_policy_follows_the_uploads_prefix():
    stack, _ = run({"uploadsPrefix": "incoming/"})
    statements = stack.one("aws:iam/rolePolicy:RolePolicy").policy()["Statement"]
    (read,) = [s for s in statements if s["Sid"] == "ReadUploads"]
    assert read["Resource"] == ["arn:aws:s3:::uploads-a1b2c3/incoming/*"]
    assert stack.outputs["uploads_prefix"] == "incoming/"


def test_reports_bucket_is_private_and_expires(stack: Stack):
    bucket = stack.one("aws:s3/bucket:Bucket", "reprocessing-reports")
    assert bucket.inputs["bucketPrefix"] == "prism-prod-reports-"
    (expiry,) = stack.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    assert expiry.inputs["rules"][0]["expiration"] == {"days": 30}
    assert stack.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    (tls,) = stack.of_type("aws:s3/bucketPolicy:BucketPolicy")
    assert tls.policy()["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_outputs_are_what_the_cli_reads():
    stack, settings = run({})
    outputs = stack.outputs
    assert set(REQUIRED_OUTPUTS) <= set(outputs)
    assert outputs["reports_prefix"] == REPORTS_PREFIX
    assert outputs["spec_fingerprint"] == spec_fingerprint(
        settings.variants, parse_colour(settings.background)
    )
    parsed = read_stack_outputs(__import__("json").dumps(outputs))
    assert (parsed.account_id, parsed.region) == (ACCOUNT, REGION)
    assert parsed.role_arn.startswith(f"arn:aws:iam::{ACCOUNT}:role/")
    assert parsed.memory_mb == settings.memory_mb


def test_a_spec_change_changes_the_fingerprint_output():
    default, _ = run({})
    changed, _ = run({"variants": [{"name": "hero", "format": "webp", "width": 1600}]})
    assert default.outputs["spec_fingerprint"] != changed.outputs["spec_fingerprint"]


def test_in_the_stack_the_worker_is_the_main_functions_configuration_under_its_own_cap(
    stack_factory,
):
    """The wiring `build_stack` does: same image, role, log group and environment as the main
    function, none of its triggers, and a concurrency cap of its own (not the function's)."""
    # without the CDN (infra_mocks.TODAY): one function URL, the main function's
    whole = stack_factory({**TODAY, "reservedConcurrency": 20, "reprocessConcurrency": 100})
    main_fn = whole.one("aws:lambda/function:Function", "function-function")
    worker = whole.one("aws:lambda/function:Function", "reprocessing-worker")
    for key in ("imageUri", "role", "environment", "loggingConfig", "memorySize", "timeout"):
        assert worker.inputs[key] == main_fn.inputs[key], key
    assert main_fn.inputs["reservedConcurrentExecutions"] == 20
    assert worker.inputs["reservedConcurrentExecutions"] == 100
    # Buffered: a pass-through route's JSON body is the invocation's result, where Batch
    # Operations reads each task's outcome; compressed, it would arrive as null.
    env = worker.inputs["environment"]["variables"]
    assert env["AWS_LWA_INVOKE_MODE"] == "buffered"
    assert "AWS_LWA_ENABLE_COMPRESSION" not in env
    assert whole.depends_on(worker, whole.one("pulumi-python:dynamic/prism:ImageBuild"))
    assert whole.depends_on(worker, main_fn)
    # Only Batch Operations invokes it: the URL and the S3 trigger are the main function's.
    url = whole.one("aws:lambda/functionUrl:FunctionUrl")
    assert url.inputs["functionName"] == "prism-prod"
    (target,) = whole.one("aws:s3/bucketNotification:BucketNotification").inputs["lambdaFunctions"]
    assert target["lambdaFunctionArn"].endswith(":function:prism-prod")
    (invoke,) = [
        s
        for s in whole.one("aws:iam/rolePolicy:RolePolicy", "reprocessing-policy").policy()[
            "Statement"
        ]
        if s["Sid"] == "InvokeWorker"
    ]
    assert invoke["Resource"] == [whole.outputs["reprocess_function_arn"]]
    assert whole.outputs["reprocess_function_arn"].endswith(":function:prism-prod-reprocess")


def test_the_function_computes_the_fingerprint_the_stack_exports():
    """A job carries the stack's fingerprint and the function compares it with its own."""
    from prism.core.settings import load_settings
    from prism_infra.environment import function_environment

    raw = {
        "variants": [{"name": "hero", "format": "webp", "width": 1600, "quality": 80}],
        "background": "#102030",
    }
    stack, settings = run(raw)
    env = function_environment(
        settings, uploads_bucket="u", processed_bucket="p", rejected_bucket="r"
    )
    app = load_settings(env)
    assert spec_fingerprint(app.variants, app.background) == stack.outputs["spec_fingerprint"]


def test_an_uncapped_backfill_started_by_pulumi_up_is_warned_about():
    from prism_infra.stack import config_warnings

    (warning,) = config_warnings(parse_config({"reprocessOnSpecChange": True}))
    assert "prism:reprocessConcurrency" in warning
    # Capped, or the main function's own concurrency reserved: nothing to say.
    for capped in ({"reprocessConcurrency": 100}, {"reservedConcurrency": 20}):
        assert config_warnings(parse_config({"reprocessOnSpecChange": True, **capped})) == []
    # Started by hand, the job is the operator's call.
    assert config_warnings(parse_config({})) == []


@pytest.mark.parametrize("value", [-2, 10_001, "many", True])
def test_reprocess_concurrency_is_validated(value):
    from prism_infra.config import ConfigError

    with pytest.raises(ConfigError, match="prism:reprocessConcurrency"):
        parse_config({"reprocessConcurrency": value})
