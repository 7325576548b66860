"""Stack keys prism:transformWidths / prism:transformWidthsMode, and issue 13's rule that a
public URL (the CDN) with unsigned transforms needs a width allowlist."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from infra_mocks import Stack

from prism_infra.cdn import edge
from prism_infra.config import DEFAULT_TRANSFORM_WIDTHS, ConfigError, parse_config


def test_the_default_stack_is_valid_with_a_next_js_like_allowlist() -> None:
    s = parse_config({})
    assert s.cdn.enabled
    assert s.transform_widths == DEFAULT_TRANSFORM_WIDTHS
    assert {640, 750, 828, 1080, 1200, 1920, 2048, 3840, 16, 384} <= set(s.transform_widths)
    assert s.transform_widths_mode == "up"


def test_cdn_on_without_an_allowlist_is_refused_at_preview() -> None:
    with pytest.raises(ConfigError, match="transformWidths"):
        parse_config({"transformWidths": "[]"})
    # without the CDN the transform URL is not public: any width is allowed
    assert parse_config({"transformWidths": "[]", "cdn": "false"}).transform_widths == ()


def test_an_empty_value_is_unset_not_an_empty_list() -> None:
    # issue 21: "" means unset for every stack key; no allowlist is spelt []
    assert parse_config({"transformWidths": ""}).transform_widths == DEFAULT_TRANSFORM_WIDTHS


def test_widths_parse_as_a_list_or_comma_text_and_bad_ones_are_refused() -> None:
    assert parse_config({"transformWidths": "[320, 640]"}).transform_widths == (320, 640)
    assert parse_config({"transformWidths": "320,640"}).transform_widths == (320, 640)
    for bad in ("640,320", "0,10", "a,b", "[5000]"):
        with pytest.raises(ConfigError, match="transformWidths"):
            parse_config({"transformWidths": bad})
    with pytest.raises(ConfigError, match="transformWidthsMode"):
        parse_config({"transformWidthsMode": "down"})


def test_the_edge_function_gets_the_stacks_allowlist() -> None:
    s = parse_config({"transformWidths": "[320, 640]", "transformWidthsMode": "reject"})
    code = edge.transform_code(s)
    assert '"widths": [320, 640]' in code
    assert '"widthsMode": "reject"' in code
    # unsigned: the stack has no signing keys, so none are published at the edge
    assert '"keys": []' in code


def test_neither_function_is_given_a_signing_secret(
    stack_factory: Callable[[dict[str, Any]], Stack],
) -> None:
    # no secret, so no role may read one: both environments leave it out
    functions = stack_factory({}).of_type("aws:lambda/function:Function")
    names = {fn.name for fn in functions}
    assert {"function-function", "cdn-origin-function"} <= names
    for fn in functions:
        assert "PRISM_TRANSFORM_SIGNING_SECRET_ARN" not in fn.inputs["environment"]["variables"]
        assert "PRISM_TRANSFORM_WIDTHS" in fn.inputs["environment"]["variables"]
