"""Helpers for the browser tests (imported as `browser_support`)."""

from __future__ import annotations

from playwright.sync_api import Browser, BrowserContext


def offline_context(browser: Browser, base: str, *also: str, **options: object) -> BrowserContext:
    """A browser context that can reach `base` (and the origins in `also`) only: any other
    request is aborted, as if the machine had no network. CSP violations are collected into
    `window.cspViolations`."""
    context = browser.new_context(**options)  # type: ignore[arg-type]
    local = (base + "/", *(origin + "/" for origin in also), "data:", "blob:")
    context.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith(local) else route.abort(),
    )
    # Runs before any page script; init scripts are the browser's, not the page's, so the
    # page's CSP does not apply to them.
    context.add_init_script(
        "window.cspViolations = [];"
        "document.addEventListener('securitypolicyviolation',"
        " (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    return context
