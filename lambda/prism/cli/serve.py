"""`prism serve`: the same app as on Lambda, on localhost, with the buckets in a directory."""

from __future__ import annotations

import argparse
import os
import sys
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

    app = create_app(settings)
    print(f"prism: serving on http://{args.host}:{args.port} with data in {data_dir}", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level=settings.log_level.lower())
    return 0
