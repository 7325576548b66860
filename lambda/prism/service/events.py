"""S3 notification events: read the records Prism acts on, and build events in AWS's shape.

Pure functions. Each record stands alone: one that can never be processed (a folder marker,
a key that is not UTF-8) is skipped and named, never allowed to fail the others, and a record
repeated within one event is taken once.

S3 puts object keys into notifications form-encoded ("red flower.jpg" arrives
as "red+flower.jpg", a literal "+" as "%2B", non-ASCII as UTF-8 percent escapes), so keys are
decoded with `unquote_plus`, never `unquote`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus, unquote_plus

#: An S3 event is a few KB; a body this large is not one, and is refused unread.
MAX_EVENT_BYTES = 1024 * 1024
#: S3 sends one record per notification; an event with many more is not from S3, and each
#: record may cost a download, so the count is capped before any work.
MAX_RECORDS = 100


class MalformedEvent(ValueError):
    """The body is not an S3 notification event at all."""


@dataclass(frozen=True, slots=True)
class Skipped:
    """A record that can never be processed, and why."""

    key: str  # printable: anything that is not UTF-8 escaped
    reason: str


@dataclass(frozen=True, slots=True)
class S3Object:
    bucket: str
    key: str  # decoded
    size: int | None
    etag: str | None
    event_name: str


@dataclass(frozen=True, slots=True)
class Selection:
    """The records to process, how many were not ours (or repeats), and those that can never
    be processed."""

    objects: tuple[S3Object, ...]
    ignored: int
    skipped: tuple[Skipped, ...] = ()


def printable(key: str) -> str:
    return key.encode("utf-8", "backslashreplace").decode("utf-8")


def _unusable(key: str) -> str | None:
    """Why a key can never name an upload Prism processes, or None if it can."""
    if key.endswith("/"):
        # What the S3 console's "Create folder" writes: a zero-byte marker, not a file.
        return "a folder marker (the key ends in '/')"
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return "the key is not valid UTF-8"
    return None


def select_uploads(event: Any, bucket: str, prefix: str) -> Selection:
    """Pick the ObjectCreated records for `bucket` whose key starts with `prefix`."""
    if not isinstance(event, Mapping) or not isinstance(event.get("Records"), list):
        raise MalformedEvent("expected an S3 notification event: an object with a 'Records' list")
    if len(event["Records"]) > MAX_RECORDS:
        raise MalformedEvent(
            f"{len(event['Records'])} records; an S3 notification carries at most {MAX_RECORDS}"
        )
    chosen: list[S3Object] = []
    skipped: list[Skipped] = []
    seen: set[tuple[str, str, str | None]] = set()
    ignored = 0
    for index, record in enumerate(event["Records"]):
        obj = _read_record(record, index)
        if (
            obj is None
            or not obj.event_name.startswith("ObjectCreated:")
            or obj.bucket != bucket
            or not obj.key.startswith(prefix)
        ):
            ignored += 1
            continue
        reason = _unusable(obj.key)
        if reason is not None and obj.key.endswith("/"):
            ignored += 1  # a folder is not a file: nothing went wrong
        elif reason is not None:
            skipped.append(Skipped(printable(obj.key), reason))
        elif (obj.bucket, obj.key, obj.etag) in seen:
            ignored += 1  # the same object twice in one event: once is enough
        else:
            seen.add((obj.bucket, obj.key, obj.etag))
            chosen.append(obj)
    return Selection(objects=tuple(chosen), ignored=ignored, skipped=tuple(skipped))


def _read_record(record: Any, index: int) -> S3Object | None:
    """One record as an S3Object; None for records from other sources (not an error)."""
    if not isinstance(record, Mapping):
        raise MalformedEvent(f"Records[{index}] is not an object")
    if record.get("eventSource") != "aws:s3":
        return None
    try:
        s3 = record["s3"]
        bucket = s3["bucket"]["name"]
        raw_key = s3["object"]["key"]
        event_name = record["eventName"]
    except (KeyError, TypeError):
        raise MalformedEvent(
            f"Records[{index}] lacks eventName, s3.bucket.name or s3.object.key"
        ) from None
    if not all(isinstance(v, str) for v in (bucket, raw_key, event_name)):
        raise MalformedEvent(f"Records[{index}] has non-string bucket, key or eventName")
    try:
        key = unquote_plus(raw_key, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise MalformedEvent(f"Records[{index}] key is not percent-encoded UTF-8") from None
    obj = s3["object"]
    size = obj.get("size")
    etag = obj.get("eTag")
    return S3Object(
        bucket=bucket,
        key=key,
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        etag=etag if isinstance(etag, str) else None,
        event_name=event_name.removeprefix("s3:"),
    )


def object_created_event(
    bucket: str, key: str, size: int, etag: str, *, now: datetime | None = None
) -> dict[str, Any]:
    """An `ObjectCreated:Post` notification as S3 sends it (used by the local upload flow)."""
    when = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "local",
                "eventTime": when,
                "eventName": "ObjectCreated:Post",
                "userIdentity": {"principalId": "local"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {"x-amz-request-id": "local", "x-amz-id-2": "local"},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "prism-local",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "local"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": {
                        "key": quote_plus(key, safe="/"),
                        "size": size,
                        "eTag": etag,
                        "sequencer": "0",
                    },
                },
            }
        ]
    }
