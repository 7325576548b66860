"""Runtime settings: the PRISM_* variables, each declared once as a field of `Settings` (type,
default, bounds, help as its description, the stack's `prism:<key>` in json_schema_extra), read
once by pydantic-settings into a frozen object. A missing or bad value stops start-up with a
SettingsError naming the variable. prism.core.settings_table is a read-only view of the fields.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    Field,
    PlainValidator,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from prism.core.constants import EVENTS_PATH
from prism.core.limits import Limits
from prism.core.setting_values import (
    check_adapter_retries,
    parse_cdn_url,
    parse_colour,
    parse_distribution_id,
    parse_hosts,
    parse_keys,
    parse_secret_arn,
    parse_widths,
)
from prism.core.settings_source import SettingsError, env_name, extra, read
from prism.core.specs import DEFAULT_SPECS, VariantSpec, parse_specs_text

__all__ = ["Settings", "SettingsError", "load_settings"]

_LIMITS = Limits()
_WEEK = 7 * 24 * 3600


def _text(parse: Callable[[str], Any]) -> PlainValidator:
    """Parse a variable's text with `parse`; defaults (already values) pass as they are."""
    return PlainValidator(lambda value: parse(value) if isinstance(value, str) else value)


def _stack(key: str) -> dict[str, Any]:
    """json_schema_extra of a setting the stack's `prism:<key>` config sets."""
    return {"stack_key": key}


#: json_schema_extra of a setting PRISM_STORAGE=<mode> needs set (a default is not enough).
_FOR_S3: dict[str, Any] = {"required_for": "s3"}
_FOR_LOCAL: dict[str, Any] = {"required_for": "local"}


