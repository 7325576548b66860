"""Answer an S3 Batch Operations invocation: each task's original brought up to date
(`prism.service.reprocess`), each outcome turned into the result Batch Operations reads.

A task never fails the whole invocation: storage trouble is that task's TemporaryFailure
(Batch Operations retries it), and anything unexpected is that task's PermanentFailure with
the reason in the completion report, so one bad object cannot stall a million-object job.
"""

from __future__ import annotations

import logging
from typing import Any

from prism.service.batch import BatchInvocation, TaskResult, parse_invocation, response
from prism.service.processing import Ingestor
from prism.service.reprocess import reprocess_upload

log = logging.getLogger(__name__)


def answer_invocation(ingestor: Ingestor, event: Any) -> dict[str, Any]:
    """The result document for `event`; raises MalformedInvocation if it has no ids."""
    invocation = parse_invocation(event)
    return response(invocation, [_task(ingestor, invocation, task) for task in invocation.tasks])


def _task(ingestor: Ingestor, invocation: BatchInvocation, task: Any) -> TaskResult:
    uploads = ingestor.storage.bucket_name("uploads")
    if task.bucket != uploads:
        return TaskResult(task.task_id, "PermanentFailure", f"not this stack's bucket {uploads}")
    expected = invocation.expected_fingerprint
    if expected and expected != ingestor.fingerprint:
        # The job was started for other specs than this function runs (a `pulumi up` still
        # pending, or one since): remaking images now would not give what was asked for.
        return TaskResult(
            task.task_id,
            "PermanentFailure",
            f"the job expects specs {expected} but the function runs {ingestor.fingerprint}",
        )
    try:
        outcome = reprocess_upload(ingestor, task.key, prune=invocation.prune)
    except Exception as exc:  # a bug must cost one task, not the job
        log.exception("reprocessing %s failed", task.key)
        return TaskResult(task.task_id, "PermanentFailure", f"internal error: {exc!r}")
    return TaskResult(task.task_id, outcome.code, outcome.message)
