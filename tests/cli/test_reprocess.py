"""`prism reprocess --stack-outputs`: the Batch Operations job it creates, its estimate, and
following it to the report, against botocore's Stubber (exact parameters asserted)."""

from __future__ import annotations

import io
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from prism.cli import reprocess as reprocess_cli
from prism.cli.batch_job import StackOutputsError, estimate, read_stack_outputs
from prism.cli.main import main

ACCOUNT = "123456789012"
REGION = "eu-west-1"
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:prism-dev-reprocess"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/prism-dev-batch-operations"
TOKEN = uuid.UUID("00000000-0000-4000-8000-000000000001")
SCHEMA = "Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage"
JOB = "f3cc4f60-61f6-4a2b-8a21-d07600c373ce"
OUTPUTS = {
    "uploads_bucket": "prism-dev-uploads-abc",
    "uploads_prefix": "uploads/",
    "reprocess_function_arn": FUNCTION,
    "batch_operations_role_arn": ROLE,
    "reports_bucket": "prism-dev-rejected-abc",
    "reports_prefix": "batch-reports/",
    "spec_fingerprint": "sha256:" + "ab" * 32,
    "function_url": "https://example.lambda-url.eu-west-1.on.aws/",
}
EXPECTED_JOB = {
    "AccountId": ACCOUNT,
    "ConfirmationRequired": False,
    "Operation": {
        "LambdaInvoke": {
            "FunctionArn": FUNCTION,
            "InvocationSchemaVersion": "2.0",
            "UserArguments": {"prune": "false", "fingerprint": "sha256:" + "ab" * 32},
        }
    },
    "Report": {
        "Bucket": "arn:aws:s3:::prism-dev-rejected-abc",
        "Prefix": "batch-reports",
        "Format": "Report_CSV_20180820",
        "Enabled": True,
        "ReportScope": "AllTasks",
        "ExpectedBucketOwner": ACCOUNT,
    },
    "ClientRequestToken": str(TOKEN),
    "ManifestGenerator": {
        "S3JobManifestGenerator": {
            "ExpectedBucketOwner": ACCOUNT,
            "SourceBucket": "arn:aws:s3:::prism-dev-uploads-abc",
            "Filter": {"KeyNameConstraint": {"MatchAnyPrefix": ["uploads/"]}},
            "EnableManifestOutput": False,
        }
    },
    "Description": "prism reprocess",
    "Priority": 10,
    "RoleArn": ROLE,
}


class Clients:
    """Real boto3 clients with a Stubber each; fails the test on any unexpected call."""

    def __init__(self) -> None:
        self.clients: dict[str, Any] = {}
        self.stubs: dict[str, Stubber] = {}

    def __call__(self, service: str, region: str) -> Any:
        assert region == REGION
        return self.clients[service]

    def stub(self, service: str) -> Stubber:
        if service not in self.stubs:
            client = boto3.client(
                service,
                region_name=REGION,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
            self.clients[service] = client
            self.stubs[service] = Stubber(client)
            self.stubs[service].activate()
        return self.stubs[service]

    def verify(self) -> None:
        for stub in self.stubs.values():
            stub.assert_no_pending_responses()


@pytest.fixture
def clients(monkeypatch: pytest.MonkeyPatch) -> Clients:
    monkeypatch.setattr(reprocess_cli.uuid, "uuid4", lambda: TOKEN)
    monkeypatch.setattr(reprocess_cli, "POLL_SECONDS", 0)
    stubs = Clients()
    for service in ("s3control", "cloudwatch", "s3"):
        stubs.stub(service)
    return stubs


@pytest.fixture
def outputs_file(tmp_path: Path) -> Path:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(OUTPUTS))
    return path


def run(clients: Clients, *argv: str) -> int:
    args = parse_reprocess_args(*argv)
    return reprocess_cli.run(args, clients)


def parse_reprocess_args(*argv: str):
    from prism.cli.main import build_parser

    return build_parser().parse_args(["reprocess", *argv])


def describe(status: str, total: int = 0, ok: int = 0, failed: int = 0, **extra: Any) -> dict:
    return {
        "Job": {
            "JobId": JOB,
            "Status": status,
            "Priority": 10,
            "ProgressSummary": {
                "TotalNumberOfTasks": total,
                "NumberOfTasksSucceeded": ok,
                "NumberOfTasksFailed": failed,
            },
            **extra,
        }
    }


def body(text: str) -> Any:
    from botocore.response import StreamingBody

    raw = text.encode()
    return StreamingBody(io.BytesIO(raw), len(raw))


# --- stack outputs ---------------------------------------------------------------------------


