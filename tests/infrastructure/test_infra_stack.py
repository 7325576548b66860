"""The whole program under Pulumi's mocks: every resource, the outputs, the components, and
the identity (URN) of everything already deployed."""

from __future__ import annotations

import json

import pytest
from infra_mocks import ACCOUNT, MAILED, PUBLIC, REPO_ROOT, TODAY, Stack

from prism.core.fingerprint import spec_fingerprint
from prism.core.setting_values import parse_colour
from prism.core.specs import DEFAULT_SPECS

BUCKET = "aws:s3/bucket:Bucket"
FUNCTION = "aws:lambda/function:Function"


def test_declares_every_resource_of_the_stack(default: Stack) -> None:
    types = {r.type for r in default.resources}
    for expected in (
        "aws:ecr/repository:Repository",
        "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        "aws:s3/bucketObjectv2:BucketObjectv2",
        "aws:codebuild/project:Project",
        "pulumi-python:dynamic/prism:ImageBuild",
        FUNCTION,
        "aws:lambda/functionUrl:FunctionUrl",
        "aws:lambda/functionRecursionConfig:FunctionRecursionConfig",
        "aws:sqs/queue:Queue",
        "aws:s3/bucketNotification:BucketNotification",
    ):
        assert expected in types, expected
    # source, uploads, processed, rejected, reprocessing reports
    assert len(default.of_type(BUCKET)) == 5
    # two log groups (build, function; the reprocessing worker writes to the function's);
    # three roles (build, function, Batch Operations) each with one inline policy
    assert len(default.of_type("aws:cloudwatch/logGroup:LogGroup")) == 2
    assert len(default.of_type("aws:iam/rolePolicy:RolePolicy")) == 3
    # the function, and the reprocessing worker S3 Batch Operations invokes
    assert len(default.of_type("aws:lambda/function:Function")) == 2


def test_stack_outputs_are_exactly_these(default: Stack, configured: Stack) -> None:
    common = {
        "repository_url": f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/prism-prod",
        "image_uri": f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/prism-prod@sha256:" + "ab" * 32,
        "build_id": "prism-prod-image:0f0f-build",
        "codebuild_project": "prism-prod-image",
        "source_bucket": "image-source-a1b2c3",
        "function_name": "prism-prod",
        "function_arn": f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:prism-prod",
        "function_url": "https://abc123.lambda-url.eu-west-1.on.aws/",
        "uploads_bucket": "uploads-a1b2c3",
        "processed_bucket": "processed-a1b2c3",
        "rejected_bucket": "rejected-a1b2c3",
        "alerts_topic_arn": f"arn:aws:sns:eu-west-1:{ACCOUNT}:prism-prod-alerts",
        "dashboard_url": "https://eu-west-1.console.aws.amazon.com/cloudwatch/home"
        "?region=eu-west-1#dashboards/dashboard/prism-prod",
        "metrics_namespace": "Prism/prism-prod",
        # what `prism reprocess --stack-outputs` reads (components/reprocessing.py)
        "uploads_prefix": "uploads/",
        "reprocess_function_arn": f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:"
        "prism-prod-reprocess",
        "reprocess_memory_mb": 3008,
        "batch_operations_role_arn": f"arn:aws:iam::{ACCOUNT}:role/reprocessing-role",
        "reports_bucket": "reprocessing-reports-a1b2c3",
        "reports_prefix": "reprocess/",
        "spec_fingerprint": spec_fingerprint(DEFAULT_SPECS, parse_colour("#ffffff")),
    }
    assert {k: v for k, v in default.outputs.items() if k != "invoke_policy"} == common
    assert set(default.outputs) == {*common, "invoke_policy"}
    assert set(configured.outputs) == {*common, "api_keys_secret_arn"}


def test_stack_outputs(default: Stack) -> None:
    out = default.outputs
    assert set(out) >= {
        "repository_url",
        "function_name",
        "function_arn",
        "function_url",
        "codebuild_project",
        "build_id",
        "source_bucket",
        "uploads_bucket",
        "processed_bucket",
        "rejected_bucket",
    }
    assert out["function_url"].startswith("https://")
    assert out["function_name"] == "prism-prod"
    assert out["build_id"].startswith(out["codebuild_project"] + ":")
    assert out["uploads_bucket"] == "uploads-a1b2c3"
    assert len({out[k] for k in out if k.endswith("_bucket")}) == 5  # and reports_bucket


def test_resources_are_grouped_in_parented_components(default: Stack) -> None:
    components = {r.name: r for r in default.resources if r.type.startswith("prism:")}
    assert {
        "image",
        "function",
        "url",
        "trigger",
        "alarms",
        "dashboard",
        "uploads",
        "processed",
        "rejected",
        "reprocessing",
    } <= set(components)
    assert default.one(FUNCTION, "function-function").parent == components["function"].urn
    assert default.one("aws:codebuild/project:Project").parent == components["image"].urn
    assert default.one(BUCKET, "uploads").parent == components["uploads"].urn
    # the function, its public URL and its upload trigger are separate concerns
    url = default.one("aws:lambda/functionUrl:FunctionUrl")
    assert url.parent == components["url"].urn
    notification = default.one("aws:s3/bucketNotification:BucketNotification")
    assert notification.parent == components["trigger"].urn
    dashboard = default.one("aws:cloudwatch/dashboard:Dashboard")
    assert dashboard.parent == components["dashboard"].urn
    # every AWS resource belongs to a component: nothing hangs loose at the top
    assert all(
        r.parent in {c.urn for c in components.values()}
        for r in default.resources
        if not r.type.startswith("prism:")
    )


@pytest.mark.parametrize(
    ("project", "stack", "expected"),
    [("prism", "prod", "prism-prod"), ("Prism", "Dev_Eu.1", "prism-dev-eu-1")],
)
def test_base_name_is_valid_for_s3_ecr_and_lambda(project: str, stack: str, expected: str) -> None:
    from prism_infra.naming import base_name

    assert base_name(project, stack) == expected


#: The URN of every AWS resource (and the build) as stacks deployed before the infrastructure
#: was split into components know them. A URN is a resource's identity in the state: a
#: resource whose URN changes without an alias to its old one is deleted and created again
#: (a new function URL, emptied buckets).
DEPLOYED_URNS = REPO_ROOT / "tests" / "infrastructure" / "deployed_urns.json"


@pytest.mark.parametrize("config", ["default", "public", "mailed"])
def test_every_deployed_resource_keeps_its_identity(stack_factory, config: str) -> None:
    raw = {"default": TODAY, "public": PUBLIC, "mailed": MAILED}[config]
    stack = stack_factory(raw)
    deployed = set(json.loads(DEPLOYED_URNS.read_text())[config])
    custom = [r for r in stack.resources if not r.type.startswith("prism:")]
    known_as = {
        r.urn if r.urn in deployed else next(iter(set(r.aliases) & deployed), r.urn) for r in custom
    }
    # Resources added since (the reprocessing worker, role and reports) only join them.
    assert deployed <= known_as
