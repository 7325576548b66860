"""The viewer-request function's code, with this deployment's transform rules filled in.

The signing keys go into the code itself rather than a KeyValueStore: a KVS read is an async
call on every request and the KVS is just as readable to whoever may read the function, while
code keeps the check to one synchronous HMAC. The rendered code is therefore a secret (mark
it so in the stack) and must be re-published when a key rotates.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

SOURCE = Path(__file__).with_name("viewer_request.js")
#: CloudFront Functions' limit on a function's code.
MAX_CODE_BYTES = 10 * 1024
_CONFIG_LINE = re.compile(r"^const CONFIG = .*; // PRISM_CONFIG$", re.MULTILINE)
_COMMENT_LINE = re.compile(r"^\s*//.*\n", re.MULTILINE)
_INDENT = re.compile(r"^[ ]+", re.MULTILINE)


def render(
    *,
    max_size: int = 4096,
    widths: Sequence[int] = (),
    widths_mode: str = "up",
    keys: Sequence[str] = (),
) -> str:
    """The code to publish. Whole-line comments and indentation are dropped to stay well
    inside the 10 KB limit; nothing else changes (the tests run exactly this output)."""
    if widths_mode not in ("up", "reject"):
        raise ValueError(f"widths_mode must be 'up' or 'reject', got {widths_mode!r}")
    if list(widths) != sorted(set(widths)) or any(not 1 <= w <= max_size for w in widths):
        raise ValueError(f"widths must ascend, each from 1 to {max_size}: {list(widths)}")
    if any(not key for key in keys):
        raise ValueError("a signing key must not be empty")
    config = {"maxSize": max_size, "widths": list(widths), "widthsMode": widths_mode}
    config["keys"] = list(keys)
    line = f"const CONFIG = {json.dumps(config)}; // PRISM_CONFIG"
    source = SOURCE.read_text(encoding="utf-8")
    code, count = _CONFIG_LINE.subn(lambda _: line, source)
    if count != 1:
        raise RuntimeError(f"{SOURCE.name} must hold exactly one CONFIG line")
    code = _INDENT.sub("", _COMMENT_LINE.sub("", code))
    size = len(code.encode("utf-8"))
    if size > MAX_CODE_BYTES:
        raise ValueError(f"the viewer-request function is {size} bytes; the limit is 10 KB")
    return code