def test_stack_outputs_give_account_region_and_resources():
    stack = read_stack_outputs(json.dumps(OUTPUTS))
    assert (stack.account_id, stack.region) == (ACCOUNT, REGION)
    assert (stack.function_arn, stack.role_arn) == (FUNCTION, ROLE)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not JSON"),
        ("[1]", "JSON object"),
        (json.dumps({"uploads_bucket": "x"}), "run `pulumi up` first"),
        (json.dumps(OUTPUTS | {"reprocess_function_arn": "nope"}), "not a Lambda function ARN"),
    ],
)
def test_bad_stack_outputs_are_explained(text: str, message: str):
    with pytest.raises(StackOutputsError, match=message):
        read_stack_outputs(text)


def test_bad_stack_outputs_exit_2_without_traceback(tmp_path: Path, capsys):
    path = tmp_path / "o.json"
    path.write_text(json.dumps({"uploads_bucket": "x"}))
    assert main(["reprocess", "--stack-outputs", str(path)]) == 2
    err = capsys.readouterr().err
    assert "pulumi up" in err
    assert "Traceback" not in err
    assert main(["reprocess", "--stack-outputs", str(tmp_path / "absent.json")]) == 2


# --- creating the job ------------------------------------------------------------------------


def test_create_job_gets_the_manifest_generator_operation_report_and_role(
    clients: Clients, outputs_file: Path, capsys
):
    clients.stub("s3control").add_response("create_job", {"JobId": JOB}, EXPECTED_JOB)
    assert run(clients, "--stack-outputs", str(outputs_file), "--objects", "2000000") == 0
    clients.verify()
    out = capsys.readouterr().out
    assert JOB in out
    assert f"s3://prism-dev-rejected-abc/batch-reports/job-{JOB}/manifest.json" in out
    assert "2,000,000 (from --objects)" in out


def test_prune_is_passed_to_the_function(clients: Clients, outputs_file: Path):
    expected = json.loads(json.dumps(EXPECTED_JOB))
    expected["Operation"]["LambdaInvoke"]["UserArguments"]["prune"] = "true"
    expected["Description"] = "prism reprocess --prune"
    clients.stub("s3control").add_response("create_job", {"JobId": JOB}, expected)
    assert run(clients, "--stack-outputs", str(outputs_file), "--objects", "1", "--prune") == 0
    clients.verify()


def test_stack_outputs_from_stdin(clients: Clients, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(OUTPUTS)))
    assert run(clients, "--stack-outputs", "-", "--objects", "5", "--dry-run") == 0
    assert "5 (from --objects)" in capsys.readouterr().out


def test_dry_run_prints_plan_and_estimate_and_creates_nothing(
    clients: Clients, outputs_file: Path, capsys
):
    assert (
        run(clients, "--stack-outputs", str(outputs_file), "--objects", "1000000", "--dry-run") == 0
    )
    clients.verify()  # no create_job was stubbed: any call would have failed
    out = capsys.readouterr().out
    cost = estimate(1_000_000)
    assert f"${cost.total:,.2f}" in out
    assert "Batch Operations $1.25" in out
    assert "s3://prism-dev-uploads-abc/uploads/" in out
    assert ROLE in out


def test_object_count_comes_from_cloudwatch_when_not_given(
    clients: Clients, outputs_file: Path, capsys
):
    clients.stub("cloudwatch").add_response(
        "get_metric_statistics",
        {
            "Datapoints": [
                {"Timestamp": datetime(2026, 11, 28, tzinfo=UTC), "Average": 1500.0},
                {"Timestamp": datetime(2026, 11, 29, tzinfo=UTC), "Average": 1700.0},
            ]
        },
        {
            "Namespace": "AWS/S3",
            "MetricName": "NumberOfObjects",
            "Dimensions": [
                {"Name": "BucketName", "Value": "prism-dev-uploads-abc"},
                {"Name": "StorageType", "Value": "AllStorageTypes"},
            ],
            "StartTime": ANY,
            "EndTime": ANY,
            "Period": 86400,
            "Statistics": ["Average"],
        },
    )
    assert run(clients, "--stack-outputs", str(outputs_file), "--dry-run") == 0
    clients.verify()
    assert "1,700 (from CloudWatch)" in capsys.readouterr().out


def test_no_cloudwatch_datapoint_says_so(clients: Clients, outputs_file: Path, capsys):
    clients.stub("cloudwatch").add_response("get_metric_statistics", {"Datapoints": []})
    assert run(clients, "--stack-outputs", str(outputs_file), "--dry-run") == 0
    out = capsys.readouterr().out
    assert "unknown yet" in out
    assert "per million images remade" in out


def test_no_permission_to_count_is_not_an_error(clients: Clients, outputs_file: Path, capsys):
    clients.stub("cloudwatch").add_client_error("get_metric_statistics", "AccessDenied")
    assert run(clients, "--stack-outputs", str(outputs_file), "--dry-run") == 0
    out = capsys.readouterr().out
    assert "no object count from CloudWatch" in out
    assert "unknown yet" in out


