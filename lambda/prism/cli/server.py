"""uvicorn as `prism serve` runs it: slow clients timed out, connections capped.

uvicorn times out idle keep-alive connections, but not a request whose headers or body
arrive slowly, and it accepts connections until the process runs out of file descriptors.
So the HTTP protocol here adds, per connection:
- a header timeout: the request line and headers must arrive within HEADER_TIMEOUT_S;
- a body idle timeout: a body that makes no progress for BODY_IDLE_TIMEOUT_S is abandoned
  (the app sees a disconnect);
- a connection cap: past `max_connections` open connections, a new one is closed at once,
  so descriptors stay free for the requests being served.
"""

from __future__ import annotations

import asyncio
import resource

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT_S = 10.0
BODY_IDLE_TIMEOUT_S = 30.0
#: Descriptors kept free for what the app itself opens (files, sockets to storage).
RESERVED_FDS = 64


def raise_fd_limit() -> int:
    """Lift the soft open-files limit to the hard one; returns the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return soft


def max_connections(fd_limit: int) -> int:
    return max(16, min(1000, fd_limit - RESERVED_FDS))


class BoundedH11Protocol(H11Protocol):
    max_connections = 1000
    _timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            self.transport.close()  # over the cap: refuse at once, keep the descriptor free
            return
        self._arm(HEADER_TIMEOUT_S)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        state = self.conn.their_state
        if state is h11.IDLE:  # a request's headers are arriving
            if self._timer is None:
                self._arm(HEADER_TIMEOUT_S)
        elif state is h11.SEND_BODY:  # progress: the body's idle clock starts again
            self._arm(BODY_IDLE_TIMEOUT_S)
        else:
            self._disarm()

    def on_response_complete(self) -> None:
        self._disarm()  # between requests uvicorn's keep-alive timeout applies
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, self._expire)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expire(self) -> None:
        self._timer = None
        if not self.transport.is_closing():
            self.transport.close()  # the app, if it was reading a body, sees a disconnect


def bounded_protocol(fd_limit: int) -> type[BoundedH11Protocol]:
    return type(
        "PrismH11Protocol", (BoundedH11Protocol,), {"max_connections": max_connections(fd_limit)}
    )
