"""`prism serve`: the same app as on Lambda, on localhost, with the buckets in a directory."""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path

from prism.core.settings import SettingsError, load_settings


def run(args: argparse.Namespace) -> int:
    data_dir = Path(args.data).expanduser().resolve()
    # Every other PRISM_* variable (variants, limits, ...) is honoured as on Lambda.
    env = dict(os.environ) | {"PRISM_STORAGE": "local", "PRISM_DATA_DIR": str(data_dir)}
    try:
        settings = load_settings(env)
        data_dir.mkdir(parents=True, exist_ok=True)
    except (SettingsError, OSError) as exc:
        print(f"prism serve: {exc}", file=sys.stderr)
        return 2

    import uvicorn

    from prism.http.app import create_app
    from prism.service.recovery import recover

    # Its own --host is a name the server answers to (prism.http.guards: DNS rebinding).
    app = create_app(settings, host_names=[_host_name(args.host)])
    services = app.state.services
    # Beside the server, not before it: /healthz answers while old uploads are processed.
    threading.Thread(
        target=recover,
        args=(services.ingestor, services.storage, settings),
        name="prism-recover",
        daemon=True,
    ).start()
    print(f"prism: serving on http://{args.host}:{args.port} with data in {data_dir}", flush=True)
    if settings.console_enabled:
        print(f"prism: open http://{args.host}:{args.port}/ for the page", flush=True)
    from prism.cli.server import bounded_protocol, raise_fd_limit

    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=settings.log_level.lower(),
        http=bounded_protocol(raise_fd_limit()),
        timeout_keep_alive=5,
    )
    return 0


def _host_name(host: str) -> str:
    """--host as a Host header writes it: an IPv6 address in brackets."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
