"""While an image's file is still on its way, the page shows the manifest's placeholder in the
box the image will fill: variant responses are held back here (route interception) to look
at the page before they arrive."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Locator, Page, Route, expect

from tests.images import FIELD, oriented

UPRIGHT = (320, 160)  # stored sideways (EXIF orientation 6); upright it is 2:1


@pytest.fixture
def image_id(server: str) -> str:
    data = oriented("JPEG", 6, UPRIGHT)
    response = httpx.post(f"{server}/images", content=data, headers={"Content-Type": "image/jpeg"})
    assert response.status_code == 201, response.text
    manifest = response.json()
    assert (manifest["width"], manifest["height"]) == UPRIGHT
    return manifest["id"]


def hold_variants(page: Page, image_id: str) -> list[Route]:
    """Variant requests of the image wait, unanswered, until the test lets them go."""
    held: list[Route] = []
    page.route(re.compile(rf"/images/{image_id}/[a-z0-9_-]+$"), lambda route: held.append(route))
    return held


def painted_box(img: Locator) -> tuple[int, int, tuple[int, int, int]]:
    """Width, height and mean colour of the bluish area in a screenshot of `img` (the
    image is FIELD blue; the frame around it is grey checkerboard and border)."""
    shot = Image.open(io.BytesIO(img.screenshot())).convert("RGB")
    blue = [
        (x, y)
        for y in range(shot.height)
        for x in range(shot.width)
        if (p := shot.getpixel((x, y)))[2] - p[0] > 60  # type: ignore[index]
    ]
    assert blue, "no placeholder painted"
    xs, ys = [x for x, _ in blue], [y for _, y in blue]
    pixels = [shot.getpixel(xy) for xy in blue]
    mean = tuple(sum(p[i] for p in pixels) // len(pixels) for i in range(3))  # type: ignore[index]
    return max(xs) - min(xs) + 1, max(ys) - min(ys) + 1, mean  # type: ignore[return-value]


def assert_placeholder_shown(img: Locator) -> None:
    assert img.evaluate("(el) => el.complete && el.naturalWidth > 0") is False  # still held
    expect(img).to_have_class(re.compile(r"\bplaceholder\b"))
    background = img.evaluate("(el) => getComputedStyle(el).backgroundImage")
    assert background.startswith('url("data:image/png;base64,'), background
    width, height, mean = painted_box(img)
    assert abs(width / height - UPRIGHT[0] / UPRIGHT[1]) < 0.1, (width, height)
    assert all(abs(a - b) < 50 for a, b in zip(mean, FIELD, strict=True)), mean


def test_the_gallery_shows_the_placeholder_until_the_thumbnail_arrives(
    page: Page, server: str, image_id: str, shots: Callable[..., Path]
) -> None:
    held = hold_variants(page, image_id)
    page.goto(f"{server}/")
    img = page.locator(f'#gallery li[data-id="{image_id}"] img')
    expect(img).to_be_visible()
    # The size is known before the file: the attributes give the box its aspect ratio.
    assert (img.get_attribute("width"), img.get_attribute("height")) == ("300", "150")
    page.wait_for_timeout(200)  # the held request stays held: nothing has loaded
    assert_placeholder_shown(img)
    shots(page.locator(f'#gallery li[data-id="{image_id}"]'), "11-placeholder-loading")
    assert held, "the thumbnail was never requested"
    for route in held:
        route.continue_()
    page.wait_for_function("(el) => el.complete && el.naturalWidth > 0", arg=img.element_handle())
    expect(img).not_to_have_class(re.compile(r"\bplaceholder\b"))
    assert img.evaluate("(el) => el.style.backgroundImage") == ""
    shots(page.locator(f'#gallery li[data-id="{image_id}"]'), "12-placeholder-loaded")


def test_the_image_page_shows_placeholders_in_every_frame(
    page: Page, server: str, image_id: str
) -> None:
    hold_variants(page, image_id)
    page.goto(f"{server}/#/images/{image_id}")
    img = page.locator('#variants li[data-variant="jpeg85"] img')
    expect(img).to_be_visible()
    assert (img.get_attribute("width"), img.get_attribute("height")) == ("320", "160")
    assert_placeholder_shown(img)
