"""POST /images and the S3 event its own original triggers: one of them processes the upload.

On Lambda the request stores the original under the uploads prefix, which fires the S3 trigger;
the event usually arrives while the request is still working. So the request first stakes a
claim until its invocation's deadline (off Lambda nothing triggers, and none is staked), and an
event that finds a live claim waits for the request's result instead of redoing the work. A
claim ends when the request releases it (done, or failed in a way it lived through) or when
its time runs out (the request was killed): then the event processes the upload, so an upload
is never left unprocessed. An event that cannot wait long enough asks to be retried (`Busy`),
and Lambda delivers it again a minute later.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from prism.storage.base import Storage, StorageError
from prism.storage.layout import claim_key

#: How often a waiting event looks for the request's result (seconds).
POLL_SECONDS = 0.25
#: How long an event waits for a request's result when it has no deadline of its own.
WAIT_SECONDS = 30.0


class Busy(Exception):
    """The upload's request still holds its claim and this event can wait no longer."""


@dataclass(frozen=True, slots=True)
class Claim:
    until: float  # seconds since the epoch


def wait_until(remaining: float | None, now: float) -> float:
    """When a waiting event gives up, in time to answer and ask to be retried."""
    return now + (WAIT_SECONDS if remaining is None else remaining)


def stake(storage: Storage, image_id: str, until: float) -> None:
    body = json.dumps({"until": until}).encode()
    storage.put("rejected", claim_key(image_id), body, "application/json")


def release(storage: Storage, image_id: str) -> None:
    """Best-effort: a claim left behind only makes an event wait until it runs out."""
    with contextlib.suppress(StorageError):
        storage.delete("rejected", [claim_key(image_id)])


def read(storage: Storage, image_id: str) -> Claim | None:
    data = storage.get("rejected", claim_key(image_id))
    try:
        return Claim(until=float(json.loads(data or b"null")["until"]))
    except (ValueError, TypeError, KeyError):
        return None


def await_result[T](
    result: Callable[[], T | None],
    claim: Callable[[], Claim | None],
    *,
    give_up: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> T | None:
    """`result()` once it exists; None when no live claim is left (process it yourself).

    Raises Busy if the claim is still live at `give_up`.
    """
    while True:
        found = result()
        if found is not None:
            return found
        current = claim()
        now = clock()
        if current is None or now >= current.until:
            return None
        if now >= give_up:
            raise Busy(f"the upload's request holds it until {current.until:.0f}; retry later")
        sleep(min(POLL_SECONDS, max(0.0, give_up - now)))
