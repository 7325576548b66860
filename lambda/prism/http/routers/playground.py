"""POST /console/transform-urls: the page's transform playground asks here for the URLs it
shows, fetches and writes into markup, so that with signing on they carry a signature made
here, on the server, where the keys are (the page never sees a key). Included with the page.

It signs only what the transform route would serve: the deployment's bounds and width
allowlist (400 naming the parameter), for an image that exists (404, or 422 if rejected), so
the page cannot be used to mint a signed URL for a width nobody may ask for.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from prism.http import dependencies as deps
from prism.http.api_keys import ApiKeyError
from prism.http.problems import (
    ProblemError,
    problem_responses,
    rejection_problem,
    signing_keys_unavailable,
)
from prism.http.routers.transforms import transform_problem
from prism.service.catalog import lookup
from prism.service.transforms import policy
from prism.storage.layout import ID_PATTERN
from prism.storage.records import RejectionRecord
from prism.transforms.params import TransformError, parse, snap_width
from prism.transforms.signing import sign_url


class TransformAsk(BaseModel):
    width: int | None = None
    height: int | None = None
    fit: Literal["contain", "cover"] = "contain"
    format: str | None = None
    quality: int | None = None


class TransformUrlsAsk(BaseModel):
    image_id: str = Field(pattern=ID_PATTERN)
    transforms: list[TransformAsk] = Field(min_length=1, max_length=64)


class TransformUrls(BaseModel):
    urls: list[str] = Field(description="one per transform asked, in order")
    signed: bool


router = APIRouter(dependencies=[Depends(deps.require_api_key)], include_in_schema=False)


@router.post(
    "/console/transform-urls",
    response_model=TransformUrls,
    responses=problem_responses(
        400,
        404,
        422,
        503,
        s400="a value the transform route refuses (named in `param`)",
        s404="no image with this id",
        s422="the image was rejected",
    ),
)
def transform_urls(
    ask: TransformUrlsAsk,
    request: Request,
    svc: deps.Services = Depends(deps.services),  # noqa: B008
) -> TransformUrls:
    base = str(request.base_url).rstrip("/")
    try:
        keys = svc.signing.keys()
    except ApiKeyError as e:
        raise signing_keys_unavailable(e.retry_after) from None
    rules = policy(svc.settings)
    asked = []
    for transform in ask.transforms:
        given = transform.model_dump(exclude_none=True)
        if given.get("fit") == "contain":
            del given["fit"]  # the default: the URL need not say it
        try:  # the transform route's own steps, before any storage read
            snap_width(parse({name: str(value) for name, value in given.items()}, rules), rules)
        except TransformError as exc:
            raise transform_problem(exc) from None
        asked.append(given)
    found = lookup(svc.storage, svc.settings, ask.image_id)
    if isinstance(found.record, RejectionRecord):
        raise rejection_problem(found.record)
    if found.state not in ("processed", "pending"):
        raise ProblemError(404, f"no image with id {ask.image_id}", code="not_found")
    urls = []
    for given in asked:
        if keys:
            urls.append(sign_url(base, ask.image_id, keys[0], **given))
        else:
            query = urlencode(given)
            urls.append(f"{base}/images/{ask.image_id}/transform{'?' if query else ''}{query}")
    return TransformUrls(urls=urls, signed=bool(keys))
