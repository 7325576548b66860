"""The Lambda function's environment: the app's own variables plus the adapter's and Powertools'.

Pure: settings and bucket names in, a plain dict out. The names come from the app's contract
(`prism.core.settings_table.ENV_VARS`); the test suite checks that this sets exactly the
variables the app reads on S3 and that the app accepts the result.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from prism.core.constants import EVENTS_PATH, HEALTHZ_PATH, RETRY_STATUS
from prism.core.settings_table import BY_ENV
from prism.core.specs import specs_text
from prism_infra.components.key_secrets import ApiKeySecret, SigningKeySecret
from prism_infra.config import ConfigError, StackSettings
from prism_infra.naming import bucket_prefix

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
        # Compact text: as Lambda measures (below), a JSON list took ~185 bytes a spec.
        "PRISM_VARIANTS": specs_text(settings.variants),
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


#: Lambda takes 4 KB of variables per function, in aggregate (Lambda quotas,
#: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html), measured as their
#: JSON object: its refusal quotes the "String measured: {...}", quotes escaped and all.
ENVIRONMENT_LIMIT = 4096


def environment_bytes(variables: Mapping[str, str]) -> int:
    """The size Lambda measures: the variables as one compact JSON object."""
    return len(json.dumps(dict(variables), separators=(",", ":")).encode())


def check_environment(function: str, variables: Mapping[str, str]) -> None:
    """Refuse, naming the function, its size and its largest variables, what Lambda would."""
    size = environment_bytes(variables)
    if size <= ENVIRONMENT_LIMIT:
        return
    largest = sorted(variables, key=lambda k: environment_bytes({k: variables[k]}), reverse=True)
    named = ", ".join(
        f"{k} ({environment_bytes({k: variables[k]}) - 2} bytes)" for k in largest[:3]
    )
    raise ConfigError(
        f"function {function}: its environment would take up to {size} bytes, over Lambda's "
        f"{ENVIRONMENT_LIMIT} (4 KB); the largest variables are {named}. Use fewer or shorter "
        "prism:variants (names, fields) or prism:transformWidths"
    )


#: What `up` names only when it creates things, at the longest AWS makes it. Bucket and
#: secret names are their prefix and 26 characters (naming.BUCKET_PREFIX_MAX); Secrets Manager
#: appends "-" and 6 more to the ARN (Secrets Manager user guide, "secret ARN"). Partition and
#: Region: the longest names (aws-us-gov; ap-southeast-7). Version ids are 32-64 characters
#: (PutSecretValue API). CloudFront ids are 14 characters in AWS's examples; 16 leaves room.
_S3_SUFFIX = "x" * 26
_VERSION_ID = "v" * 64
_DISTRIBUTION_ID = "E" * 16
_CLOUDFRONT_URL = f"https://d{'x' * 15}.cloudfront.net"


def _longest_secret_arn(name: str, purpose: str) -> str:
    region, account = "x" * len("ap-southeast-7"), "0" * 12
    secret = f"{name}-{purpose}-{_S3_SUFFIX}-XXXXXX"
    return f"arn:aws-us-gov:secretsmanager:{region}:{account}:secret:{secret}"


def longest_environments(
    settings: StackSettings, *, name: str, metrics_namespace: str
) -> dict[str, dict[str, str]]:
    """Each function's variables (by role: function, cdn-origin) with every value `up` learns
    later at its longest, so a preview can refuse what Lambda would. The reprocessing worker
    runs with the function's. Built with `function_environment`, as the components do."""
    s = settings
    common = {
        "uploads_bucket": bucket_prefix(name, "uploads") + _S3_SUFFIX,
        "processed_bucket": bucket_prefix(name, "processed") + _S3_SUFFIX,
        "rejected_bucket": bucket_prefix(name, "rejected") + _S3_SUFFIX,
        "service": name,
        "metrics_namespace": metrics_namespace,
    }
    if s.transform_signing_keys:
        common["signing_secret_arn"] = _longest_secret_arn(name, SigningKeySecret.PURPOSE)
        common["signing_version"] = _VERSION_ID
    keys = {}
    if s.function_url_auth == "NONE":
        keys = {
            "api_keys_secret_arn": _longest_secret_arn(name, ApiKeySecret.PURPOSE),
            "api_keys_version": _VERSION_ID,
        }
    function = function_environment(s, **common, **keys)
    if not s.cdn.enabled:
        return {"function": function}
    url = f"https://{s.cdn.domain}" if s.cdn.custom_domain else _CLOUDFRONT_URL
    # The CDN's variables (prism_infra.cdn.declare): PRISM_CDN_DISTRIBUTION_ID, PRISM_CDN_URL.
    cdn = {"PRISM_CDN_DISTRIBUTION_ID": _DISTRIBUTION_ID, "PRISM_CDN_URL": url}
    return {"function": {**function, **cdn}, "cdn-origin": function_environment(s, **common)}
