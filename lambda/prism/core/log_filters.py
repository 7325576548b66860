"""Two logging filters: no credentials in access logs, and each kind of error once a minute.

RedactQuery: uvicorn's access log prints each request's path with its query string, and a
query string may carry credentials (an API key sent the wrong way, a presigned URL's
`X-Amz-Signature`, a transform URL's `sig`). Every value but those of known harmless
parameters is replaced, so the line still shows which parameters came.

OncePerInterval: a flood of one failure (a client storm, "Too many open files" on every
accept) must not become a flood of log lines. The first record of a kind (logger, message
template, exception type) passes; the rest are counted for `interval` seconds, and the next
one to pass says how many were held back.
"""

from __future__ import annotations

import logging
import threading
import time
from urllib.parse import parse_qsl, urlencode

#: Query parameters whose values are never secret (transform geometry, listing paging).
HARMLESS_PARAMS = frozenset({"width", "height", "fit", "format", "quality", "cursor", "limit"})
REDACTED = "redacted"


def redact_query(path: str) -> str:
    """`path` with the value of every parameter not known to be harmless replaced."""
    base, sep, query = path.partition("?")
    if not sep:
        return path
    pairs = parse_qsl(query, keep_blank_values=True)
    safe = [(k, v if k.lower() in HARMLESS_PARAMS else REDACTED) for k, v in pairs]
    return f"{base}?{urlencode(safe)}"


class RedactQuery(logging.Filter):
    """For uvicorn's access logger, whose arguments are (client, method, path, version,
    status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_query(args[2]), *args[3:])
        return True


class OncePerInterval(logging.Filter):
    def __init__(self, interval: float = 60.0) -> None:
        super().__init__()
        self.interval = interval
        self._lock = threading.Lock()
        self._last: dict[tuple[str, str, str], float] = {}
        self._held: dict[tuple[str, str, str], int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        kind = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else ""
        key = (record.name, str(record.msg), kind)
        now = time.monotonic()
        with self._lock:
            if now - self._last.get(key, -self.interval) < self.interval:
                self._held[key] = self._held.get(key, 0) + 1
                return False
            self._last[key] = now
            held = self._held.pop(key, 0)
        if held:
            record.msg = f"{record.msg} ({held} more like this in the last {self.interval:.0f} s)"
        return True


#: Loggers whose warnings and errors are throttled: the server's and the event loop's.
THROTTLED_LOGGERS = ("uvicorn.error", "asyncio")
_installed = threading.Lock()


def install(interval: float = 60.0) -> None:
    """Add the filters to uvicorn's and asyncio's loggers (once per process)."""
    with _installed:
        access = logging.getLogger("uvicorn.access")
        if not any(isinstance(f, RedactQuery) for f in access.filters):
            access.addFilter(RedactQuery())
        for name in THROTTLED_LOGGERS:
            logger = logging.getLogger(name)
            if not any(isinstance(f, OncePerInterval) for f in logger.filters):
                logger.addFilter(OncePerInterval(interval))
