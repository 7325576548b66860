"""Answer an S3 Batch Operations invocation: each task's original brought up to date
(`prism.service.reprocess`), each outcome turned into the result Batch Operations reads.

A task never fails the whole invocation: storage trouble is that task's TemporaryFailure
(Batch Operations retries it), and anything unexpected is that task's PermanentFailure with
the reason in the completion report, so one bad object cannot stall a million-object job.

Batch Operations sends one task per invocation ("invokes the Lambda function synchronously for
each object in the manifest", https://docs.aws.amazon.com/lambda/latest/dg/services-s3-batch.html;
both schemas carry `tasks` as a list). A document listing the same object many times is still
answered in full, one result per task, but each object is worked on once: the outcome for
its first task answers the others.
"""

from __future__ import annotations

import logging
from typing import Any

from prism.service.batch import (
    BatchInvocation,
    BatchTask,
    ResultCode,
    TaskResult,
    parse_invocation,
    response,
)
from prism.service.processing import Ingestor
from prism.service.reprocess import reprocess_upload

log = logging.getLogger(__name__)


def answer_invocation(ingestor: Ingestor, event: Any) -> dict[str, Any]:
    """The result document for `event`; raises MalformedInvocation if it has no ids."""
    invocation = parse_invocation(event)
    done: dict[tuple[str, str], Answer] = {}
    results = []
    for task in invocation.tasks:
        target = (task.bucket, task.key)
        if target not in done:
            done[target] = _answer(ingestor, invocation, task)
        code, detail = done[target]
        results.append(TaskResult(task.task_id, code, detail))
    return response(invocation, results)


Answer = tuple[ResultCode, str]


def _answer(ingestor: Ingestor, invocation: BatchInvocation, task: BatchTask) -> Answer:
    uploads = ingestor.storage.bucket_name("uploads")
    if task.bucket != uploads:
        return "PermanentFailure", f"not this stack's bucket {uploads}"
    expected = invocation.expected_fingerprint
    if expected and expected != ingestor.fingerprint:
        # The job was started for other specs than this function runs (a `pulumi up` still
        # pending, or one since): remaking images now would not give what was asked for.
        return (
            "PermanentFailure",
            f"the job expects specs {expected} but the function runs {ingestor.fingerprint}",
        )
    try:
        outcome = reprocess_upload(ingestor, task.key, prune=invocation.prune)
    except Exception as exc:  # a bug must cost one task, not the job
        log.exception("reprocessing %s failed", task.key)
        return "PermanentFailure", f"internal error: {exc!r}"
    return outcome.code, outcome.message
