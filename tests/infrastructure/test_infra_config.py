"""`prism:*` config: defaults written out in Pulumi.prod.yaml, validation, clear failures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import fields
from typing import Any

import pulumi
import pytest
import yaml
from infra_mocks import REPO_ROOT, run_main_program

from prism.core.specs import DEFAULT_SPECS
from prism_infra.config import (
    KEYS,
    THRESHOLD_KEYS,
    AlarmThresholds,
    ConfigError,
    StackSettings,
    parse_config,
    read_config,
)

KEY = "0123456789abcdef0123456789abcdef"
OTHER_KEY = "fedcba9876543210fedcba9876543210"
#: Set only with `pulumi config set --secret`, so never written out in a stack file.
SECRET_ONLY = {"apiKeys", "transformSigningKeys"}


def _as_engine_passes_it(value: Any) -> str:
    """Pulumi hands a program every config value as a string; structured ones as JSON."""
    return json.dumps(value) if isinstance(value, list | dict) else str(value)


def _stack_config(stack: str) -> dict[str, Any]:
    return yaml.safe_load((REPO_ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]


def _prism_keys(config: dict[str, Any]) -> dict[str, Any]:
    return {k.removeprefix("prism:"): v for k, v in config.items() if k.startswith("prism:")}


@pytest.fixture
def pulumi_config() -> Iterator[dict[str, str]]:
    config: dict[str, str] = {}
    yield config
    pulumi.runtime.set_all_config({}, secret_keys=[])


def test_prod_stack_writes_out_every_setting_with_its_default() -> None:
    config = _stack_config("prod")
    assert config["aws:region"]
    prism = _prism_keys(config)
    assert set(prism) == set(KEYS) - SECRET_ONLY
    assert set(prism["alarmThresholds"]) == set(THRESHOLD_KEYS)
    engine_view = {k: _as_engine_passes_it(v) for k, v in prism.items()}
    assert parse_config(engine_view) == StackSettings()


def test_dev_stack_is_smaller_keeps_logs_briefly_and_removes_its_data() -> None:
    prism = _prism_keys(_stack_config("dev"))
    dev = parse_config({k: _as_engine_passes_it(v) for k, v in prism.items()})
    prod = StackSettings()
    # exactly the settings the README's dev-stack table lists
    assert set(prism) == {"memorySize", "maxPixels", "logRetentionDays", "protectData"}
    assert dev.memory_mb < prod.memory_mb
    assert dev.limits.max_pixels < prod.limits.max_pixels
    assert dev.log_retention_days < prod.log_retention_days
    assert (dev.protect_data, prod.protect_data) == (False, True)


def test_every_settings_field_has_a_config_key() -> None:
    limit_fields = {"max_input_bytes", "max_pixels"}
    settable = {f.name for f in fields(StackSettings)} - {"limits"} | limit_fields
    assert set(KEYS.values()) == settable


def test_structured_variants_are_validated_by_the_app_rules() -> None:
    specs = [{"name": "small", "format": "webp", "width": 640}]
    assert parse_config({"variants": json.dumps(specs)}).variants[0].width == 640
    assert parse_config({"variants": specs}).variants[0].name == "small"
    assert parse_config({}).variants == DEFAULT_SPECS


def test_values_arriving_as_strings_are_converted() -> None:
    settings = parse_config({"memorySize": "4096", "corsOrigins": '["https://a.example.com"]'})
    assert settings.memory_mb == 4096
    assert settings.cors_origins == ("https://a.example.com",)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"memorySize": "lots"}, "prism:memorySize must be an integer"),
        ({"memorySize": 64}, "prism:memorySize must be between 128 and 10240"),
        ({"timeout": 901}, "prism:timeout must be between 1 and 900"),
        ({"ephemeralStorage": 100}, "prism:ephemeralStorage must be between 512"),
        ({"reservedConcurrency": -2}, "prism:reservedConcurrency"),
        ({"logRetentionDays": 31}, "prism:logRetentionDays must be one of"),
        ({"functionUrlAuth": "PUBLIC"}, "prism:functionUrlAuth must be 'AWS_IAM' or 'NONE'"),
        ({"corsOrigins": "https://a.example.com"}, "prism:corsOrigins must be a list"),
        ({"corsOrigins": ["ftp://x"]}, "prism:corsOrigins: 'ftp://x' is not an origin"),
        ({"alertEmail": "nobody"}, "prism:alertEmail must be an e-mail address"),
        ({"alarmEmail": "ops@example.com"}, "unknown setting(s) prism:alarmEmail"),
        ({"alarmThresholds": "[1]"}, "prism:alarmThresholds must be a map"),
        ({"alarmThresholds": {"error": 1}}, "prism:alarmThresholds: unknown key(s) error"),
        (
            {"alarmThresholds": {"durationP99Percent": 120}},
            "prism:alarmThresholds.durationP99Percent must be between 1 and 100, got 120",
        ),
        ({"alarmThresholds": {"errors": -1}}, "prism:alarmThresholds.errors must be between"),
        ({"protectData": "yes"}, "prism:protectData must be true or false"),
        ({"consoleEnabled": "on"}, "prism:consoleEnabled must be true or false"),
        ({"consoleEnabled": 1}, "prism:consoleEnabled must be true or false"),
        ({"uploadUrlTtl": 7200}, "prism:uploadUrlTtl must be between 1 and 3600"),
        ({"functionUrlAuth": "NONE"}, "prism:functionUrlAuth NONE makes the URL public"),
        ({"apiKeys": [KEY]}, "prism:apiKeys is only used with prism:functionUrlAuth NONE"),
        ({"functionUrlAuth": "NONE", "apiKeys": "[]"}, "prism:functionUrlAuth NONE"),
        ({"functionUrlAuth": "NONE", "apiKeys": KEY}, "prism:apiKeys must be a list"),
        (
            {"functionUrlAuth": "NONE", "apiKeys": [KEY, "short"]},
            "prism:apiKeys[1] must be 16-256 characters",
        ),
        ({"functionUrlAuth": "NONE", "apiKeys": [KEY, KEY]}, "the same key twice"),
        ({"functionUrlAuth": "NONE", "apiKeys": [f"{KEY}{i:02}" for i in range(11)]}, "at most"),
        ({"uploadsPrefix": "uploads"}, "prism:uploadsPrefix must be a non-empty key prefix"),
        ({"uploadsPrefix": "/"}, "prism:uploadsPrefix"),
        ({"rejectedExpirationDays": 0}, "prism:rejectedExpirationDays must be between"),
        ({"background": "white"}, "prism:background"),
        ({"logLevel": "LOUD"}, "prism:logLevel must be one of"),
        ({"variants": "[]"}, "prism:variants: variant specs must be a non-empty list"),
        ({"variants": "[{"}, "prism:variants: not valid JSON"),
        (
            {"variants": [{"name": "x", "format": "gif"}]},
            "prism:variants: variant 'x': format must be one of",
        ),
        ({"maxRequestBytes": 7_000_000}, "prism:maxRequestBytes must be between"),
        ({"memorySzie": 1024}, "unknown setting(s) prism:memorySzie"),
    ],
)
def test_bad_config_fails_with_a_message_naming_the_setting(
    raw: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(raw)
    assert message in str(error.value)


def test_alarm_thresholds_override_one_at_a_time() -> None:
    assert parse_config({}).alarm_thresholds == AlarmThresholds()
    chosen = parse_config({"alarmThresholds": '{"errors": "5", "rejectionRatePercent": 50}'})
    assert chosen.alarm_thresholds == AlarmThresholds(errors=5, rejection_rate_percent=50)


def test_data_protection_is_on_unless_turned_off() -> None:
    assert StackSettings().protect_data is True
    assert parse_config({"protectData": "false"}).protect_data is False
    assert parse_config({"protectData": True}).protect_data is True
    assert parse_config({}).console_enabled is False
    assert parse_config({"consoleEnabled": "true"}).console_enabled is True


def test_api_keys_are_validated_without_ever_being_printed() -> None:
    settings = parse_config({"functionUrlAuth": "NONE", "apiKeys": json.dumps([KEY, OTHER_KEY])})
    assert settings.api_keys == (KEY, OTHER_KEY)
    assert KEY not in repr(settings)
    bad = f"{KEY} with spaces"
    with pytest.raises(ConfigError) as error:
        parse_config({"functionUrlAuth": "NONE", "apiKeys": [KEY, bad]})
    assert bad not in str(error.value)
    assert KEY not in str(error.value)


def test_config_error_ends_the_program_cleanly() -> None:
    # RunError: Pulumi prints the message alone, without the program's traceback.
    assert issubclass(ConfigError, pulumi.RunError)


def test_read_config_reads_the_stacks_prism_keys(pulumi_config: dict[str, str]) -> None:
    pulumi.runtime.set_all_config(
        {
            "aws:region": "eu-west-1",
            "prism:memorySize": "1024",
            "prism:maxPixels": "16000000",
            "prism:functionUrlAuth": "NONE",
            "prism:apiKeys": json.dumps([KEY]),
            "prism:variants": json.dumps([{"name": "a", "format": "png"}]),
        },
        secret_keys=["prism:apiKeys"],
    )
    settings = read_config()
    assert settings.memory_mb == 1024
    assert settings.function_url_auth == "NONE"
    assert [v.name for v in settings.variants] == ["a"]
    assert settings.timeout_seconds == StackSettings().timeout_seconds


def test_read_config_takes_api_keys_only_as_secrets(pulumi_config: dict[str, str]) -> None:
    config = {"prism:functionUrlAuth": "NONE", "prism:apiKeys": json.dumps([KEY])}
    pulumi.runtime.set_all_config(config, secret_keys=[])
    with pytest.raises(ConfigError, match="prism:apiKeys must be set with --secret") as error:
        read_config()
    assert KEY not in str(error.value)
    pulumi.runtime.set_all_config(config, secret_keys=["prism:apiKeys"])
    assert read_config().api_keys == (KEY,)


def test_read_config_takes_console_enabled_as_a_boolean(pulumi_config: dict[str, str]) -> None:
    pulumi.runtime.set_all_config({"prism:consoleEnabled": "true"})
    assert read_config().console_enabled is True
    pulumi.runtime.set_all_config({"prism:consoleEnabled": "yes"})
    with pytest.raises(ConfigError, match="prism:consoleEnabled must be true or false, got 'yes'"):
        read_config()


def test_read_config_rejects_a_misspelt_key(pulumi_config: dict[str, str]) -> None:
    pulumi.runtime.set_all_config({"prism:memory": "1024"})
    with pytest.raises(ConfigError, match=r"unknown setting\(s\) prism:memory"):
        read_config()


def _run_main() -> list[str]:
    return [r.type for r in run_main_program("prod")]


def test_main_program_runs_the_stack_from_config(pulumi_config: dict[str, str]) -> None:
    pulumi.runtime.set_all_config(
        {"prism:functionUrlAuth": "NONE", "prism:apiKeys": json.dumps([KEY]), "prism:cdn": "false"},
        secret_keys=["prism:apiKeys"],
    )
    types = _run_main()
    assert "aws:lambda/function:Function" in types
    assert types.count("aws:lambda/permission:Permission") == 3  # S3 + the two public grants


def test_main_program_with_bad_config_fails_before_declaring_anything(
    pulumi_config: dict[str, str],
) -> None:
    pulumi.runtime.set_all_config({"prism:timeout": "3600"})
    with pytest.raises(ConfigError, match="prism:timeout must be between 1 and 900, got 3600"):
        _run_main()


def _deploy_section() -> str:
    readme = (REPO_ROOT / "README.md").read_text()
    start = readme.index("<!-- section:deploy")
    return readme[start : readme.index("<!-- /section:deploy -->", start)]


def test_readme_documents_every_setting_threshold_and_dev_difference() -> None:
    section = _deploy_section()
    for key in KEYS:
        assert f"`prism:{key}`" in section, key
    for key in THRESHOLD_KEYS:
        assert f"| `{key}` |" in section, key
    for key in _prism_keys(_stack_config("dev")):
        assert f"| `prism:{key}` | `" in section, key
    assert "x-api-key" in section
    assert "--aws-sigv4" in section
    assert 'SigV4Auth(session.get_credentials(), "lambda"' in section


def test_memory_must_hold_an_image_at_the_pixel_limit_with_headroom() -> None:
    # The default limit needs ~2.1 GB at peak: 2048 MB leaves < 25% free, 1024 MB far less.
    with pytest.raises(ConfigError) as excinfo:
        parse_config({"memorySize": 2048})
    message = str(excinfo.value)
    assert "prism:memorySize 2048 MB is too small for prism:maxPixels 50,000,000" in message
    assert "raise prism:memorySize to at least 2744" in message
    assert "lower prism:maxPixels to 36,333,158" in message
    # either suggestion is accepted, and nothing past it
    assert parse_config({"memorySize": 2744}).memory_mb == 2744
    assert parse_config({"memorySize": 2048, "maxPixels": 36_333_158}).memory_mb == 2048
    with pytest.raises(ConfigError):
        parse_config({"memorySize": 2048, "maxPixels": 36_333_158 + 1})
    with pytest.raises(ConfigError):
        parse_config({"memorySize": 2743})


def test_readme_states_what_a_deployer_and_a_caller_need() -> None:
    section = _deploy_section()
    # `toolchain: uv` arrived in Pulumi 3.139.0; dynamic providers under uv work from 3.145.0
    # (pulumi/pulumi CHANGELOG: #17609, #18126)
    assert "Pulumi CLI](https://www.pulumi.com/docs/install/) 3.145.0 or later" in section
    assert yaml.safe_load((REPO_ROOT / "Pulumi.yaml").read_text())["runtime"]["options"] == {
        "toolchain": "uv"
    }
    # Since October 2025 an AWS_IAM function URL call needs both actions
    call_it = section[section.index("### Call it") :]
    first_paragraph = call_it[: call_it.index("```")]
    assert "`lambda:InvokeFunctionUrl`" in first_paragraph
    assert "`lambda:InvokeFunction`" in first_paragraph
