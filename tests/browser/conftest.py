"""Browser tests: Debian's Chromium driven by Playwright against a live `prism serve` on
loopback. Playwright never downloads a browser here; `.ci/run` installs `chromium` with apt."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    Locator,
    Page,
    Playwright,
    sync_playwright,
)

from tests.browser.browser_support import offline_context
from tests.servers import prism_serve

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "browser"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_executable() -> str:
    found = os.environ.get("PRISM_TEST_CHROMIUM") or shutil.which("chromium")
    if not found:
        pytest.fail("Chromium is missing: `apt-get install chromium` (.ci/run does this)")
    return found


# Package scope, not session: while sync Playwright runs, the main thread has a running event
# loop, and later tests that call asyncio.run() would fail.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=chromium_executable(), args=CHROMIUM_FLAGS)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`prism serve` as a real process on a free loopback port; yields its base URL."""
    with prism_serve(tmp_path_factory.mktemp("serve-data")) as (base, _):
        yield base


@pytest.fixture(scope="module")
def signed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The same, with transform URLs that must be signed."""
    env = {"PRISM_TRANSFORM_SIGNING_KEYS": "a-key-for-the-tests"}
    with prism_serve(tmp_path_factory.mktemp("serve-signed"), env=env) as (base, _):
        yield base


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    """A tab on the shared server's page that fails its test on a CSP violation or a script
    error."""
    context = offline_context(browser, server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    assert page.evaluate("window.cspViolations") == [], "the page broke its own CSP"
    assert errors == [], f"script errors: {errors}"
    context.close()


@pytest.fixture
def shots() -> object:
    """`shots(page, "name")` saves a full-page screenshot to tests/artifacts/browser/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(target: Page | Locator, name: str, **options: object) -> Path:
        """A page (full page with full_page=True) or one element of it."""
        path = ARTIFACTS / f"{name}.png"
        target.screenshot(path=path, **options)  # type: ignore[arg-type]
        return path

    return take
