"""`prism serve` only: URLs the app builds (upload form, status, Location, variants) name the
address the server is bound to, never the request's Host header, which any client may set
(`Host: evil.example` must not yield an upload URL on evil.example).

On Lambda the function URL's host is set by AWS, so the middleware is not installed there.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


def _authority(host: str, port: int | None, scheme: str) -> str:
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # IPv6
    default = {"http": 80, "https": 443}.get(scheme)
    return host if port in (None, default) else f"{host}:{port}"


class BoundHost:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        server = scope.get("server")
        if scope["type"] == "http" and server:
            authority = _authority(server[0], server[1], scope.get("scheme", "http"))
            headers = [(k, v) for k, v in scope["headers"] if k != b"host"]
            scope = dict(scope, headers=[*headers, (b"host", authority.encode("latin-1"))])
        await self.app(scope, receive, send)
