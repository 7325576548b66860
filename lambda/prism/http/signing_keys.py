"""The keys transform URLs are signed with: an env var locally, a Secrets Manager secret on AWS.

Read once per process (a Lambda cold start), on the first transform request; the secret holds
`{"keys": [...]}` like the API keys secret: the first key signs, every key verifies, so a key
is rotated by putting the new one first, then dropping the old one once no page uses it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from prism.core.settings import Settings
from prism.http.api_keys import LoadedOnce, secrets_manager_loader


class SigningKeys:
    def __init__(self, load: Callable[[], Sequence[str]] | None) -> None:
        # A failed secret read backs off like the API keys' (LoadedOnce), rather than
        # costing a Secrets Manager call on every transform request.
        self._keys = LoadedOnce(lambda: tuple(load()), "transform signing keys") if load else None

    @property
    def enabled(self) -> bool:
        """Whether transform URLs must be signed."""
        return self._keys is not None

    def keys(self) -> tuple[str, ...]:
        """The live keys, first the signing one; () when signing is off. May raise
        ApiKeyError when the secret cannot be read (with `retry_after`)."""
        return self._keys.get() if self._keys is not None else ()


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
