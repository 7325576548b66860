"""prism:reprocessOnSpecChange: the resource that starts a job when the fingerprint changes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from infra_mocks import ACCOUNT, REGION
from test_infra_reprocessing import run

from prism.cli.batch_job import estimate
from prism_infra.build_session import AwsIdentity
from prism_infra.reprocess_job import INPUTS, ReprocessJobProvider

FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:prism-prod-reprocess"
PROPS = {
    "fingerprint": "sha256:" + "1" * 64,
    "uploads_bucket": "prism-prod-uploads-x",
    "uploads_prefix": "uploads/",
    "function_arn": FUNCTION,
    "role_arn": f"arn:aws:iam::{ACCOUNT}:role/batch",
    "reports_bucket": "prism-prod-reports-x",
    "reports_prefix": "reprocess/",
    "memory_mb": 3538,
}
CHANGED = PROPS | {"fingerprint": "sha256:" + "2" * 64}


class Clients:
    def __init__(self) -> None:
        self.stubs: dict[str, Stubber] = {}
        self.clients: dict[str, Any] = {}
        for service in ("s3control", "cloudwatch"):
            client = boto3.client(
                service,
                region_name=REGION,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
            self.clients[service] = client
            self.stubs[service] = Stubber(client)
            self.stubs[service].activate()

    def __call__(self, service: str, region: str, identity: AwsIdentity) -> Any:
        assert region == REGION
        return self.clients[service]


@pytest.fixture
def clients() -> Clients:
    return Clients()


def test_the_first_deploy_records_the_fingerprint_and_starts_nothing(clients: Clients):
    result = ReprocessJobProvider(clients).create(PROPS)
    assert result.outs["fingerprint"] == PROPS["fingerprint"]
    assert result.outs["job_id"] == ""
    for stub in clients.stubs.values():
        stub.assert_no_pending_responses()


def test_a_changed_fingerprint_shows_the_estimate_in_preview(clients: Clients):
    day = datetime(2026, 11, 29, tzinfo=UTC)
    clients.stubs["cloudwatch"].add_response(
        "get_metric_statistics", {"Datapoints": [{"Timestamp": day, "Average": 2e6}]}
    )
    said: list[str] = []
    diff = ReprocessJobProvider(clients, said.append).diff("id", PROPS, CHANGED)
    assert diff.changes is True
    assert diff.replaces == []
    (message,) = said
    assert "starts a reprocessing job over ~2,000,000 originals" in message
    assert f"${estimate(2_000_000).total:,.2f}" in message


def test_the_preview_never_fails_over_the_estimate(clients: Clients):
    clients.stubs["cloudwatch"].add_client_error("get_metric_statistics", "AccessDenied")
    said: list[str] = []
    assert ReprocessJobProvider(clients, said.append).diff("id", PROPS, CHANGED).changes
    assert "per million images remade" in said[0]
    # ... and says why it fell back, rather than silently
    assert "could not be counted: ClientError" in said[0]
    assert "AccessDenied" in said[0]


def test_the_preview_says_when_the_bucket_has_no_count_yet(clients: Clients):
    clients.stubs["cloudwatch"].add_response("get_metric_statistics", {"Datapoints": []})
    said: list[str] = []
    ReprocessJobProvider(clients, said.append).diff("id", PROPS, CHANGED)
    assert "could not be counted: S3's daily NumberOfObjects metric has no datapoint" in said[0]


def test_the_update_starts_the_job_with_the_cli_request(clients: Clients):
    clients.stubs["s3control"].add_response(
        "create_job",
        {"JobId": "job-1"},
        {
            "AccountId": ACCOUNT,
            "ConfirmationRequired": False,
            "Operation": {
                "LambdaInvoke": {
                    "FunctionArn": FUNCTION,
                    "InvocationSchemaVersion": "2.0",
                    "UserArguments": {"prune": "false", "fingerprint": CHANGED["fingerprint"]},
                }
            },
            "Report": {
                "Bucket": "arn:aws:s3:::prism-prod-reports-x",
                "Prefix": "reprocess",
                "Format": "Report_CSV_20180820",
                "Enabled": True,
                "ReportScope": "AllTasks",
                "ExpectedBucketOwner": ACCOUNT,
            },
            "ClientRequestToken": ANY,
            "ManifestGenerator": {
                "S3JobManifestGenerator": {
                    "ExpectedBucketOwner": ACCOUNT,
                    "SourceBucket": "arn:aws:s3:::prism-prod-uploads-x",
                    "Filter": {"KeyNameConstraint": {"MatchAnyPrefix": ["uploads/"]}},
                    "EnableManifestOutput": False,
                }
            },
            "Description": "prism reprocess",
            "Priority": 10,
            "RoleArn": PROPS["role_arn"],
        },
    )
    said: list[str] = []
    result = ReprocessJobProvider(clients, said.append).update(
        "id", PROPS | {"job_id": ""}, CHANGED
    )
    assert result.outs["job_id"] == "job-1"
    assert "s3://prism-prod-reports-x/reprocess/job-job-1/manifest.json" in said[0]
    clients.stubs["s3control"].assert_no_pending_responses()


def test_other_changes_start_no_job(clients: Clients):
    news = PROPS | {"memory_mb": 2048}
    provider = ReprocessJobProvider(clients)
    assert provider.diff("id", PROPS, news).changes is True
    result = provider.update("id", PROPS | {"job_id": "old"}, news)
    assert result.outs["job_id"] == "old"  # no create_job was stubbed: none was made


def test_the_component_declares_it_only_when_asked():
    assert not run({})[0].of_type("pulumi-python:dynamic/prism:ReprocessJob")


def test_enabled_it_follows_the_worker_and_carries_the_fingerprint():
    from test_infra_reprocessing import run_component

    from prism_infra.config import parse_config

    stack = run_component(parse_config({"reprocessOnSpecChange": True}))
    job = stack.one("pulumi-python:dynamic/prism:ReprocessJob")
    assert set(INPUTS) <= set(job.inputs)
    assert job.inputs["fingerprint"] == stack.outputs["spec_fingerprint"]
    assert job.inputs["function_arn"] == stack.outputs["reprocess_function_arn"]
    worker = stack.one("aws:lambda/function:Function")
    assert stack.depends_on(job, worker)
    assert stack.depends_on(job, stack.one("aws:iam/rolePolicy:RolePolicy"))


def test_provider_pickled_as_pulumi_does_loads_in_a_fresh_interpreter():
    """Pulumi stores the provider dill-pickled and loads it in its own process."""
    import subprocess
    import sys
    import textwrap

    from pulumi.dynamic.dynamic import serialize_provider

    payload = serialize_provider(ReprocessJobProvider())
    script = textwrap.dedent(
        f"""
        import base64, sys, dill
        provider = dill.loads(base64.b64decode({payload!r}))
        loaded = "boto3" in sys.modules, "prism.service.processing" in sys.modules
        print(type(provider).__module__, *loaded)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["prism_infra.reprocess_job", "False", "False"]
