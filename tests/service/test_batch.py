"""Reading Batch Operations invocations and writing their answers, on AWS's own examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prism.service.batch import (
    BatchTask,
    MalformedInvocation,
    TaskResult,
    is_batch_invocation,
    parse_invocation,
    response,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "batch_operations"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_schema_2_example_parses():
    invocation = parse_invocation(load("request-2.0.json"))
    assert invocation.invocation_id == "YXNkbGZqYWRmaiBhc2RmdW9hZHNmZGpmaGFzbGtkaGZza2RmaAo"
    assert invocation.schema_version == "2.0"
    assert invocation.job_id == "f3cc4f60-61f6-4a2b-8a21-d07600c373ce"
    assert invocation.user_arguments == {"k1": "v1", "k2": "v2"}
    assert invocation.tasks == (
        BatchTask(
            task_id="dGFza2lkZ29lc2hlcmUK",
            bucket="powertools-dataset",
            key="prefix/dataset/dataset.20231222.json.gz",
            version_id=None,
        ),
    )
    assert invocation.prune is False
    assert invocation.expected_fingerprint is None


def test_schema_1_example_takes_the_bucket_from_its_arn():
    (task,) = parse_invocation(load("request-1.0.json")).tasks
    assert (task.bucket, task.key, task.version_id) == (
        "awsexamplebucket1",
        "customerImage1.jpg",
        "1",
    )


def test_keys_are_url_decoded_with_plus_as_space():
    event = load("request-2.0.json")
    event["tasks"][0]["s3Key"] = "uploads/red+flower%2B%C3%A9.jpg"
    (task,) = parse_invocation(event).tasks
    assert task.key == "uploads/red flower+é.jpg"


@pytest.mark.parametrize(
    ("arguments", "prune"),
    [
        ({"prune": "true"}, True),
        ({"prune": "TRUE"}, True),
        ({"prune": "false"}, False),
        ({}, False),
    ],
)
def test_prune_is_opt_in(arguments, prune):
    event = load("request-2.0.json")
    event["job"]["userArguments"] = arguments
    assert parse_invocation(event).prune is prune


def test_the_answer_has_the_documented_shape():
    documented = load("response-1.0.json")
    invocation = parse_invocation(load("request-1.0.json"))
    answer = response(
        invocation,
        [TaskResult("dGFza2lkZ29lc2hlcmUK", "Succeeded", '["Mary Major", "John Stiles"]')],
    )
    assert answer == documented
    assert json.loads(json.dumps(answer)) == documented


def test_every_task_gets_its_own_result_in_order():
    event = load("request-2.0.json")
    event["tasks"].append(dict(event["tasks"][0], taskId="second"))
    invocation = parse_invocation(event)
    answer = response(
        invocation,
        [
            TaskResult("dGFza2lkZ29lc2hlcmUK", "Succeeded", "up to date"),
            TaskResult("second", "TemporaryFailure", "storage: timeout"),
        ],
    )
    assert [(r["taskId"], r["resultCode"]) for r in answer["results"]] == [
        ("dGFza2lkZ29lc2hlcmUK", "Succeeded"),
        ("second", "TemporaryFailure"),
    ]
    assert answer["invocationSchemaVersion"] == "2.0"
    assert answer["treatMissingKeysAs"] == "PermanentFailure"


def test_long_result_strings_are_cut_for_the_report():
    invocation = parse_invocation(load("request-2.0.json"))
    answer = response(
        invocation, [TaskResult("dGFza2lkZ29lc2hlcmUK", "PermanentFailure", "x" * 5000)]
    )
    assert len(answer["results"][0]["resultString"]) == 1000


def test_s3_notifications_are_not_batch_invocations():
    assert not is_batch_invocation({"Records": []})
    assert not is_batch_invocation([])
    assert is_batch_invocation(load("request-2.0.json"))


@pytest.mark.parametrize(
    "mutate",
    [
        lambda e: e.pop("invocationId"),
        lambda e: e.pop("tasks"),
        lambda e: e.update(tasks=[]),
        lambda e: e["tasks"][0].pop("taskId"),
        lambda e: e["tasks"][0].pop("s3Bucket"),
        lambda e: e.update(job=None),
        lambda e: e.update(invocationId=7),
    ],
)
def test_malformed_invocations_are_refused(mutate):
    event = load("request-2.0.json")
    mutate(event)
    with pytest.raises(MalformedInvocation):
        parse_invocation(event)
