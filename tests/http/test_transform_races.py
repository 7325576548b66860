"""Issue 22, items 2, 4, 5 and 10: transforms under races and floods.

Every race is made deterministic by a hook between the render and the store (the render is
wrapped), or by a gate that holds renders until the test lets them go: nothing here depends
on timing to pass, only (for a few) to fail on the code before the fix.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from prism.core.errors import CorruptImage
from prism.core.settings import Settings, load_settings
from prism.http.app import create_app
from prism.image import pipeline
from prism.service import admission
from prism.service import transforms as service
from prism.service.catalog import delete_image
from prism.storage.layout import manifest_key, new_image_id, upload_key
from prism.storage.records import SourceRecord
from tests.images import encode, noisy

PROBLEM = "application/problem+json"
#: Long enough that a test failing on the old code fails rather than hangs.
GATE_S = 15.0


def jpeg(size: tuple[int, int] = (200, 150)) -> bytes:
    return encode(noisy(size), "JPEG")


@dataclass
class Site:
    client: TestClient
    settings: Settings
    image_id: str

    @property
    def storage(self) -> Any:
        return self.client.app.state.services.storage

    def get(self, path: str, **headers: str) -> httpx.Response:
        return self.client.get(path, headers=headers, follow_redirects=False)

    def transform(self, query: str, **headers: str) -> httpx.Response:
        return self.get(f"/images/{self.image_id}/transform?{query}", **headers)

    def stored(self) -> list[str]:
        return self.storage.list_keys("processed", f"{self.image_id}/t/")


@pytest.fixture
def make_site(tmp_path: Path) -> Iterator[Callable[..., Site]]:
    clients: list[TestClient] = []

    def make(**env: str) -> Site:
        base = {"PRISM_STORAGE": "local", "PRISM_DATA_DIR": str(tmp_path / "data")}
        settings = load_settings(base | env)
        client = TestClient(create_app(settings))
        client.__enter__()
        clients.append(client)
        r = client.post("/images", content=jpeg(), headers={"content-type": "image/jpeg"})
        assert r.status_code == 201, r.text
        return Site(client, settings, r.json()["id"])

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def site(make_site: Callable[..., Site]) -> Site:
    return make_site()


def release_after_answers(
    gate: threading.Event, answers: list[Any], threads: list[threading.Thread], early: int
) -> list[int]:
    """Hold the renders until `early` requests have answered (or GATE_S passes), then let
    them go; the sorted statuses of every answer."""
    for _ in range(int(GATE_S * 10)):
        if sum(a is not None for a in answers) == early:
            break
        gate.wait(0.1)
    gate.set()
    for t in threads:
        t.join(GATE_S)
    return sorted(a.status_code for a in answers if a is not None)


def after_render(monkeypatch: pytest.MonkeyPatch, hook: Callable[[], None]) -> None:
    """Run `hook` between a transform's render and the store of its result."""
    real = service.render

    def render(*args: Any, **kwargs: Any) -> Any:
        made = real(*args, **kwargs)
        hook()
        return made

    monkeypatch.setattr(service, "render", render)


def problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith(PROBLEM)
    return response.json()


# Item 2: deleted and rejected images serve nothing.


@pytest.mark.parametrize("route", ["transform", "cdn"])
def test_a_transform_rendered_during_a_delete_is_not_kept(
    site: Site, monkeypatch: pytest.MonkeyPatch, route: str
) -> None:
    after_render(monkeypatch, lambda: delete_image(site.storage, site.settings, site.image_id))
    path = {
        "transform": f"/images/{site.image_id}/transform?width=100",
        "cdn": f"/{site.image_id}/t/width=100",
    }[route]
    problem(site.get(path), 404)
    assert site.stored() == []
    monkeypatch.undo()
    problem(site.get(path), 404)
    problem(site.get(f"/images/{site.image_id}"), 404)


