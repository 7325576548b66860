"""The keys transform URLs are signed with: an env var locally, a Secrets Manager secret on AWS.

Read once per process (a Lambda cold start), on the first transform request; the secret holds
`{"keys": [...]}` like the API keys secret: the first key signs, every key verifies, so a key
is rotated by putting the new one first, then dropping the old one once no page uses it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from prism.core.settings import Settings
from prism.http.api_keys import secrets_manager_loader


class SigningKeys:
    def __init__(self, load: Callable[[], Sequence[str]] | None) -> None:
        self._load = load
        self._keys: tuple[str, ...] | None = None
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Whether transform URLs must be signed."""
        return self._load is not None

    def keys(self) -> tuple[str, ...]:
        """The live keys, first the signing one; () when signing is off. May raise
        ApiKeyError when the secret cannot be read."""
        if self._load is None:
            return ()
        if self._keys is None:
            with self._lock:
                if self._keys is None:
                    self._keys = tuple(self._load())
        return self._keys


def signing_keys(settings: Settings) -> SigningKeys:
    if settings.transform_signing_secret_arn:
        return SigningKeys(
            secrets_manager_loader(
                settings.transform_signing_secret_arn,
                settings.transform_signing_secret_version,
                what="transform signing keys",
            )
        )
    if settings.transform_signing_keys:
        keys = settings.transform_signing_keys
        return SigningKeys(lambda: keys)
    return SigningKeys(None)
