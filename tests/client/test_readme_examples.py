"""The README's Python client examples, run as written against a live `prism serve` (only the
server's address and the credentials' source differ)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.images import image_bytes

README = Path(__file__).resolve().parents[2] / "README.md"


def example(name: str) -> str:
    """The ```python block right after `<!-- example:NAME -->` in the README."""
    text = README.read_text(encoding="utf-8")
    marker = f"<!-- example:{name} -->\n```python\n"
    assert text.count(marker) == 1, f"README has no single example {name!r}"
    start = text.index(marker) + len(marker)
    return text[start : text.index("\n```", start)]


def run(code: str) -> None:
    exec(compile(code, str(README), "exec"), {"__name__": "readme_example"})


def test_the_local_upload_example(
    served: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    code = example("client-local")
    assert 'Prism("http://127.0.0.1:8080")' in code
    monkeypatch.chdir(tmp_path)
    (tmp_path / "photo.jpg").write_bytes(image_bytes(300, 200))
    run(code.replace("http://127.0.0.1:8080", served))
    first, transform, listed, reason = capsys.readouterr().out.strip().splitlines()
    image_id = first.split()[0]
    assert "('thumb'," in first
    assert transform == f"{served}/images/{image_id}/transform?format=webp&width=400"
    assert httpx.get(transform).status_code == 200
    assert image_id in listed
    assert reason == "unsupported_format"


def test_the_aws_iam_upload_example(
    served: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """Signed with credentials from the environment (prism serve does not check them: the
    signatures themselves are checked in test_offline)."""
    code = example("client-aws")
    url = "https://<id>.lambda-url.eu-west-1.on.aws/"
    assert f'"{url}"' in code
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    (tmp_path / "big-photo.jpg").write_bytes(image_bytes(640, 480))
    run(code.replace(url, f"{served}/"))
    (thumb,) = capsys.readouterr().out.strip().splitlines()
    assert thumb.startswith(f"{served}/images/")
    assert thumb.endswith("/thumb")
    assert httpx.get(thumb).headers["content-type"] == "image/jpeg"
