"""How long the current request may still take, when its caller says so.

On Lambda the invocation has a deadline (the Lambda Web Adapter forwards it in the
`x-amzn-lambda-context` header); past it the function is stopped and the caller sees a
timeout instead of an answer. Storage calls consult `remaining()` and give up in time for
the app to answer 503 (or fail the event for a retry) itself. Without a deadline (prism
serve), `remaining()` is None and nothing is cut short.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_DEADLINE: ContextVar[float | None] = ContextVar("prism_deadline", default=None)


def remaining() -> float | None:
    """Seconds left before the current request's deadline, or None when it has none."""
    deadline = _DEADLINE.get()
    return None if deadline is None else deadline - time.monotonic()


@contextmanager
def until(epoch_seconds: float | None, margin: float = 0.0) -> Iterator[None]:
    """Run the block with a deadline at `epoch_seconds` (wall clock) less `margin`."""
    if epoch_seconds is None:
        yield
        return
    token = _DEADLINE.set(time.monotonic() + (epoch_seconds - time.time()) - margin)
    try:
        yield
    finally:
        _DEADLINE.reset(token)
