"""HEAD on every GET route: answered as the GET would be, without the body (RFC 9110 §9.3.2:
the same header fields, Content-Length included).

FastAPI adds no HEAD to its GET routes, and declaring `methods=["GET", "HEAD"]` on each would
publish a second operation per path in the OpenAPI document. Here the route runs as a GET and
the body is dropped, so status and headers are the GET's by construction. A transform not
made yet is made, as for a GET: CloudFront forwards a HEAD miss to the origin like a GET one.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

BODY = ("http.response.body", "http.response.pathsend")


class HeadAsGet:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        ended = False

        async def headers_only(message: Message) -> None:
            nonlocal ended
            if message["type"] in BODY:
                # One empty, final body for the first chunk; the GET's other chunks dropped.
                if ended:
                    return
                ended = True
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        # Without the server's pathsend extension a file goes as body chunks, dropped here.
        extensions = dict(scope.get("extensions") or {})
        extensions.pop("http.response.pathsend", None)
        await self.app(dict(scope, method="GET", extensions=extensions), receive, headers_only)
