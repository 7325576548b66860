"""The page's routes without a browser: what is served, with which headers, and when."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from prism.core.settings import Settings, SettingsError
from prism.http.app import create_app
from prism.http.routers.console import STATIC_DIR, content_security_policy, origin_of


def test_page_and_docs_are_served_with_a_strict_csp(client: TestClient) -> None:
    for path in ("/", "/docs"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        policy = response.headers["content-security-policy"]
        assert policy == content_security_policy()
        assert response.headers["x-content-type-options"] == "nosniff"


def test_every_asset_the_pages_name_is_served(client: TestClient) -> None:
    """Each src/href in the two HTML files and each module import resolves on the app."""
    wanted = set()
    for page in ("index.html", "docs.html"):
        wanted |= set(re.findall(r'(?:src|href)="(static/[^"]+)"', (STATIC_DIR / page).read_text()))
    for script in STATIC_DIR.glob("*.js"):
        wanted |= {f"static/{m}" for m in re.findall(r'from "\./([^"]+)"', script.read_text())}
    assert "static/swagger-ui/swagger-ui-bundle.js" in wanted
    for path in sorted(wanted):
        response = client.get(f"/{path}")
        assert response.status_code == 200, path
        assert response.headers["x-content-type-options"] == "nosniff"
    assert client.get("/static/console.js").headers["content-type"].startswith("text/javascript")


def test_no_inline_script_or_style_in_the_pages() -> None:
    for page in STATIC_DIR.glob("*.html"):
        text = page.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), page.name
        assert "<style" not in text, page.name
        assert " style=" not in text, page.name
        assert not re.search(r"\son[a-z]+=", text), page.name  # no inline event handlers


def test_csp_names_the_storage_origins() -> None:
    a, b = "https://a.s3.amazonaws.com", "https://b.s3.eu-west-1.amazonaws.com"
    policy = content_security_policy([b, a, a])
    assert f"img-src 'self' data: blob: {a} {b};" in policy
    assert f"connect-src 'self' {a} {b};" in policy
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy
    assert "style-src 'self' 'unsafe-inline'" in content_security_policy(inline_styles=True)
    assert origin_of(f"{b}/key?X-Amz-Signature=1") == b
    assert origin_of("/_local/uploads") is None
    assert origin_of(None) is None


def test_on_s3_the_page_may_reach_the_buckets(s3_settings: Settings, aws_env: str) -> None:
    settings = s3_settings.model_copy(update={"console_enabled": True})
    with TestClient(create_app(settings)) as client:
        policy = client.get("/").headers["content-security-policy"]
    # moto's endpoint stands in for the buckets' https://<bucket>.s3.<region>.amazonaws.com
    assert f"img-src 'self' data: blob: {aws_env};" in policy
    assert f"connect-src 'self' {aws_env};" in policy


def test_behind_the_cdn_the_page_may_load_its_images(s3_settings: Settings, aws_env: str) -> None:
    """Manifests' URLs name the CDN: images from it, nothing else (no requests to it)."""
    settings = s3_settings.model_copy(
        update={"console_enabled": True, "cdn_url": "https://d111.cloudfront.net"}
    )
    with TestClient(create_app(settings)) as client:
        for path in ("/", "/docs"):
            policy = client.get(path).headers["content-security-policy"]
            directives = {d.split()[0]: set(d.split()[1:]) for d in policy.split(";")}
            assert directives["img-src"] == {
                "'self'",
                "data:",
                "blob:",
                "https://d111.cloudfront.net",
                aws_env,
            }
            assert directives["connect-src"] == {"'self'", aws_env}


def test_the_page_is_on_under_prism_serve_and_off_on_lambda_unless_enabled(
    make_settings: Callable[..., Settings], s3_settings: Settings, aws_env: str
) -> None:
    assert make_settings().console_enabled is True
    assert make_settings(PRISM_CONSOLE_ENABLED="false").console_enabled is False
    assert s3_settings.console_enabled is False
    with TestClient(create_app(s3_settings)) as client:
        assert client.get("/").status_code == 404
        assert client.get("/docs").status_code == 200  # the API docs stay
    with TestClient(create_app(make_settings(PRISM_CONSOLE_ENABLED="0"))) as client:
        assert client.get("/").status_code == 404


@pytest.mark.parametrize("raw", ["maybe", "2", "enabled"])
def test_a_bad_console_flag_stops_start_up(
    make_settings: Callable[..., Settings], raw: str
) -> None:
    with pytest.raises(SettingsError, match="PRISM_CONSOLE_ENABLED"):
        make_settings(PRISM_CONSOLE_ENABLED=raw)
