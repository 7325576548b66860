"""POST /console/transform-urls: the page's transform playground asks here for the URLs it
shows, fetches and writes into markup, so that with signing on they carry a signature made
here, on the server, where the keys are (the page never sees a key). Included with the page.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from prism.http import dependencies as deps
from prism.http.api_keys import ApiKeyError
from prism.http.problems import ProblemError, problem_responses, signing_keys_unavailable
from prism.storage.layout import ID_PATTERN
from prism.transforms.params import TransformError
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
    responses=problem_responses(400, 503, s400="a value no transform accepts"),
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
    urls = []
    for transform in ask.transforms:
        given = transform.model_dump(exclude_none=True)
        if given.get("fit") == "contain":
            del given["fit"]  # the default: the URL need not say it
        if not keys:
            query = urlencode(given)
            urls.append(f"{base}/images/{ask.image_id}/transform{'?' if query else ''}{query}")
            continue
        try:
            urls.append(sign_url(base, ask.image_id, keys[0], **given))
        except TransformError as exc:
            raise ProblemError(400, exc.detail, code="bad_parameter", param=exc.param) from None
    return TransformUrls(urls=urls, signed=bool(keys))
