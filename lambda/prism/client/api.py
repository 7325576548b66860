"""`Prism`: the HTTP API from Python. Upload through the presigned form and wait for the
manifest, read, list, delete, and build transform URLs (signed with prism.transforms.signing)."""

from __future__ import annotations

import mimetypes
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import httpx
from pydantic import ValidationError

from prism.client.aws import AwsAuth, SigV4Signer
from prism.client.errors import (
    AuthError,
    ImageRejected,
    NotFound,
    PrismError,
    StillProcessing,
    Timeout,
)
from prism.client.models import ImagePage, Manifest, UploadTicket
from prism.transforms import signing
from prism.transforms.params import ORIGINAL, Policy, TransformError, check_image_id, parse

API_KEY_HEADER = "x-api-key"
#: Polling GET /images/{id}: the first wait, growing by half each time up to the last.
_FIRST_POLL_S = 0.05
_MAX_POLL_S = 1.0


class _ApiAuth(httpx.Auth):
    """The API's credential on every API request (never on the presigned form, which goes to
    S3 on AWS): the `x-api-key` header for a public URL, a SigV4 signature for AWS_IAM."""

    requires_request_body = True  # SigV4 hashes the body

    def __init__(self, api_key: str | None, signer: SigV4Signer | None) -> None:
        self._api_key = api_key
        self._signer = signer

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._api_key is not None:
            request.headers[API_KEY_HEADER] = self._api_key
        if self._signer is not None:
            self._signer.sign(request)
        yield request


def _problem(response: httpx.Response) -> dict[str, Any] | None:
    if "json" not in response.headers.get("content-type", ""):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _error(response: httpx.Response, what: str) -> PrismError:
    """The exception for a refused request, from the server's problem document."""
    problem = _problem(response)
    status = response.status_code
    detail = (problem or {}).get("detail") or response.text[:500] or response.reason_phrase
    message = f"{what}: {status} {detail}"
    if status in (401, 403):
        return AuthError(message, status=status, problem=problem)
    if status == 404:
        return NotFound(message, status=status, problem=problem)
    if problem and problem.get("reason"):  # a rejected image (problems.rejection_problem)
        return ImageRejected(
            problem["reason"],
            detail,
            image_id=problem.get("image_id"),
            status=status,
            problem=problem,
        )
    return PrismError(message, status=status, problem=problem)


def _checked_id(image_id: str) -> str:
    # Also keeps an id from reaching the URL path unescaped.
    try:
        check_image_id(image_id)
    except TransformError as exc:
        raise NotFound(f"no image with id {image_id!r}: {exc.detail}", status=404) from None
    return image_id


def _content(source: str | Path | bytes, content_type: str | None) -> tuple[bytes, str, str]:
    """(bytes, content type, file name) of what `upload` was given."""
    if isinstance(source, bytes | bytearray | memoryview):
        data, name = bytes(source), "upload"
    else:
        path = Path(source)
        data, name = path.read_bytes(), path.name
        content_type = content_type or mimetypes.guess_type(path.name)[0]
    if not content_type or not content_type.startswith("image/"):
        # The form's policy takes only image/* (the server then reads the bytes themselves).
        raise ValueError(
            f"pass content_type='image/...' for {name!r}"
            + (f" (not {content_type!r})" if content_type else "")
        )
    return data, content_type, name


