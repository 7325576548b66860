import json

import pytest

from prism.core.errors import InvalidSpec
from prism.core.specs import DEFAULT_SPECS, VariantSpec, parse_specs


def test_default_set_is_the_original_design():
    by_name = {s.name: s for s in DEFAULT_SPECS}
    assert list(by_name) == ["jpeg85", "jpeg60", "webp", "png", "thumb"]
    assert (by_name["jpeg85"].format, by_name["jpeg85"].quality) == ("jpeg", 85)
    assert (by_name["jpeg60"].format, by_name["jpeg60"].quality) == ("jpeg", 60)
    assert (by_name["webp"].format, by_name["webp"].quality) == ("webp", 80)
    assert by_name["png"].format == "png"
    thumb = by_name["thumb"]
    assert (thumb.format, thumb.quality, thumb.width, thumb.height, thumb.fit) == (
        "jpeg",
        85,
        300,
        300,
        "contain",
    )
    assert all(s.width is None and s.height is None for s in DEFAULT_SPECS[:4])


def test_specs_round_trip_through_json():
    raw = json.dumps([s.to_dict() for s in DEFAULT_SPECS])
    assert parse_specs(raw) == DEFAULT_SPECS


def test_full_spec_with_format_options():
    (spec,) = parse_specs(
        [
            {
                "name": "hero",
                "format": "jpeg",
                "quality": 70,
                "width": 1200,
                "height": 600,
                "fit": "cover",
                "progressive": True,
            }
        ]
    )
    assert spec == VariantSpec("hero", "jpeg", 70, 1200, 600, "cover", progressive=True)
    assert (spec.extension, spec.content_type) == ("jpg", "image/jpeg")
    with pytest.raises(AttributeError):
        spec.quality = 1  # type: ignore[misc]  # frozen


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("not json", "not valid JSON"),
        ([], "non-empty list"),
        ({"name": "a"}, "non-empty list"),
        (["x"], "must be an object"),
        ([{"name": "../etc", "format": "png"}], "variant name '../etc'"),
        ([{"name": "a", "format": "gif"}], "variant 'a': format must be one of"),
        ([{"name": "a", "format": "png", "quality": 0}], "quality must be between 1 and 100"),
        ([{"name": "a", "format": "png", "quality": "high"}], "quality must be an integer"),
        ([{"name": "a", "format": "png", "quality": True}], "quality must be an integer"),
        ([{"name": "a", "format": "png", "width": -5}], "width must be between"),
        ([{"name": "a", "format": "png", "fit": "stretch"}], "fit must be 'contain' or 'cover'"),
        ([{"name": "a", "format": "png", "fit": "cover", "width": 5}], "needs both width"),
        ([{"name": "a", "format": "png", "compress_level": 10}], "compress_level"),
        ([{"name": "a", "format": "webp", "lossless": "yes"}], "lossless must be true"),
        ([{"name": "a", "format": "webp", "effort": 7}], "effort must be between 0 and 6"),
        ([{"name": "a", "format": "png", "colour": 1}], "unknown field(s) colour"),
        (
            [{"name": "a", "format": "png"}, {"name": "a", "format": "jpeg"}],
            "duplicate variant name(s): a",
        ),
    ],
)
def test_bad_specs_say_what_is_wrong(raw, message):
    with pytest.raises(InvalidSpec) as excinfo:
        parse_specs(raw)
    assert message in str(excinfo.value)
