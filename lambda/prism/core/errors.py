"""Typed reasons an upload is refused. Every failure of a bad file ends as one of these."""

from __future__ import annotations


class ImageRejected(Exception):
    """The upload is not something Prism will process. `reason` is a stable machine code."""

    reason: str = "rejected"
    #: HTTP status an API maps this rejection to.
    status: int = 422

    def __init__(self, detail: str, *, detected_format: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.detected_format = detected_format


class UnsupportedFormat(ImageRejected):
    """The bytes are not one of the allowed image formats."""

    reason = "unsupported_format"
    status = 415


class TooLarge(ImageRejected):
    """The file, or the image it declares, exceeds a configured limit."""

    reason = "too_large"
    status = 413


class CorruptImage(ImageRejected):
    """The format is allowed but the data is truncated or malformed."""

    reason = "corrupt"
    status = 422


class InvalidSpec(ValueError):
    """A variant spec (or list of them) is malformed. The message says which field and why."""
