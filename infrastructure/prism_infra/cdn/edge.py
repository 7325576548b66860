"""The viewer-request CloudFront Function's code: viewer_request.js plus this stack's settings.

The JavaScript is plain `cloudfront-js-2.0` code kept beside this file (it validates and
canonicalises transform URLs with the same rules as the app). Settings that differ per stack
reach it as one prepended line, `var PRISM_CONFIG = {...};`, so the file itself never
changes per stack and its tests run it as committed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from prism_infra.config import ConfigError, StackSettings

#: Where the function's code lives (replaced in tests while the edge code is elsewhere).
VIEWER_REQUEST_JS = Path(__file__).with_name("viewer_request.js")
#: CloudFront Functions' code size limit (bytes), from its quotas page.
MAX_CODE_BYTES = 10 * 1024
CONFIG_NAME = "PRISM_CONFIG"


def edge_config(settings: StackSettings) -> dict[str, Any]:
    """What the edge must know about this stack: each preset variant's file name, so
    `/images/{id}/{variant}` maps to the object key `{id}/{variant}.{ext}`."""
    return {"variants": {spec.name: f"{spec.name}.{spec.extension}" for spec in settings.variants}}


def variant_files(settings: StackSettings) -> list[str]:
    return sorted(edge_config(settings)["variants"].values())


def function_code(settings: StackSettings, source: Path | None = None) -> str:
    """The code to publish; a ConfigError (at preview) if it is missing or too large."""
    path = source or VIEWER_REQUEST_JS
    try:
        code = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"the CDN's edge function code is missing: {path.name}") from None
    config = json.dumps(edge_config(settings), separators=(",", ":"), sort_keys=True)
    rendered = f"var {CONFIG_NAME} = {config};\n{code}"
    size = len(rendered.encode("utf-8"))
    if size > MAX_CODE_BYTES:
        raise ConfigError(
            f"the CDN's edge function is {size} bytes with this stack's settings; CloudFront "
            f"Functions take at most {MAX_CODE_BYTES} (fewer prism:variants would help)"
        )
    return rendered
