"""Lambda's 4 KB of variables per function: what fits, what preview refuses (issue 21, item 7)."""

from __future__ import annotations

from typing import Any

import pytest
from infra_mocks import Stack, run_stack

from prism.core.settings import load_settings
from prism_infra.app_metrics import metrics_namespace
from prism_infra.config import ConfigError, parse_config
from prism_infra.environment import (
    ENVIRONMENT_LIMIT,
    environment_bytes,
    longest_environments,
)
from prism_infra.naming import BASE_NAME_MAX

FUNCTION = "aws:lambda/function:Function"
#: Each registered function and the role `longest_environments` gives its variables under.
ROLES = {
    "function-function": "function",
    "reprocessing-worker": "function",
    "cdn-origin-function": "cdn-origin",
}
FORMATS = ("webp", "avif", "jpeg", "png")


def variants(count: int) -> list[dict[str, Any]]:
    """Realistic presets: a width ladder per format, each with its own quality."""
    return [
        {
            "name": f"w{320 + 80 * i}-{FORMATS[i % 4]}",
            "format": FORMATS[i % 4],
            "quality": 60 + i % 30,
            "width": 320 + 80 * i,
            **({"height": 200 + 40 * i, "fit": "cover"} if i % 5 == 0 else {}),
        }
        for i in range(count)
    ]


def largest(count: int) -> dict[str, Any]:
    """Everything that adds variables: the CDN (default), a public URL, two signing keys."""
    return {
        "variants": variants(count),
        "transformSigningKeys": ["s" * 32, "second-signing-key-0123456789abcd"],
        "functionUrlAuth": "NONE",
        "apiKeys": ["k" * 32],
    }


def _environment(resource) -> dict[str, str]:
    return resource.inputs["environment"]["variables"]


def test_the_size_is_measured_as_lambda_does_as_one_json_object() -> None:
    # {"A":"say \"hi\""}: keys, values, quotes, the escapes of inner quotes
    assert environment_bytes({"A": 'say "hi"'}) == len('{"A":"say \\"hi\\""}') == 18
    assert environment_bytes({"A": "1", "B": "2"}) == len('{"A":"1","B":"2"}')


@pytest.mark.parametrize("count", [20, 40])
def test_20_and_40_variants_with_two_signing_keys_fit_and_read_back_identically(
    stack_factory, count: int
) -> None:
    config = largest(count)
    stack: Stack = stack_factory(config)
    expected = parse_config(config).variants
    functions = {r.name: r for r in stack.of_type(FUNCTION)}
    assert set(functions) == set(ROLES)
    for function in functions.values():
        env = _environment(function)
        assert environment_bytes(env) <= ENVIRONMENT_LIMIT
        settings = load_settings({**env, "AWS_LAMBDA_FUNCTION_NAME": function.inputs["name"]})
        assert settings.variants == expected
    # and with every name `up` learns later at its longest, for the longest stack name
    name = "p" * BASE_NAME_MAX
    for env in longest_environments(
        parse_config(config), name=name, metrics_namespace=metrics_namespace(name)
    ).values():
        assert environment_bytes(env) <= ENVIRONMENT_LIMIT


def test_the_longest_environments_are_the_functions_own_with_longer_values(
    stack_factory,
) -> None:
    config = largest(5)
    stack: Stack = stack_factory(config)
    name = "prism-prod"
    longest = longest_environments(
        parse_config(config), name=name, metrics_namespace=metrics_namespace(name)
    )
    for function in stack.of_type(FUNCTION):
        env, stand_in = _environment(function), longest[ROLES[function.name]]
        assert set(stand_in) == set(env), function.name
        assert all(len(stand_in[k]) >= len(v) for k, v in env.items()), function.name
    # without the CDN there is no origin function, nor its variables
    plain = longest_environments(
        parse_config({"cdn": False}), name=name, metrics_namespace=metrics_namespace(name)
    )
    assert set(plain) == {"function"}
    assert "PRISM_CDN_URL" not in plain["function"]


def test_an_environment_over_4_kb_is_refused_at_preview_naming_function_size_and_largest() -> None:
    config = largest(70)
    with pytest.raises(ConfigError) as excinfo:
        run_stack(parse_config(config))
    message = str(excinfo.value)
    name = "prism-prod"
    size = environment_bytes(
        longest_environments(
            parse_config(config), name=name, metrics_namespace=metrics_namespace(name)
        )["function"]
    )
    assert size > ENVIRONMENT_LIMIT
    assert message.startswith("function prism-prod (and its reprocessing worker): ")
    assert f"up to {size} bytes, over Lambda's 4096" in message
    assert "the largest variables are PRISM_VARIANTS (" in message
    assert "PRISM_TRANSFORM_SIGNING_SECRET_ARN" in message or "PRISM_API_KEYS" in message
