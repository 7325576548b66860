"""Stack settings: `prism:*` config read once into a frozen, validated object.

`parse_config` is pure (a mapping of already-decoded values in, settings out) so every rule is
testable without Pulumi; `read_config` is the edge that pulls the values out of `pulumi.Config`.
A bad value raises `ConfigError`, which Pulumi prints as a one-line message (no traceback).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
from prism.errors import InvalidSpec
from prism.limits import Limits
from prism.settings import parse_colour
from prism.specs import DEFAULT_SPECS, VariantSpec, parse_specs

AuthType = Literal["AWS_IAM", "NONE"]

#: Retention values CloudWatch Logs accepts (days).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ORIGIN = re.compile(r"^(\*|https?://[A-Za-z0-9.-]+(:\d{1,5})?)$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(pulumi.RunError):
    """A `prism:*` setting is invalid; the message names the key and what is allowed."""


@dataclass(frozen=True, slots=True)
class StackSettings:
    memory_mb: int = 2048
    timeout_seconds: int = 120
    ephemeral_storage_mb: int = 1024
    #: -1 leaves the function unreserved (new accounts cannot reserve any concurrency).
    reserved_concurrency: int = -1
    log_retention_days: int = 30
    variants: tuple[VariantSpec, ...] = DEFAULT_SPECS
    limits: Limits = field(default_factory=Limits)
    #: Largest image `POST /images` takes in the body (a function URL caps requests at 6 MB,
    #: and binary bodies arrive base64-encoded); larger files go through `POST /uploads`.
    max_request_bytes: int = 4_500_000
    upload_url_ttl: int = 300
    download_url_ttl: int = 300
    uploads_prefix: str = "uploads/"
    rejected_expiration_days: int = 30
    function_url_auth: AuthType = "AWS_IAM"
    cors_origins: tuple[str, ...] = ()
    alarm_email: str = ""
    background: str = "#ffffff"
    log_level: str = "INFO"


#: Config key (as written in Pulumi.<stack>.yaml, without `prism:`) -> settings field.
KEYS: dict[str, str] = {
    "memorySize": "memory_mb",
    "timeout": "timeout_seconds",
    "ephemeralStorage": "ephemeral_storage_mb",
    "reservedConcurrency": "reserved_concurrency",
    "logRetentionDays": "log_retention_days",
    "variants": "variants",
    "maxInputBytes": "max_input_bytes",
    "maxPixels": "max_pixels",
    "maxRequestBytes": "max_request_bytes",
    "uploadUrlTtl": "upload_url_ttl",
    "downloadUrlTtl": "download_url_ttl",
    "uploadsPrefix": "uploads_prefix",
    "rejectedExpirationDays": "rejected_expiration_days",
    "functionUrlAuth": "function_url_auth",
    "corsOrigins": "cors_origins",
    "alarmEmail": "alarm_email",
    "background": "background",
    "logLevel": "log_level",
}


def _int(raw: Mapping[str, Any], key: str, default: int, lo: int, hi: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            raise ConfigError(f"prism:{key} must be an integer, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"prism:{key} must be an integer, got {value!r}")
    if not lo <= value <= hi:
        raise ConfigError(f"prism:{key} must be between {lo} and {hi}, got {value}")
    return value


def _str(raw: Mapping[str, Any], key: str, default: str) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"prism:{key} must be a string, got {value!r}")
    return value


def _decoded(value: Any) -> Any:
    """Structured config arrives as JSON text from Pulumi; plain values stay as they are."""
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"not valid JSON: {exc}") from None
    return value


def _variants(raw: Mapping[str, Any]) -> tuple[VariantSpec, ...]:
    if "variants" not in raw:
        return DEFAULT_SPECS
    try:
        return parse_specs(_decoded(raw["variants"]))
    except (InvalidSpec, ConfigError) as exc:
        raise ConfigError(f"prism:variants: {exc}") from None


def _origins(raw: Mapping[str, Any]) -> tuple[str, ...]:
    value = _decoded(raw.get("corsOrigins", []))
    if not isinstance(value, list) or not all(isinstance(o, str) for o in value):
        raise ConfigError(f"prism:corsOrigins must be a list of origins, got {value!r}")
    for origin in value:
        if not _ORIGIN.match(origin):
            raise ConfigError(
                f"prism:corsOrigins: {origin!r} is not an origin like https://app.example.com"
            )
    return tuple(value)


def parse_config(raw: Mapping[str, Any]) -> StackSettings:
    """Validate `prism:*` values (keys without the `prism:` prefix) into settings."""
    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        raise ConfigError(
            f"unknown setting(s) {', '.join('prism:' + k for k in unknown)}; "
            f"known: {', '.join(sorted(KEYS))}"
        )
    d = StackSettings()
    auth = _str(raw, "functionUrlAuth", d.function_url_auth)
    if auth not in ("AWS_IAM", "NONE"):
        raise ConfigError(f"prism:functionUrlAuth must be 'AWS_IAM' or 'NONE', got {auth!r}")
    retention = _int(raw, "logRetentionDays", d.log_retention_days, 1, 1827)
    if retention not in LOG_RETENTION_DAYS:
        raise ConfigError(
            f"prism:logRetentionDays must be one of {', '.join(map(str, LOG_RETENTION_DAYS))}, "
            f"got {retention}"
        )
    prefix = _str(raw, "uploadsPrefix", d.uploads_prefix)
    if not re.fullmatch(r"([A-Za-z0-9_.-]+/)+", prefix):
        raise ConfigError(
            f"prism:uploadsPrefix must be a non-empty key prefix ending with '/', got {prefix!r}"
        )
    email = _str(raw, "alarmEmail", d.alarm_email)
    if email and not _EMAIL.match(email):
        raise ConfigError(f"prism:alarmEmail must be an e-mail address or empty, got {email!r}")
    background = _str(raw, "background", d.background)
    try:
        parse_colour(background)
    except ValueError as exc:
        raise ConfigError(f"prism:background: {exc}") from None
    level = _str(raw, "logLevel", d.log_level).upper()
    if level not in _LOG_LEVELS:
        raise ConfigError(f"prism:logLevel must be one of {', '.join(_LOG_LEVELS)}, got {level!r}")
    reserved = _int(raw, "reservedConcurrency", d.reserved_concurrency, -1, 10_000)
    limits = Limits()
    return StackSettings(
        memory_mb=_int(raw, "memorySize", d.memory_mb, 128, 10_240),
        # The function URL caps a request at 15 minutes; S3 events are async, same cap.
        timeout_seconds=_int(raw, "timeout", d.timeout_seconds, 1, 900),
        ephemeral_storage_mb=_int(raw, "ephemeralStorage", d.ephemeral_storage_mb, 512, 10_240),
        reserved_concurrency=reserved,
        log_retention_days=retention,
        variants=_variants(raw),
        limits=Limits(
            max_input_bytes=_int(raw, "maxInputBytes", limits.max_input_bytes, 1, 2**31),
            max_pixels=_int(raw, "maxPixels", limits.max_pixels, 1, 1_000_000_000),
        ),
        max_request_bytes=_int(raw, "maxRequestBytes", d.max_request_bytes, 1, 6_000_000),
        upload_url_ttl=_int(raw, "uploadUrlTtl", d.upload_url_ttl, 1, 7 * 24 * 3600),
        download_url_ttl=_int(raw, "downloadUrlTtl", d.download_url_ttl, 1, 7 * 24 * 3600),
        uploads_prefix=prefix,
        rejected_expiration_days=_int(
            raw, "rejectedExpirationDays", d.rejected_expiration_days, 1, 3650
        ),
        function_url_auth=auth,  # type: ignore[arg-type]  # checked above
        cors_origins=_origins(raw),
        alarm_email=email,
        background=background,
        log_level=level,
    )


def _configured_keys() -> set[str]:
    """Every `prism:*` key the engine passed in, so typos are caught instead of ignored."""
    from pulumi.runtime import config as runtime_config

    names = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    return {n.split(":", 1)[1] for n in names if n.startswith("prism:")}


def read_config() -> StackSettings:
    """Read the stack's `prism:*` config (the edge; call it inside the Pulumi program)."""
    config = pulumi.Config("prism")
    raw = {key: config.get(key) for key in _configured_keys()}
    return parse_config({k: v for k, v in raw.items() if v is not None})
