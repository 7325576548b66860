"""One transform request, start to storage key: the steps the edge function and the app both
take, in the same order, so both answer every request alike.

    1. the image id          malformed -> 404 (no image can have it)
    2. the query parameters  unknown, duplicate, malformed, out of bounds -> 400 naming it
    3. the signature         when keys are configured: missing or wrong -> 403
    4. the width allowlist   next allowed width up, or 400
    5. format=auto           resolved from the Accept header
    6. the storage key       <id>/t/<canonical form of the resolved transform>
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from prism.transforms.negotiate import negotiate
from prism.transforms.params import (
    Policy,
    Transform,
    TransformError,
    check_image_id,
    normalise,
    parse,
    snap_width,
    split_query,
    storage_key,
)
from prism.transforms.signing import verify


@dataclass(frozen=True, slots=True)
class Resolved:
    #: The transform as asked for, canonical: what a signature covers.
    requested: Transform
    #: After the allowlist and format negotiation: what is rendered and stored.
    transform: Transform
    key: str
    #: The format came from the Accept header, so the answer must carry `Vary: Accept`.
    negotiated: bool


def resolve(
    image_id: str,
    raw_query: str | None,
    accept: str | None,
    policy: Policy,
    keys: Sequence[str] = (),
) -> Resolved:
    """Raises TransformError (404, 400 or 403) for a request that must not reach an image."""
    check_image_id(image_id)
    params = split_query(raw_query)
    requested = parse(params, policy)
    if keys and not verify(keys, image_id, requested.form(), params.get("sig")):
        detail = "signature does not match" if params.get("sig") else "this URL must be signed"
        raise TransformError(403, "sig", detail)
    t = snap_width(requested, policy)
    negotiated = t.format == "auto"
    if negotiated:
        t = normalise(replace(t, format=negotiate(accept)))
    return Resolved(requested, t, storage_key(image_id, t), negotiated)
