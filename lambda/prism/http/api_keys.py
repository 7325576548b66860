"""API keys for a public function URL (`prism:functionUrlAuth NONE`).

Callers send one of the configured keys in the `x-api-key` header. The keys live in one AWS
Secrets Manager secret (JSON `{"keys": [...]}`, written by the stack), read once per process
- that is, per Lambda cold start - and kept only as SHA-256 digests. A candidate is hashed and
compared with every digest with `hmac.compare_digest`: the time taken says nothing about the
keys, not even their length. Several keys may be valid at once, so a key is rotated by adding
the new one, moving callers over, then removing the old one.

No key, candidate or secret text is ever logged or put in a message; while the secret is
read, botocore's debug log of response bodies is held back too. The check itself is the
router dependency `prism.http.dependencies.require_api_key`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

HEADER = "x-api-key"
SECRET_FIELD = "keys"  # noqa: S105 - a JSON field name, not a secret

logger = logging.getLogger(__name__)
_reading = threading.local()


class ApiKeyError(Exception):
    """The keys cannot be read or make no sense. The message never holds secret text.

    `permanent`: retrying will not help until someone fixes the configuration (no such
    secret, no permission, not the expected JSON). `retry_after`: seconds until the store
    tries to read the secret again."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: int = 1) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


#: Secrets Manager error codes no retry can fix (docs: GetSecretValue, "Errors").
PERMANENT_CODES = frozenset(
    {
        "ResourceNotFoundException",
        "AccessDeniedException",
        "AccessDenied",
        "InvalidParameterException",
        "InvalidRequestException",
        "ValidationException",
        "DecryptionFailure",
        "UnrecognizedClientException",
    }
)
#: A failed read is tried again after 1 s, then 2, 4, ... up to this (seconds).
MAX_BACKOFF_S = 60


def encode_keys(keys: Iterable[str]) -> str:
    """The secret's text for these keys (the stack stores exactly this)."""
    return json.dumps({SECRET_FIELD: list(keys)})


def decode_keys(text: str, what: str = "API keys") -> tuple[str, ...]:
    try:
        document = json.loads(text)
    except ValueError:
        raise ApiKeyError(f"the {what} secret is not JSON", permanent=True) from None
    keys = document.get(SECRET_FIELD) if isinstance(document, dict) else None
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) and k for k in keys):
        raise ApiKeyError(
            f'the {what} secret must be a JSON object {{"{SECRET_FIELD}": [...]}} '
            "with at least one non-empty key",
            permanent=True,
        )
    return tuple(keys)


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).digest()


class LoadedOnce[T]:
    """A value read on first use, once, and kept for the process's life (keys from a secret).

    A failed read is not repeated by every request: until its backoff (1 s, doubling up to
    MAX_BACKOFF_S) has passed, requests get the same error without a call to the secret
    store. Each real failure is logged once, with its cause (never secret text).
    """

    def __init__(
        self, load: Callable[[], T], what: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._load = load
        self._what = what
        self._clock = clock
        self._value: T | None = None
        self._lock = threading.Lock()
        self._failure: ApiKeyError | None = None
        self._failures = 0
        self._retry_at = 0.0

    @property
    def loaded(self) -> bool:
        return self._value is not None

    def get(self) -> T:
        if self._value is None:
            with self._lock:
                if self._value is None:
                    self._value = self._read()
        return self._value

    def _read(self) -> T:
        now = self._clock()
        if self._failure is not None and now < self._retry_at:
            raise self._again(now)
        try:
            value = self._load()
        except ApiKeyError as exc:
            self._failures += 1
            self._failure = exc
            self._retry_at = now + min(MAX_BACKOFF_S, 2 ** (self._failures - 1))
            logger.error(
                "%s unavailable: %s",
                self._what,
                exc,
                extra={"permanent": exc.permanent, "attempt": self._failures},
            )
            raise self._again(now) from None
        self._failure = None
        return value

    def _again(self, now: float) -> ApiKeyError:
        assert self._failure is not None
        wait = max(1, math.ceil(self._retry_at - now))
        return ApiKeyError(str(self._failure), permanent=self._failure.permanent, retry_after=wait)


class KeyStore:
    """The API keys, loaded once (LoadedOnce) and kept only as digests."""

    def __init__(
        self, load: Callable[[], Sequence[str]], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._digests = LoadedOnce(lambda: tuple(_digest(key) for key in load()), "API keys", clock)

    @property
    def loaded(self) -> bool:
        return self._digests.loaded

    def digests(self) -> tuple[bytes, ...]:
        return self._digests.get()

    def accepts(self, candidate: str | None) -> bool:
        """Whether `candidate` is one of the keys, in time independent of which (or none)."""
        digests = self.digests()
        if not candidate:
            return False
        given = _digest(candidate)
        found = False
        for digest in digests:  # every key is compared, no early exit
            found |= hmac.compare_digest(given, digest)
        return found


class _HoldBackResponseBodies(logging.Filter):
    """Drops botocore's DEBUG records (which include response bodies) while a secret is read."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(_reading, "active", False)


_BODY_LOGGERS = ("botocore.parsers", "botocore.endpoint", "botocore.httpchecksum")
_FILTER = _HoldBackResponseBodies()


def secrets_manager_loader(
    secret_arn: str,
    version_id: str | None = None,
    client: Any | None = None,
    *,
    what: str = "API keys",
) -> Callable[[], tuple[str, ...]]:
    """A loader reading the keys from Secrets Manager (exactly `version_id` when given);
    `what` names the keys in its errors."""

    def load() -> tuple[str, ...]:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError

        for name in _BODY_LOGGERS:
            if _FILTER not in logging.getLogger(name).filters:
                logging.getLogger(name).addFilter(_FILTER)
        request: dict[str, str] = {"SecretId": secret_arn}
        if version_id:
            request["VersionId"] = version_id
        _reading.active = True
        try:
            response = (client or boto3.client("secretsmanager")).get_secret_value(**request)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "error"))
            raise ApiKeyError(
                f"cannot read the {what} secret: {code}", permanent=code in PERMANENT_CODES
            ) from None
        except BotoCoreError as exc:
            raise ApiKeyError(f"cannot read the {what} secret: {type(exc).__name__}") from None
        finally:
            _reading.active = False
        return decode_keys(response.get("SecretString") or "", what)

    return load