def test_a_transform_of_a_pending_upload_then_rejected_is_not_kept(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = site.storage
    image_id = new_image_id()  # an upload not processed yet
    key = upload_key(site.settings.uploads_prefix, image_id)
    etag = storage.put("uploads", key, jpeg(), "image/jpeg")
    ingestor = site.client.app.state.services.ingestor
    error = CorruptImage("the presets could not make it")
    after_render(
        monkeypatch,
        lambda: ingestor.reject(image_id, SourceRecord(key, etag), 1, error),
    )
    url = f"/images/{image_id}/transform?width=100"
    assert problem(site.get(url), 422)["reason"] == "corrupt"
    assert storage.list_keys("processed", f"{image_id}/") == []
    monkeypatch.undo()
    assert problem(site.get(url), 422)["reason"] == "corrupt"
    assert problem(site.get(f"/images/{image_id}"), 422)["reason"] == "corrupt"


def test_a_stored_transform_is_answered_only_while_its_image_exists(site: Site) -> None:
    assert site.transform("width=100").status_code == 200
    [key] = site.stored()
    # What the race left behind before the fix: the image gone, its transform still stored.
    site.storage.delete("processed", [manifest_key(site.image_id)])
    site.storage.delete("uploads", [upload_key(site.settings.uploads_prefix, site.image_id)])
    problem(site.transform("width=100"), 404)
    assert site.storage.head("processed", key) is None  # removed, so no bucket serves it


# Item 4: one render per key; admission by the uploads' memory model.


def gate_renders(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, list[int], list[int]]:
    """Renders wait for the gate (at most GATE_S); returns it, the renders started and the
    most ever running at once."""
    gate = threading.Event()
    started: list[int] = []
    most = [0]
    running = [0]
    lock = threading.Lock()
    real = pipeline.make_variants

    def held(*args: Any, **kwargs: Any) -> Any:
        with lock:
            started.append(1)
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            gate.wait(GATE_S)
            return real(*args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(pipeline, "make_variants", held)
    return gate, started, most


def in_threads(count: int, call: Callable[[int], httpx.Response]) -> tuple[list, list]:
    answers: list[httpx.Response | None] = [None] * count

    def run(i: int) -> None:
        answers[i] = call(i)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for t in threads:
        t.start()
    return answers, threads


def test_identical_first_requests_render_once(site: Site, monkeypatch) -> None:
    gate, started, _ = gate_renders(monkeypatch)
    answers, threads = in_threads(8, lambda i: site.transform("width=120&format=webp"))
    # Let them all arrive while the first render is held (a render that began later would
    # be a second one; the old code started eight).
    gate.wait(0.5)
    gate.set()
    for t in threads:
        t.join(GATE_S)
    assert [a.status_code for a in answers if a is not None] == [200] * 8
    assert len({a.content for a in answers if a is not None}) == 1
    assert len(started) == 1
    assert site.stored() == [f"{site.image_id}/t/format=webp,width=120"]


def test_transforms_over_the_memory_budget_wait_then_get_503(
    make_site: Callable[..., Site], monkeypatch: pytest.MonkeyPatch
) -> None:
    # 128 MB leaves no room beyond the baseline: one image at a time, as for uploads.
    site = make_site(PRISM_MEMORY_MB="128")
    services = site.client.app.state.services
    assert services.transforms.budget is services.ingestor.budget  # one memory model
    monkeypatch.setattr(services.transforms, "wait", 0.2)
    released: list[int] = []
    monkeypatch.setattr(admission, "release_free_memory", lambda: released.append(1))
    monkeypatch.setattr(service, "release_free_memory", lambda: released.append(2))
    gate, started, most = gate_renders(monkeypatch)
    answers, threads = in_threads(3, lambda i: site.transform(f"width={60 + 10 * i}"))
    # The two that find no room wait 0.2 s, then answer while the first is still held.
    statuses = release_after_answers(gate, answers, threads, 2)
    assert statuses == [200, 503, 503]
    for busy in (a for a in answers if a is not None and a.status_code == 503):
        assert problem(busy, 503)["type"] == "urn:prism:problem:busy"
        assert int(busy.headers["retry-after"]) >= 1
    assert len(started) == 1
    assert most[0] == 1
    assert 1 in released
    assert released[-1] == 2


def test_a_flood_waits_for_a_render_slot_no_longer_than_for_memory(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prism.http.dependencies import RENDER_THREADS

    services = site.client.app.state.services
    monkeypatch.setattr(services.transforms, "wait", 0.2)
    gate, started, _ = gate_renders(monkeypatch)
    count = RENDER_THREADS + 2
    answers, threads = in_threads(count, lambda i: site.transform(f"width={40 + i}"))
    # The memory fits them all; the slots do not: the last two are refused after 0.2 s.
    statuses = release_after_answers(gate, answers, threads, 2)
    assert statuses == [200] * RENDER_THREADS + [503, 503]
    assert len(started) == RENDER_THREADS


# Item 5: renders do not starve the API; a client gone is not rendered for.


def test_a_manifest_read_answers_while_renders_are_held(site: Site, monkeypatch) -> None:
    gate, started, _ = gate_renders(monkeypatch)
    # More renders than anyio's 40 shared threads: before the fix they held every one.
    answers, threads = in_threads(44, lambda i: site.transform(f"width={i + 1}"))
    try:
        manifest, reader = in_threads(1, lambda i: site.get(f"/images/{site.image_id}"))
        reader[0].join(GATE_S / 3)
        assert manifest[0] is not None, "the manifest read waited for the renders"
        assert manifest[0].status_code == 200
        assert not gate.is_set()
        assert started
    finally:
        gate.set()
        for t in threads:
            t.join(GATE_S)
    assert [a.status_code for a in answers if a is not None] == [200] * 44


def test_no_render_for_a_client_that_has_gone(tmp_path: Path, renders: list[int]) -> None:
    settings = load_settings({"PRISM_STORAGE": "local", "PRISM_DATA_DIR": str(tmp_path)})
    app = create_app(settings)
    storage = app.state.services.storage
    image_id = new_image_id()
    storage.put("uploads", upload_key(settings.uploads_prefix, image_id), jpeg(), "image/jpeg")
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.disconnect"}  # hung up before the render could start

    async def send(message: dict) -> None:
        sent.append(message)

    for path in (f"/images/{image_id}/transform", f"/{image_id}/t/width=50"):
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"width=50" if "transform" in path else b"",
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1")],
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
        }
        asyncio.run(app(scope, receive, send))
    assert renders == []
    assert storage.list_keys("processed", f"{image_id}/") == []
    assert [m["status"] for m in sent if m["type"] == "http.response.start"] == [499, 499]


# Item 10: If-None-Match: * is answered without rendering.


def test_if_none_match_star_is_304_without_a_render(site: Site, renders: list[int]) -> None:
    r = site.transform("width=100", **{"if-none-match": "*"})
    assert r.status_code == 304
    assert renders == []
    assert site.stored() == []
    made = site.transform("width=100")
    assert made.status_code == 200
    assert len(renders) == 1
    again = site.transform("width=100", **{"if-none-match": "*"})
    assert again.status_code == 304
    assert again.headers["etag"] == made.headers["etag"]
    assert len(renders) == 1


def test_if_none_match_star_for_no_image_is_the_normal_answer(site: Site, renders) -> None:
    r = site.get(f"/images/{new_image_id()}/transform?width=100", **{"if-none-match": "*"})
    problem(r, 404)
    assert renders == []
