"""Every case of the shared table through the app's rules (prism.transforms)."""

from __future__ import annotations

import pytest

from prism.transforms.negotiate import output_format
from prism.transforms.params import TransformError
from prism.transforms.request import resolve
from tests.transforms.table import Case, cases, keys_of, policy_of, table

CASES = cases()


def answer(case: Case) -> dict[str, object]:
    """What the app makes of a case, in the table's terms."""
    try:
        r = resolve(
            case.image_id, case.query, case.accept, policy_of(case.config), keys_of(case.config)
        )
    except TransformError as e:
        return {"status": e.status, "param": e.param}
    return {
        "status": 200,
        "requested": r.requested.form(),
        "form": r.transform.form(),
        "output": output_format(r.transform.format, case.source, case.has_alpha),
    }


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case) -> None:
    assert answer(case) == case.expect


def test_the_table_covers_what_the_issue_lists() -> None:
    names = " ".join(c.name for c in CASES).lower()
    for needed in ("chrome", "firefox", "safari 16", "safari 17", "curl", "no accept"):
        assert needed in names
    for needed in ("encoded slash", "duplicate", "huge", "unicode", "empty"):
        assert needed in names
    statuses = {c.expect["status"] for c in CASES}
    assert statuses == {200, 400, 403, 404}
    assert set(table()["configs"]) == {c.config for c in CASES}


def test_the_key_is_the_image_folder_plus_form() -> None:
    case = next(c for c in CASES if c.name == "cover")
    r = resolve(case.image_id, case.query, None, policy_of("open"))
    assert r.key == f"{case.image_id}/t/fit=cover,height=300,width=400"
    assert not r.negotiated
