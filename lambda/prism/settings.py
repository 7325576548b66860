"""Runtime settings, read once from environment variables into a frozen object.

These variable names are the contract with the Pulumi stack, which fills them in on Lambda.
A missing or bad value stops start-up with a message naming the variable.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from prism.errors import InvalidSpec
from prism.limits import Limits
from prism.specs import DEFAULT_SPECS, VariantSpec, parse_specs

StorageKind = Literal["s3", "local"]

#: Every variable the app reads, with what it means. On Lambda the stack sets the
#: REQUIRED_FOR_S3 ones and may pin any of the others; it must set nothing outside this list
#: (besides the Lambda Web Adapter's and Powertools' own variables).
ENV_VARS: dict[str, str] = {
    "PRISM_STORAGE": "'s3' (Lambda) or 'local' (prism serve).",
    "PRISM_DATA_DIR": "local storage only: directory holding the three buckets.",
    "PRISM_UPLOADS_BUCKET": "s3 only: bucket receiving originals.",
    "PRISM_PROCESSED_BUCKET": "s3 only: bucket for variants and manifests.",
    "PRISM_REJECTED_BUCKET": "s3 only: bucket for rejection records.",
    "PRISM_UPLOADS_PREFIX": "key prefix of originals in the uploads bucket (default 'uploads/').",
    "PRISM_VARIANTS": "variant specs as a JSON list (default: the five built-in variants).",
    "PRISM_MAX_INPUT_BYTES": "largest accepted upload in bytes (default 52428800).",
    "PRISM_MAX_PIXELS": "largest accepted image in pixels, per frame (default 50000000).",
    "PRISM_MAX_REQUEST_BYTES": (
        "largest image POST /images takes in the request body (default 4500000: a function URL"
        " caps requests at 6 MB and binary bodies arrive base64-encoded); larger files go"
        " through POST /uploads."
    ),
    "PRISM_UPLOAD_URL_TTL": "lifetime of presigned upload POSTs in seconds (default 300).",
    "PRISM_DOWNLOAD_URL_TTL": "lifetime of presigned variant GETs in seconds (default 300).",
    "PRISM_BACKGROUND": "colour transparent pixels are flattened onto for JPEG (default #ffffff).",
    "PRISM_EVENTS_PATH": "route receiving S3 events from the Lambda Web Adapter (default /events).",
    "PRISM_LOG_LEVEL": "log level (default INFO).",
    "PRISM_API_KEYS_SECRET_ARN": (
        "public URL (NONE auth) only: Secrets Manager secret holding the API keys; when set,"
        " every route but /healthz and the events route needs a key in the x-api-key header."
    ),
    "PRISM_API_KEYS_SECRET_VERSION": (
        "public URL (NONE auth) only: the secret version to read (default: the current one)."
    ),
}
REQUIRED_FOR_S3 = (
    "PRISM_STORAGE",
    "PRISM_UPLOADS_BUCKET",
    "PRISM_PROCESSED_BUCKET",
    "PRISM_REJECTED_BUCKET",
)

#: The status the events route answers when the invocation must fail so Lambda retries the
#: S3 event. The Lambda Web Adapter only fails an invocation for statuses listed in its
#: AWS_LWA_ERROR_STATUS_CODES (any other response counts as success), so on Lambda that
#: variable must include this code.
RETRY_STATUS = 500

_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True, slots=True)
class Settings:
    storage: StorageKind
    data_dir: Path | None = None
    uploads_bucket: str = "uploads"
    processed_bucket: str = "processed"
    rejected_bucket: str = "rejected"
    uploads_prefix: str = "uploads/"
    variants: tuple[VariantSpec, ...] = DEFAULT_SPECS
    limits: Limits = field(default_factory=Limits)
    upload_url_ttl: int = 300
    download_url_ttl: int = 300
    background: tuple[int, int, int] = (255, 255, 255)
    events_path: str = "/events"
    log_level: str = "INFO"
    max_request_bytes: int = 4_500_000
    api_keys_secret_arn: str | None = None
    api_keys_secret_version: str | None = None


def _int(env: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None
    if not lo <= value <= hi:
        raise SettingsError(f"{name} must be between {lo} and {hi}, got {value}")
    return value


def parse_colour(raw: str) -> tuple[int, int, int]:
    match = _HEX.match(raw.strip())
    if not match:
        raise ValueError(f"expected a colour like #ffffff, got {raw!r}")
    value = int(match.group(1), 16)
    return (value >> 16 & 0xFF, value >> 8 & 0xFF, value & 0xFF)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Parse settings from `env` (default: os.environ). Pure apart from reading the mapping."""
    env = os.environ if env is None else env
    storage = env.get("PRISM_STORAGE", "")
    if storage not in ("s3", "local"):
        raise SettingsError(f"PRISM_STORAGE must be 's3' or 'local', got {storage!r}")

    data_dir: Path | None = None
    if storage == "local":
        if not env.get("PRISM_DATA_DIR"):
            raise SettingsError("PRISM_DATA_DIR is required when PRISM_STORAGE is 'local'")
        data_dir = Path(env["PRISM_DATA_DIR"]).expanduser().resolve()
    else:
        for name in REQUIRED_FOR_S3:
            if not env.get(name):
                raise SettingsError(f"{name} is required when PRISM_STORAGE is 's3'")

    try:
        raw_variants = env.get("PRISM_VARIANTS")
        variants = parse_specs(raw_variants) if raw_variants else DEFAULT_SPECS
    except InvalidSpec as exc:
        raise SettingsError(f"PRISM_VARIANTS: {exc}") from None
    try:
        background = parse_colour(env.get("PRISM_BACKGROUND") or "#ffffff")
    except ValueError as exc:
        raise SettingsError(f"PRISM_BACKGROUND: {exc}") from None

    prefix = env.get("PRISM_UPLOADS_PREFIX", "uploads/")
    if prefix and not prefix.endswith("/"):
        raise SettingsError(f"PRISM_UPLOADS_PREFIX must end with '/', got {prefix!r}")
    events_path = env.get("PRISM_EVENTS_PATH") or "/events"
    if not events_path.startswith("/"):
        raise SettingsError(f"PRISM_EVENTS_PATH must start with '/', got {events_path!r}")
    level = (env.get("PRISM_LOG_LEVEL") or "INFO").upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise SettingsError(f"PRISM_LOG_LEVEL must be a log level name, got {level!r}")

    if storage == "s3" and env.get("AWS_LAMBDA_FUNCTION_NAME"):
        _check_adapter_retries(env.get("AWS_LWA_ERROR_STATUS_CODES", ""))

    defaults = Limits()
    return Settings(
        storage=storage,  # type: ignore[arg-type]  # checked above
        data_dir=data_dir,
        uploads_bucket=env.get("PRISM_UPLOADS_BUCKET") or "uploads",
        processed_bucket=env.get("PRISM_PROCESSED_BUCKET") or "processed",
        rejected_bucket=env.get("PRISM_REJECTED_BUCKET") or "rejected",
        uploads_prefix=prefix,
        variants=variants,
        limits=Limits(
            max_input_bytes=_int(env, "PRISM_MAX_INPUT_BYTES", defaults.max_input_bytes, 1, 2**31),
            max_pixels=_int(env, "PRISM_MAX_PIXELS", defaults.max_pixels, 1, 1_000_000_000),
        ),
        upload_url_ttl=_int(env, "PRISM_UPLOAD_URL_TTL", 300, 1, 7 * 24 * 3600),
        download_url_ttl=_int(env, "PRISM_DOWNLOAD_URL_TTL", 300, 1, 7 * 24 * 3600),
        background=background,
        events_path=events_path,
        log_level=level,
        max_request_bytes=_int(env, "PRISM_MAX_REQUEST_BYTES", 4_500_000, 1, 2**31),
        api_keys_secret_arn=_secret_arn(env.get("PRISM_API_KEYS_SECRET_ARN")),
        api_keys_secret_version=env.get("PRISM_API_KEYS_SECRET_VERSION") or None,
    )


def _secret_arn(raw: str | None) -> str | None:
    if raw and not (raw.startswith("arn:") and ":secretsmanager:" in raw):
        raise SettingsError(f"PRISM_API_KEYS_SECRET_ARN must be a Secrets Manager ARN, got {raw!r}")
    return raw or None


def _check_adapter_retries(raw: str) -> None:
    """On Lambda, transient failures of the events route must fail the invocation."""
    codes: set[int] = set()
    for part in raw.split(","):
        low, _, high = part.strip().partition("-")
        if low.isdigit() and (not high or high.isdigit()):
            codes.update(range(int(low), int(high or low) + 1))
    if RETRY_STATUS not in codes:
        raise SettingsError(
            f"AWS_LWA_ERROR_STATUS_CODES must include {RETRY_STATUS} on Lambda (got {raw!r}):"
            " otherwise the adapter reports failed S3 events as handled and Lambda never"
            " retries them"
        )
