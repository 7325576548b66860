"""Stack settings: `prism:*` config read once into a frozen, validated object.

`parse_config` is pure (a mapping of already-decoded values in, settings out) so every rule is
testable without Pulumi; `read_config` is the edge that pulls the values out of `pulumi.Config`.
A bad value raises `ConfigError`, which Pulumi prints as a one-line message (no traceback).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi

from prism.core.errors import InvalidSpec
from prism.core.limits import HEADROOM, Limits, max_pixels_for, peak_memory_mb
from prism.core.setting_values import parse_colour, parse_widths
from prism.core.specs import DEFAULT_SPECS, VariantSpec, parse_specs
from prism_infra.build_session import (
    UNFOLLOWED,
    AwsIdentity,
    BuildIdentityError,
    identity_from_config,
)
from prism_infra.cdn.settings import CDN_KEYS, CdnSettings, parse_cdn

AuthType = Literal["AWS_IAM", "NONE"]

#: Retention values CloudWatch Logs accepts (days).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ORIGIN = re.compile(r"^(\*|https?://[A-Za-z0-9.-]+(:\d{1,5})?)$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MIN_API_KEY_LENGTH = 16
MAX_API_KEYS = 10
#: Signing keys: the one that signs and, while pages still carry its URLs, the one before it.
MAX_SIGNING_KEYS = 2
_API_KEY = re.compile(rf"[A-Za-z0-9._~+/=-]{{{MIN_API_KEY_LENGTH},256}}")
#: Presigned upload forms live at most this long (seconds): a leaked form stays useful briefly.
MAX_UPLOAD_URL_TTL = 3600
#: Regions where CodeBuild has the ARM build host the image is built on (environment type
#: ARM_CONTAINER, components/build_project.py). AWS's list, CodeBuild API Reference,
#: `environmentType`: "The environment type ARM_CONTAINER is available only in regions US East
#: (N. Virginia), US East (Ohio), US West (Oregon), EU (Ireland), Asia Pacific (Mumbai), Asia
#: Pacific (Tokyo), Asia Pacific (Singapore), Asia Pacific (Sydney), EU (Frankfurt), and South
#: America (São Paulo)." (https://docs.aws.amazon.com/codebuild/latest/APIReference/API_Fleet.html;
#: the same text in botocore's codebuild model as locked). Elsewhere CreateProject fails
#: during `up`, after a preview that passed.
ARM_BUILD_REGIONS = frozenset(
    {
        "us-east-1",
        "us-east-2",
        "us-west-2",
        "eu-west-1",
        "ap-south-1",
        "ap-northeast-1",
        "ap-southeast-1",
        "ap-southeast-2",
        "eu-central-1",
        "sa-east-1",
    }
)


class ConfigError(pulumi.RunError):
    """A `prism:*` setting is invalid; the message names the key and what is allowed."""


DEFAULT_TRANSFORM_WIDTHS = (
    16,
    32,
    48,
    64,
    96,
    128,
    256,
    384,
    640,
    750,
    828,
    1080,
    1200,
    1920,
    2048,
    3840,
)


@dataclass(frozen=True, slots=True)
class AlarmThresholds:
    """An alarm fires when its value goes above its threshold (5-minute windows)."""

    #: Function errors (invocations that failed) per window.
    errors: int = 0
    #: Throttled invocations per window (the reserved-concurrency cap or the account limit).
    throttles: int = 0
    #: p99 duration, as a percentage of the configured timeout.
    duration_p99_percent: int = 80
    #: S3 events waiting in the dead-letter queue.
    dead_letters: int = 0
    #: Share of images rejected, in percent (judged only from REJECTION_MIN_IMAGES up).
    rejection_rate_percent: int = 20
    #: Failed image builds per window.
    failed_builds: int = 0
    #: CDN (issue 14): share of requests answered 5xx, in percent.
    cdn_5xx_rate_percent: int = 1
    #: CDN: average time to first byte from the origin on a miss, in milliseconds.
    cdn_origin_latency_ms: int = 5000
    #: CDN: the alarm fires when the cache hit rate drops BELOW this percentage.
    cdn_cache_hit_rate_percent: int = 50


#: Key under `prism:alarmThresholds` -> (field, lowest, highest).
THRESHOLD_KEYS: dict[str, tuple[str, int, int]] = {
    "errors": ("errors", 0, 1_000_000),
    "throttles": ("throttles", 0, 1_000_000),
    "durationP99Percent": ("duration_p99_percent", 1, 100),
    "deadLetters": ("dead_letters", 0, 1_000_000),
    "rejectionRatePercent": ("rejection_rate_percent", 1, 100),
    "failedBuilds": ("failed_builds", 0, 1_000),
    "cdn5xxRatePercent": ("cdn_5xx_rate_percent", 0, 100),
    "cdnOriginLatencyMs": ("cdn_origin_latency_ms", 1, 180_000),
    "cdnCacheHitRatePercent": ("cdn_cache_hit_rate_percent", 0, 100),
}


@dataclass(frozen=True, slots=True)
class StackSettings:
    #: The most a new account may give a function (its Lambda memory quota starts at 3008 MB,
    #: and CreateFunction refuses more). It holds a 50 MP image with 25% to spare (limits.py)
    #: and buys 1.7 vCPUs (1769 MB each); where the quota is raised, 3538 buys two full ones.
    memory_mb: int = 3008
    timeout_seconds: int = 120
    ephemeral_storage_mb: int = 1024
    #: -1 leaves the function unreserved: a reservation must leave the account 100 unreserved,
    #: so new accounts (quota 10) cannot make one. A number caps concurrency, and so spend.
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
    #: API keys for a public (NONE) URL; never printed (repr=False), stored as a secret.
    api_keys: tuple[str, ...] = field(default=(), repr=False)
    #: Keys transform URLs are signed with (issue 13): the first signs, each verifies. Never
    #: printed; stored in a Secrets Manager secret and rendered into the CDN's edge code.
    transform_signing_keys: tuple[str, ...] = field(default=(), repr=False)
    alert_email: str = ""
    alarm_thresholds: AlarmThresholds = field(default_factory=AlarmThresholds)
    #: Protect the buckets holding user images from deletion (`pulumi destroy` stops at them).
    protect_data: bool = True
    background: str = "#ffffff"
    log_level: str = "INFO"
    #: Transform widths allowed (issue 13): a public URL (the CDN) with unsigned transforms
    #: needs an allowlist, or anyone could fill the bucket with every width from 1 to 4096.
    #: Default: Next.js's deviceSizes and imageSizes, so next/image works unchanged.
    transform_widths: tuple[int, ...] = DEFAULT_TRANSFORM_WIDTHS
    transform_widths_mode: Literal["up", "reject"] = "up"
    #: CloudFront in front (issue 14); `prism:cdn*` keys, parsed in prism_infra.cdn.settings.
    cdn: CdnSettings = field(default_factory=CdnSettings)
    #: The reprocessing worker's own concurrency cap (`prism reprocess`), so a backfill cannot
    #: take the concurrency uploads and HTTP need; -1 = unreserved, as for the function.
    reprocess_concurrency: int = -1
    #: `pulumi up` starts a reprocessing job itself when the variant specs changed.
    reprocess_on_spec_change: bool = False
    #: Serve the page at / (upload, gallery, playground), behind the same auth as the API.
    console_enabled: bool = False


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
    "apiKeys": "api_keys",
    "transformSigningKeys": "transform_signing_keys",
    "alertEmail": "alert_email",
    "alarmThresholds": "alarm_thresholds",
    "protectData": "protect_data",
    "background": "background",
    "logLevel": "log_level",
    "transformWidths": "transform_widths",
    "transformWidthsMode": "transform_widths_mode",
    # CDN (issue 14): every prism:cdn* key lands in the one `cdn` field.
    **dict.fromkeys(CDN_KEYS, "cdn"),
    "reprocessConcurrency": "reprocess_concurrency",
    "reprocessOnSpecChange": "reprocess_on_spec_change",
    "consoleEnabled": "console_enabled",
}


def _int(
    raw: Mapping[str, Any], key: str, default: int, lo: int, hi: int, *, within: str = ""
) -> int:
    label = f"prism:{within}{key}"
    value = raw.get(key, default)
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            raise ConfigError(f"{label} must be an integer, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{label} must be an integer, got {value!r}")
    if not lo <= value <= hi:
        raise ConfigError(f"{label} must be between {lo} and {hi}, got {value}")
    return value


def _bool(raw: Mapping[str, Any], key: str, default: bool) -> bool:
    value = raw.get(key, default)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise ConfigError(f"prism:{key} must be true or false, got {value!r}")
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


def _thresholds(raw: Mapping[str, Any]) -> AlarmThresholds:
    value = _decoded(raw.get("alarmThresholds", {}))
    if not isinstance(value, dict):
        raise ConfigError(f"prism:alarmThresholds must be a map, got {value!r}")
    unknown = sorted(set(value) - set(THRESHOLD_KEYS))
    if unknown:
        raise ConfigError(
            f"prism:alarmThresholds: unknown key(s) {', '.join(unknown)}; "
            f"known: {', '.join(THRESHOLD_KEYS)}"
        )
    d = AlarmThresholds()
    chosen = {
        name: _int(value, key, getattr(d, name), lo, hi, within="alarmThresholds.")
        for key, (name, lo, hi) in THRESHOLD_KEYS.items()
    }
    return AlarmThresholds(**chosen)


def _keys(raw: Mapping[str, Any], name: str, most: int) -> tuple[str, ...]:
    """Validated keys (API or signing keys). Messages point at a key by position, never
    print it."""
    value = _decoded(raw.get(name, []))
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise ConfigError(f"prism:{name} must be a list of strings")
    if len(value) > most:
        raise ConfigError(f"prism:{name} holds at most {most} keys, got {len(value)}")
    for i, key in enumerate(value):
        if not _API_KEY.fullmatch(key):
            raise ConfigError(
                f"prism:{name}[{i}] must be {MIN_API_KEY_LENGTH}-256 characters from "
                "A-Z a-z 0-9 . _ ~ + / = - (e.g. `openssl rand -hex 32`)"
            )
    if len(set(value)) != len(value):
        raise ConfigError(f"prism:{name} lists the same key twice")
    return tuple(value)


def _check_memory(memory_mb: int, max_pixels: int) -> None:
    """An image at the pixel limit must fit the function with headroom, or uploads near the
    limit would be killed for memory, retried, and end in the dead-letter queue."""
    need = peak_memory_mb(max_pixels)
    if need > memory_mb * (1 - HEADROOM):
        raise ConfigError(
            f"prism:memorySize {memory_mb} MB is too small for prism:maxPixels {max_pixels:,}: "
            f"an image that size peaks near {need:.0f} MB and {HEADROOM:.0%} is kept free; raise "
            f"prism:memorySize to at least {math.ceil(need / (1 - HEADROOM))} or lower "
            f"prism:maxPixels to {max_pixels_for(memory_mb):,}"
        )


def parse_config(raw: Mapping[str, Any]) -> StackSettings:
    """Validate `prism:*` values (keys without the `prism:` prefix) into settings.

    An empty value means unset, for every key: the function's settings follow the same rule
    (`env_ignore_empty`), and Pulumi.prod.yaml spells out optional keys as "".
    """
    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        raise ConfigError(
            f"unknown setting(s) {', '.join('prism:' + k for k in unknown)}; "
            f"known: {', '.join(sorted(KEYS))}"
        )
    raw = {key: value for key, value in raw.items() if value != ""}
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
    email = _str(raw, "alertEmail", d.alert_email)
    if email and not _EMAIL.match(email):
        raise ConfigError(f"prism:alertEmail must be an e-mail address or empty, got {email!r}")
    api_keys = _keys(raw, "apiKeys", MAX_API_KEYS)
    signing_keys = _keys(raw, "transformSigningKeys", MAX_SIGNING_KEYS)
    if auth == "NONE" and not api_keys:
        raise ConfigError(
            "prism:functionUrlAuth NONE makes the URL public, so it needs prism:apiKeys: "
            "pulumi config set --secret --path 'prism:apiKeys[0]' \"$(openssl rand -hex 32)\""
        )
    if auth != "NONE" and api_keys:
        raise ConfigError(
            "prism:apiKeys is only used with prism:functionUrlAuth NONE "
            "(AWS_IAM calls are authorised by IAM); remove it or switch to NONE"
        )
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
    memory_mb = _int(raw, "memorySize", d.memory_mb, 128, 10_240)
    max_pixels = _int(raw, "maxPixels", limits.max_pixels, 1, 1_000_000_000)
    _check_memory(memory_mb, max_pixels)
    try:
        cdn = parse_cdn(raw)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    widths, widths_mode = _transform_widths(raw, d)
    if cdn.enabled and not widths and not signing_keys:
        # Issue 13's rule: a public URL with unsigned transforms needs a width allowlist.
        raise ConfigError(
            "prism:cdn makes transform URLs public, so unsigned transforms need "
            "prism:transformWidths to list the allowed widths (unset gives a Next.js-like "
            "default); or sign them: pulumi config set --secret --path "
            "'prism:transformSigningKeys[0]' \"$(openssl rand -hex 32)\""
        )
    return StackSettings(
        memory_mb=memory_mb,
        # The function URL caps a request at 15 minutes; S3 events are async, same cap.
        timeout_seconds=_int(raw, "timeout", d.timeout_seconds, 1, 900),
        ephemeral_storage_mb=_int(raw, "ephemeralStorage", d.ephemeral_storage_mb, 512, 10_240),
        reserved_concurrency=reserved,
        log_retention_days=retention,
        variants=_variants(raw),
        limits=Limits(
            max_input_bytes=_int(raw, "maxInputBytes", limits.max_input_bytes, 1, 2**31),
            max_pixels=max_pixels,
        ),
        max_request_bytes=_int(raw, "maxRequestBytes", d.max_request_bytes, 1, 6_000_000),
        upload_url_ttl=_int(raw, "uploadUrlTtl", d.upload_url_ttl, 1, MAX_UPLOAD_URL_TTL),
        download_url_ttl=_int(raw, "downloadUrlTtl", d.download_url_ttl, 1, 7 * 24 * 3600),
        uploads_prefix=prefix,
        rejected_expiration_days=_int(
            raw, "rejectedExpirationDays", d.rejected_expiration_days, 1, 3650
        ),
        function_url_auth=auth,  # type: ignore[arg-type]  # checked above
        cors_origins=_origins(raw),
        api_keys=api_keys,
        transform_signing_keys=signing_keys,
        alert_email=email,
        alarm_thresholds=_thresholds(raw),
        protect_data=_bool(raw, "protectData", d.protect_data),
        background=background,
        log_level=level,
        transform_widths=widths,
        transform_widths_mode=widths_mode,  # type: ignore[arg-type]  # checked
        cdn=cdn,
        reprocess_concurrency=_int(
            raw, "reprocessConcurrency", d.reprocess_concurrency, -1, 10_000
        ),
        reprocess_on_spec_change=_bool(raw, "reprocessOnSpecChange", d.reprocess_on_spec_change),
        console_enabled=_bool(raw, "consoleEnabled", d.console_enabled),
    )


def _transform_widths(raw: Mapping[str, Any], d: StackSettings) -> tuple[tuple[int, ...], str]:
    value = _decoded(raw.get("transformWidths", None))
    if value is None:
        widths = d.transform_widths
    else:
        text = ",".join(map(str, value)) if isinstance(value, list) else str(value)
        try:
            widths = parse_widths(text, 4096)
        except ValueError as exc:
            raise ConfigError(f"prism:transformWidths: {exc}") from None
    mode = _str(raw, "transformWidthsMode", d.transform_widths_mode)
    if mode not in ("up", "reject"):
        raise ConfigError(f"prism:transformWidthsMode must be 'up' or 'reject', got {mode!r}")
    return widths, mode


def _configured_keys() -> set[str]:
    """Every `prism:*` key the engine passed in, so typos are caught instead of ignored."""
    from pulumi.runtime import config as runtime_config

    names = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    return {n.split(":", 1)[1] for n in names if n.startswith("prism:")}


def _is_secret(full_key: str) -> bool:
    from pulumi.runtime import config as runtime_config

    return runtime_config.is_config_secret(full_key) or (
        full_key in runtime_config.get_config_secret_keys_env()
    )


def check_build_region(region: str) -> None:
    """Refuse a Region where CodeBuild cannot build the arm64 image (ARM_BUILD_REGIONS)."""
    if region not in ARM_BUILD_REGIONS:
        raise ConfigError(
            f"aws:region {region} has no CodeBuild ARM build host (ARM_CONTAINER), which builds "
            f"the arm64 image; choose one of {', '.join(sorted(ARM_BUILD_REGIONS))}"
        )


def read_build_identity() -> AwsIdentity:
    """The stack's AWS identity for the providers that call AWS at deploy time (the image
    build, the reprocessing job): `aws:profile` / `aws:assumeRoles`, once `aws:region` is
    known to have an ARM build host (the edge; call it inside the Pulumi program)."""
    config = pulumi.Config("aws")
    region = config.get("region")
    if region:
        check_build_region(region)
    for key in UNFOLLOWED:
        if config.get(key):
            pulumi.log.warn(
                f"aws:{key} is set, but the image build and the reprocessing job cannot use it "
                "and run with the profile, assumed roles or default credentials instead; "
                "prefer aws:profile"
            )
    raw = {key: config.get(key) for key in ("profile", "assumeRole", "assumeRoles")}
    try:
        return identity_from_config({k: v for k, v in raw.items() if v})
    except BuildIdentityError as exc:
        raise ConfigError(str(exc)) from None


def read_config() -> StackSettings:
    """Read the stack's `prism:*` config (the edge; call it inside the Pulumi program)."""
    config = pulumi.Config("prism")
    keys = _configured_keys()
    for name in ("apiKeys", "transformSigningKeys"):
        if name in keys and not _is_secret(f"prism:{name}"):
            # A plain value would sit readable in Pulumi.<stack>.yaml and in the state.
            raise ConfigError(
                f"prism:{name} must be set with --secret: pulumi config rm prism:{name}, then "
                f"pulumi config set --secret --path 'prism:{name}[0]' <key>"
            )
    raw = {key: config.get(key) for key in keys}
    return parse_config({k: v for k, v in raw.items() if v is not None})
