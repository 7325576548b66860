# ruff: noqa: F811  (fixtures imported from test_transforms, used by name)
"""The transform signing keys' secret cannot be read: every route that needs the keys answers
503 problem+json with Retry-After (never a 500), and the secret is not asked again by every
request but after a backoff, as for the API keys."""

from __future__ import annotations

import dataclasses

import pytest

from prism.http.api_keys import ApiKeyError
from prism.http.routers import cdn_origin
from prism.http.signing_keys import SigningKeys
from tests.http.test_transforms import Site, local, make_local, problem  # noqa: F401

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def unreadable(local: Site) -> list[int]:
    """The local site, its signing keys in a secret that answers AccessDenied-like errors."""
    calls: list[int] = []

    def load() -> tuple[str, ...]:
        calls.append(1)
        raise ApiKeyError("cannot read the transform signing keys secret: ThrottlingException")

    app = local.client.app
    app.state.services = dataclasses.replace(  # type: ignore[attr-defined]
        app.state.services,  # type: ignore[attr-defined]
        signing=SigningKeys(load),
    )
    return calls


def _unavailable(response) -> None:
    body = problem(response, 503)
    assert body["type"] == "urn:prism:problem:keys_unavailable"
    assert int(response.headers["retry-after"]) >= 1
    assert "ThrottlingException" not in body["detail"]  # the cause is logged, not told


def test_transforms_answer_503_and_the_secret_is_read_once_per_backoff(
    local: Site, unreadable: list[int]
) -> None:
    for _ in range(20):
        _unavailable(local.get("width=100"))
    assert len(unreadable) == 1  # the backoff held: one GetSecretValue, not twenty


def test_the_cdn_origins_signed_redirect_answers_503_not_500(
    local: Site, unreadable: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cdn_origin, "BYTES_LIMIT", 10)  # force the (signed) redirect
    r = local.client.get(f"/{local.image_id}/t/width=320", follow_redirects=False)
    _unavailable(r)


def test_the_playground_answers_503(local: Site, unreadable: list[int]) -> None:
    r = local.client.post(
        "/console/transform-urls", json={"image_id": local.image_id, "transforms": [{}]}
    )
    _unavailable(r)
