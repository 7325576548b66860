"""The fingerprint of what makes an image's variants: the specs, the background colour and the
pipeline version. Manifests record it; a manifest with the current fingerprint is up to date.

It changes exactly when output would change:
- specs are compared by content, in name order, with every default spelled out
  (`{"quality": 85}` omitted or explicit is the same spec; list order does not matter);
- the background colour flattens transparency into JPEG, so it is part of the output;
- PIPELINE_VERSION is bumped by hand when a change to the pipeline changes output bytes
  (an encoder setting, a resampling filter, colour handling). Refactors leave it alone.
Stored transforms are rendered with the same background and pipeline, so an image remade for
a new fingerprint also has its transforms deleted (`prism.service.reprocess`); a change of the
specs alone drops them too, which costs a render on the next request and is never stale.
Pure function of its inputs; stdlib only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any, Protocol

#: Bump when the same specs would now produce different bytes. Every stored image then
#: counts as out of date, and `prism reprocess` remakes it.
PIPELINE_VERSION = 1


class _Spec(Protocol):
    name: str

    def to_dict(self) -> dict[str, Any]: ...


def spec_fingerprint(
    specs: Iterable[_Spec],
    background: tuple[int, int, int] = (255, 255, 255),
    *,
    pipeline_version: int = PIPELINE_VERSION,
) -> str:
    """`sha256:<hex>` of the canonical JSON of everything that shapes the variants."""
    document = {
        "pipeline": pipeline_version,
        "background": "#{:02x}{:02x}{:02x}".format(*background),
        "variants": [s.to_dict() for s in sorted(specs, key=lambda s: s.name)],
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(canonical.encode("ascii")).hexdigest()
