"""The settings this issue added: request size limit and the adapter's retry contract."""

from __future__ import annotations

import json

import pytest

from prism.core.constants import RETRY_STATUS
from prism.core.settings import SettingsError, load_settings
from prism.core.settings_table import ENV_VARS
from prism.core.specs import DEFAULT_SPECS, VariantSpec, specs_text

S3 = {
    "PRISM_STORAGE": "s3",
    "PRISM_UPLOADS_BUCKET": "u",
    "PRISM_PROCESSED_BUCKET": "p",
    "PRISM_REJECTED_BUCKET": "r",
}


def test_max_request_bytes() -> None:
    assert load_settings(S3).max_request_bytes == 4_500_000
    assert load_settings(S3 | {"PRISM_MAX_REQUEST_BYTES": "1000"}).max_request_bytes == 1000
    with pytest.raises(SettingsError, match="PRISM_MAX_REQUEST_BYTES"):
        load_settings(S3 | {"PRISM_MAX_REQUEST_BYTES": "lots"})
    assert "PRISM_MAX_REQUEST_BYTES" in ENV_VARS


@pytest.mark.parametrize(
    "codes", [str(RETRY_STATUS), f"{RETRY_STATUS}-{RETRY_STATUS}", f"502, {RETRY_STATUS}"]
)
def test_on_lambda_the_adapter_must_fail_invocations_on_the_retry_status(codes: str) -> None:
    env = S3 | {"AWS_LAMBDA_FUNCTION_NAME": "prism", "AWS_LWA_ERROR_STATUS_CODES": codes}
    assert load_settings(env).storage == "s3"


@pytest.mark.parametrize(
    "codes", [f"500,{RETRY_STATUS}", f"500-{RETRY_STATUS}", f"503,{RETRY_STATUS}"]
)
def test_statuses_http_routes_answer_must_not_fail_invocations(codes: str) -> None:
    # A failed invocation reaches a function-URL caller as a bare 502, not problem+json.
    env = S3 | {"AWS_LAMBDA_FUNCTION_NAME": "prism", "AWS_LWA_ERROR_STATUS_CODES": codes}
    with pytest.raises(SettingsError, match="must not include"):
        load_settings(env)


@pytest.mark.parametrize("codes", [None, "", "502-504", "5OO", "500"])
def test_missing_adapter_retry_codes_stop_start_up(codes: str | None) -> None:
    env = S3 | {"AWS_LAMBDA_FUNCTION_NAME": "prism"}
    if codes is not None:
        env["AWS_LWA_ERROR_STATUS_CODES"] = codes
    with pytest.raises(SettingsError, match="AWS_LWA_ERROR_STATUS_CODES") as caught:
        load_settings(env)
    assert str(RETRY_STATUS) in str(caught.value)


def test_off_lambda_the_adapter_variable_is_not_needed() -> None:
    assert load_settings(S3).storage == "s3"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PRISM_MAX_PIXELS": "0"}, "PRISM_MAX_PIXELS must be between 1 and 1000000000, got 0"),
        ({"PRISM_UPLOAD_URL_TTL": "soon"}, "PRISM_UPLOAD_URL_TTL must be an integer, got 'soon'"),
        ({"PRISM_STORAGE": "disk"}, "PRISM_STORAGE must be 's3' or 'local', got 'disk'"),
        (
            {"PRISM_TRANSFORM_WIDTHS_MODE": "down"},
            "PRISM_TRANSFORM_WIDTHS_MODE must be 'up' or 'reject', got 'down'",
        ),
        (
            {"PRISM_LOG_LEVEL": "loud"},
            "PRISM_LOG_LEVEL must be 'DEBUG', 'INFO', 'WARNING', 'ERROR' or 'CRITICAL', got 'LOUD'",
        ),
        (
            {"PRISM_CONSOLE_ENABLED": "maybe"},
            "PRISM_CONSOLE_ENABLED must be 'true' or 'false', got 'maybe'",
        ),
        ({"PRISM_UPLOADS_PREFIX": "in"}, "PRISM_UPLOADS_PREFIX must end with '/', got 'in'"),
        (
            {"PRISM_BACKGROUND": "red"},
            "PRISM_BACKGROUND: expected a colour like #ffffff, got 'red'",
        ),
        (
            {"PRISM_REJECTED_BUCKET": ""},
            "PRISM_REJECTED_BUCKET is required when PRISM_STORAGE is 's3'",
        ),
    ],
)
def test_a_bad_value_stops_start_up_with_a_sentence_naming_the_variable(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(S3 | env)
    assert str(caught.value) == message  # no pydantic wording, no traceback text


def test_every_bad_value_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(S3 | {"PRISM_MAX_PIXELS": "0", "PRISM_CDN_URL": "http://cdn"})
    assert str(caught.value).split("; ") == [
        "PRISM_MAX_PIXELS must be between 1 and 1000000000, got 0",
        "PRISM_CDN_URL must look like https://img.example.com, got 'http://cdn'",
    ]


def test_a_missing_storage_says_what_it_may_be() -> None:
    with pytest.raises(SettingsError, match=r"^PRISM_STORAGE is required: 's3' .* or 'local'"):
        load_settings({})


def test_only_the_given_mapping_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRISM_MAX_PIXELS", "5")
    monkeypatch.setenv("PRISM_STORAGE", "local")
    assert load_settings(S3).limits.max_pixels == 50_000_000
    monkeypatch.setenv("PRISM_DATA_DIR", "prism-test-data")
    assert load_settings().limits.max_pixels == 5  # the default mapping: os.environ


def test_an_empty_variable_counts_as_unset() -> None:
    s = load_settings(S3 | {"PRISM_MAX_PIXELS": "", "PRISM_LOG_LEVEL": "", "PRISM_CDN_URL": ""})
    assert (s.limits.max_pixels, s.log_level, s.cdn_url) == (50_000_000, "INFO", None)


def test_memory_is_the_functions_on_lambda_unless_set() -> None:
    lambda_memory = {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "3008"}
    assert load_settings(S3).memory_mb == 2048
    assert load_settings(S3 | lambda_memory).memory_mb == 3008
    assert load_settings(S3 | lambda_memory | {"PRISM_MEMORY_MB": "1024"}).memory_mb == 1024
    assert load_settings(S3 | lambda_memory | {"PRISM_MEMORY_MB": ""}).memory_mb == 3008
    with pytest.raises(SettingsError, match="between 128 and 1048576, got 64"):
        load_settings(S3 | {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "64"})


def test_settings_are_frozen_and_copied_with_changes() -> None:
    s = load_settings(S3)
    with pytest.raises(ValueError, match="frozen"):
        s.max_pixels = 1  # type: ignore[misc]
    assert s.model_copy(update={"max_pixels": 7}).limits.max_pixels == 7


def test_variants_read_the_same_from_compact_text_and_a_json_list() -> None:
    specs = (*DEFAULT_SPECS, VariantSpec("hero", "webp", 75, 1600, 900, "cover"))
    compact = load_settings({**S3, "PRISM_VARIANTS": specs_text(specs)})
    listed = load_settings({**S3, "PRISM_VARIANTS": json.dumps([s.to_dict() for s in specs])})
    assert compact.variants == listed.variants == specs
    with pytest.raises(SettingsError, match="PRISM_VARIANTS"):
        load_settings({**S3, "PRISM_VARIANTS": "hero:webp:width=wide"})
