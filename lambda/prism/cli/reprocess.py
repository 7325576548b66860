"""`prism reprocess`: bring every stored image up to date with the current variant specs.

On AWS (`--stack-outputs`), an S3 Batch Operations job does the work: it lists the uploads
prefix itself and invokes the stack's reprocessing function once per original, retrying and
reporting per object. This command only starts it, estimates its cost and, with `--wait`,
follows it. Locally (`--data`), the same per-object step runs over the folder buckets in a
process pool. The progress bar is `rich`, a CLI-only dependency the function never imports.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from prism.cli.batch_job import (
    BENCHMARK_MEMORY_MB,
    SECONDS_PER_IMAGE,
    TERMINAL,
    Estimate,
    Stack,
    StackOutputsError,
    count_statuses,
    create_job_request,
    estimate,
    progress,
    read_stack_outputs,
    report_csv_keys,
    report_location,
)

ClientFactory = Callable[[str, str], Any]  # (service, region) -> boto3 client
POLL_SECONDS = 10.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--stack-outputs",
        metavar="FILE",
        help="JSON of `pulumi stack output --json` ('-' reads it from stdin)",
    )
    where.add_argument("--data", metavar="DIR", help="local buckets folder (as `prism serve`)")
    parser.add_argument(
        "--prune", action="store_true", help="delete variants no longer in the specs"
    )
    parser.add_argument("--dry-run", action="store_true", help="print the plan and estimate only")
    parser.add_argument("--wait", action="store_true", help="follow the job until it ends")
    parser.add_argument(
        "--objects", type=int, metavar="N", help="number of originals, for the estimate"
    )
    parser.add_argument(
        "--seconds-per-image",
        type=float,
        metavar="S",
        help=f"Lambda seconds per image at the function's memory, for the estimate (default: "
        f"the benchmark's {SECONDS_PER_IMAGE} s at {BENCHMARK_MEMORY_MB} MB, scaled to it)",
    )
    parser.add_argument("--priority", type=int, default=10, help="Batch Operations job priority")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="local processes")


def run(args: argparse.Namespace, clients: ClientFactory | None = None) -> int:
    if args.objects is not None and args.objects < 0:
        return _fail("--objects must be zero or more")
    if args.data:
        from prism.cli.reprocess_local import run_local

        return run_local(
            Path(args.data), prune=args.prune, workers=args.workers, dry_run=args.dry_run
        )
    try:
        text = (
            sys.stdin.read() if args.stack_outputs == "-" else Path(args.stack_outputs).read_text()
        )
        stack = read_stack_outputs(text)
    except OSError as exc:
        return _fail(f"--stack-outputs {args.stack_outputs}: {exc.strerror or exc}")
    except StackOutputsError as exc:
        return _fail(f"--stack-outputs {args.stack_outputs}: {exc}")
    return _run_aws(args, stack, clients or _boto3_client)


def _run_aws(args: argparse.Namespace, stack: Stack, clients: ClientFactory) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        objects, counted_by = args.objects, "--objects"
        if objects is None:
            objects, counted_by = _count(clients, stack), "CloudWatch"
        _print_plan(stack, args.prune, objects, counted_by, args.seconds_per_image)
        if args.dry_run:
            return 0
        s3control = clients("s3control", stack.region)
        request = create_job_request(
            stack, token=str(uuid.uuid4()), prune=args.prune, priority=args.priority
        )
        job_id = s3control.create_job(**request)["JobId"]
        print(f"job {job_id} created; report: {report_location(stack, job_id)}")
        follow_cmd = f"aws s3control describe-job --account-id {stack.account_id} --job-id {job_id}"
        print(f"follow it: {follow_cmd}")
        if not args.wait:
            return 0
        job = follow(s3control, stack.account_id, job_id)
        return _summarise(job, stack, clients("s3", stack.region), args.seconds_per_image)
    except (BotoCoreError, ClientError) as exc:
        return _fail(f"AWS refused: {exc}")


def _count(clients: ClientFactory, stack: Stack) -> int | None:
    """The estimate's object count is a nicety: no permission for it is not an error."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return count_objects(clients("cloudwatch", stack.region), stack)
    except (BotoCoreError, ClientError) as exc:
        print(f"(no object count from CloudWatch: {exc})")
        return None


