"""The fields of prism.core.settings.Settings are the one declaration of every setting; the
settings table (prism.core.settings_table.SETTINGS) views them. The app's reading, the stack's
config parser, the function's environment and the README's configuration table must agree
with it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from prism.core.setting_values import parse_colour
from prism.core.settings import Settings, SettingsError, load_settings
from prism.core.settings_table import ENV_VARS, SETTINGS
from prism_infra.config import KEYS, ConfigError, StackSettings, parse_config
from prism_infra.environment import function_environment

README = Path(__file__).resolve().parents[2] / "README.md"
STACK_ROWS = [s for s in SETTINGS if s.stack_key]
#: Stack keys whose default deliberately differs from the app's: the stack is public behind
#: the CDN, so it allows a width list (tests/infrastructure/test_transform_widths_config.py)
#: where the app alone allows any width.
STACK_DEFAULT_DIFFERS = {"transformWidths"}


def _value(settings: object, name: str) -> object:
    if name in ("max_input_bytes", "max_pixels"):
        return getattr(settings.limits, name)  # type: ignore[attr-defined]
    return getattr(settings, name)


def test_every_field_of_settings_is_one_row() -> None:
    assert [s.field for s in SETTINGS] == list(Settings.model_fields)
    assert len({s.env for s in SETTINGS}) == len(SETTINGS)
    assert list(ENV_VARS) == [s.env for s in SETTINGS]
    assert all(s.help for s in SETTINGS)


@pytest.mark.parametrize("row", [r for r in SETTINGS if r.bounds], ids=lambda r: r.env)
def test_the_app_reads_each_bounded_row_from_its_variable_within_its_bounds(row) -> None:
    lo, hi = row.bounds
    s3 = {"PRISM_STORAGE": "s3"} | {n: "b" for n in _buckets()}
    for inside in (lo, hi):
        assert _value(load_settings(s3 | {row.env: str(inside)}), row.field) == inside
    for outside in (lo - 1, hi + 1):
        with pytest.raises(SettingsError, match=f"^{row.env} must be between {lo} and {hi}, got"):
            load_settings(s3 | {row.env: str(outside)})


def test_defaults_are_the_tables() -> None:
    app = load_settings({"PRISM_STORAGE": "s3"} | {n: "b" for n in _buckets()})
    for row in SETTINGS:
        if row.env in _buckets() or row.default is None:
            continue
        # The colour is declared as the text the variable carries; the app holds it parsed.
        expected = parse_colour(row.default) if row.field == "background" else row.default
        assert _value(app, row.field) == expected, row.env


@pytest.mark.parametrize("row", STACK_ROWS, ids=lambda r: r.stack_key)
def test_the_stack_knows_the_key_and_shares_the_default(row) -> None:
    assert row.stack_key in KEYS
    if row.stack_key in STACK_DEFAULT_DIFFERS:
        return
    # A row without a default (the page's flag) defaults by mode: the stack shares Lambda's.
    lambda_default = load_settings({"PRISM_STORAGE": "s3"} | {n: "b" for n in _buckets()})
    expected = row.default if row.default is not None else _value(lambda_default, row.field)
    assert _value(StackSettings(), row.field) == expected


@pytest.mark.parametrize("row", [r for r in STACK_ROWS if r.bounds], ids=lambda r: r.stack_key)
def test_the_stack_accepts_nothing_the_app_refuses(row) -> None:
    lo, hi = row.bounds
    for outside in (lo - 1, hi + 1):
        with pytest.raises(ConfigError):
            parse_config({row.stack_key: outside})


def test_the_function_environment_sets_only_table_variables_and_the_app_reads_them_back() -> None:
    stack = parse_config({"maxPixels": 40_000_000, "uploadUrlTtl": 120, "logLevel": "debug"})
    env = function_environment(stack, uploads_bucket="u", processed_bucket="p", rejected_bucket="r")
    prism_vars = {k for k in env if k.startswith("PRISM_")}
    assert prism_vars <= set(ENV_VARS)
    assert {r.env for r in STACK_ROWS} <= prism_vars
    app = load_settings(env)
    for row in STACK_ROWS:
        stack_value = _value(stack, row.field)
        if row.field == "background":  # the stack keeps the text, the app the parsed colour
            assert app.background == parse_colour(stack_value)
        else:
            assert _value(app, row.field) == stack_value, row.env


def test_readme_table_lists_every_variable_with_its_default() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("<!-- section:configuration") :]
    rows = dict(re.findall(r"^\| `(PRISM_[A-Z_]+)` \| ([^|]+) \|", section, re.MULTILINE))
    assert set(rows) == set(ENV_VARS)
    for row in SETTINGS:
        if isinstance(row.default, str | int):
            documented = rows[row.env].strip()
            if documented.startswith("`"):
                assert documented == f"`{row.default}`", row.env


def _buckets() -> tuple[str, ...]:
    return ("PRISM_UPLOADS_BUCKET", "PRISM_PROCESSED_BUCKET", "PRISM_REJECTED_BUCKET")
