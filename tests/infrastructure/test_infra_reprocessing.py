"""The reprocessing component under Pulumi mocks: the worker function, the exact policy of the
role S3 Batch Operations assumes, and the expiring reports bucket."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from infra_mocks import (
    ACCOUNT,
    REGION,
    RecordingMocks,
    RecordingMonitor,
    Stack,
    fresh_root_stack,
)

from prism.cli.batch_job import REQUIRED_OUTPUTS, read_stack_outputs
from prism.core.fingerprint import spec_fingerprint
from prism.core.settings import parse_colour
from prism_infra.config import parse_config
from prism_infra.reprocessing import REPORTS_PREFIX, Reprocessing, ReprocessingArgs

ENV = {"PRISM_STORAGE": "s3", "AWS_LWA_INVOKE_MODE": "response_stream", "X": "1"}
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/prism-prod@sha256:" + "ab" * 32
MAIN_ROLE = f"arn:aws:iam::{ACCOUNT}:role/function-role"


def run(raw: dict[str, Any]) -> tuple[Stack, Any]:
    settings = parse_config(raw)
    return run_component(settings), settings


def run_component(settings: Any, **options: Any) -> Stack:
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
                **options,
            ),
        )
        outputs = component.outputs() | {"uploads_bucket": uploads.bucket}
        return pulumi.Output.all(**outputs).apply(resolved.update)

    program()
    return Stack(resources=monitor.registered, outputs=resolved)


@pytest.fixture(scope="module")
def stack() -> Stack:
    return run({})[0]


def test_worker_is_the_main_function_in_buffered_mode(stack: Stack):
    worker = stack.one("aws:lambda/function:Function")
    inputs = worker.inputs
    assert inputs["name"] == "prism-prod-reprocess"
    assert inputs["imageUri"] == IMAGE
    assert inputs["packageType"] == "Image"
    assert inputs["architectures"] == ["arm64"]
    assert inputs["role"] == MAIN_ROLE
    assert inputs["environment"]["variables"] == ENV | {"AWS_LWA_INVOKE_MODE": "buffered"}
    assert inputs["loggingConfig"] == {"logFormat": "JSON", "logGroup": "/aws/lambda/prism-prod"}
    assert (inputs["memorySize"], inputs["timeout"]) == (3538, 120)
    # Nothing but Batch Operations calls it: no URL, no S3 trigger.
    assert not stack.of_type("aws:lambda/functionUrl:FunctionUrl")
    assert not stack.of_type("aws:s3/bucketNotification:BucketNotification")
    assert not stack.of_type("aws:lambda/permission:Permission")


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
    assert parsed.memory_mb == 3538


def test_a_spec_change_changes_the_fingerprint_output():
    default, _ = run({})
    changed, _ = run({"variants": [{"name": "hero", "format": "webp", "width": 1600}]})
    assert default.outputs["spec_fingerprint"] != changed.outputs["spec_fingerprint"]


def test_attached_to_the_main_function_it_shares_role_logs_and_settings():
    """The wiring `build_stack` uses: the worker copies the main function's configuration."""
    from prism_infra.function import ImageFunction, ImageFunctionArgs
    from prism_infra.reprocessing import attach_reprocessing
    from prism_infra.storage import PrivateBucket, PrivateBucketArgs

    settings = parse_config({})
    mocks = RecordingMocks()
    monitor = RecordingMonitor(mocks)
    fresh_root_stack()
    pulumi.runtime.set_mocks(mocks, project="prism", stack="prod", preview=False, monitor=monitor)
    resolved: dict[str, Any] = {}

    @pulumi.runtime.test
    def program() -> pulumi.Output:
        buckets = {
            b: PrivateBucket(b, PrivateBucketArgs(f"prism-prod-{b}-"))
            for b in ("uploads", "processed", "rejected")
        }
        main = ImageFunction(
            "function",
            ImageFunctionArgs(
                name="prism-prod",
                settings=settings,
                image_uri=IMAGE,
                account_id=ACCOUNT,
                uploads=buckets["uploads"].bucket,
                processed=buckets["processed"].bucket,
                rejected=buckets["rejected"].bucket,
            ),
        )
        component = attach_reprocessing(
            "prism-prod",
            settings,
            image_uri=IMAGE,
            function=main.function,
            log_group=main.log_group,
            uploads=buckets["uploads"].bucket,
        )
        return pulumi.Output.all(**component.outputs()).apply(resolved.update)

    program()
    stack = Stack(resources=monitor.registered, outputs=resolved)
    main_fn = stack.one("aws:lambda/function:Function", "function-function")
    worker = stack.one("aws:lambda/function:Function", "reprocessing-worker")
    main_env = main_fn.inputs["environment"]["variables"]
    assert main_env["AWS_LWA_INVOKE_MODE"] == "response_stream"
    assert worker.inputs["environment"]["variables"] == main_env | {
        "AWS_LWA_INVOKE_MODE": "buffered"
    }
    # A compressed answer would reach Batch Operations as null (see the component's docstring).
    assert "AWS_LWA_ENABLE_COMPRESSION" not in main_env
    assert worker.inputs["role"] == f"arn:aws:iam::{ACCOUNT}:role/function-role"
    assert worker.inputs["loggingConfig"]["logGroup"] == "/aws/lambda/prism-prod"
    assert stack.depends_on(worker, main_fn)


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
