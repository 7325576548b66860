"""The page at `/`, driven in Chromium as a person would use it: upload three files, watch
two get processed and one refused, open an image, compare two variants pixel for pixel, try
a transform, delete. Screenshots of each step go to tests/artifacts/browser/."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from pathlib import Path

import httpx
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.browser.browser_support import offline_context
from tests.images import alpha_png, not_an_image, rotated_jpeg

Shots = Callable[..., Path]
TIMES = "\N{MULTIPLICATION SIGN}"  # how the page writes dimensions


def serious_violations(page: Page) -> list[str]:
    """axe-core (vendored in the axe-playwright-python wheel) run in the page itself."""
    results = Axe().run(page).response
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_upload_inspect_compare_transform_delete(page: Page, server: str, shots: Shots) -> None:
    page.goto(f"{server}/")
    expect(page.get_by_role("heading", name="Images", level=1)).to_be_visible()
    assert serious_violations(page) == []
    shots(page, "01-empty")

    page.locator("#file-input").set_input_files(
        [
            {"name": "sideways.jpg", "mimeType": "image/jpeg", "buffer": rotated_jpeg()},
            {"name": "alpha.png", "mimeType": "image/png", "buffer": alpha_png()},
            {"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": not_an_image()},
        ]
    )
    uploads = page.locator("#uploads li")
    expect(uploads).to_have_count(3)
    expect(page.locator('#uploads li[data-status="processed"]')).to_have_count(2, timeout=60_000)
    refused = page.locator('#uploads li[data-status="rejected"]')
    expect(refused).to_have_count(1, timeout=60_000)
    expect(refused).to_contain_text("notes.jpg")
    expect(refused).to_contain_text("not an image format Prism reads")
    links = page.locator('#uploads li[data-status="processed"] a', has_text="View image")
    expect(links).to_have_count(2)
    for link in links.all():
        assert re.fullmatch(r"#/images/[0-9a-f]{32}", link.get_attribute("href") or "")
    for bar in page.locator('#uploads li[data-status="processed"] progress').all():
        assert bar.evaluate("(el) => el.value") == 100
    expect(page.locator("#gallery li")).to_have_count(2)
    assert serious_violations(page) == []
    shots(page, "02-uploaded", full_page=True)

    # A reload lists them from the API (GET /images), newest first.
    page.reload()
    cards = page.locator("#gallery li")
    expect(cards).to_have_count(2)
    ids = [card.get_attribute("data-id") for card in cards.all()]
    assert all(ids), ids
    shots(page, "03-gallery", full_page=True)

    # The JPEG: stored sideways, shown upright (EXIF orientation 6 applied).
    sideways = next(i for i in ids if _source(server, i)["format"] == "JPEG")
    page.locator(f'#gallery li[data-id="{sideways}"] a').click()
    expect(page).to_have_url(re.compile(f"#/images/{sideways}$"))
    variants = page.locator("#variants li")
    expect(variants).to_have_count(5)
    expect(page.locator('#variants li[data-variant="jpeg85"]')).to_contain_text(f"1200{TIMES}800")
    expect(page.locator('#variants li[data-variant="thumb"]')).to_contain_text(f"300{TIMES}200")
    expect(page.locator("#source")).to_contain_text(f"JPEG, 1200{TIMES}800")
    for card in variants.all():
        expect(card).to_contain_text(re.compile(r"Of original\s*[\d.]+%"))
        link = card.get_by_role("link", name=re.compile("^Download"))
        assert (
            httpx.get(server + "/" + link.get_attribute("href").split("/", 3)[-1]).status_code
            == 200
        )
    _all_images_loaded(page, "#variants img")
    assert serious_violations(page) == []
    shots(page, "04-image", full_page=True)

    # Compare jpeg85 and jpeg60 at 4:1 on the same region, then move it with the keyboard.
    page.select_option("#compare-a", "jpeg85")
    page.select_option("#compare-b", "jpeg60")
    page.select_option("#compare-zoom", "4")
    page.locator("#compare-x").fill("700")
    page.locator("#compare-y").fill("900")
    left, right = page.locator("#crop-a img"), page.locator("#crop-b img")
    expect(left).to_have_attribute("src", re.compile("/jpeg85$"))
    expect(right).to_have_attribute("src", re.compile("/jpeg60$"))
    _all_images_loaded(page, ".crop img")
    assert left.evaluate("(el) => el.style.transform") == right.evaluate(
        "(el) => el.style.transform"
    )
    assert left.evaluate("(el) => el.style.width") == "4800px"  # 1200 px at 4:1, DPR 1
    before = left.evaluate("(el) => el.style.transform")
    page.locator("#crop-a").focus()
    page.keyboard.press("ArrowLeft")
    assert page.locator("#compare-x").input_value() == "650"
    assert left.evaluate("(el) => el.style.transform") != before
    shots(page.locator("section", has=page.locator("#compare-title")), "05-compare")

    # The playground: a 320 px WebP at quality 50, built live, fetched and measured.
    page.locator("#play-width").fill("320")
    page.select_option("#play-format", "webp")
    page.locator("#play-default-quality").uncheck()
    page.locator("#play-quality").fill("50")
    url = f"{server}/images/{sideways}/transform?width=320&format=webp&quality=50"
    expect(page.locator("#play-url")).to_have_text(url)
    result = page.locator("#play-result")
    expect(result).to_contain_text("image/webp", timeout=30_000)
    expect(result).to_contain_text(f"320{TIMES}213")
    expect(result).to_contain_text(re.compile(r"\d+ ms"))
    assert httpx.get(url).headers["content-type"] == "image/webp"
    expect(page.locator("#snippet")).to_contain_text("srcset=")
    expect(page.locator("#snippet")).to_contain_text(f"/images/{sideways}/transform?width=320")
    page.select_option("#snippet-kind", "picture")
    expect(page.locator("#snippet")).to_contain_text('<source type="image/avif"')
    assert serious_violations(page) == []
    shots(page.locator("section", has=page.locator("#play-title")), "06-playground")

    # Delete, confirming in the dialog: gone from the page and from the API.
    page.get_by_role("button", name="Delete…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    shots(page, "07-confirm-delete")
    dialog.get_by_role("button", name="Delete", exact=True).click()
    expect(page).to_have_url(re.compile(r"#/$"))
    expect(page.locator(f'#gallery li[data-id="{sideways}"]')).to_have_count(0)
    expect(page.locator("#gallery li")).to_have_count(1)
    assert httpx.get(f"{server}/images/{sideways}").status_code == 404
    shots(page, "08-deleted")


def test_gallery_pages_with_load_more(page: Page, server: str) -> None:
    for _ in range(26):
        _upload(server, alpha_png(24, 16), "image/png")
    total = len(_every_id(server))
    assert 24 < total <= 48  # two pages of the page's 24
    page.goto(f"{server}/")
    cards = page.locator("#gallery li")
    expect(cards).to_have_count(24)  # the first page
    more = page.get_by_role("button", name="Load more")
    more.click()
    expect(cards).to_have_count(total)
    expect(more).to_be_hidden()
    ids = [card.get_attribute("data-id") for card in cards.all()]
    assert ids == _every_id(server)  # newest first, each once, as the API lists them


def test_playground_urls_are_signed_when_signing_is_on(
    browser: Browser, signed_server: str
) -> None:
    image_id = _upload(signed_server, rotated_jpeg(600, 400), "image/jpeg")
    context = offline_context(browser, signed_server)
    page = context.new_page()
    page.goto(f"{signed_server}/#/images/{image_id}")
    page.locator("#play-width").fill("200")
    expect(page.locator("#play-url")).to_contain_text("sig=")
    expect(page.locator("#play-result")).to_contain_text(f"200{TIMES}133", timeout=30_000)
    assert "sig=" in page.locator("#snippet").inner_text()
    unsigned = f"{signed_server}/images/{image_id}/transform?width=200"
    assert httpx.get(unsigned).status_code == 403  # the page's URL worked: it was signed
    context.close()


def test_cancelled_delete_keeps_the_image(page: Page, server: str) -> None:
    image_id = _upload(server, alpha_png(200, 100), "image/png")
    page.goto(f"{server}/#/images/{image_id}")
    expect(page.locator("#variants li")).to_have_count(5)
    page.get_by_role("button", name="Delete…").click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("dialog")).to_be_hidden()
    assert httpx.get(f"{server}/images/{image_id}").status_code == 200


def test_drop_a_file_on_the_page(page: Page, server: str) -> None:
    page.goto(f"{server}/")
    png = base64.b64encode(alpha_png(160, 120)).decode()
    # What a drag from the desktop delivers: a drop event carrying the file.
    transfer = page.evaluate_handle(
        """(data) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "dropped.png", { type: "image/png" }));
            return transfer;
        }""",
        png,
    )
    page.dispatch_event("#drop", "dragover", {"dataTransfer": transfer})
    expect(page.locator("#drop")).to_have_class(re.compile(r"\bover\b"))
    page.dispatch_event("#drop", "drop", {"dataTransfer": transfer})
    row = page.locator("#uploads li", has_text="dropped.png")
    expect(row).to_have_attribute("data-status", "processed", timeout=60_000)
    expect(page.locator("#drop")).not_to_have_class(re.compile(r"\bover\b"))


def test_keyboard_reaches_upload_and_gallery(page: Page, server: str) -> None:
    _upload(server, alpha_png(120, 90), "image/png")
    page.goto(f"{server}/")
    expect(page.locator("#gallery li").first).to_be_visible()
    reached = []
    for _ in range(12):
        page.keyboard.press("Tab")
        reached.append(
            page.evaluate(
                "document.activeElement.id || document.activeElement.getAttribute('href')"
            )
        )
    assert "file-input" in reached, reached
    assert any(str(r).startswith("#/images/") for r in reached), reached
    # Enter on a gallery link opens the image, with focus on its heading.
    while not str(page.evaluate("document.activeElement.getAttribute('href')")).startswith(
        "#/images/"
    ):
        page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#image-title")).to_be_focused()


def test_readable_on_a_phone(browser: Browser, server: str, shots: Shots) -> None:
    image_id = _upload(server, rotated_jpeg(900, 600), "image/jpeg")
    context = offline_context(
        browser,
        server,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
    )
    page = context.new_page()
    for path, name in [("/", "09-phone-home"), (f"/#/images/{image_id}", "10-phone-image")]:
        page.goto(server + path)
        page.wait_for_load_state("networkidle")
        expect(page.locator("h1:visible")).to_be_visible()
        # Nothing wider than the screen: no sideways scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shots(page, name, full_page=True)
    assert page.evaluate("window.cspViolations") == []
    context.close()


def test_page_and_docs_send_a_strict_csp(server: str) -> None:
    for path in ("/", "/docs"):
        response = httpx.get(server + path)
        assert response.status_code == 200
        policy = response.headers["content-security-policy"]
        assert "default-src 'none'" in policy
        assert "script-src 'self';" in policy
        assert "unsafe-inline" not in policy
        assert "<script>" not in response.text
        assert " style=" not in response.text


def _upload(server: str, data: bytes, content_type: str) -> str:
    response = httpx.post(f"{server}/images", content=data, headers={"Content-Type": content_type})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _every_id(server: str) -> list[str]:
    ids, cursor = [], None
    while True:
        params = {"limit": 100} | ({"cursor": cursor} if cursor else {})
        body = httpx.get(f"{server}/images", params=params).json()
        ids += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return ids


def _source(server: str, image_id: str) -> dict:
    return httpx.get(f"{server}/images/{image_id}").json()["source"]


def _all_images_loaded(page: Page, selector: str) -> None:
    page.wait_for_function(
        "(s) => [...document.querySelectorAll(s)].every((i) => i.complete && i.naturalWidth > 0)",
        arg=selector,
    )
