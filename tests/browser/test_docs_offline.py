"""`/docs` renders Swagger UI from the app's own files, with the network cut off."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.sync_api import Browser, expect

from tests.browser.browser_support import offline_context


def test_docs_render_every_operation_offline(
    browser: Browser, server: str, shots: Callable[..., Path]
) -> None:
    spec = httpx.get(f"{server}/openapi.json").json()
    operations = sum(len(methods) for methods in spec["paths"].values())
    context = offline_context(browser, server, viewport={"width": 1280, "height": 900})
    blocked: list[str] = []
    context.on("requestfailed", lambda request: blocked.append(request.url))
    page = context.new_page()
    page.goto(f"{server}/docs")
    expect(page.locator(".opblock")).to_have_count(operations, timeout=30_000)
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    expect(page.locator(".info .title")).to_contain_text("Prism")
    assert page.evaluate("window.cspViolations") == []
    assert blocked == [], f"/docs asked the network for {blocked}"
    shots(page, "11-docs", full_page=True)
    context.close()


def test_redoc_renders_offline(browser: Browser, server: str, shots: Callable[..., Path]) -> None:
    spec = httpx.get(f"{server}/openapi.json").json()
    summaries = [op["summary"] for methods in spec["paths"].values() for op in methods.values()]
    context = offline_context(browser, server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{server}/redoc")
    for summary in summaries:
        expect(page.locator("h2", has_text=summary)).to_have_count(1)
    # ReDoc's only outside reference is its maker's logo, which the CSP keeps out.
    violations = page.evaluate("window.cspViolations")
    assert [v for v in violations if not v.startswith("img-src https://cdn.redoc.ly/")] == []
    shots(page, "12-redoc")
    context.close()