def test_aws_refusing_the_job_is_a_message_not_a_traceback(
    clients: Clients, outputs_file: Path, capsys
):
    clients.stub("s3control").add_client_error(
        "create_job", "AccessDenied", "not allowed to iam:PassRole", 403
    )
    assert run(clients, "--stack-outputs", str(outputs_file), "--objects", "1") == 2
    err = capsys.readouterr().err
    assert "AccessDenied" in err
    assert "Traceback" not in err


# --- following it ----------------------------------------------------------------------------


def test_wait_follows_the_job_and_reads_its_report(clients: Clients, outputs_file: Path, capsys):
    s3control = clients.stub("s3control")
    s3control.add_response("create_job", {"JobId": JOB}, EXPECTED_JOB)
    params = {"AccountId": ACCOUNT, "JobId": JOB}
    for state in (
        describe("New"),
        describe("Preparing"),
        describe("Active", 4, 1, 0),
        describe("Complete", 4, 3, 1),
    ):
        s3control.add_response("describe_job", state, params)
    report_key = f"batch-reports/job-{JOB}/manifest.json"
    csv_key = f"batch-reports/job-{JOB}/results/abc.csv"
    s3 = clients.stub("s3")
    manifest = {
        "Format": "Report_CSV_20180820",
        "Results": [
            {"TaskExecutionStatus": "succeeded", "Bucket": "prism-dev-rejected-abc", "Key": csv_key}
        ],
        "ReportSchema": SCHEMA,
    }
    # As AWS writes it: a field with commas or quotes is quoted.
    rows = "\n".join(
        [
            'uploads-abc,uploads/a,,succeeded,200,,"reprocessed a1: jpeg85, webp"',
            "uploads-abc,uploads/b,,succeeded,200,,up_to_date b1",
            "uploads-abc,uploads/c,,succeeded,200,,up_to_date c1",
            'uploads-abc,uploads/d,,failed,200,PermanentFailure,"rejected d1: corrupt: cut short"',
        ]
    )
    s3.add_response(
        "get_object",
        {"Body": body(json.dumps(manifest))},
        {"Bucket": "prism-dev-rejected-abc", "Key": report_key},
    )
    s3.add_response(
        "get_object", {"Body": body(rows)}, {"Bucket": "prism-dev-rejected-abc", "Key": csv_key}
    )
    code = run(clients, "--stack-outputs", str(outputs_file), "--objects", "4", "--wait")
    clients.verify()
    out = capsys.readouterr().out
    assert code == 1  # one task failed
    assert f"job {JOB}: Complete; 3 succeeded, 1 failed of 4" in out
    assert "1 rejected, 1 reprocessed, 2 up_to_date" in out
    assert f"report: s3://prism-dev-rejected-abc/{report_key}" in out


def test_a_failed_job_shows_why(clients: Clients, outputs_file: Path, capsys):
    s3control = clients.stub("s3control")
    s3control.add_response("create_job", {"JobId": JOB}, EXPECTED_JOB)
    failed = describe(
        "Failed",
        FailureReasons=[{"FailureCode": "Lambda", "FailureReason": "function is not callable"}],
    )
    s3control.add_response("describe_job", failed, {"AccountId": ACCOUNT, "JobId": JOB})
    clients.stub("s3").add_client_error("get_object", "NoSuchKey", "no report", 404)
    assert run(clients, "--stack-outputs", str(outputs_file), "--objects", "1", "--wait") == 1
    out = capsys.readouterr().out
    assert "Lambda: function is not callable" in out
    assert "could not be read" in out


def test_the_progress_bar_stays_out_of_the_image():
    """rich is in the `cli` dependency group; the image installs runtime dependencies only
    (and import-linter keeps it out of every layer the function runs)."""
    root = Path(__file__).resolve().parents[2]
    assert "--no-default-groups" in (root / "Dockerfile.lambda").read_text()
    pyproject = (root / "pyproject.toml").read_text()
    runtime = pyproject.split("dependencies = [", 1)[1].split("]", 1)[0]
    assert "rich" not in runtime
    assert '"rich>=' in pyproject.split("[dependency-groups]", 1)[1]


def test_the_estimate_matches_the_readme_at_either_memory_size():
    """The benchmark ran at 3538 MB (two vCPUs); at the stack's default 3008 MB Lambda gives
    the CPU-bound pipeline proportionally less CPU, so an image takes longer for the same
    GB-seconds: the README's figures hold for both."""
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for memory_mb in (3008, 3538):
        cost = estimate(1_000_000, memory_mb=memory_mb)
        assert f"| ${cost.lambda_:.2f} |" in readme, memory_mb
        assert f"**about ${cost.total:.0f}**" in readme, memory_mb
    # Above two vCPUs the two encoding threads gain nothing: memory only costs more.
    assert estimate(1_000_000, memory_mb=7076).lambda_ > estimate(1_000_000).lambda_ * 1.9
    # A measured figure is taken as measured at the function's memory.
    measured = estimate(1_000_000, seconds_per_image=1.0, memory_mb=1024)
    assert measured.lambda_ == pytest.approx(1_000_000 * (0.0000133334 + 0.20 / 1_000_000))
