"""The whole program under mocks, as a brand-new AWS account would meet it: nothing refused.

A new account has a 3008 MB Lambda memory cap and a concurrency quota of 10 (Lambda keeps 100
unreserved, so no reservation fits), and CodeBuild's shared addresses cannot count on Docker
Hub. On top, the naming limits of every service the stack names something in - checked with
the longest stack name Pulumi accepts (100 characters, pulumi/pulumi pkg/backend/diy:
"stack names are limited to 100 characters").
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from infra_mocks import REPO_ROOT, Stack, run_stack
from test_infra_image_pins import image_references, problems

from prism_infra.config import parse_config

#: What a new account allows (Lambda quotas: memory 3008 MB until raised; concurrency 10).
MEMORY_CAP_MB = 3008
CONCURRENCY_QUOTA = 10
#: Lambda refuses a reservation that leaves fewer than this many unreserved executions.
MIN_UNRESERVED = 100
#: Environment variables of one function, all names and values together (Lambda quota).
ENV_LIMIT_BYTES = 4096
#: Longest stack name `pulumi stack init` accepts.
LONGEST_STACK = "s" * 100

#: (resource type, input) -> longest value the service accepts.
NAME_LIMITS: dict[tuple[str, str], int] = {
    ("aws:s3/bucket:Bucket", "bucketPrefix"): 37,
    ("aws:iam/role:Role", "namePrefix"): 38,
    ("aws:lambda/function:Function", "name"): 64,
    ("aws:sqs/queue:Queue", "name"): 80,
    ("aws:ecr/repository:Repository", "name"): 256,
    ("aws:codebuild/project:Project", "name"): 150,
    ("aws:cloudwatch/logGroup:LogGroup", "name"): 512,
    ("aws:sns/topic:Topic", "name"): 256,
    ("aws:cloudwatch/metricAlarm:MetricAlarm", "name"): 255,
    ("aws:cloudwatch/dashboard:Dashboard", "dashboardName"): 255,
    ("aws:secretsmanager/secret:Secret", "namePrefix"): 512 - 7,  # AWS appends -XXXXXX
}


def refusals(stack: Stack) -> list[str]:
    """What a new account's AWS would refuse in this stack, one line per refusal."""
    found = []
    for r in stack.resources:
        for (typ, key), limit in NAME_LIMITS.items():
            value = r.inputs.get(key)
            if r.type == typ and isinstance(value, str) and len(value) > limit:
                found.append(f"{r.name}: {key} is {len(value)} characters (max {limit})")
    for r in stack.resources:
        tags = r.inputs.get("tags") or {}
        found += [
            f"{r.name}: tag {k} is over 256 characters" for k, v in tags.items() if len(v) > 256
        ]
    for fn in stack.of_type("aws:lambda/function:Function"):
        memory = fn.inputs["memorySize"]
        if memory > MEMORY_CAP_MB:
            found.append(f"{fn.name}: MemorySize {memory} above the new-account cap")
        reserved = fn.inputs.get("reservedConcurrentExecutions", -1)
        if reserved >= 0 and CONCURRENCY_QUOTA - reserved < MIN_UNRESERVED:
            found.append(f"{fn.name}: reserving {reserved} leaves < {MIN_UNRESERVED} unreserved")
        env = fn.inputs["environment"]["variables"]
        size = sum(len(k) + len(v) for k, v in env.items())
        if size > ENV_LIMIT_BYTES:
            found.append(f"{fn.name}: environment is {size} bytes")
    for where, ref in image_references((REPO_ROOT / "Dockerfile.lambda").read_text()):
        found += [f"Dockerfile.lambda {where} {ref}: {p}" for p in problems(ref)]
    spec = yaml.safe_load((REPO_ROOT / "buildspec.yml").read_text())
    commands = json.dumps(spec["phases"])
    if "docker pull" in commands or "docker.io" in commands:
        found.append("buildspec.yml pulls from Docker Hub")
    return found


@pytest.fixture(scope="module")
def new_account_prod() -> Stack:
    """`prism:*` exactly as Pulumi.prod.yaml writes it out, on a new account."""
    raw = yaml.safe_load((REPO_ROOT / "Pulumi.prod.yaml").read_text())["config"]
    prism = {
        k.removeprefix("prism:"): json.dumps(v) if isinstance(v, list | dict) else str(v)
        for k, v in raw.items()
        if k.startswith("prism:")
    }
    return run_stack(parse_config(prism))


def test_a_new_account_refuses_nothing_in_the_prod_stack(new_account_prod: Stack) -> None:
    assert len(new_account_prod.resources) > 40  # the whole program ran
    assert refusals(new_account_prod) == []


def test_the_defaults_fit_a_new_account() -> None:
    stack = run_stack(parse_config({}), stack="new")
    assert refusals(stack) == []


@pytest.mark.parametrize(
    "config",
    [{"memorySize": 3538}, {"reservedConcurrency": 5}],
    ids=["memory", "concurrency"],
)
def test_the_check_sees_what_a_new_account_refuses(stack_factory, config: dict[str, Any]) -> None:
    assert refusals(stack_factory(config))


def test_the_longest_stack_name_fits_every_service() -> None:
    stack = run_stack(parse_config({}), stack=LONGEST_STACK)
    assert refusals(stack) == []


def test_long_names_are_shortened_by_hash_not_cut() -> None:
    from prism_infra.naming import base_name, bucket_prefix

    assert base_name("prism", "prod") == "prism-prod"  # short names never change
    a, b = base_name("prism", "s" * 99 + "a"), base_name("prism", "s" * 99 + "b")
    assert a != b  # a cut would have made them one
    assert len(a) == len(b) == 40
    assert bucket_prefix(a, "processed") != bucket_prefix(b, "processed")
    assert len(bucket_prefix(a, "processed")) == 37
    assert bucket_prefix("prism-prod", "uploads") == "prism-prod-uploads-"
