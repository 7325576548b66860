"""The page as it is reached on AWS: its images from the CDN (manifests' URLs point there
when it is on), and the page itself through a signing proxy, where every request the page
makes of the app must go through the proxy, never to the host the app sees."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.browser_support import offline_context
from tests.browser.stub_origins import StubCdn, signing_proxy
from tests.images import rotated_jpeg
from tests.servers import prism_serve

TIMES = "\N{MULTIPLICATION SIGN}"
VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def behind_cdn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, StubCdn]]:
    """`prism serve` with PRISM_CDN_URL naming a stub CDN on loopback; yields both."""
    cdn = StubCdn(tmp_path_factory.mktemp("cdn-cert"))
    with (
        cdn.running(),
        prism_serve(tmp_path_factory.mktemp("serve-cdn"), env={"PRISM_CDN_URL": cdn.url}) as (
            base,
            _,
        ),
    ):
        cdn.app = base
        yield base, cdn


def _open(context: BrowserContext) -> tuple[Page, list[str]]:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page, errors


def _upload(base: str) -> str:
    response = httpx.post(
        f"{base}/images", content=rotated_jpeg(600, 400), headers={"Content-Type": "image/jpeg"}
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _loaded(page: Page, selector: str) -> None:
    """Every image the selector names has loaded (a blocked one never does)."""
    page.wait_for_function(
        "(s) => { const all = [...document.querySelectorAll(s)];"
        " return all.length > 0 && all.every((i) => i.complete && i.naturalWidth > 0); }",
        arg=selector,
        timeout=15_000,
    )


def test_gallery_and_image_page_show_the_cdns_images(
    browser: Browser, behind_cdn: tuple[str, StubCdn]
) -> None:
    base, cdn = behind_cdn
    image_id = _upload(base)
    context = offline_context(browser, base, cdn.url, ignore_https_errors=True, viewport=VIEWPORT)
    page, errors = _open(context)
    page.goto(f"{base}/")
    thumb = page.locator(f'#gallery li[data-id="{image_id}"] img')
    expect(thumb).to_have_attribute("src", f"{cdn.url}/images/{image_id}/thumb")
    _loaded(page, "#gallery img")

    page.locator(f'#gallery li[data-id="{image_id}"] a').click()
    variants = page.locator("#variants img")
    expect(variants).to_have_count(5)
    _loaded(page, "#variants img")
    for img in variants.all():
        assert (img.get_attribute("src") or "").startswith(f"{cdn.url}/images/{image_id}/")
    assert f"/images/{image_id}/thumb" in cdn.seen  # the CDN served them, not the app
    assert page.evaluate("window.cspViolations") == []
    assert errors == []
    context.close()


def test_the_page_works_through_a_signing_proxy(browser: Browser, server: str) -> None:
    """The app writes its own host into the URLs it hands out (as a function URL's does);
    the browser reaches only the proxy, so each of those must be called through it."""
    with signing_proxy(server) as (proxy, forwarded):
        context = offline_context(browser, proxy, viewport=VIEWPORT)
        page, errors = _open(context)
        page.goto(f"{proxy}/")
        page.locator("#file-input").set_input_files(
            [{"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": rotated_jpeg(600, 400)}]
        )
        done = page.locator('#uploads li[data-status="processed"]')
        expect(done).to_have_count(1, timeout=60_000)
        link = done.locator("a", has_text="View image")
        image_id = (link.get_attribute("href") or "").rsplit("/", 1)[-1]
        assert re.fullmatch(r"[0-9a-f]{32}", image_id)
        thumb = page.locator(f'#gallery li[data-id="{image_id}"] img')
        expect(thumb).to_have_attribute("src", f"{proxy}/images/{image_id}/thumb")
        _loaded(page, "#gallery img")

        link.click()
        expect(page.locator("#variants img")).to_have_count(5)
        _loaded(page, "#variants img")
        for download in page.locator("#variants a[download]").all():
            assert (download.get_attribute("href") or "").startswith(f"{proxy}/")
        page.locator("#play-width").fill("200")
        result = page.locator("#play-result")
        expect(result).to_contain_text(f"200{TIMES}133", timeout=30_000)

        assert page.evaluate("window.cspViolations") == []
        assert errors == []
        context.close()
    calls = {call.split("?")[0] for call in forwarded}
    assert "POST /uploads" in calls
    assert f"GET /images/{image_id}" in calls  # the status URL, polled through the proxy
    assert f"GET /images/{image_id}/thumb" in calls
    assert f"GET /images/{image_id}/transform" in calls


def test_the_page_is_told_the_origin_the_app_sees(server: str, tmp_path: Path) -> None:
    """Through the proxy the app still names its own host; the page learns it from <html>."""
    with signing_proxy(server) as (proxy, _):
        html = httpx.get(f"{proxy}/").text
    assert f'<html lang="en" data-app-origin="{server}">' in html
