"""An HTTP proxy in front of moto's server that injects S3 faults on a schedule.

Faults, per request in arrival order:
- `slowdown`: 503 with S3's `SlowDown` error body (throttling);
- `internal`: 500 with S3's `InternalError` body;
- `reset`: the connection is reset (RST) after the request is read;
- `timeout`: no answer until the client's read timeout has passed, then the socket closes.
`fail_next(kind, n)` queues n faults; `fail_always(kind)` fails every request until `heal()`.
Requests that are not faulted are forwarded unchanged, so signatures and bodies are real.
"""

from __future__ import annotations

import http.client
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

ERROR_BODIES = {
    "slowdown": (503, "SlowDown", "Please reduce your request rate."),
    "internal": (500, "InternalError", "We encountered an internal error. Please try again."),
}
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"}


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a reset or abandoned connection is the point here, not news


class FaultProxy:
    def __init__(self, upstream: str, *, hang_seconds: float = 3.0) -> None:
        self.upstream = urlsplit(upstream)
        self.hang_seconds = hang_seconds
        self._queue: deque[str] = deque()
        self._always: str | None = None
        self._lock = threading.Lock()
        self.log: list[tuple[str, str, str]] = []  # (method, path, fault or "ok")
        self._server = _QuietServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    # --- the schedule ---------------------------------------------------------------------

    def fail_next(self, kind: str, count: int = 1) -> None:
        with self._lock:
            self._queue.extend([kind] * count)

    def fail_always(self, kind: str) -> None:
        with self._lock:
            self._always = kind

    def heal(self) -> None:
        with self._lock:
            self._queue.clear()
            self._always = None

    def _next_fault(self) -> str | None:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            return self._always

    def faults(self) -> list[str]:
        return [fault for _, _, fault in self.log if fault != "ok"]

    # --- serving -------------------------------------------------------------------------

    def start(self) -> None:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _body(self) -> bytes:
                if self.headers.get("transfer-encoding", "").lower() == "chunked":
                    parts = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return b"".join(parts)
                        parts.append(self.rfile.read(size))
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("content-length") or 0))

            def _handle(self) -> None:
                body = self._body()
                fault = proxy._next_fault()
                proxy.log.append((self.command, self.path, fault or "ok"))
                if fault in ERROR_BODIES:
                    self._error(*ERROR_BODIES[fault])
                elif fault == "reset":
                    self._reset()
                elif fault == "timeout":
                    time.sleep(proxy.hang_seconds)
                    self.close_connection = True
                else:
                    self._forward(body)

            def _error(self, status: int, code: str, message: str) -> None:
                xml = (
                    f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
                    f"<Message>{message}</Message><RequestId>fault</RequestId></Error>"
                ).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(xml)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(xml)

            def _reset(self) -> None:
                # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.close_connection = True
                self.connection.close()

            def _forward(self, body: bytes) -> None:
                up = http.client.HTTPConnection(
                    proxy.upstream.hostname, proxy.upstream.port, timeout=30
                )
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                headers["Content-Length"] = str(len(body))
                up.request(self.command, self.path, body=body, headers=headers)
                response = up.getresponse()
                data = response.read()
                self.send_response(response.status, response.reason)
                for key, value in response.getheaders():
                    if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                        self.send_header(key, value)
                length = response.getheader("content-length") if self.command == "HEAD" else None
                self.send_header("Content-Length", length or str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                up.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

        return Handler


@contextmanager
def fault_proxy(upstream: str, **options: float) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream, **options)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
