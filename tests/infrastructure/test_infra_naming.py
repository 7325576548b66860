"""Tags and names, under Pulumi's mocks: every resource tagged, every name per project and stack."""

from __future__ import annotations

import inspect

import pulumi_aws as aws
import pytest
from infra_mocks import MAILED, PUBLIC, TODAY, Registered, Stack, run_stack

from prism_infra.config import parse_config

BUCKET = "aws:s3/bucket:Bucket"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TAGS = {"project": "prism", "stack": "prod", "managed-by": "pulumi"}


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
    assert (
        dev.one("aws:lambda/function:Function", "function-function").inputs["tags"]["stack"]
        == "dev"
    )
    assert dev.outputs["metrics_namespace"] == "Prism/prism-dev"