class Settings(BaseSettings):
    """Each field is read from PRISM_<FIELD NAME> (or its alias); an empty variable is unset."""

    model_config = SettingsConfigDict(frozen=True, env_prefix="PRISM_", env_ignore_empty=True)

    storage: Literal["s3", "local"] = Field(
        description="'s3' (Lambda) or 'local' (prism serve).", json_schema_extra=_FOR_S3
    )
    data_dir: Path | None = Field(
        None,
        description="local storage only: directory holding the three buckets.",
        json_schema_extra=_FOR_LOCAL,
    )
    allowed_hosts: Annotated[tuple[str, ...], NoDecode, _text(parse_hosts)] = Field(
        (),
        description="local storage only (prism serve): comma-separated host names the server"
        " answers to besides"
        " localhost, 127.0.0.1, [::1] and the address it is bound to ('*.example.com' matches"
        " its subdomains); any other Host header is answered 400 (DNS rebinding).",
    )
    uploads_bucket: str = Field(
        "uploads", description="s3 only: bucket receiving originals.", json_schema_extra=_FOR_S3
    )
    processed_bucket: str = Field(
        "processed",
        description="s3 only: bucket for variants and manifests.",
        json_schema_extra=_FOR_S3,
    )
    rejected_bucket: str = Field(
        "rejected", description="s3 only: bucket for rejection records.", json_schema_extra=_FOR_S3
    )
    uploads_prefix: str = Field(
        "uploads/",
        description="key prefix of originals in the uploads bucket (default 'uploads/').",
        json_schema_extra=_stack("uploadsPrefix"),
    )
    variants: Annotated[tuple[VariantSpec, ...], NoDecode, _text(parse_specs_text)] = Field(
        DEFAULT_SPECS,
        description=(
            "variant specs as a JSON list, or as compact text"
            " (name:format[:field=value...], ';' between specs; the stack's form)"
            " (default: the five built-in variants)."
        ),
        json_schema_extra=_stack("variants"),
    )
    max_input_bytes: int = Field(
        _LIMITS.max_input_bytes,
        ge=1,
        le=2**31,
        description=f"largest accepted upload in bytes (default {_LIMITS.max_input_bytes}).",
        json_schema_extra=_stack("maxInputBytes"),
    )
    max_pixels: int = Field(
        _LIMITS.max_pixels,
        ge=1,
        le=1_000_000_000,
        description=f"largest accepted image in pixels, per frame (default {_LIMITS.max_pixels}).",
        json_schema_extra=_stack("maxPixels"),
    )
    max_request_bytes: int = Field(
        4_500_000,
        ge=1,
        le=2**31,
        description="largest image POST /images takes in the request body (default 4500000: a"
        " function URL caps requests at 6 MB and binary bodies arrive base64-encoded); larger"
        " files go through POST /uploads.",
        json_schema_extra=_stack("maxRequestBytes"),
    )
    # Lambda states the function's memory itself; an explicit PRISM_MEMORY_MB wins.
    memory_mb: int = Field(
        2048,
        ge=128,
        le=1_048_576,
        validation_alias=AliasChoices("PRISM_MEMORY_MB", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"),
        description="local storage only: memory (MB) images are admitted against; several are"
        " processed at once only while their modelled peaks fit (default 2048; on Lambda the"
        " function's own memory size, AWS_LAMBDA_FUNCTION_MEMORY_SIZE).",
    )
    upload_url_ttl: int = Field(
        300,
        ge=1,
        le=_WEEK,
        description="lifetime of presigned upload POSTs in seconds (default 300).",
        json_schema_extra=_stack("uploadUrlTtl"),
    )
    download_url_ttl: int = Field(
        300,
        ge=1,
        le=_WEEK,
        description="lifetime of presigned variant GETs in seconds (default 300).",
        json_schema_extra=_stack("downloadUrlTtl"),
    )
    # Declared as the text the variable carries (so the stack and the README share it).
    background: Annotated[tuple[int, int, int], NoDecode, _text(parse_colour)] = Field(
        "#ffffff",  # type: ignore[assignment]
        description="colour transparent pixels are flattened onto for JPEG (default #ffffff).",
        json_schema_extra=_stack("background"),
    )
    events_path: str = Field(
        EVENTS_PATH,
        description="route receiving S3 events from the Lambda Web Adapter"
        f" (default {EVENTS_PATH}).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        "INFO", description="log level (default INFO).", json_schema_extra=_stack("logLevel")
    )
    api_keys_secret_arn: Annotated[str | None, _text(parse_secret_arn)] = Field(
        None,
        description="public URL (NONE auth) only: Secrets Manager secret holding the API keys;"
        " when set, every route but /healthz and the events route needs a key in the x-api-key"
        " header.",
    )
    api_keys_secret_version: str | None = Field(
        None,
        description="public URL (NONE auth) only: the secret version to read (default: the"
        " current one).",
    )
    transform_max_size: int = Field(
        4096,
        ge=16,
        le=16384,
        description="largest width or height a transform URL may ask for, and the longest side of"
        " a result (default 4096).",
    )
    transform_widths: Annotated[tuple[int, ...], NoDecode] = Field(
        (),
        description="the widths transform URLs may ask for, comma-separated and ascending (e.g."
        " 640,750,828,1080,1200,1920,2048,3840); unset: any width up to the maximum.",
        json_schema_extra=_stack("transformWidths"),
    )
    transform_widths_mode: Literal["up", "reject"] = Field(
        "up",
        description="a width outside PRISM_TRANSFORM_WIDTHS: 'up' makes the next allowed width"
        " up, 'reject' answers 400 (default up).",
        json_schema_extra=_stack("transformWidthsMode"),
    )
    transform_max_pixels: int = Field(
        4096 * 4096,
        ge=1,
        le=1_000_000_000,
        description="largest transform result in pixels; larger asks answer 400"
        " (default 16777216).",
    )
    transform_signing_keys: Annotated[tuple[str, ...], NoDecode, _text(parse_keys)] = Field(
        (),
        description="local storage only: comma-separated keys transform URLs must be signed with"
        " (the first signs, any verifies); on AWS use PRISM_TRANSFORM_SIGNING_SECRET_ARN.",
    )
    transform_signing_secret_arn: Annotated[str | None, _text(parse_secret_arn)] = Field(
        None,
        description='Secrets Manager secret ({"keys": [...]}) with the transform signing keys;'
        " when set, transform URLs must carry a valid `sig`.",
    )
    transform_signing_secret_version: str | None = Field(
        None,
        description="with PRISM_TRANSFORM_SIGNING_SECRET_ARN: the secret version to read"
        " (default: the current one).",
    )
    transform_delivery: Literal["redirect", "bytes"] = Field(
        "redirect",
        description="S3 storage: answer transforms with a 302 to a presigned URL ('redirect',"
        " like variants) or with their bytes up to 4 MB and a redirect above ('bytes', for a CDN"
        " in front). Local storage always answers bytes.",
    )
    #: Behind CloudFront: the distribution to invalidate, and its public base URL.
    cdn_distribution_id: Annotated[str | None, _text(parse_distribution_id)] = Field(
        None,
        description="behind the CDN only: the CloudFront distribution DELETE /images/{id}"
        " invalidates.",
    )
    cdn_url: Annotated[str | None, _text(parse_cdn_url)] = Field(
        None,
        description="behind the CDN only: its public base URL (https://...), used for"
        " manifests' URLs.",
    )
    console_enabled: bool = Field(
        default_factory=lambda data: data.get("storage") == "local",
        description="serve the page at / (upload, gallery, variants, transform playground):"
        " 'true' or 'false' (default: true under prism serve, false on Lambda).",
        json_schema_extra=_stack("consoleEnabled"),
    )

    @property
    def limits(self) -> Limits:
        return Limits(max_input_bytes=self.max_input_bytes, max_pixels=self.max_pixels)

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return value.expanduser().resolve() if value else None

    @field_validator("uploads_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if value and not value.endswith("/"):
            raise ValueError(f"must end with '/', got {value!r}")
        return value

    @field_validator("events_path")
    @classmethod
    def _route(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"must start with '/', got {value!r}")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("transform_widths", mode="before")
    @classmethod
    def _widths(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        return parse_widths(value, info.data.get("transform_max_size", 16384))

    @model_validator(mode="after")
    def _required_for_storage(self) -> Settings:
        for name, field in type(self).model_fields.items():
            if (
                extra(field).get("required_for") == self.storage
                and name not in self.model_fields_set
            ):
                var = env_name(type(self), name)
                raise ValueError(f"{var} is required when PRISM_STORAGE is '{self.storage}'")
        return self

    @classmethod
    def settings_customise_sources(  # type: ignore[override]
        cls, settings_cls: type[BaseSettings], init_settings: Any, *_: Any, **__: Any
    ) -> tuple[Any, ...]:
        # The one source is what load_settings passes in: the mapping it was given, read by
        # pydantic-settings' own environment source (settings_source.MappingSource).
        return (init_settings,)


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Parse settings from `env` (default: os.environ). Pure apart from reading the mapping."""
    env = os.environ if env is None else env
    settings = read(Settings, env)
    if settings.storage == "s3" and env.get("AWS_LAMBDA_FUNCTION_NAME"):
        try:
            check_adapter_retries(env.get("AWS_LWA_ERROR_STATUS_CODES", ""))
        except ValueError as exc:
            raise SettingsError(str(exc)) from None
    return settings
