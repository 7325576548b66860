"""The CDN's two CloudFront Functions (viewer request), as this stack publishes them.

- transform code, on `/images/*/transform`: viewer_request.js, rendered with the deployment's
  transform rules by prism_infra.cdn.function_code (the transforms' own module, tested against
  tests/transforms/cases.json);
- router code, on every other path: router.js, which maps preset variant URLs to their objects
  and answers everything else 404 at the edge. Its one stack-specific line is the variants'
  file names, written in here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from prism_infra.config import ConfigError, StackSettings

ROUTER_JS = Path(__file__).with_name("router.js")
#: CloudFront Functions' code size limit (bytes), from its quotas page.
MAX_CODE_BYTES = 10 * 1024
_CONFIG_LINE = re.compile(r"^var PRISM_CONFIG = .*; // PRISM_CONFIG.*$", re.MULTILINE)


def router_config(settings: StackSettings) -> dict[str, Any]:
    """Each preset variant's file name: `/images/{id}/{variant}` -> `{id}/{variant}.{ext}`."""
    return {"variants": {spec.name: f"{spec.name}.{spec.extension}" for spec in settings.variants}}


def variant_files(settings: StackSettings) -> list[str]:
    return sorted(router_config(settings)["variants"].values())


def _fits(code: str, what: str) -> str:
    size = len(code.encode("utf-8"))
    if size > MAX_CODE_BYTES:
        raise ConfigError(
            f"the CDN's {what} function is {size} bytes with this stack's settings; CloudFront "
            f"Functions take at most {MAX_CODE_BYTES}"
        )
    return code


def router_code(settings: StackSettings, source: Path | None = None) -> str:
    """router.js with this stack's variants; a ConfigError at preview if it will not fit."""
    text = (source or ROUTER_JS).read_text(encoding="utf-8")
    config = json.dumps(router_config(settings), separators=(",", ":"), sort_keys=True)
    code, count = _CONFIG_LINE.subn(lambda _: f"var PRISM_CONFIG = {config}; // PRISM_CONFIG", text)
    if count != 1:
        raise ConfigError(f"{ROUTER_JS.name} must hold exactly one PRISM_CONFIG line")
    return _fits(code, "router")


def transform_code(settings: StackSettings) -> str:
    """The transform function's code, rendered by the transforms' own module.

    The stack's width allowlist and mode, as the function's environment gives the app, so
    edge and origin canonicalise alike; and its signing keys, so a URL without a valid `sig`
    is refused at the edge (the code is then a secret: the stack marks it so)."""
    from prism_infra.cdn.function_code import render

    code = render(
        widths=settings.transform_widths,
        widths_mode=settings.transform_widths_mode,
        keys=settings.transform_signing_keys,
    )
    return _fits(code, "transform")
