"""POST /uploads: a presigned form to send a large image straight to storage."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from prism.core.settings import Settings
from prism.http import dependencies as deps
from prism.http.schemas import UploadTicket
from prism.storage.base import Storage
from prism.storage.layout import new_image_id, upload_key

router = APIRouter(dependencies=[Depends(deps.require_api_key)])


@router.post(
    "/uploads",
    response_model=UploadTicket,
    summary="Get a presigned form to upload an image straight to storage",
)
def create_upload(
    request: Request,
    storage: Storage = Depends(deps.storage),  # noqa: B008
    settings: Settings = Depends(deps.settings),  # noqa: B008
) -> UploadTicket:
    image_id = new_image_id()
    form = storage.upload_form(
        upload_key(settings.uploads_prefix, image_id),
        settings.upload_url_ttl,
        settings.limits.max_input_bytes,
    )
    # Local storage hands out a path on this very server.
    url = str(request.base_url).rstrip("/") + form.url if form.url.startswith("/") else form.url
    return UploadTicket(
        id=image_id,
        url=url,
        fields=form.fields,
        max_bytes=settings.limits.max_input_bytes,
        expires_in=settings.upload_url_ttl,
        status_url=str(request.url_for("get_image", image_id=image_id)),
    )
