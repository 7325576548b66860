"""The transform settings' own checks, and the variant name the transform route reserves."""

from __future__ import annotations

import pytest

from prism.core.errors import InvalidSpec
from prism.core.settings import SettingsError, load_settings
from prism.core.specs import parse_specs

LOCAL = {"PRISM_STORAGE": "local", "PRISM_DATA_DIR": "prism-test-data"}


def test_transform_settings() -> None:
    s = load_settings(
        LOCAL
        | {
            "PRISM_TRANSFORM_WIDTHS": "320, 640,1280",
            "PRISM_TRANSFORM_WIDTHS_MODE": "reject",
            "PRISM_TRANSFORM_SIGNING_KEYS": "a, b",
            "PRISM_TRANSFORM_MAX_SIZE": "2048",
        }
    )
    assert s.transform_widths == (320, 640, 1280)
    assert s.transform_widths_mode == "reject"
    assert s.transform_signing_keys == ("a", "b")
    assert s.transform_max_size == 2048
    defaults = load_settings(LOCAL)
    assert (defaults.transform_widths, defaults.transform_signing_keys) == ((), ())
    assert defaults.transform_delivery == "redirect"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PRISM_TRANSFORM_WIDTHS", "640,320"),
        ("PRISM_TRANSFORM_WIDTHS", "320,abc"),
        ("PRISM_TRANSFORM_WIDTHS", "5000"),
        ("PRISM_TRANSFORM_WIDTHS_MODE", "down"),
        ("PRISM_TRANSFORM_MAX_SIZE", "0"),
        ("PRISM_TRANSFORM_DELIVERY", "carrier-pigeon"),
        ("PRISM_TRANSFORM_SIGNING_SECRET_ARN", "my-secret"),
    ],
)
def test_bad_transform_settings_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings(LOCAL | {name: value})


@pytest.mark.parametrize("value", [",", " , ", "  ", ",,\t"])
def test_a_blank_signing_key_list_is_an_error_not_signing_off(value: str) -> None:
    # Only "unset" (or empty) means no signing: a list of separators is a mistake to report.
    with pytest.raises(SettingsError, match="PRISM_TRANSFORM_SIGNING_KEYS must list at least"):
        load_settings(LOCAL | {"PRISM_TRANSFORM_SIGNING_KEYS": value})
    keys = "PRISM_TRANSFORM_SIGNING_KEYS"
    assert load_settings(LOCAL | {keys: ""}).transform_signing_keys == ()  # empty is unset
    assert load_settings(LOCAL | {keys: " k ,"}).transform_signing_keys == ("k",)


def test_no_variant_may_be_called_transform() -> None:
    with pytest.raises(InvalidSpec, match="reserved"):
        parse_specs([{"name": "transform", "format": "webp"}])
