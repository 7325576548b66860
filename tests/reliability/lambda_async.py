"""A small model of how Lambda runs an asynchronous (S3-triggered) invocation of Prism.

Lambda invokes the function; behind the Lambda Web Adapter the invocation fails when the
app answers one of AWS_LWA_ERROR_STATUS_CODES (as the stack sets them). A failed invocation
is retried up to `retries` times (Lambda's default for async invocations is 2; the stack
keeps it); after the last failure the event goes to the function's dead-letter queue as the
message body, with RequestID / ErrorCode / ErrorMessage attributes, as Lambda sends it.
Lambda waits minutes between attempts; here `between_attempts` runs instead.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from prism_infra.environment import ADAPTER_ENV

Invoke = Callable[[dict[str, Any]], tuple[int, str]]  # event -> (status, body)


def error_statuses(raw: str = ADAPTER_ENV["AWS_LWA_ERROR_STATUS_CODES"]) -> set[int]:
    """The adapter's syntax: comma-separated codes and low-high ranges."""
    codes: set[int] = set()
    for part in raw.split(","):
        low, _, high = part.strip().partition("-")
        codes.update(range(int(low), int(high or low) + 1))
    return codes


@dataclass
class AsyncInvoker:
    invoke: Invoke
    sqs: Any  # a boto3 SQS client
    dead_letter_queue_url: str
    retries: int = 2
    between_attempts: Callable[[int], None] = lambda attempt: None
    attempts: list[int] = field(default_factory=list)  # statuses, one per attempt

    def __call__(self, event: dict[str, Any]) -> str:
        failing = error_statuses()
        request_id = str(uuid.uuid4())
        status, body = 0, ""
        for attempt in range(1, self.retries + 2):
            if attempt > 1:
                self.between_attempts(attempt)
            status, body = self.invoke(event)
            self.attempts.append(status)
            if status not in failing:
                return "succeeded"
        self.sqs.send_message(
            QueueUrl=self.dead_letter_queue_url,
            MessageBody=json.dumps(event),
            MessageAttributes={
                "RequestID": {"DataType": "String", "StringValue": request_id},
                "ErrorCode": {"DataType": "Number", "StringValue": str(status)},
                "ErrorMessage": {"DataType": "String", "StringValue": body[:256] or "error"},
            },
        )
        return "dead-lettered"
