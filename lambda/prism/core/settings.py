"""Runtime settings: every PRISM_* variable declared once in SETTINGS, read into a frozen object.

SETTINGS is the single table (variable, stack key, type, default, bounds, help). The app's
Settings are parsed from it here; the stack's config parser, the function's environment and
the README's configuration table are checked against it (tests/core/test_settings_table.py).
A missing or bad value stops start-up with a message naming the variable.

How to add a setting: add a row to SETTINGS and a field to Settings (same name as the row's
`field`), then, if the stack may set it, the same key in the stack's config parser.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from prism.core.constants import EVENTS_PATH, RETRY_STATUS
from prism.core.errors import InvalidSpec
from prism.core.limits import Limits
from prism.core.specs import DEFAULT_SPECS, VariantSpec, parse_specs

StorageKind = Literal["s3", "local"]
_DEFAULT_LIMITS = Limits()
_WEEK = 7 * 24 * 3600


@dataclass(frozen=True, slots=True)
class Setting:
    """One PRISM_* variable."""

    env: str
    field: str  # attribute of Settings (of Settings.limits for the two limits)
    kind: Literal["str", "int", "path", "variants", "colour", "choice"]
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
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

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
    events_path: str = EVENTS_PATH
    log_level: str = "INFO"
    max_request_bytes: int = 4_500_000
    api_keys_secret_arn: str | None = None
    api_keys_secret_version: str | None = None


def bounded_int(name: str, raw: object, lo: int, hi: int) -> int:
    """`raw` as an integer in lo..hi; ValueError naming `name` otherwise. The one parser of
    bounded integers: the stack's config uses it too."""
    if isinstance(raw, bool):
        raise ValueError(f"{name} must be an integer, got {raw!r}")
    try:
        value = int(raw)  # type: ignore[call-overload]
    except (ValueError, TypeError):
        raise ValueError(f"{name} must be an integer, got {raw!r}") from None
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be between {lo} and {hi}, got {value}")
    return value


def _int(env: Mapping[str, str], name: str) -> int:
    setting = BY_ENV[name]
    assert setting.bounds is not None
    raw = env.get(name)
    if raw is None or raw == "":
        return setting.default
    try:
        return bounded_int(name, raw, *setting.bounds)
    except ValueError as exc:
        raise SettingsError(str(exc)) from None


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
        background = parse_colour(env.get("PRISM_BACKGROUND") or BY_ENV["PRISM_BACKGROUND"].default)
    except ValueError as exc:
        raise SettingsError(f"PRISM_BACKGROUND: {exc}") from None

    prefix = env.get("PRISM_UPLOADS_PREFIX", BY_ENV["PRISM_UPLOADS_PREFIX"].default)
    if prefix and not prefix.endswith("/"):
        raise SettingsError(f"PRISM_UPLOADS_PREFIX must end with '/', got {prefix!r}")
    events_path = env.get("PRISM_EVENTS_PATH") or EVENTS_PATH
    if not events_path.startswith("/"):
        raise SettingsError(f"PRISM_EVENTS_PATH must start with '/', got {events_path!r}")
    level = (env.get("PRISM_LOG_LEVEL") or BY_ENV["PRISM_LOG_LEVEL"].default).upper()
    if level not in LOG_LEVELS:
        raise SettingsError(f"PRISM_LOG_LEVEL must be a log level name, got {level!r}")

    if storage == "s3" and env.get("AWS_LAMBDA_FUNCTION_NAME"):
        _check_adapter_retries(env.get("AWS_LWA_ERROR_STATUS_CODES", ""))

    def text(name: str) -> str:
        return env.get(name) or BY_ENV[name].default

    return Settings(
        storage=storage,  # type: ignore[arg-type]  # checked above
        data_dir=data_dir,
        uploads_bucket=text("PRISM_UPLOADS_BUCKET"),
        processed_bucket=text("PRISM_PROCESSED_BUCKET"),
        rejected_bucket=text("PRISM_REJECTED_BUCKET"),
        uploads_prefix=prefix,
        variants=variants,
        limits=Limits(
            max_input_bytes=_int(env, "PRISM_MAX_INPUT_BYTES"),
            max_pixels=_int(env, "PRISM_MAX_PIXELS"),
        ),
        upload_url_ttl=_int(env, "PRISM_UPLOAD_URL_TTL"),
        download_url_ttl=_int(env, "PRISM_DOWNLOAD_URL_TTL"),
        background=background,
        events_path=events_path,
        log_level=level,
        max_request_bytes=_int(env, "PRISM_MAX_REQUEST_BYTES"),
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
