import json

import pytest

from prism.core.errors import InvalidSpec
from prism.core.specs import (
    DEFAULT_SPECS,
    VariantSpec,
    parse_specs,
    parse_specs_text,
    specs_text,
)


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


#: Every field away from its default, and none.
EVERY_FIELD = VariantSpec("hero-2x", "avif", 50, 1600, 900, "cover", True, 9, True, 6)


def test_compact_text_names_only_what_is_off_its_default():
    assert specs_text(DEFAULT_SPECS) == (
        "jpeg85:jpeg;jpeg60:jpeg:quality=60;webp:webp:quality=80;png:png;"
        "thumb:jpeg:width=300:height=300"
    )
    assert specs_text([EVERY_FIELD]) == (
        "hero-2x:avif:quality=50:width=1600:height=900:fit=cover:progressive=true:"
        "compress_level=9:lossless=true:effort=6"
    )
    # nothing a Lambda variable's JSON would escape
    assert not set('"\\') & set(specs_text([*DEFAULT_SPECS, EVERY_FIELD]))


@pytest.mark.parametrize(
    "specs",
    [DEFAULT_SPECS, (EVERY_FIELD,), (VariantSpec("a", "png", compress_level=0, effort=0),)],
)
def test_specs_round_trip_through_compact_text_and_the_json_list_still_parses(specs):
    assert parse_specs_text(specs_text(specs)) == specs
    assert parse_specs_text(json.dumps([s.to_dict() for s in specs])) == specs
    assert parse_specs_text(" thumb : jpeg : width = 300 ; ") == (
        VariantSpec("thumb", "jpeg", width=300),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "non-empty list"),
        (" ; ", "non-empty list"),
        ("a", "variant 'a': format must be one of"),
        ("a:gif", "format must be one of"),
        ("a:png:width", "'width' is not field=value"),
        ("a:png:width=1:width=2", "width is given twice"),
        ("a:png:width=x", "width must be an integer, got 'x'"),
        ("a:png:width=0", "width must be between"),
        ("a:png:progressive=yes", "progressive must be true or false, got 'yes'"),
        ("a:png:colour=1", "unknown field(s) colour"),
        ("a:png;a:jpeg", "duplicate variant name(s): a"),
        ("../x:png", "variant name '../x'"),
        ("[not json", "not valid JSON"),
    ],
)
def test_bad_compact_text_says_what_is_wrong(text, message):
    with pytest.raises(InvalidSpec) as excinfo:
        parse_specs_text(text)
    assert message in str(excinfo.value)
