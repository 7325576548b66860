"""Names shared by the app, the stack and the tests: one declaration each."""

from __future__ import annotations

#: The liveness route; also the Lambda Web Adapter's readiness check.
HEALTHZ_PATH = "/healthz"
#: Where the Lambda Web Adapter posts S3 events (AWS_LWA_PASS_THROUGH_PATH), by default.
EVENTS_PATH = "/events"
#: The status the events route answers when the invocation must fail so Lambda retries the
#: S3 event. The Lambda Web Adapter only fails an invocation for statuses listed in its
#: AWS_LWA_ERROR_STATUS_CODES (any other response counts as success), so on Lambda that
#: variable must include this code - and nothing an HTTP route answers: a failed invocation
#: reaches a function-URL caller as a bare 502, not the route's problem+json. No HTTP route
#: answers 599 (an unassigned 5xx).
RETRY_STATUS = 599

#: CloudWatch metric names the app emits (prism.core.telemetry) and the stack alarms on.
METRIC_IMAGES_PROCESSED = "ImagesProcessed"
METRIC_IMAGES_REJECTED = "ImagesRejected"
METRIC_BYTES_IN = "BytesIn"
METRIC_BYTES_OUT = "BytesOut"
METRIC_PROCESSING_TIME = "ProcessingTime"
