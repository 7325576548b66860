"""Requests a hostile page can make a browser send, refused before any route runs.

TrustedHosts (`prism serve` only) stops DNS rebinding. A page on evil.example whose name is
made to resolve to 127.0.0.1 is same-origin with the server as far as the browser knows, so
it could read and change everything, but its requests still say `Host: evil.example`. Only
the loopback names, the address the connection was made to, the name `prism serve` was
bound to and PRISM_ALLOWED_HOSTS are answered; any other Host gets 400. On Lambda there is
nothing to check: a function URL only takes requests for its own host, and CloudFront sends
the origin's own domain.

CrossSite stops cross-site request forgery on state-changing methods (all but GET, HEAD and
OPTIONS), with 403:
- `Sec-Fetch-Site` other than `same-origin` or `none` (Fetch Metadata: set by the browser,
  never by a page, in every current browser). `same-site` is refused too: another port of
  localhost is the same site.
- `Origin: null`: a sandboxed, file: or referrer-stripped page.
- Under `prism serve`, from a browser that sends no Fetch Metadata (older ones), an `Origin`
  that is not the Host itself. Where the browser does send `Sec-Fetch-Site`, its word decides:
  through a signing proxy (README, "Open the page on AWS") the page's origin is the proxy's
  while the Host is the upstream's, and the browser still says `same-origin`. On Lambda the
  Origin is never compared, for that reason.
Clients that are not browsers (curl, SDKs) send none of these headers and pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from prism.http.problems import problem_at

LOOPBACK = ("localhost", "127.0.0.1", "[::1]")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SAME_ORIGIN = frozenset({"same-origin", "none"})  # none: the user's own navigation


class _Gate:
    """The `send` TrustedHostMiddleware is given: it is called only with the middleware's
    plain-text refusal, which is dropped for a problem; an admitted request gets the real
    `send` (TrustedHosts._admit)."""

    def __init__(self, send: Send) -> None:
        self.send = send
        self.admitted = False

    async def __call__(self, message: Message) -> None:
        return None


class TrustedHosts:
    """Starlette's TrustedHostMiddleware does the matching (exact names and `*.domain`
    patterns, ports ignored, IPv6 literals); this adds the connection's own address, which
    is known per request, and answers its refusal as problem+json."""

    def __init__(self, app: ASGIApp, names: Iterable[str] = ()) -> None:
        self.app = app
        self.names = [*LOOPBACK, *names]
        # One check per local address the server is reached at: a handful (its interfaces).
        self._checks: dict[str, TrustedHostMiddleware] = {}

    def _check(self, scope: Scope) -> TrustedHostMiddleware:
        server = scope.get("server")
        own = server[0] if server else ""
        if ":" in own:
            own = f"[{own}]"  # an IPv6 address, as a Host header writes it
        check = self._checks.get(own)
        if check is None:
            names = [*self.names, own] if own else self.names
            check = TrustedHostMiddleware(self._admit, allowed_hosts=names, www_redirect=False)
            self._checks[own] = check
        return check

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        gate = _Gate(send)
        await self._check(scope)(scope, receive, gate)
        if not gate.admitted:
            host = Headers(scope=scope).get("host")
            detail = (
                f"this server does not answer to the host {host!r}; set PRISM_ALLOWED_HOSTS to"
                " serve it under another name"
                if host
                else "the request has no Host header"
            )
            await problem_at(scope["path"], 400, detail, code="untrusted_host")(
                scope, receive, send
            )

    async def _admit(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert isinstance(send, _Gate)
        send.admitted = True
        await self.app(scope, receive, send.send)


def cross_site(headers: Headers, *, compare_origin: bool) -> str | None:
    """Why a browser request comes from another site, or None."""
    site = headers.get("sec-fetch-site")
    if site is not None and site.strip().lower() not in _SAME_ORIGIN:
        return f"the browser says the request comes from another site (Sec-Fetch-Site: {site})"
    origin = headers.get("origin")
    if origin is None:
        return None
    if origin.strip().lower() == "null":
        return "the request comes from an opaque origin (Origin: null)"
    if not compare_origin or site is not None:
        return None  # Fetch Metadata said same-origin: the Origin adds nothing to that
    try:
        authority = urlsplit(origin.strip()).netloc.lower()
    except ValueError:
        authority = ""
    # Browsers write both without the scheme's default port.
    if authority != headers.get("host", "").lower():
        return f"the request comes from another origin ({origin})"
    return None


class CrossSite:
    def __init__(self, app: ASGIApp, *, compare_origin: bool) -> None:
        self.app = app
        self.compare_origin = compare_origin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            reason = cross_site(Headers(scope=scope), compare_origin=self.compare_origin)
            if reason is not None:
                detail = f"{scope['method']} refused: {reason}"
                await problem_at(scope["path"], 403, detail, code="cross_site")(
                    scope, receive, send
                )
                return
        await self.app(scope, receive, send)
