"""Signed URLs: the helper, rotation, and the constant-time comparison."""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

import pytest

from prism.transforms import signing
from prism.transforms.params import Policy, TransformError
from prism.transforms.request import resolve
from prism.transforms.signing import SIGNATURE_CHARS, sign_url, signature, verify

IMAGE_ID = "0123456789abcdef0123456789abcdef"
NEW, OLD = "new-key-0000000000000000000000000", "old-key-1111111111111111111111111"


def _query(url: str) -> str:
    parts = urlsplit(url)
    assert parts.path == f"/images/{IMAGE_ID}/transform"
    return parts.query


def test_sign_url_makes_a_canonical_url_the_app_accepts() -> None:
    url = sign_url(
        "https://cdn.example.com/",
        IMAGE_ID,
        NEW,
        width=800,
        fit="cover",
        format="jpg",
        quality=85,
        height=600,
    )
    assert url.startswith(f"https://cdn.example.com/images/{IMAGE_ID}/transform?")
    query = _query(url)
    assert query.split("&sig=")[0] == "fit=cover&format=jpeg&height=600&width=800"
    r = resolve(IMAGE_ID, query, None, Policy(), [NEW])
    assert r.requested.form() == "fit=cover,format=jpeg,height=600,width=800"


def test_sign_url_without_parameters() -> None:
    query = _query(sign_url("https://x", IMAGE_ID, NEW))
    assert query.startswith("sig=")
    assert resolve(IMAGE_ID, query, None, Policy(), [NEW]).requested.form() == "original"


def test_sign_url_refuses_what_no_deployment_accepts() -> None:
    with pytest.raises(TransformError) as caught:
        sign_url("https://x", IMAGE_ID, NEW, fit="stretch")
    assert caught.value.param == "fit"


def test_signature_is_url_safe_and_truncated() -> None:
    for i in range(50):
        sig = signature(NEW, IMAGE_ID, f"width={i + 1}")
        assert len(sig) == SIGNATURE_CHARS == 32
        assert set(sig) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_rotation_accepts_both_live_keys_and_nothing_else() -> None:
    form = "format=auto,width=400"
    by_new, by_old = signature(NEW, IMAGE_ID, form), signature(OLD, IMAGE_ID, form)
    assert verify([NEW, OLD], IMAGE_ID, form, by_new)
    assert verify([NEW, OLD], IMAGE_ID, form, by_old)
    assert not verify([NEW], IMAGE_ID, form, by_old)
    assert not verify([NEW, OLD], IMAGE_ID, form, signature("third", IMAGE_ID, form))
    assert not verify([NEW, OLD], IMAGE_ID, "width=400", by_new)
    assert not verify([NEW, OLD], "f" * 32, form, by_new)
    assert not verify([NEW, OLD], IMAGE_ID, form, None)
    assert not verify([NEW, OLD], IMAGE_ID, form, "é" * 32)


def test_every_key_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(signing.hmac, "compare_digest", spy)
    form = "width=400"
    # A match on the first key must not stop the loop: timing would tell which key matched.
    assert verify([NEW, OLD], IMAGE_ID, form, signature(NEW, IMAGE_ID, form))
    assert len(calls) == 2
    assert all(isinstance(a, bytes) and isinstance(b, bytes) for a, b in calls)


def test_unsigned_and_wrong_answer_403_naming_sig() -> None:
    for query in ("width=400", "width=400&sig=", f"width=400&sig={'A' * 32}"):
        with pytest.raises(TransformError) as caught:
            resolve(IMAGE_ID, query, None, Policy(), [NEW])
        assert (caught.value.status, caught.value.param) == (403, "sig")
