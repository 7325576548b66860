"""What a call can fail with. Every error is a PrismError; the HTTP ones carry the status and
the server's problem document (RFC 9457), whose `code` is the stable part to match on."""

from __future__ import annotations

from typing import Any

PROBLEM_PREFIX = "urn:prism:problem:"


class PrismError(Exception):
    """Anything the client could not do. `status` and `problem` are set when the server said
    why (`problem` is its problem+json body, or None for a non-JSON answer such as S3's XML)."""

    def __init__(
        self, message: str, *, status: int | None = None, problem: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.problem = problem

    @property
    def code(self) -> str | None:
        """The problem's code (`not_found`, `corrupt`, `missing_api_key`, ...), if any."""
        kind = (self.problem or {}).get("type", "")
        return kind.removeprefix(PROBLEM_PREFIX) if kind.startswith(PROBLEM_PREFIX) else None


class NotFound(PrismError, LookupError):
    """No image with this id (404)."""


class AuthError(PrismError):
    """The request was refused for its credentials: a missing or wrong API key (401) or a
    SigV4 signature the function URL refuses (403)."""


class ImageRejected(PrismError):
    """The server would not process the image. `reason` is its stable code
    (`unsupported_format`, `too_large`, `corrupt`, ...), `detail` the sentence for people."""

    def __init__(
        self,
        reason: str,
        detail: str,
        *,
        image_id: str | None = None,
        status: int | None = None,
        problem: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail, status=status, problem=problem)
        self.reason = reason
        self.detail = detail
        self.image_id = image_id


class StillProcessing(PrismError):
    """GET /images/{id} answered 202: uploaded, not processed yet. `wait` polls until done."""

    def __init__(self, image_id: str) -> None:
        super().__init__(f"image {image_id} is not processed yet", status=202)
        self.image_id = image_id


class Timeout(PrismError, TimeoutError):
    """No answer in time: the server did not reply, or the image was not processed before
    the deadline (`image_id` is then set: `wait(image_id)` may be called again later)."""

    def __init__(self, message: str, *, image_id: str | None = None) -> None:
        super().__init__(message)
        self.image_id = image_id
