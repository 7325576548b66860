"""Canonicalisation properties, by hypothesis: one transform, one form, one key."""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from prism.transforms.params import Policy, Transform, parse, parse_form, split_query
from prism.transforms.request import resolve

IMAGE_ID = "0123456789abcdef0123456789abcdef"
POLICY = Policy()

sizes = st.integers(1, POLICY.max_size)
params = st.fixed_dictionaries(
    {},
    optional={
        "width": sizes.map(str),
        "height": sizes.map(str),
        "fit": st.sampled_from(["contain", "cover"]),
        "format": st.sampled_from(["jpeg", "jpg", "webp", "avif", "png", "auto"]),
        "quality": st.integers(1, 100).map(str),
    },
)


def spell(pairs: list[tuple[str, str]], zeros: int, encode: bool) -> str:
    """One of the many spellings of the same request."""
    out = []
    for name, value in pairs:
        if value.isdigit():
            value = "0" * zeros + value
        if encode:
            value = "".join(f"%{ord(ch):02X}" for ch in value)
        out.append(f"{name}={value}")
    return "&".join(out)


@given(params, st.randoms(use_true_random=False), st.integers(0, 3), st.booleans())
def test_any_spelling_gives_one_canonical_form_and_key(
    given_params: dict[str, str], rnd, zeros: int, encode: bool
) -> None:
    pairs = list(given_params.items())
    plain = resolve(IMAGE_ID, spell(pairs, 0, False), "image/webp", POLICY)
    rnd.shuffle(pairs)
    other = resolve(IMAGE_ID, spell(pairs, zeros, encode), "image/webp", POLICY)
    assert other.requested == plain.requested
    assert other.requested.form() == plain.requested.form()
    assert other.key == plain.key


@given(params)
def test_spelling_out_the_defaults_changes_nothing(given_params: dict[str, str]) -> None:
    t = parse(given_params, POLICY)
    spelled = dict(given_params)
    spelled.setdefault("fit", "contain")
    if t.format in ("jpeg", "webp", "avif") and "quality" not in given_params:
        spelled["quality"] = str({"jpeg": 85, "webp": 80, "avif": 60}[t.format])
    assert parse(spelled, POLICY) == t


@given(params, params)
def test_equal_forms_mean_equal_transforms(a: dict[str, str], b: dict[str, str]) -> None:
    ta, tb = parse(a, POLICY), parse(b, POLICY)
    assert (ta == tb) == (ta.form() == tb.form())


@given(params, st.sampled_from(["image/avif", "image/webp", "*/*"]))
def test_the_stored_form_reads_back_as_the_same_transform(
    given_params: dict[str, str], accept: str
) -> None:
    resolved = resolve(
        IMAGE_ID, "&".join(f"{k}={v}" for k, v in given_params.items()), accept, POLICY
    ).transform
    assert parse_form(resolved.form(), POLICY) == resolved


@given(st.text(max_size=60))
def test_any_query_is_answered_or_refused_never_crashes(query: str) -> None:
    from prism.transforms.params import TransformError

    try:
        resolve(IMAGE_ID, quote(query, safe="=&%"), None, POLICY)
    except TransformError as e:
        assert e.status == 400
        assert e.param


def test_non_canonical_forms_are_not_storage_forms() -> None:
    import pytest

    from prism.transforms.params import TransformError

    for form in (
        "width=0400",
        "width=400,fit=contain",
        "format=jpg",
        "height=3,width=4,height=3",
        "format=auto",
        "sig=x,width=1",
        "",
        "width=400,",
        "format=webp,quality=80",
    ):
        with pytest.raises(TransformError):
            parse_form(form, POLICY)
    assert parse_form("original", POLICY) == Transform()
    assert split_query("width=1") == {"width": "1"}
