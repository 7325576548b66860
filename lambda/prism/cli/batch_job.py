"""What `prism reprocess` asks of AWS, as pure functions: the stack it runs against, the
`s3control.create_job` request, the cost estimate, and the reading of the completion report.

Sources for the figures (us-east-1, checked when this was written):
- S3 Batch Operations: $0.25 per job and $1.00 per million object operations
  (https://aws.amazon.com/s3/pricing/, "Management & insights").
- Lambda on arm64: $0.0000133334 per GB-second, $0.20 per million requests
  (https://aws.amazon.com/lambda/pricing/).
- S3 Standard requests: $0.005 per 1,000 PUT/LIST, $0.0004 per 1,000 GET/HEAD
  (https://aws.amazon.com/s3/pricing/).
- Seconds per image: the README's benchmark (8-14 MP JPEGs, 1.65 s at 3538 MB, two vCPUs).
  Lambda's CPU share grows with memory, and the pipeline's two encoding threads keep both
  vCPUs busy, so below 3538 MB the time grows in proportion and the GB-seconds stay the same.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from prism.service.reprocess import CODES

BATCH_PER_JOB = 0.25
BATCH_PER_OBJECT = 1.00 / 1_000_000
LAMBDA_PER_GB_SECOND = 0.0000133334
LAMBDA_PER_REQUEST = 0.20 / 1_000_000
S3_PER_PUT = 0.005 / 1000
S3_PER_GET = 0.0004 / 1000
#: Benchmark figure for a typical photo (README, "Cost per 1,000 images on arm64 Lambda").
SECONDS_PER_IMAGE = 1.65
BENCHMARK_MEMORY_MB = 3538
#: The stack's default (prism:memorySize), for outputs that do not say.
DEFAULT_MEMORY_MB = 3008
#: A remade image: one PUT per variant plus the manifest, one LIST (cleanup: its stale
#: transforms, or with --prune everything unlisted); an up-to-date one is a GET and a HEAD of
#: the original and of each variant. Five variants is the default spec list.
PUTS_PER_IMAGE = 5 + 1 + 1
GETS_PER_IMAGE = 4

TERMINAL = frozenset({"Complete", "Failed", "Cancelled"})
REQUIRED_OUTPUTS = (
    "uploads_bucket",
    "uploads_prefix",
    "reprocess_function_arn",
    "batch_operations_role_arn",
    "reports_bucket",
    "reports_prefix",
)


class StackOutputsError(ValueError):
    """The stack outputs are unreadable or lack what a job needs; the message says which."""


@dataclass(frozen=True, slots=True)
class Stack:
    account_id: str
    region: str
    uploads_bucket: str
    uploads_prefix: str
    function_arn: str
    role_arn: str
    reports_bucket: str
    reports_prefix: str
    fingerprint: str | None = None
    memory_mb: int = DEFAULT_MEMORY_MB


def read_stack_outputs(text: str) -> Stack:
    """The JSON of `pulumi stack output --json` as the typed Stack a job runs against."""
    try:
        outputs = json.loads(text)
    except ValueError as exc:
        raise StackOutputsError(f"not JSON ({exc}); pass `pulumi stack output --json`") from None
    if not isinstance(outputs, dict):
        raise StackOutputsError("expected a JSON object, as `pulumi stack output --json` prints")
    missing = [k for k in REQUIRED_OUTPUTS if not isinstance(outputs.get(k), str)]
    if missing:
        raise StackOutputsError(
            f"the stack has no {', '.join(missing)} output(s): it was deployed before "
            "reprocessing existed; run `pulumi up` first"
        )
    arn = outputs["reprocess_function_arn"].split(":")
    if len(arn) < 7 or arn[:3] != ["arn", "aws", "lambda"] or not arn[4].isdigit():
        raise StackOutputsError(f"reprocess_function_arn is not a Lambda function ARN: {arn!r}")
    memory = outputs.get("reprocess_memory_mb", DEFAULT_MEMORY_MB)
    return Stack(
        account_id=arn[4],
        region=arn[3],
        uploads_bucket=outputs["uploads_bucket"],
        uploads_prefix=outputs["uploads_prefix"],
        function_arn=outputs["reprocess_function_arn"],
        role_arn=outputs["batch_operations_role_arn"],
        reports_bucket=outputs["reports_bucket"],
        reports_prefix=outputs["reports_prefix"],
        fingerprint=outputs.get("spec_fingerprint") or None,
        memory_mb=int(memory) if str(memory).isdigit() else DEFAULT_MEMORY_MB,
    )


def create_job_request(
    stack: Stack, *, token: str, prune: bool, priority: int = 10
) -> dict[str, Any]:
    """Keyword arguments for `s3control.create_job`: Batch Operations lists the uploads prefix
    itself (no listing from this machine), invokes the function once per object with schema
    2.0, and writes a report of every task under the reports prefix."""
    source_filter: dict[str, Any] = {}
    if stack.uploads_prefix:
        source_filter = {"KeyNameConstraint": {"MatchAnyPrefix": [stack.uploads_prefix]}}
    arguments = {"prune": "true" if prune else "false"}
    if stack.fingerprint:
        arguments["fingerprint"] = stack.fingerprint
    return {
        "AccountId": stack.account_id,
        "ConfirmationRequired": False,
        "Operation": {
            "LambdaInvoke": {
                "FunctionArn": stack.function_arn,
                "InvocationSchemaVersion": "2.0",
                "UserArguments": arguments,
            }
        },
        "Report": {
            "Bucket": f"arn:aws:s3:::{stack.reports_bucket}",
            # Batch Operations adds "/job-<id>/" itself.
            "Prefix": stack.reports_prefix.rstrip("/"),
            "Format": "Report_CSV_20180820",
            "Enabled": True,
            "ReportScope": "AllTasks",
            "ExpectedBucketOwner": stack.account_id,
        },
        "ClientRequestToken": token,
        "ManifestGenerator": {
            "S3JobManifestGenerator": {
                "ExpectedBucketOwner": stack.account_id,
                "SourceBucket": f"arn:aws:s3:::{stack.uploads_bucket}",
                **({"Filter": source_filter} if source_filter else {}),
                "EnableManifestOutput": False,
            }
        },
        "Description": f"prism reprocess{' --prune' if prune else ''}",
        "Priority": priority,
        "RoleArn": stack.role_arn,
    }


@dataclass(frozen=True, slots=True)
class Estimate:
    objects: int
    batch: float
    lambda_: float
    s3: float

    @property
    def total(self) -> float:
        return self.batch + self.lambda_ + self.s3


def estimate(
    objects: int,
    *,
    seconds_per_image: float | None = None,
    memory_mb: int = DEFAULT_MEMORY_MB,
) -> Estimate:
    """Upper bound: every object is remade (up-to-date ones cost a fraction of a cent per
    thousand, and are counted as if remade). Without `seconds_per_image` (measured at
    `memory_mb`), the benchmark's figure, slower in proportion below its two vCPUs."""
    if seconds_per_image is None:
        seconds_per_image = SECONDS_PER_IMAGE * max(1.0, BENCHMARK_MEMORY_MB / memory_mb)
    gb_seconds = seconds_per_image * memory_mb / 1024
    return Estimate(
        objects=objects,
        batch=BATCH_PER_JOB + objects * BATCH_PER_OBJECT,
        lambda_=objects * (gb_seconds * LAMBDA_PER_GB_SECOND + LAMBDA_PER_REQUEST),
        s3=objects * (PUTS_PER_IMAGE * S3_PER_PUT + GETS_PER_IMAGE * S3_PER_GET),
    )