def count_objects(cloudwatch: Any, stack: Stack) -> int | None:
    """The uploads bucket's object count from S3's free daily storage metric (whole bucket, up
    to two days old); None if there is no datapoint yet. Batch Operations itself gives the
    exact number once it has listed the prefix (shown by --wait)."""
    now = datetime.now(UTC)
    points = cloudwatch.get_metric_statistics(
        Namespace="AWS/S3",
        MetricName="NumberOfObjects",
        Dimensions=[
            {"Name": "BucketName", "Value": stack.uploads_bucket},
            {"Name": "StorageType", "Value": "AllStorageTypes"},
        ],
        StartTime=now - timedelta(days=3),
        EndTime=now,
        Period=86400,
        Statistics=["Average"],
    ).get("Datapoints", [])
    if not points:
        return None
    return int(max(points, key=lambda p: p["Timestamp"])["Average"])


def follow(
    s3control: Any, account_id: str, job_id: str, *, sleep: Callable[[float], None] = time.sleep
) -> dict[str, Any]:
    """Poll describe_job with a progress bar until the job ends; returns its last description."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task("listing", total=None)
        while True:
            job = s3control.describe_job(AccountId=account_id, JobId=job_id)["Job"]
            total, succeeded, failed = progress(job)
            bar.update(task, total=total, completed=succeeded + failed, description=job["Status"])
            if job["Status"] in TERMINAL:
                return job
            sleep(POLL_SECONDS)


def _summarise(job: dict[str, Any], stack: Stack, s3: Any, seconds: float | None) -> int:
    total, succeeded, failed = progress(job)
    print(f"job {job['JobId']}: {job['Status']}; {succeeded} succeeded, {failed} failed of {total}")
    for reason in job.get("FailureReasons") or []:
        print(f"  {reason.get('FailureCode')}: {reason.get('FailureReason')}")
    location = report_location(stack, job["JobId"])
    counts = _read_report(s3, location)
    if counts is not None:
        print("by outcome: " + ", ".join(f"{n} {word}" for word, n in sorted(counts.items())))
        listed = estimate(total or 0, seconds_per_image=seconds, memory_mb=stack.memory_mb)
        remade = estimate(
            counts["reprocessed"], seconds_per_image=seconds, memory_mb=stack.memory_mb
        )
        cost = listed.batch + remade.lambda_ + remade.s3
        print(f"estimated cost of this run: ${cost:,.2f} (only remade images counted for Lambda)")
    print(f"report: {location}")
    return 0 if job["Status"] == "Complete" and failed == 0 else 1


def _read_report(s3: Any, location: str) -> Counter[str] | None:
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, key = location.removeprefix("s3://").split("/", 1)
    try:
        manifest = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        texts = (
            s3.get_object(Bucket=b, Key=k)["Body"].read().decode("utf-8")
            for b, k in report_csv_keys(manifest)
        )
        return count_statuses(texts)
    except (BotoCoreError, ClientError, ValueError) as exc:
        print(f"(the report could not be read: {exc})")
        return None


def _print_plan(
    stack: Stack, prune: bool, objects: int | None, counted_by: str, seconds: float | None
) -> None:
    print(f"reprocess s3://{stack.uploads_bucket}/{stack.uploads_prefix} with {stack.function_arn}")
    print(f"  as role {stack.role_arn}")
    print(f"  report to s3://{stack.reports_bucket}/{stack.reports_prefix}job-<id>/")
    print(f"  prune: {'yes, variants no longer in the specs are deleted' if prune else 'no'}")
    if stack.fingerprint:
        print(f"  specs: {stack.fingerprint}")
    per_million = estimate(1_000_000, seconds_per_image=seconds, memory_mb=stack.memory_mb)
    if objects is None:
        print("objects: unknown yet (no CloudWatch datapoint; pass --objects N)")
    else:
        print(f"objects: {objects:,} (from {counted_by})")
        _print_estimate(estimate(objects, seconds_per_image=seconds, memory_mb=stack.memory_mb))
    print(
        f"per million images remade: ${per_million.total:,.2f} "
        "(up-to-date images cost almost nothing: one GET and one HEAD each)"
    )


def _print_estimate(cost: Estimate) -> None:
    print(
        f"estimate if every image is remade: ${cost.total:,.2f} = Batch Operations "
        f"${cost.batch:,.2f} + Lambda ${cost.lambda_:,.2f} + S3 requests ${cost.s3:,.2f}"
    )


def _boto3_client(service: str, region: str) -> Any:
    import boto3

    return boto3.client(service, region_name=region)


def _fail(message: str) -> int:
    print(f"prism reprocess: {message}", file=sys.stderr)
    return 2
