"""Logs and metrics with aws-lambda-powertools.

Logs are JSON lines carrying the image id and per-stage timings. Metrics go out in CloudWatch
embedded metric format (EMF): JSON printed to stdout, which Lambda ships to CloudWatch Logs
and CloudWatch turns into metrics, with no API call. Locally the same lines go to the console.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING

from prism.core.constants import (
    METRIC_BYTES_IN,
    METRIC_BYTES_OUT,
    METRIC_IMAGES_PROCESSED,
    METRIC_IMAGES_REJECTED,
    METRIC_PROCESSING_TIME,
)

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics

SERVICE = "prism"
# Powertools refuses to flush without a namespace; locally nobody sets one.
DEFAULT_NAMESPACE = "Prism"


class Stopwatch:
    """Collects per-stage durations in milliseconds."""

    def __init__(self) -> None:
        self.timings_ms: dict[str, float] = {}
        self._start = time.perf_counter()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings_ms[name] = round((time.perf_counter() - start) * 1000, 2)

    @property
    def total_ms(self) -> float:
        return round((time.perf_counter() - self._start) * 1000, 2)


class Telemetry:
    def __init__(self, level: str = "INFO", namespace: str | None = None) -> None:
        self.namespace = (
            namespace or os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or DEFAULT_NAMESPACE
        )
        self.level = level

    # Powertools is imported on first use, keeping it out of the cold start of /healthz.
    # Two threads racing here is harmless: Powertools shares one logger and one metric set
    # per service between instances.
    @cached_property
    def logger(self) -> Logger:
        from aws_lambda_powertools import Logger

        return Logger(service=SERVICE, level=self.level)

    @cached_property
    def metrics(self) -> Metrics:
        from aws_lambda_powertools import Metrics

        return Metrics(service=SERVICE, namespace=self.namespace)

    def processed(
        self, image_id: str, *, bytes_in: int, bytes_out: int, watch: Stopwatch, variants: int
    ) -> None:
        from aws_lambda_powertools.metrics import MetricUnit

        total = watch.total_ms
        self.logger.info(
            "image processed",
            extra={
                "image_id": image_id,
                "bytes_in": bytes_in,
                "bytes_out": bytes_out,
                "variants": variants,
                "timings_ms": watch.timings_ms,
                "total_ms": total,
            },
        )
        self.metrics.add_metric(name=METRIC_IMAGES_PROCESSED, unit=MetricUnit.Count, value=1)
        self.metrics.add_metric(name=METRIC_BYTES_IN, unit=MetricUnit.Bytes, value=bytes_in)
        self.metrics.add_metric(name=METRIC_BYTES_OUT, unit=MetricUnit.Bytes, value=bytes_out)
        self.metrics.add_metric(
            name=METRIC_PROCESSING_TIME, unit=MetricUnit.Milliseconds, value=total
        )

    def rejected(self, image_id: str, *, reason: str, detail: str, bytes_in: int) -> None:
        from aws_lambda_powertools.metrics import MetricUnit, single_metric

        self.logger.info(
            "image rejected",
            extra={"image_id": image_id, "reason": reason, "detail": detail, "bytes_in": bytes_in},
        )
        # One metric per reason: a dimension on its own EMF blob, so it does not leak onto
        # the other metrics of this invocation.
        with single_metric(
            name=METRIC_IMAGES_REJECTED,
            unit=MetricUnit.Count,
            value=1,
            namespace=self.namespace,
            default_dimensions={"service": SERVICE},
        ) as metric:
            metric.add_dimension(name="reason", value=reason)

    def flush(self) -> None:
        """Emit the metrics gathered so far (once per request or event)."""
        if self.metrics.metric_set:  # flushing nothing would only print a warning
            self.metrics.flush_metrics()
