"""GET /{image_id}/t/{form}: the CDN's miss, answered by the function.

Behind the CDN the edge function has already checked the parameters (and the signature) and
rewritten the request to the result's storage key. The origin group asks the processed bucket
first; on its 403/404 CloudFront repeats the request here, with that same URI. This route
makes the result, stores it (so the next request is a bucket hit) and answers its bytes:
CloudFront caches what the origin returns, and follows no redirects.

Only the exact canonical form is accepted, and only a key the transform route itself would
make (the allowlist, the bounds), so a junk URI never costs an image decode. A %-escaped
spelling of it (`width%3D320`) names the same key, as S3 reads it, so it is the same object
here too.

Who may call it. On AWS the edge function checked the signature, and only CloudFront can call
the origin function (its URL is AWS_IAM behind origin access control; the upload function's
URL is AWS_IAM or takes an API key), so the URI needs none: CloudFront forwards no query, and
could not forward the viewer's. Under `prism serve` there is no edge and no URL auth: the route
takes the transform route's own checks, so with signing on it asks for the `sig` of its form
(`?sig=`), as `/images/<id>/transform?<form>` would.

Bodies above BYTES_LIMIT do not fit a buffered function URL response (locally nothing
buffers: the bytes are answered, as the transform route does). They answer 307 to a URL that
carries no credential the request did not have: unsigned, the public transform URL of the
now stored object, which the browser follows and the CDN then serves from the bucket (a hit:
no loop); signed, a presigned URL of the object, as the transform route redirects, since a
signature made here would be one the caller never had (the origin cannot see its signature).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from prism.http import dependencies as deps
from prism.http.dependencies import Services
from prism.http.problems import ProblemError, problem_responses
from prism.http.routers.transforms import (
    BYTES_LIMIT,
    CLIENT_GONE,
    made,
    transform_problem,
)
from prism.service.transforms import (
    CACHE_CONTROL,
    Abandoned,
    Answer,
    read_stored,
    resolve_stored,
)
from prism.transforms.params import ORIGINAL, TRANSFORM_FOLDER

# The API key (when the function URL is public and keys are configured) guards this route as
# any other: the URI carries no signature, so it must not be an unsigned way around one.
router = APIRouter(dependencies=[Depends(deps.require_api_key)])


@router.get(
    "/{image_id}/" + TRANSFORM_FOLDER + "/{form}",
    name="cdn_transform_miss",
    summary="A transform by its storage key: the CDN's origin on a miss",
    response_class=Response,
    responses={
        200: {
            "description": "the bytes, cacheable for a year",
            "content": {"image/*": {"schema": {"type": "string", "format": "binary"}}},
        },
        307: {"description": "too large for one response: the public URL of the stored result"},
        **problem_responses(400, 404, 422, 503),
    },
)
async def cdn_transform_miss(
    request: Request,
    image_id: str,
    form: str,
    svc: Services = Depends(deps.services),  # noqa: B008
) -> Response:
    try:
        if svc.local:  # no edge in front: the route checks what the edge would
            keys = await run_in_threadpool(svc.signing.keys)
            resolved = resolve_stored(svc.settings, image_id, form, keys, request.url.query)
        else:
            resolved = resolve_stored(svc.settings, image_id, form)
        answer = await run_in_threadpool(svc.transforms.find, image_id, resolved)
        if answer is None:
            answer = await made(request, svc, image_id, resolved)
        if answer.size > BYTES_LIMIT and not svc.local:
            return await run_in_threadpool(_redirect, answer, image_id, svc)  # may presign
    except Abandoned:
        return Response(status_code=CLIENT_GONE)
    except Exception as e:
        raise transform_problem(e) from None
    stored = await run_in_threadpool(read_stored, svc.storage, answer)
    if stored is None:  # deleted between the HEAD and the GET
        raise ProblemError(404, f"no image with id {image_id}", code="not_found")
    data, content_type = stored
    headers = {"ETag": f'"{answer.etag}"', "Cache-Control": CACHE_CONTROL}
    return Response(data, media_type=content_type, headers=headers)


def _redirect(answer: Answer, image_id: str, svc: Services) -> Response:
    """307 to the stored result, carrying no credential the request did not carry (module
    docstring). Unsigned: `/images/<id>/transform?<the stored form>` on the viewer's own host
    (relative), which the edge rewrites to this same key, now stored, so the bucket answers
    it; a negotiated `legacy` goes back as `auto` (same Accept, same key). Signed: the
    presigned URL the transform route would answer (short-lived, this one object)."""
    location: str | None = None
    if svc.signing.enabled:
        ttl = svc.settings.download_url_ttl
        location = svc.storage.download_url("processed", answer.key, ttl, answer.content_type)
    if location is None:
        form = answer.resolved.transform.form().replace("format=legacy", "format=auto")
        parts = [] if form == ORIGINAL else form.split(",")
        location = f"/images/{image_id}/transform" + ("?" + "&".join(parts) if parts else "")
    # no-store: CloudFront must not cache the redirect in place of the image.
    return Response(status_code=307, headers={"Location": location, "Cache-Control": "no-store"})