class Prism:
    """A client of one Prism deployment.

    `base_url`: the function URL (or `http://127.0.0.1:8080` for `prism serve`).
    `api_key`: for a public URL with API keys (`prism:functionUrlAuth NONE`).
    `aws_auth`: for an AWS_IAM URL (the default): True signs with botocore's default
    credential chain, or an `AwsAuth(credentials, region)`.
    `cdn_url`: where transform URLs point (the CDN's base), if not the API itself.
    `transport`: an httpx transport (tests pass `httpx.MockTransport`).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        aws_auth: AwsAuth | bool | None = None,
        *,
        cdn_url: str | None = None,
        request_timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.cdn_url = (cdn_url or self.base_url).rstrip("/")
        auth = AwsAuth() if aws_auth is True else aws_auth or None
        signer = SigV4Signer(auth, self.base_url) if auth else None
        self._auth = _ApiAuth(api_key, signer)
        self._http = httpx.Client(
            base_url=self.base_url, timeout=request_timeout, transport=transport
        )

    def __enter__(self) -> Prism:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _send(self, method: str, url: str, what: str, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("auth", self._auth)
        try:
            return self._http.request(method, url, **kwargs)
        except httpx.TimeoutException as exc:
            raise Timeout(f"{what}: no answer from {self.base_url} in time ({exc})") from exc
        except httpx.TransportError as exc:
            raise PrismError(f"{what}: cannot reach {self.base_url} ({exc})") from exc

    def _json(self, response: httpx.Response, what: str, model: type[Any]) -> Any:
        try:
            return model.model_validate(response.json())
        except (ValueError, ValidationError) as exc:
            raise PrismError(
                f"{what}: the answer is not a {model.__name__} ({exc})",
                status=response.status_code,
            ) from None

    # --- Images --------------------------------------------------------------------------

    def upload(
        self,
        source: str | Path | bytes,
        *,
        content_type: str | None = None,
        timeout: float = 60.0,
    ) -> Manifest:
        """Upload through the presigned form and wait until the image is processed.

        `source`: a file path, or the bytes (then `content_type` is needed). Raises
        ImageRejected (with the server's `reason`) if the image is refused, Timeout if it is
        not processed within `timeout` seconds (`wait(error.image_id)` can resume)."""
        data, content_type, name = _content(source, content_type)
        response = self._send("POST", "/uploads", "POST /uploads")
        if response.status_code != 200:
            raise _error(response, "POST /uploads")
        ticket = self._json(response, "POST /uploads", UploadTicket)
        if len(data) > ticket.max_bytes:
            raise ImageRejected(
                "too_large",
                f"{name} is {len(data)} bytes; uploads may be at most {ticket.max_bytes}",
            )
        # The form's own fields, then Content-Type, then the file last (S3 ignores any field
        # after it): httpx sends `data` before `files`. No API credential: on AWS this is S3.
        form = self._send(
            "POST",
            ticket.url,
            "upload form",
            auth=None,
            data=ticket.fields | {"Content-Type": content_type},
            files={ticket.file_field: (name, data, content_type)},
        )
        if not 200 <= form.status_code < 300:
            raise _error(form, "upload form")
        return self.wait(ticket.id, timeout=timeout)

    def wait(self, image_id: str, *, timeout: float = 60.0) -> Manifest:
        """Poll until the image is processed (its manifest) or rejected (ImageRejected)."""
        deadline = time.monotonic() + timeout
        pause = _FIRST_POLL_S
        while True:
            try:
                return self.get(image_id)
            except StillProcessing:
                pass
            except PrismError as exc:
                if exc.status != 503:  # busy or storage hiccup: try again, in time
                    raise
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout(
                    f"image {image_id} was not processed within {timeout:g} s",
                    image_id=image_id,
                )
            time.sleep(min(pause, left))
            pause = min(pause * 1.5, _MAX_POLL_S)

    def get(self, image_id: str) -> Manifest:
        """The manifest. StillProcessing if not processed yet, ImageRejected if refused."""
        what = f"GET /images/{image_id}"
        response = self._send("GET", f"/images/{_checked_id(image_id)}", what)
        if response.status_code == 202:
            raise StillProcessing(image_id)
        if response.status_code != 200:
            raise _error(response, what)
        return self._json(response, what, Manifest)

    def list(self, *, page_size: int = 100) -> Iterator[Manifest]:
        """Every processed image, newest first, fetching page after page as it goes."""
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": page_size}
            if cursor is not None:
                params["cursor"] = cursor
            response = self._send("GET", "/images", "GET /images", params=params)
            if response.status_code != 200:
                raise _error(response, "GET /images")
            page = self._json(response, "GET /images", ImagePage)
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def delete(self, image_id: str) -> None:
        """Delete the image and everything made from it. NotFound if there is none."""
        what = f"DELETE /images/{image_id}"
        response = self._send("DELETE", f"/images/{_checked_id(image_id)}", what)
        if response.status_code != 204:
            raise _error(response, what)

    # --- Transform URLs (built here; no request is made) -----------------------------------

    def transform_url(self, image_id: str, **params: Any) -> str:
        """An unsigned transform URL in canonical form (one cache entry per transform), e.g.
        `transform_url(id, width=800, format="auto")`. ValueError for a bad parameter."""
        _checked_id(image_id)
        given = {name: str(value) for name, value in params.items() if value is not None}
        unknown = sorted(set(given) - {"width", "height", "fit", "format", "quality"})
        if unknown:
            raise ValueError(f"unknown transform parameter(s): {', '.join(unknown)}")
        try:
            form = parse(given, Policy(max_size=999_999)).form()  # the bound is the server's
        except TransformError as exc:
            raise ValueError(f"{exc.param}: {exc.detail}") from None
        query = "" if form == ORIGINAL else "?" + form.replace(",", "&")
        return f"{self.cdn_url}/images/{image_id}/transform{query}"

    def sign_url(self, image_id: str, key: str, **params: Any) -> str:
        """A signed transform URL (prism.transforms.signing.sign_url on `cdn_url`)."""
        _checked_id(image_id)
        try:
            return signing.sign_url(self.cdn_url, image_id, key, **params)
        except TransformError as exc:
            raise ValueError(f"{exc.param}: {exc.detail}") from None
