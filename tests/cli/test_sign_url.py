"""`prism sign-url`: signed transform URLs from a shell."""

from __future__ import annotations

import pytest

from prism.cli.main import main
from prism.transforms.params import Policy
from prism.transforms.request import resolve

IMAGE_ID = "0123456789abcdef0123456789abcdef"


def test_sign_url_prints_a_url_the_app_accepts(monkeypatch, capsys) -> None:
    monkeypatch.setenv("PRISM_TRANSFORM_SIGNING_KEYS", "new-key,old-key")
    argv = ["sign-url", IMAGE_ID, "--width", "800", "--format", "auto", "--base-url", "https://x"]
    assert main(argv) == 0
    url = capsys.readouterr().out.strip()
    assert url.startswith(f"https://x/images/{IMAGE_ID}/transform?format=auto&width=800&sig=")
    query = url.split("?", 1)[1]
    assert resolve(IMAGE_ID, query, "image/webp", Policy(), ["new-key"]).key.endswith(
        "/t/format=webp,width=800"
    )


@pytest.mark.parametrize(
    ("env", "argv", "message"),
    [
        ({}, [IMAGE_ID], "PRISM_TRANSFORM_SIGNING_KEYS"),
        ({"PRISM_TRANSFORM_SIGNING_KEYS": "k"}, ["nope"], "image_id"),
        ({"PRISM_TRANSFORM_SIGNING_KEYS": "k"}, [IMAGE_ID, "--quality", "0"], "quality"),
    ],
)
def test_sign_url_errors_are_messages_not_tracebacks(monkeypatch, capsys, env, argv, message):
    monkeypatch.delenv("PRISM_TRANSFORM_SIGNING_KEYS", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["sign-url", *argv]) == 2
    assert message in capsys.readouterr().err
