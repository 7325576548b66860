"""What routes depend on, built once in create_app and handed out per request.

Routes declare `Depends(...)` on these; tests may swap any of them with
`app.dependency_overrides`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from anyio import CapacityLimiter
from fastapi import Request

from prism.core.settings import Settings
from prism.core.telemetry import Telemetry
from prism.http.api_keys import HEADER, ApiKeyError, KeyStore
from prism.http.problems import ProblemError
from prism.http.signing_keys import SigningKeys
from prism.service.processing import Ingestor
from prism.service.transforms import Transforms
from prism.storage.base import Bucket, Storage
from prism.storage.edge_cache import EdgeCache, NoEdgeCache

logger = logging.getLogger("prism.http.api_keys")

#: Transforms render on threads of their own, this many at most, so a flood of them never
#: holds the 40 threads anyio lends every sync route (a manifest read would queue behind
#: them). The memory budget decides how many of these render at once; more would only wait.
RENDER_THREADS = 4


@dataclass(frozen=True, slots=True)
class Services:
    """The app's long-lived parts (one per process), kept on `app.state.services`."""

    settings: Settings
    storage: Storage
    telemetry: Telemetry
    ingestor: Ingestor
    keys: KeyStore | None  # None: no key needed (an AWS_IAM or local URL)
    local: bool  # buckets on disk (prism serve): no Lambda Web Adapter in front
    signing: SigningKeys  # transform URL signatures (off unless keys are configured)
    #: Transforms in flight (one render per key) and their share of the ingestor's budget.
    transforms: Transforms
    #: Behind the CDN: forgets deleted images at the edge (a no-op without one).
    edge_cache: EdgeCache = field(default_factory=NoEdgeCache)
    #: Who may render now (see RENDER_THREADS), waited for up to the transforms' admission
    #: wait; and the threads they run on, as many, so taking one never waits.
    render_slots: CapacityLimiter = field(default_factory=lambda: CapacityLimiter(RENDER_THREADS))
    render_threads: CapacityLimiter = field(default_factory=lambda: CapacityLimiter(RENDER_THREADS))


def open_storage(settings: Settings) -> Storage:
    """The implementation `settings.storage` names. Imported lazily: boto3 is slow to import."""
    names: dict[Bucket, str] = {
        "uploads": settings.uploads_bucket,
        "processed": settings.processed_bucket,
        "rejected": settings.rejected_bucket,
    }
    if settings.storage == "local":
        from prism.storage.local import LocalStorage

        assert settings.data_dir is not None  # load_settings guarantees it
        return LocalStorage(settings.data_dir, names)
    from prism.storage.s3 import S3Storage

    return S3Storage(names)


def services(request: Request) -> Services:
    return request.app.state.services


# Each reads `request` directly rather than depending on services(): a nested dependency
# is one more signature FastAPI analyses per route at start-up.
def settings(request: Request) -> Settings:
    return request.app.state.services.settings


def storage(request: Request) -> Storage:
    return request.app.state.services.storage


def edge_cache(request: Request) -> EdgeCache:
    return request.app.state.services.edge_cache


def ingestor(request: Request) -> Ingestor:
    return request.app.state.services.ingestor


def telemetry(request: Request) -> Telemetry:
    return request.app.state.services.telemetry


async def require_api_key(request: Request) -> None:
    """401 problem+json unless the request carries a valid key (when keys are configured).

    A router dependency: it runs before the route reads the body, so a refused request never
    reaches the route. Routers that need no key (health, events, the local upload target)
    simply do not declare it.
    """
    store = services(request).keys
    if store is None:
        return
    from starlette.concurrency import run_in_threadpool

    try:
        if not store.loaded:  # the one blocking read, off the event loop
            await run_in_threadpool(store.digests)
        accepted = store.accepts(request.headers.get(HEADER))
    except ApiKeyError as exc:
        # The store logged the cause when the read failed; no line per request here.
        if exc.permanent:
            raise ProblemError(
                503,
                f"the API keys are misconfigured ({exc}); this will not fix itself: the "
                "operator must correct the secret or its permissions",
                code="keys_misconfigured",
                headers={"Retry-After": str(exc.retry_after)},
            ) from None
        raise ProblemError(
            503,
            "the API keys cannot be read right now; try again shortly",
            code="keys_unavailable",
            headers={"Retry-After": str(exc.retry_after)},
        ) from None
    if accepted:
        return
    missing = not request.headers.get(HEADER)
    logger.info(
        "request refused: API key %s",
        "missing" if missing else "not recognised",
        extra={"path": request.url.path},
    )
    raise ProblemError(
        401,
        f"{'no' if missing else 'a wrong'} API key: send a valid key in the {HEADER} header",
        code="missing_api_key" if missing else "invalid_api_key",
    )


async def require_api_key_unless_signed(request: Request) -> None:
    """Transform URLs: with signing on, the signature is the credential (an <img> cannot send
    a header), checked by the route; otherwise the same API key as every other route."""
    if not services(request).signing.enabled:
        await require_api_key(request)
