"""Issue 17, item 1: a DELETE that races the processing of the same image sticks.

Two callers go through the app over ASGI at once: the S3 event that processes an upload
(POST /events, as the Lambda Web Adapter delivers it) and `DELETE /images/{id}`. Every storage
call either of them makes waits at a gate, and a schedule drawn by hypothesis says whose call
goes next, so each example is one interleaving of the two, at the granularity of storage
calls. After both have answered (and after the event is delivered once more, as S3 may):

- the DELETE answered 204 and the image stays gone: GET answers 404;
- nothing of the image is left in any bucket (no manifest, variant, rejection or original),
  so in particular no manifest points at a missing variant.

Both backends: a local directory and S3 on moto's server.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prism.core.settings import load_settings
from prism.http.app import create_app
from prism.service.events import object_created_event
from tests.images import small_image
from tests.reliability.aws import bucket_env
from tests.reliability.results import at_session_end

ADAPTER = {"content-type": "application/json", "x-amzn-request-context": "null"}
ACTOR: contextvars.ContextVar[str | None] = contextvars.ContextVar("actor", default=None)
STALL = 60.0  # seconds a step may take before the schedule is declared stuck


class Schedule:
    """Lets exactly one actor make its next storage call at a time, in a drawn order."""

    def __init__(self, choices: list[int]) -> None:
        self._cond = threading.Condition()
        self._state: dict[str, str] = {}  # actor -> running | waiting | granted | done
        self._choices = iter(choices)
        self.trace: list[str] = []

    def start(self, actor: str) -> None:
        with self._cond:
            self._state[actor] = "running"

    def finish(self, actor: str) -> None:
        with self._cond:
            self._state[actor] = "done"
            self._cond.notify_all()

    def gate(self, call: str) -> None:
        actor = ACTOR.get()
        if actor is None:
            return  # the test itself: never held
        with self._cond:
            self._state[actor] = "waiting"
            self._cond.notify_all()
            if not self._cond.wait_for(lambda: self._state[actor] == "granted", STALL):
                raise RuntimeError(f"{actor} was never let through")
            self._state[actor] = "running"
            self.trace.append(f"{actor}:{call}")

    def run(self) -> None:
        while True:
            with self._cond:
                settled = self._cond.wait_for(
                    lambda: all(s in ("waiting", "done") for s in self._state.values()), STALL
                )
                if not settled:
                    raise RuntimeError(f"stuck: {self._state} after {self.trace}")
                waiting = sorted(a for a, s in self._state.items() if s == "waiting")
                if not waiting:
                    return
                chosen = waiting[next(self._choices, 0) % len(waiting)]
                self._state[chosen] = "granted"
                self._cond.notify_all()


class GatedStorage:
    """The app's storage, with every call held at the schedule's gate first."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.schedule: Schedule | None = None

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.inner, name)
        if name not in ("put", "get", "head", "delete", "list_keys") or not callable(value):
            return value

        def gated(bucket: str, *args: Any) -> Any:
            if self.schedule is not None:
                self.schedule.gate(f"{name}({bucket})")
            return value(bucket, *args)

        return gated


RACES: dict[str, int] = {}  # interleavings checked, per backend


@at_session_end("delete_race")
def _summary() -> dict[str, Any] | None:
    return {"interleavings": RACES} if RACES else None


class Race:
    def __init__(self, env: dict[str, str]) -> None:
        self.backend = env["PRISM_STORAGE"]
        settings_ = load_settings(env)
        plain = create_app(settings_)
        self.storage = GatedStorage(plain.state.storage)
        self.app = create_app(settings_, storage=self.storage)
        self.inner = plain.state.storage

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://prism") as client:
                return await client.request(method, path, **kwargs)

        return asyncio.run(call())

    def upload(self) -> tuple[str, dict[str, Any]]:
        """An original in the uploads bucket (its key is its image id) and its S3 event."""
        image_id = uuid.uuid4().hex
        key = f"uploads/{image_id}"
        data = small_image("JPEG", seed=len(image_id))
        etag = self.inner.put("uploads", key, data, "image/jpeg")
        bucket = self.inner.bucket_name("uploads")
        return image_id, object_created_event(bucket, key, len(data), etag)

    def leftovers(self, image_id: str) -> list[str]:
        found = [f"processed:{k}" for k in self.inner.list_keys("processed", f"{image_id}/")]
        if self.inner.get("rejected", f"{image_id}.json") is not None:
            found.append(f"rejected:{image_id}.json")
        if self.inner.head("uploads", f"uploads/{image_id}") is not None:
            found.append(f"uploads:uploads/{image_id}")
        return found

    def interleave(self, choices: list[int]) -> None:
        image_id, event = self.upload()
        schedule = Schedule(choices)
        self.storage.schedule = schedule
        answers: dict[str, Any] = {}

        def act(actor: str, method: str, path: str, **kwargs: Any) -> None:
            ACTOR.set(actor)
            try:
                answers[actor] = self.request(method, path, **kwargs)
            except BaseException as exc:  # reported below, not lost in the thread
                answers[actor] = exc
            finally:
                schedule.finish(actor)

        body = json.dumps(event).encode()
        threads = [
            threading.Thread(
                target=act,
                args=("event", "POST", "/events"),
                kwargs={"content": body, "headers": ADAPTER},
            ),
            threading.Thread(target=act, args=("delete", "DELETE", f"/images/{image_id}")),
        ]
        for actor in ("event", "delete"):
            schedule.start(actor)
        for thread in threads:
            thread.start()
        try:
            schedule.run()
        finally:
            for thread in threads:
                thread.join(STALL)
            self.storage.schedule = None
        where = " ".join(schedule.trace)
        for actor, answer in answers.items():
            assert not isinstance(answer, BaseException), f"{actor} raised {answer!r}: {where}"
        assert answers["delete"].status_code == 204, (answers["delete"].text, where)
        assert answers["event"].status_code == 200, (answers["event"].text, where)
        # S3 may deliver the event again: the image must stay gone.
        assert self.request("POST", "/events", content=body, headers=ADAPTER).status_code == 200
        assert self.request("GET", f"/images/{image_id}").status_code == 404, where
        assert self.leftovers(image_id) == [], where


@pytest.fixture(params=["local", "s3"])
def race(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Race]:
    if request.param == "local":
        yield Race({"PRISM_STORAGE": "local", "PRISM_DATA_DIR": str(tmp_path / "data")})
    else:
        names = request.getfixturevalue("buckets")
        yield Race({"PRISM_STORAGE": "s3"} | bucket_env(names))


SCHEDULES = st.lists(st.integers(0, 1), max_size=60)


@settings(
    max_examples=int(os.environ.get("PRISM_RACE_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(choices=SCHEDULES)
def test_delete_sticks_under_every_interleaving_with_processing(
    race: Race, choices: list[int]
) -> None:
    race.interleave(choices)
    RACES[race.backend] = RACES.get(race.backend, 0) + 1


@pytest.mark.parametrize("delete_after", range(0, 30, 3))
def test_delete_after_each_step_of_processing(race: Race, delete_after: int) -> None:
    """The same, exhaustively: the event runs `delete_after` storage calls, then DELETE runs
    to the end, then the event finishes."""
    race.interleave([0] * delete_after + [1] * 40)
