"""The invocation's deadline, from the header the Lambda Web Adapter adds to every request.

`x-amzn-lambda-context` holds the Lambda runtime's context as JSON; its `deadline` is the
epoch millisecond at which Lambda stops the function (aws-lambda-rust-runtime's `Context`,
which the adapter serialises). MARGIN_S of it is kept back to write the answer.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

from prism.core import deadline

HEADER = b"x-amzn-lambda-context"
MARGIN_S = 1.0


def deadline_of(headers: list[tuple[bytes, bytes]]) -> float | None:
    """The deadline in epoch seconds, or None without a usable header."""
    raw = next((v for k, v in headers if k == HEADER), None)
    if raw is None:
        return None
    try:
        value = json.loads(raw).get("deadline")
    except (ValueError, AttributeError):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return value / 1000


class InvocationDeadline:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with deadline.until(deadline_of(scope["headers"]), MARGIN_S):
            await self.app(scope, receive, send)
