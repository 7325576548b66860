"""The settings table: every PRISM_* variable the app reads, declared once.

Each row: the variable, the Settings field it fills, its type, default, bounds, help, and the
stack's `prism:<key>` when `pulumi config` sets it. prism.core.settings parses the environment
from these rows; tests/core/test_settings_table.py checks the stack's config parser, the
function's environment and the README's configuration table against them.

How to add a setting: add a row here and a field to prism.core.settings.Settings (the row's
`field`), read it in load_settings; if the stack may set it, give it a stack key and add the
key to the stack's config parser and the function's environment; document it in the README.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from prism.core.constants import EVENTS_PATH
from prism.core.limits import Limits
from prism.core.specs import DEFAULT_SPECS

_DEFAULT_LIMITS = Limits()
_WEEK = 7 * 24 * 3600


@dataclass(frozen=True, slots=True)
class Setting:
    """One PRISM_* variable."""

    env: str
    field: str  # attribute of Settings (of Settings.limits for the two limits)
    kind: Literal["str", "int", "path", "variants", "colour", "choice", "flag"]
    default: Any
    help: str
    stack_key: str | None = None  # `prism:<key>` when the stack's config sets it
    bounds: tuple[int, int] | None = None  # inclusive, for kind "int"


SETTINGS: tuple[Setting, ...] = (
    Setting("PRISM_STORAGE", "storage", "choice", None, "'s3' (Lambda) or 'local' (prism serve)."),
    Setting(
        "PRISM_DATA_DIR",
        "data_dir",
        "path",
        None,
        "local storage only: directory holding the three buckets.",
    ),
    Setting(
        "PRISM_UPLOADS_BUCKET",
        "uploads_bucket",
        "str",
        "uploads",
        "s3 only: bucket receiving originals.",
    ),
    Setting(
        "PRISM_PROCESSED_BUCKET",
        "processed_bucket",
        "str",
        "processed",
        "s3 only: bucket for variants and manifests.",
    ),
    Setting(
        "PRISM_REJECTED_BUCKET",
        "rejected_bucket",
        "str",
        "rejected",
        "s3 only: bucket for rejection records.",
    ),
    Setting(
        "PRISM_UPLOADS_PREFIX",
        "uploads_prefix",
        "str",
        "uploads/",
        "key prefix of originals in the uploads bucket (default 'uploads/').",
        stack_key="uploadsPrefix",
    ),
    Setting(
        "PRISM_VARIANTS",
        "variants",
        "variants",
        DEFAULT_SPECS,
        "variant specs as a JSON list (default: the five built-in variants).",
        stack_key="variants",
    ),
    Setting(
        "PRISM_MAX_INPUT_BYTES",
        "max_input_bytes",
        "int",
        _DEFAULT_LIMITS.max_input_bytes,
        f"largest accepted upload in bytes (default {_DEFAULT_LIMITS.max_input_bytes}).",
        stack_key="maxInputBytes",
        bounds=(1, 2**31),
    ),
    Setting(
        "PRISM_MAX_PIXELS",
        "max_pixels",
        "int",
        _DEFAULT_LIMITS.max_pixels,
        f"largest accepted image in pixels, per frame (default {_DEFAULT_LIMITS.max_pixels}).",
        stack_key="maxPixels",
        bounds=(1, 1_000_000_000),
    ),
    Setting(
        "PRISM_MAX_REQUEST_BYTES",
        "max_request_bytes",
        "int",
        4_500_000,
        "largest image POST /images takes in the request body (default 4500000: a function URL"
        " caps requests at 6 MB and binary bodies arrive base64-encoded); larger files go"
        " through POST /uploads.",
        stack_key="maxRequestBytes",
        bounds=(1, 2**31),
    ),
    Setting(
        "PRISM_MEMORY_MB",
        "memory_mb",
        "int",
        2048,
        "local storage only: memory (MB) images are admitted against; several are processed"
        " at once only while their modelled peaks fit (default 2048; on Lambda the function's"
        " own memory size, AWS_LAMBDA_FUNCTION_MEMORY_SIZE).",
        bounds=(128, 1_048_576),
    ),
    Setting(
        "PRISM_UPLOAD_URL_TTL",
        "upload_url_ttl",
        "int",
        300,
        "lifetime of presigned upload POSTs in seconds (default 300).",
        stack_key="uploadUrlTtl",
        bounds=(1, _WEEK),
    ),
    Setting(
        "PRISM_DOWNLOAD_URL_TTL",
        "download_url_ttl",
        "int",
        300,
        "lifetime of presigned variant GETs in seconds (default 300).",
        stack_key="downloadUrlTtl",
        bounds=(1, _WEEK),
    ),
    Setting(
        "PRISM_BACKGROUND",
        "background",
        "colour",
        "#ffffff",
        "colour transparent pixels are flattened onto for JPEG (default #ffffff).",
        stack_key="background",
    ),
    Setting(
        "PRISM_EVENTS_PATH",
        "events_path",
        "str",
        EVENTS_PATH,
        f"route receiving S3 events from the Lambda Web Adapter (default {EVENTS_PATH}).",
    ),
    Setting(
        "PRISM_LOG_LEVEL",
        "log_level",
        "choice",
        "INFO",
        "log level (default INFO).",
        stack_key="logLevel",
    ),
    Setting(
        "PRISM_API_KEYS_SECRET_ARN",
        "api_keys_secret_arn",
        "str",
        None,
        "public URL (NONE auth) only: Secrets Manager secret holding the API keys; when set,"
        " every route but /healthz and the events route needs a key in the x-api-key header.",
    ),
    Setting(
        "PRISM_API_KEYS_SECRET_VERSION",
        "api_keys_secret_version",
        "str",
        None,
        "public URL (NONE auth) only: the secret version to read (default: the current one).",
    ),
    Setting(
        "PRISM_TRANSFORM_MAX_SIZE",
        "transform_max_size",
        "int",
        4096,
        "largest width or height a transform URL may ask for (default 4096).",
        bounds=(16, 16384),
    ),
    Setting(
        "PRISM_TRANSFORM_WIDTHS",
        "transform_widths",
        "str",
        None,
        "the widths transform URLs may ask for, comma-separated and ascending (e.g."
        " 640,750,828,1080,1200,1920,2048,3840); unset: any width up to the maximum.",
        stack_key="transformWidths",
    ),
    Setting(
        "PRISM_TRANSFORM_WIDTHS_MODE",
        "transform_widths_mode",
        "choice",
        "up",
        "a width outside PRISM_TRANSFORM_WIDTHS: 'up' makes the next allowed width up, 'reject'"
        " answers 400 (default up).",
        stack_key="transformWidthsMode",
    ),
    Setting(
        "PRISM_TRANSFORM_MAX_PIXELS",
        "transform_max_pixels",
        "int",
        4096 * 4096,
        "largest transform result in pixels; larger asks answer 400 (default 16777216).",
        bounds=(1, 1_000_000_000),
    ),
    Setting(
        "PRISM_TRANSFORM_SIGNING_KEYS",
        "transform_signing_keys",
        "str",
        None,
        "local storage only: comma-separated keys transform URLs must be signed with (the"
        " first signs, any verifies); on AWS use PRISM_TRANSFORM_SIGNING_SECRET_ARN.",
    ),
    Setting(
        "PRISM_TRANSFORM_SIGNING_SECRET_ARN",
        "transform_signing_secret_arn",
        "str",
        None,
        'Secrets Manager secret ({"keys": [...]}) with the transform signing keys; when set,'
        " transform URLs must carry a valid `sig`.",
    ),
    Setting(
        "PRISM_TRANSFORM_SIGNING_SECRET_VERSION",
        "transform_signing_secret_version",
        "str",
        None,
        "with PRISM_TRANSFORM_SIGNING_SECRET_ARN: the secret version to read (default: the"
        " current one).",
    ),
    Setting(
        "PRISM_TRANSFORM_DELIVERY",
        "transform_delivery",
        "choice",
        "redirect",
        "S3 storage: answer transforms with a 302 to a presigned URL ('redirect', like"
        " variants) or with their bytes up to 4 MB and a redirect above ('bytes', for a CDN in"
        " front). Local storage always answers bytes.",
    ),
    Setting(
        "PRISM_CDN_DISTRIBUTION_ID",
        "cdn_distribution_id",
        "str",
        None,
        "behind the CDN only: the CloudFront distribution DELETE /images/{id} invalidates.",
    ),
    Setting(
        "PRISM_CDN_URL",
        "cdn_url",
        "str",
        None,
        "behind the CDN only: its public base URL (https://...), used for manifests' URLs.",
    ),
    Setting(
        "PRISM_CONSOLE_ENABLED",
        "console_enabled",
        "flag",
        None,
        "serve the page at / (upload, gallery, variants, transform playground): 'true' or"
        " 'false' (default: true under prism serve, false on Lambda).",
        stack_key="consoleEnabled",
    ),
)
BY_ENV: dict[str, Setting] = {s.env: s for s in SETTINGS}
#: Every variable the app reads, with what it means. On Lambda the stack sets the
#: REQUIRED_FOR_S3 ones and may pin any of the others; it must set nothing outside this list
#: (besides the Lambda Web Adapter's and Powertools' own variables).
ENV_VARS: dict[str, str] = {s.env: s.help for s in SETTINGS}
REQUIRED_FOR_S3 = (
    "PRISM_STORAGE",
    "PRISM_UPLOADS_BUCKET",
    "PRISM_PROCESSED_BUCKET",
    "PRISM_REJECTED_BUCKET",
)
