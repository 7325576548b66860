"""The shipped stack files, as Pulumi hands them to the program: each one deploys as written and
with any of its on/off settings flipped (a stack copied from Pulumi.prod.yaml can turn the CDN
off); an empty value means unset for every key; and the Region must have an ARM build host.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import fields
from typing import Any

import pulumi
import pytest
import yaml
from infra_mocks import REPO_ROOT, Registered, run_main_program

from prism_infra.cdn.settings import CDN_KEYS, CdnSettings
from prism_infra.config import (
    ARM_BUILD_REGIONS,
    KEYS,
    ConfigError,
    StackSettings,
    check_build_region,
    parse_config,
)

STACK_FILES = sorted(p.name for p in REPO_ROOT.glob("Pulumi.*.yaml"))
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"


def _boolean_keys() -> dict[str, str]:
    """Every on/off `prism:*` key the parser knows -> its settings field, found from the
    settings' bool fields (so a new switch is covered without touching this test)."""
    by_field = {name: key for key, name in KEYS.items() if name != "cdn"}
    found = {by_field[f.name]: f.name for f in fields(StackSettings) if f.type == "bool"}
    by_cdn = {name: key for key, name in CDN_KEYS.items()}
    found |= {by_cdn[f.name]: f"cdn.{f.name}" for f in fields(CdnSettings) if f.type == "bool"}
    return found


BOOLEAN_KEYS = _boolean_keys()


def _engine_view(value: Any) -> str:
    """Pulumi passes the program every config value as a string; structured ones as JSON."""
    if isinstance(value, bool):
        return str(value).lower()
    return json.dumps(value) if isinstance(value, list | dict) else str(value)


def _stack_file(name: str) -> dict[str, str]:
    config = yaml.safe_load((REPO_ROOT / name).read_text())["config"]
    return {key: _engine_view(value) for key, value in config.items()}


def _current(config: dict[str, str], field: str) -> bool:
    raw = {k.removeprefix("prism:"): v for k, v in config.items() if k.startswith("prism:")}
    value: Any = parse_config(raw)
    for part in field.split("."):
        value = getattr(value, part)
    return value


@pytest.fixture
def stack_config() -> Iterator[None]:
    yield
    pulumi.runtime.set_all_config({}, secret_keys=[])


def _run_program(config: dict[str, str]) -> list[Registered]:
    """infrastructure/__main__.py under mocks, in preview, with this stack config."""
    pulumi.runtime.set_all_config(config, secret_keys=[])
    return run_main_program("copy")


def test_the_switches_are_found() -> None:
    assert STACK_FILES == ["Pulumi.dev.yaml", "Pulumi.prod.yaml"]
    assert {"cdn", "consoleEnabled", "reprocessOnSpecChange", "protectData"} <= set(BOOLEAN_KEYS)


@pytest.mark.parametrize("key", sorted(BOOLEAN_KEYS))
@pytest.mark.parametrize("stack_file", STACK_FILES)
def test_each_stack_file_deploys_with_each_switch_flipped(
    stack_file: str, key: str, stack_config: None
) -> None:
    config = _stack_file(stack_file)
    flipped = not _current(config, BOOLEAN_KEYS[key])
    config[f"prism:{key}"] = str(flipped).lower()
    resources = _run_program(config)
    assert any(r.type == "aws:lambda/function:Function" for r in resources)
    if key == "cdn":
        assert any(r.type == DISTRIBUTION for r in resources) is flipped


@pytest.mark.parametrize("stack_file", STACK_FILES)
def test_each_stack_file_deploys_as_written(stack_file: str, stack_config: None) -> None:
    resources = _run_program(_stack_file(stack_file))
    assert any(r.type == DISTRIBUTION for r in resources)  # the CDN is on by default


@pytest.mark.parametrize("key", sorted(KEYS))
def test_an_empty_value_means_unset(key: str) -> None:
    assert parse_config({key: ""}) == StackSettings()


def test_the_cdn_off_still_refuses_cdn_settings_that_would_change_it() -> None:
    prod = _stack_file("Pulumi.prod.yaml")
    raw = {k.removeprefix("prism:"): v for k, v in prod.items() if k.startswith("prism:")}
    assert parse_config(raw | {"cdn": "false"}).cdn == CdnSettings(enabled=False)
    with pytest.raises(ConfigError, match="prism:cdnPriceClass only apply with prism:cdn true"):
        parse_config(raw | {"cdn": "false", "cdnPriceClass": "PriceClass_All"})
    with pytest.raises(ConfigError, match="prism:cdnPriceClass must be one of"):
        parse_config(raw | {"cdn": "false", "cdnPriceClass": "PriceClass_1"})


# --- the build Region (issue 21, item 8) -------------------------------------------------------


def test_the_shipped_stacks_are_in_a_region_with_an_arm_build_host() -> None:
    for name in STACK_FILES:
        check_build_region(_stack_file(name)["aws:region"])


def test_preview_refuses_a_region_without_an_arm_build_host(stack_config: None) -> None:
    config = _stack_file("Pulumi.prod.yaml") | {"aws:region": "eu-south-1", "prism:cdn": "false"}
    with pytest.raises(ConfigError, match="aws:region eu-south-1 has no CodeBuild ARM build host"):
        _run_program(config)


def test_preview_accepts_a_region_with_one(stack_config: None) -> None:
    assert "ap-southeast-2" in ARM_BUILD_REGIONS
    prod = _stack_file("Pulumi.prod.yaml")
    config = prod | {"aws:region": "ap-southeast-2", "prism:cdn": "false"}
    assert any(r.type == "aws:codebuild/project:Project" for r in _run_program(config))
