"""GET /healthz: liveness, and the Lambda Web Adapter's readiness check. Needs no key."""

from __future__ import annotations

from fastapi import APIRouter

from prism.core.constants import HEALTHZ_PATH
from prism.http.schemas import Health

router = APIRouter()


@router.get(HEALTHZ_PATH, response_model=Health, summary="Liveness (the adapter's readiness check)")
def healthz() -> Health:
    return Health()
