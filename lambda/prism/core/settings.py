"""Runtime settings: the PRISM_* variables (declared in settings_table.SETTINGS) read once
into a frozen object. A missing or bad value stops start-up with a message naming the variable.
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
from prism.core.settings_table import BY_ENV, REQUIRED_FOR_S3
from prism.core.specs import DEFAULT_SPECS, VariantSpec, parse_specs

StorageKind = Literal["s3", "local"]


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
    memory_mb: int = 2048
    api_keys_secret_arn: str | None = None
    api_keys_secret_version: str | None = None
    console_enabled: bool = False
    transform_max_size: int = 4096
    transform_widths: tuple[int, ...] = ()
    transform_widths_mode: Literal["up", "reject"] = "up"
    transform_max_pixels: int = 4096 * 4096
    transform_signing_keys: tuple[str, ...] = ()
    transform_signing_secret_arn: str | None = None
    transform_signing_secret_version: str | None = None
    transform_delivery: Literal["redirect", "bytes"] = "redirect"
    #: Behind CloudFront: the distribution to invalidate, and its public base URL.
    cdn_distribution_id: str | None = None
    cdn_url: str | None = None


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
        # Lambda states the function's memory itself; an explicit setting wins.
        memory_mb=_int(
            {
                "PRISM_MEMORY_MB": env.get("PRISM_MEMORY_MB")
                or env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
            },
            "PRISM_MEMORY_MB",
        ),
        api_keys_secret_arn=_secret_arn(env.get("PRISM_API_KEYS_SECRET_ARN")),
        api_keys_secret_version=env.get("PRISM_API_KEYS_SECRET_VERSION") or None,
        cdn_distribution_id=_distribution_id(env.get("PRISM_CDN_DISTRIBUTION_ID")),
        cdn_url=_cdn_url(env.get("PRISM_CDN_URL")),
        console_enabled=_flag(env, "PRISM_CONSOLE_ENABLED", default=storage == "local"),
        **_transform_settings(env),
    )


_DISTRIBUTION_ID = re.compile(r"[A-Z0-9]{1,64}")
_CDN_URL = re.compile(r"https://[A-Za-z0-9.-]+(:\d{1,5})?")


def _distribution_id(raw: str | None) -> str | None:
    if raw and not _DISTRIBUTION_ID.fullmatch(raw):
        raise SettingsError(f"PRISM_CDN_DISTRIBUTION_ID must be a CloudFront id, got {raw!r}")
    return raw or None


def _cdn_url(raw: str | None) -> str | None:
    """`https://host[:port]`, no path: manifests append `/images/<id>/<variant>`."""
    value = (raw or "").rstrip("/")
    if value and not _CDN_URL.fullmatch(value):
        raise SettingsError(f"PRISM_CDN_URL must look like https://img.example.com, got {raw!r}")
    return value or None


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str:
    value = env.get(name) or BY_ENV[name].default
    if value not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def parse_widths(raw: str, max_size: int) -> tuple[int, ...]:
    """A width allowlist, "640,750,1080": ascending whole numbers from 1 to max_size."""
    try:
        widths = tuple(int(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise ValueError(f"expected comma-separated whole numbers, got {raw!r}") from None
    if list(widths) != sorted(set(widths)) or any(not 1 <= w <= max_size for w in widths):
        raise ValueError(f"widths must ascend, each from 1 to {max_size}, got {raw!r}")
    return widths


def _transform_settings(env: Mapping[str, str]) -> dict[str, Any]:
    max_size = _int(env, "PRISM_TRANSFORM_MAX_SIZE")
    try:
        widths = parse_widths(env.get("PRISM_TRANSFORM_WIDTHS") or "", max_size)
    except ValueError as exc:
        raise SettingsError(f"PRISM_TRANSFORM_WIDTHS: {exc}") from None
    keys = tuple(k.strip() for k in (env.get("PRISM_TRANSFORM_SIGNING_KEYS") or "").split(","))
    arn = env.get("PRISM_TRANSFORM_SIGNING_SECRET_ARN") or None
    if arn and not (arn.startswith("arn:") and ":secretsmanager:" in arn):
        raise SettingsError(
            f"PRISM_TRANSFORM_SIGNING_SECRET_ARN must be a Secrets Manager ARN, got {arn!r}"
        )
    return {
        "transform_max_size": max_size,
        "transform_widths": widths,
        "transform_widths_mode": _choice(env, "PRISM_TRANSFORM_WIDTHS_MODE", ("up", "reject")),
        "transform_max_pixels": _int(env, "PRISM_TRANSFORM_MAX_PIXELS"),
        "transform_signing_keys": tuple(k for k in keys if k),
        "transform_signing_secret_arn": arn,
        "transform_signing_secret_version": env.get("PRISM_TRANSFORM_SIGNING_SECRET_VERSION")
        or None,
        "transform_delivery": _choice(env, "PRISM_TRANSFORM_DELIVERY", ("redirect", "bytes")),
    }


def _flag(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("true", "1", "yes", "on"):
        return True
    if raw in ("false", "0", "no", "off"):
        return False
    raise SettingsError(f"{name} must be 'true' or 'false', got {raw!r}")


def _secret_arn(raw: str | None) -> str | None:
    if raw and not (raw.startswith("arn:") and ":secretsmanager:" in raw):
        raise SettingsError(f"PRISM_API_KEYS_SECRET_ARN must be a Secrets Manager ARN, got {raw!r}")
    return raw or None


#: Error statuses HTTP routes answer themselves (storage failures, unhandled errors).
HTTP_ERROR_STATUSES = frozenset({500, 503})


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
    answered = sorted(codes & HTTP_ERROR_STATUSES)
    if answered:
        raise SettingsError(
            f"AWS_LWA_ERROR_STATUS_CODES must not include {answered} (got {raw!r}): HTTP routes"
            " answer them, and the adapter would turn each into a failed invocation, which a"
            f" function URL answers with a bare 502; list only {RETRY_STATUS}"
        )
