"""The app's CloudWatch metrics, as alarms and the dashboard refer to them.

The app emits them in embedded metric format (`prism.core.telemetry`); the names and
dimensions here are a contract with it, checked by running the app's telemetry in
tests/infrastructure/test_infra_metrics.py. The namespace is per stack, so the `prod`, `dev`
and `staging` stacks in one account keep their numbers apart.
"""

from __future__ import annotations

from prism.core.errors import ImageRejected

IMAGES_PROCESSED = "ImagesProcessed"
IMAGES_REJECTED = "ImagesRejected"
BYTES_IN = "BytesIn"
BYTES_OUT = "BytesOut"
PROCESSING_TIME = "ProcessingTime"
#: Powertools adds the service as a dimension to every metric; rejections add the reason.
SERVICE_DIMENSIONS = {"service": "prism"}
REASON = "reason"


def metrics_namespace(name: str) -> str:
    """The stack's namespace, e.g. `Prism/prism-prod` (set as POWERTOOLS_METRICS_NAMESPACE)."""
    return f"Prism/{name}"


def rejection_reasons() -> tuple[str, ...]:
    """Every `reason` the app can reject an image for, from its typed rejections."""
    reasons: list[str] = []
    pending: list[type[ImageRejected]] = [ImageRejected]
    while pending:
        cls = pending.pop(0)
        if cls.reason not in reasons:
            reasons.append(cls.reason)
        pending.extend(cls.__subclasses__())
    return tuple(reasons)