def progress(job: Mapping[str, Any]) -> tuple[int | None, int, int]:
    """(total or None while Batch Operations is still listing, succeeded, failed)."""
    summary = job.get("ProgressSummary") or {}
    total = summary.get("TotalNumberOfTasks")
    return (
        total if job.get("Status") not in ("New", "Preparing") else None,
        summary.get("NumberOfTasksSucceeded", 0),
        summary.get("NumberOfTasksFailed", 0),
    )


def report_location(stack: Stack, job_id: str) -> str:
    """Where Batch Operations writes the report's top-level manifest.json."""
    prefix = stack.reports_prefix.rstrip("/")
    return f"s3://{stack.reports_bucket}/{prefix + '/' if prefix else ''}job-{job_id}/manifest.json"


def report_csv_keys(manifest: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(bucket, key) of each results CSV the report's manifest.json lists."""
    return [(r["Bucket"], r["Key"]) for r in manifest.get("Results", []) if "Key" in r]


def count_statuses(csv_texts: Iterable[str]) -> Counter[str]:
    """Tally report rows by the status word the function put first in its result string
    (reprocessed, up_to_date, missing, rejected, ...). Rows without one (a function error,
    a timeout) count as `other`."""
    counts: Counter[str] = Counter()
    for text in csv_texts:
        for row in csv.reader(io.StringIO(text)):
            if not row:
                continue
            word = row[-1].split(" ", 1)[0].split(":", 1)[0]
            counts[word if word in CODES else "other"] += 1
    return counts
