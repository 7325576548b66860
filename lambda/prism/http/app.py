"""The HTTP app: one FastAPI application for Lambda (behind the Lambda Web Adapter) and for
`prism serve`. uvicorn runs `--factory prism.http.app:create_app`.

Nothing happens at import time; settings are read and storage opened in `create_app`, which
only wires: the app's parts (dependencies.Services), error answers (problems) and routers.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import FastAPI

from prism import __version__
from prism.core import log_filters
from prism.core.settings import Settings, load_settings
from prism.core.telemetry import Telemetry
from prism.http import problems
from prism.http.api_keys import KeyStore, secrets_manager_loader
from prism.http.bound_host import BoundHost
from prism.http.deadline import InvocationDeadline
from prism.http.dependencies import Services, open_storage
from prism.http.guards import CrossSite, TrustedHosts
from prism.http.head import HeadAsGet
from prism.http.routers import (
    cdn_origin,
    console,
    docs,
    events,
    health,
    images,
    local_uploads,
    playground,
    transforms,
    uploads,
)
from prism.http.signing_keys import signing_keys
from prism.service.processing import Ingestor
from prism.service.transforms import Transforms
from prism.storage.base import Storage
from prism.storage.edge_cache import open_edge_cache
from prism.storage.local import LocalStorage


def create_app(
    settings: Settings | None = None,
    *,
    storage: Storage | None = None,
    host_names: Iterable[str] = (),
) -> FastAPI:
    """`host_names`: the names `prism serve` was bound to (--host), answered besides the
    loopback names, the connection's own address and PRISM_ALLOWED_HOSTS."""
    settings = settings if settings is not None else load_settings()
    log_filters.install()  # no credentials in access logs; floods of one error throttled
    storage = storage if storage is not None else open_storage(settings)
    telemetry = Telemetry(settings.log_level)
    keys = None
    if settings.api_keys_secret_arn:  # a public function URL: callers need a key
        keys = KeyStore(
            secrets_manager_loader(settings.api_keys_secret_arn, settings.api_keys_secret_version)
        )
    local = isinstance(storage, LocalStorage)

    app = FastAPI(
        title="Prism",
        version=__version__,
        summary="Upload an image; get web-ready variants.",
        description=(
            "Errors are `application/problem+json` (RFC 9457). Images up to "
            f"{settings.max_request_bytes} bytes can be sent to `POST /images`; larger ones "
            "go straight to storage with the form from `POST /uploads`."
        ),
        # Served by routers.docs instead, where the API-key check applies.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    ingestor = Ingestor(storage, settings, telemetry)
    app.state.services = Services(
        settings,
        storage,
        telemetry,
        ingestor,
        keys,
        local,
        signing_keys(settings),
        # Transforms are admitted by the very budget uploads are: one memory, one model.
        Transforms(storage, settings, ingestor.budget),
        open_edge_cache(settings.cdn_distribution_id),
    )
    # The two parts tests and workers reach for, by their plain names.
    app.state.settings = settings
    app.state.storage = storage
    problems.install(app)
    app.include_router(health.router)
    # Before images: its /images/{image_id}/{variant} would take "transform" as a variant.
    app.include_router(transforms.router)
    app.include_router(images.router)
    app.include_router(uploads.router)
    app.include_router(events.events_router(settings))
    app.include_router(docs.router)
    app.include_router(cdn_origin.router)
    # The page's and the docs' own files; the CSP names the buckets the page talks to, and
    # the CDN its images come from behind it.
    console.install_assets(
        app, lambda: console.storage_origins(storage), console.cdn_origins(settings.cdn_url)
    )
    if settings.console_enabled:
        app.include_router(console.router)
        app.include_router(playground.router)
    # Starlette runs the middleware added last first: HeadAsGet, TrustedHosts, CrossSite,
    # BoundHost, InvocationDeadline. The guards read the Host before BoundHost rewrites it.
    app.add_middleware(InvocationDeadline)
    if local:
        app.include_router(local_uploads.router)
        app.add_middleware(BoundHost)
    app.add_middleware(CrossSite, compare_origin=local)
    if local:  # on Lambda AWS sets the Host (prism.http.guards)
        app.add_middleware(TrustedHosts, names=[*settings.allowed_hosts, *host_names])
    app.add_middleware(HeadAsGet)  # HEAD on every GET route, answered as the GET without its body
    return app
