"""The Lambda function's environment: the app's own variables plus the adapter's and Powertools'.

Pure: settings and bucket names in, a plain dict out. The names come from the app's contract
(`prism.core.settings_table.ENV_VARS`); the test suite checks that this sets exactly the
variables the app reads on S3 and that the app accepts the result.
"""

from __future__ import annotations

import json

from prism.core.constants import EVENTS_PATH, HEALTHZ_PATH, RETRY_STATUS
from prism.core.settings_table import BY_ENV
from prism_infra.config import StackSettings

#: Port uvicorn listens on in the image (Dockerfile.lambda) and the adapter forwards to.
APP_PORT = 8080
READINESS_PATH = HEALTHZ_PATH

#: Transform settings the stack has no config keys for yet: set to the app's defaults, so the
#: function's environment still names every setting it runs with. (The width allowlist and
#: its mode come from prism:transformWidths / prism:transformWidthsMode.)
TRANSFORM_DEFAULTS = (
    "PRISM_TRANSFORM_MAX_SIZE",
    "PRISM_TRANSFORM_MAX_PIXELS",
    "PRISM_TRANSFORM_DELIVERY",
)

#: The Lambda Web Adapter's own settings (https://awslabs.github.io/aws-lambda-web-adapter/).
ADAPTER_ENV: dict[str, str] = {
    "AWS_LWA_PORT": str(APP_PORT),
    "AWS_LWA_READINESS_CHECK_PATH": READINESS_PATH,
    # Buffered, not streamed: the function also takes S3 events, and the adapter's maintainers
    # advise against response_stream there (aws-lambda-web-adapter issue 536). No route needs
    # a response over buffered mode's 6 MB: on S3 variants are redirects to presigned URLs.
    "AWS_LWA_INVOKE_MODE": "buffered",
    "AWS_LWA_PASS_THROUGH_PATH": EVENTS_PATH,
    # The adapter reports any answer to a pass-through event as success unless its status
    # is listed here; the app answers RETRY_STATUS when an S3 event should be retried.
    "AWS_LWA_ERROR_STATUS_CODES": str(RETRY_STATUS),
}


def powertools_env(service: str, namespace: str = "Prism") -> dict[str, str]:
    return {"POWERTOOLS_SERVICE_NAME": service, "POWERTOOLS_METRICS_NAMESPACE": namespace}


def function_environment(
    settings: StackSettings,
    *,
    uploads_bucket: str,
    processed_bucket: str,
    rejected_bucket: str,
    service: str = "prism",
    metrics_namespace: str = "Prism",
    api_keys_secret_arn: str | None = None,
    api_keys_version: str | None = None,
    signing_secret_arn: str | None = None,
    signing_version: str | None = None,
) -> dict[str, str]:
    app = {
        "PRISM_STORAGE": "s3",
        "PRISM_UPLOADS_BUCKET": uploads_bucket,
        "PRISM_PROCESSED_BUCKET": processed_bucket,
        "PRISM_REJECTED_BUCKET": rejected_bucket,
        "PRISM_UPLOADS_PREFIX": settings.uploads_prefix,
        "PRISM_VARIANTS": json.dumps(
            [spec.to_dict() for spec in settings.variants], separators=(",", ":")
        ),
        "PRISM_MAX_INPUT_BYTES": str(settings.limits.max_input_bytes),
        "PRISM_MAX_PIXELS": str(settings.limits.max_pixels),
        "PRISM_MAX_REQUEST_BYTES": str(settings.max_request_bytes),
        "PRISM_UPLOAD_URL_TTL": str(settings.upload_url_ttl),
        "PRISM_DOWNLOAD_URL_TTL": str(settings.download_url_ttl),
        "PRISM_BACKGROUND": settings.background,
        "PRISM_EVENTS_PATH": EVENTS_PATH,
        "PRISM_LOG_LEVEL": settings.log_level,
        "PRISM_TRANSFORM_WIDTHS": ",".join(map(str, settings.transform_widths)),
        "PRISM_TRANSFORM_WIDTHS_MODE": settings.transform_widths_mode,
        # The page at /, off unless `prism:consoleEnabled` (the app defaults it off on S3 too).
        "PRISM_CONSOLE_ENABLED": "true" if settings.console_enabled else "false",
    }
    for name in TRANSFORM_DEFAULTS:
        default = BY_ENV[name].default
        app[name] = "" if default is None else str(default)
    if api_keys_secret_arn:
        # Where the keys are, not the keys. The version changes with every key change, so
        # the function restarts and reads the new set (the app caches keys per cold start).
        app["PRISM_API_KEYS_SECRET_ARN"] = api_keys_secret_arn
        app["PRISM_API_KEYS_SECRET_VERSION"] = api_keys_version or ""
    if signing_secret_arn:
        # The same for the transform signing keys: a new version, a new cold start.
        app["PRISM_TRANSFORM_SIGNING_SECRET_ARN"] = signing_secret_arn
        app["PRISM_TRANSFORM_SIGNING_SECRET_VERSION"] = signing_version or ""
    return {**app, **ADAPTER_ENV, **powertools_env(service, metrics_namespace)}
