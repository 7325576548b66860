"""The spec fingerprint changes exactly when the variants' bytes would change."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from prism.core.fingerprint import PIPELINE_VERSION, spec_fingerprint
from prism.core.specs import DEFAULT_SPECS, parse_specs

BASE = spec_fingerprint(DEFAULT_SPECS)


def test_it_is_a_sha256_digest():
    assert BASE.startswith("sha256:")
    assert len(BASE.removeprefix("sha256:")) == 64


@given(st.permutations(DEFAULT_SPECS))
def test_spec_order_does_not_matter(specs):
    assert spec_fingerprint(specs) == BASE


def test_defaults_spelled_out_or_omitted_are_the_same_spec():
    terse = parse_specs([{"name": "a", "format": "jpeg"}])
    explicit = parse_specs(
        [{"name": "a", "format": "jpeg", "quality": 85, "fit": "contain", "effort": 4}]
    )
    assert spec_fingerprint(terse) == spec_fingerprint(explicit)


def test_a_changed_quality_changes_it():
    webp = next(s for s in DEFAULT_SPECS if s.name == "webp")
    changed = [s if s is not webp else dataclasses.replace(s, quality=85) for s in DEFAULT_SPECS]
    assert spec_fingerprint(changed) != BASE


def test_every_field_of_a_spec_counts():
    jpeg = DEFAULT_SPECS[0]
    changes = {
        "name": "other",
        "format": "webp",
        "quality": 84,
        "width": 10,
        "height": 10,
        "fit": "cover",
        "progressive": True,
        "compress_level": 5,
        "lossless": True,
        "effort": 3,
    }
    assert set(changes) == {f.name for f in dataclasses.fields(jpeg)}
    seen = {spec_fingerprint([jpeg])}
    for field, value in changes.items():
        seen.add(spec_fingerprint([dataclasses.replace(jpeg, **{field: value})]))
    assert len(seen) == len(changes) + 1


def test_a_new_or_removed_variant_changes_it():
    hero = parse_specs([{"name": "hero", "format": "webp", "width": 1600}])
    assert spec_fingerprint((*DEFAULT_SPECS, *hero)) != BASE
    assert spec_fingerprint(DEFAULT_SPECS[1:]) != BASE


def test_background_and_pipeline_version_count():
    assert spec_fingerprint(DEFAULT_SPECS, (0, 0, 0)) != BASE
    assert spec_fingerprint(DEFAULT_SPECS, (255, 255, 255)) == BASE
    bumped = spec_fingerprint(DEFAULT_SPECS, pipeline_version=PIPELINE_VERSION + 1)
    assert bumped != BASE
