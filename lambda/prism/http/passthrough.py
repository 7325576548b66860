"""Telling S3 events delivered by the Lambda Web Adapter from HTTP calls to the function URL.

How the adapter works (awslabs/aws-lambda-web-adapter, src/lib.rs `fetch_response`, and
lambda_http's request.rs `into_pass_through_request`):
- An invocation payload that is not an API Gateway / ALB / function-URL event becomes a
  POST to AWS_LWA_PASS_THROUGH_PATH whose request context is the unit variant
  `RequestContext::PassThrough`.
- On EVERY request it forwards, the adapter sets the header `x-amzn-request-context` to the
  JSON of that context with `HeaderMap::insert`, which replaces any value the caller sent.
  For a pass-through event that JSON is `null`; for a function-URL request it is the
  request-context object (`{"accountId": ..., "http": {...}, ...}`).
So behind the adapter, `x-amzn-request-context: null` can only come from a real event, and a
function-URL caller POSTing to /events arrives with an object there and is refused.

Without the adapter (`prism serve`) there is no such header on plain requests; local mode
accepts them, as no untrusted network sits in front of it.
"""

from __future__ import annotations

from collections.abc import Mapping

REQUEST_CONTEXT = "x-amzn-request-context"


def is_pass_through(headers: Mapping[str, str], *, local: bool) -> bool:
    value = headers.get(REQUEST_CONTEXT)
    if value is None:
        return local
    return value.strip() == "null"
