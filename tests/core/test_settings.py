"""The settings this issue added: request size limit and the adapter's retry contract."""

from __future__ import annotations

import pytest

from prism.core.constants import RETRY_STATUS
from prism.core.settings import SettingsError, load_settings
from prism.core.settings_table import ENV_VARS

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
