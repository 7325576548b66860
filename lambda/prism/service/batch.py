"""S3 Batch Operations invocations: read the tasks out of the event, and write the answer.

Batch Operations invokes the function synchronously with one document per invocation
(schema 2.0: `invocationSchemaVersion`, `invocationId`, `job.userArguments`, `tasks[]` with
`s3Bucket`/`s3Key`/`s3VersionId`) and reads back a document with one result per task:
`Succeeded`, `TemporaryFailure` (Batch Operations retries the task) or `PermanentFailure`
(the task is marked failed; its resultString goes into the completion report).
Keys arrive URL-encoded and are decoded with `unquote_plus` (Powertools' reading, checked
against real Batch Operations jobs). Parsing and answering use Powertools' data classes.

Pure functions; the work per task happens in `prism.service.reprocess`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from aws_lambda_powertools.utilities.data_classes import (
    S3BatchOperationEvent,
    S3BatchOperationResponse,
    S3BatchOperationResponseRecord,
)
from aws_lambda_powertools.utilities.data_classes.s3_batch_operation_event import (
    S3BatchOperationTask,
)

ResultCode = Literal["Succeeded", "TemporaryFailure", "PermanentFailure"]
SCHEMA_VERSION = "2.0"
#: What Batch Operations assumes for a task missing from the answer. Every task gets an
#: explicit result, so this only matters if that promise is ever broken.
TREAT_MISSING_AS: ResultCode = "PermanentFailure"
#: resultString lands in the CSV completion report; keep a runaway message readable.
MAX_RESULT_CHARS = 1000
#: User arguments the job may pass (all strings, as Batch Operations requires).
PRUNE = "prune"
FINGERPRINT = "fingerprint"


class MalformedInvocation(ValueError):
    """Not a Batch Operations invocation Prism can answer (no ids to answer with)."""


@dataclass(frozen=True, slots=True)
class BatchTask:
    task_id: str
    bucket: str
    key: str  # decoded
    version_id: str | None


@dataclass(frozen=True, slots=True)
class BatchInvocation:
    invocation_id: str
    schema_version: str
    job_id: str
    tasks: tuple[BatchTask, ...]
    user_arguments: Mapping[str, str] = field(default_factory=dict)

    @property
    def prune(self) -> bool:
        """Remove variants no longer in the specs (only when the job asks)."""
        return str(self.user_arguments.get(PRUNE, "")).lower() == "true"

    @property
    def expected_fingerprint(self) -> str | None:
        """The spec fingerprint the job was started for, if it says."""
        return self.user_arguments.get(FINGERPRINT) or None


@dataclass(frozen=True, slots=True)
class TaskResult:
    task_id: str
    code: ResultCode
    detail: str


def is_batch_invocation(event: Any) -> bool:
    """Batch Operations documents carry `invocationSchemaVersion`; S3 notifications do not."""
    return isinstance(event, Mapping) and "invocationSchemaVersion" in event


def parse_invocation(event: Any) -> BatchInvocation:
    if not is_batch_invocation(event):
        raise MalformedInvocation("expected an S3 Batch Operations invocation")
    wrapped = S3BatchOperationEvent(dict(event))
    try:
        tasks = tuple(
            BatchTask(
                task_id=_text(task.task_id, "taskId"),
                bucket=_text(_bucket(task), "s3Bucket"),
                key=task.s3_key,
                version_id=task.s3_version_id,
            )
            for task in wrapped.tasks
        )
        arguments = wrapped.job.user_arguments
        invocation = BatchInvocation(
            invocation_id=_text(wrapped.invocation_id, "invocationId"),
            schema_version=_text(wrapped.invocation_schema_version, "invocationSchemaVersion"),
            job_id=_text(wrapped.job.get_id, "job.id"),
            tasks=tasks,
            user_arguments={str(k): str(v) for k, v in arguments.items()},
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise MalformedInvocation(f"the invocation lacks a field: {exc}") from None
    if not tasks:
        raise MalformedInvocation("the invocation has no tasks")
    return invocation


def _bucket(task: S3BatchOperationTask) -> str | None:
    # Schema 1.0 names the bucket by ARN. Bucket names cannot contain ':', so the last segment
    # is the name whatever the ARN's middle looks like (AWS's own example has region and
    # account there, which Powertools' split on ':::' does not expect).
    arn = task.s3_bucket_arn
    return arn.rsplit(":", 1)[-1] if arn else task.get("s3Bucket")


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise TypeError(f"{name} must be a non-empty string")
    return value


def response(invocation: BatchInvocation, results: Sequence[TaskResult]) -> dict[str, Any]:
    """The document Batch Operations reads back: one result per task, in task order."""
    records = [
        S3BatchOperationResponseRecord(r.task_id, r.code, r.detail[:MAX_RESULT_CHARS])
        for r in results
    ]
    answer = S3BatchOperationResponse(
        invocation.schema_version, invocation.invocation_id, TREAT_MISSING_AS, records
    )
    if len(records) == 1:
        return answer.asdict()
    # Powertools insists on exactly one result (all Batch Operations sends today); should an
    # invocation ever carry several tasks, each still gets its own result.
    return {
        "invocationSchemaVersion": answer.invocation_schema_version,
        "treatMissingKeysAs": answer.treat_missing_keys_as,
        "invocationId": answer.invocation_id,
        "results": [r.asdict() for r in records],
    }
