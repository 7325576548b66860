"""Send corpus files through the app, one process for many files, and report each case.

Run by test_corpus_paths.py as `python -m tests.reliability.corpus_worker MODE OUT ROOT FILE...`
- MODE `http`: POST /images (multipart, as a browser sends a file) on local storage;
- MODE `event`: put the file in the S3 uploads bucket (moto server from the environment's
  AWS_ENDPOINT_URL, buckets in PRISM_*_BUCKET) and POST the S3 event to /events.
Each case's record (one JSON line in OUT) has its HTTP status, outcome, reason, seconds, peak
RSS (VmHWM, reset before each case) and the list of checks that failed. A case that runs over
CASE_SECONDS is recorded as a timeout and ends the process; the caller resumes after it.
"""

from __future__ import annotations

import io
import json
import mimetypes
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image

from prism.core.settings import load_settings
from prism.http.app import create_app
from prism.service.events import object_created_event
from prism.storage.base import Storage
from prism.storage.layout import manifest_key, rejection_key
from tests.reliability.paths import PROBLEM
from tests.reliability.procstats import peak_rss_bytes, reset_peak_rss, rss_bytes

CASE_SECONDS = 60
REASONS = {"unsupported_format", "too_large", "corrupt", "empty_body"}
ADAPTER = {"content-type": "application/json", "x-amzn-request-context": "null"}


class CaseTimeout(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise CaseTimeout


def check_image(data: bytes | None, width: int, height: int, what: str, fails: list[str]) -> None:
    if not data:
        fails.append(f"{what}: no bytes")
        return
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            if im.size != (width, height):
                fails.append(f"{what}: {im.size} != manifest {(width, height)}")
    except Exception as exc:
        fails.append(f"{what}: does not decode: {exc}")


def check_rejection(
    storage: Storage, image_id: str, data: bytes, fails: list[str]
) -> dict[str, Any]:
    record_bytes = storage.get("rejected", rejection_key(image_id))
    if record_bytes is None:
        fails.append("no rejection record")
        return {}
    record = json.loads(record_bytes)
    if not record.get("detail"):
        fails.append("rejection record without detail")
    if storage.get("uploads", record["source"]["key"]) != data:
        fails.append("original not kept as uploaded")
    if storage.get("processed", manifest_key(image_id)) is not None:
        fails.append("a rejected image has a manifest")
    return record


def via_http(client: TestClient, storage: Storage, name: str, data: bytes) -> dict[str, Any]:
    ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = client.post("/images", files={"file": (name, data, ctype)})
    fails: list[str] = []
    out: dict[str, Any] = {"status": response.status_code}
    if response.status_code == 201:
        manifest = response.json()
        out |= {"outcome": "processed", "variants": len(manifest["variants"])}
        for variant in manifest["variants"]:
            got = client.get(variant["url"])
            what = f"variant {variant['name']}"
            if got.status_code != 200:
                fails.append(f"{what}: GET answered {got.status_code}")
            check_image(got.content, variant["width"], variant["height"], what, fails)
        if storage.get("uploads", manifest["source"]["key"]) != data:
            fails.append("original not kept as uploaded")
    elif 400 <= response.status_code < 500:
        body = response.json()
        reason = body.get("type", "").removeprefix("urn:prism:problem:")
        out |= {"outcome": "rejected", "reason": reason, "detail": body.get("detail")}
        if not response.headers.get("content-type", "").startswith(PROBLEM):
            fails.append("4xx without problem+json")
        if reason not in REASONS:
            fails.append(f"unspecific reason {reason!r}")
        if body.get("image_id"):
            recorded = check_rejection(storage, body["image_id"], data, fails).get("reason")
            if recorded != reason:
                fails.append(f"rejection record says {recorded!r}, response {reason!r}")
    else:
        out |= {"outcome": "error", "detail": response.text[:300]}
    return out | {"failed_checks": fails}


def via_event(client: TestClient, storage: Storage, name: str, data: bytes) -> dict[str, Any]:
    key = "uploads/" + name
    ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
    etag = storage.put("uploads", key, data, ctype)
    event = object_created_event(storage.bucket_name("uploads"), key, len(data), etag)
    response = client.post("/events", content=json.dumps(event), headers=ADAPTER)
    fails: list[str] = []
    out: dict[str, Any] = {"status": response.status_code}
    if response.status_code != 200:
        return out | {"outcome": "error", "detail": response.text[:300], "failed_checks": fails}
    result = response.json()
    if result["processed"]:
        image_id = result["processed"][0]
        manifest = json.loads(storage.get("processed", manifest_key(image_id)) or b"{}")
        out |= {"outcome": "processed", "variants": len(manifest.get("variants", []))}
        if not manifest.get("variants"):
            fails.append("no manifest after processing")
        for variant in manifest.get("variants", []):
            blob = storage.get("processed", variant["key"])
            check_image(blob, variant["width"], variant["height"], variant["name"], fails)
        if storage.get("uploads", key) != data:
            fails.append("original not kept as uploaded")
    elif result["rejected"]:
        entry = result["rejected"][0]
        record = check_rejection(storage, entry["id"], data, fails)
        out |= {"outcome": "rejected", "reason": entry["reason"], "detail": record.get("detail")}
        if entry["reason"] not in REASONS or record.get("reason") != entry["reason"]:
            fails.append(f"reason {entry['reason']!r}, record {record.get('reason')!r}")
    else:
        out |= {"outcome": "error", "detail": f"event result {result}"}
    return out | {"failed_checks": fails}


def main(mode: str, out_path: str, root: str, files: list[str]) -> int:
    if mode == "http":
        data_dir = tempfile.mkdtemp(prefix="prism-corpus-")
        settings = load_settings({"PRISM_STORAGE": "local", "PRISM_DATA_DIR": data_dir})
    else:
        settings = load_settings(dict(os.environ) | {"PRISM_STORAGE": "s3"})
    app = create_app(settings)
    storage: Storage = app.state.storage
    run = via_http if mode == "http" else via_event
    signal.signal(signal.SIGALRM, _alarm)
    with TestClient(app) as client, open(out_path, "a") as out:
        client.get("/healthz")  # warm up before measuring
        for file in files:
            name = str(Path(file).relative_to(root))
            data = Path(file).read_bytes()
            before = rss_bytes()
            reset_peak_rss()
            start = time.perf_counter()
            signal.alarm(CASE_SECONDS)
            try:
                record = run(client, storage, name, data)
            except CaseTimeout:
                record = {"status": None, "outcome": "timeout", "failed_checks": ["timed out"]}
            finally:
                signal.alarm(0)
            seconds = time.perf_counter() - start
            record |= {
                "case": name,
                "bytes": len(data),
                "seconds": round(seconds, 3),
                "rss_before": before,
                "peak_rss": peak_rss_bytes(),
            }
            out.write(json.dumps(record) + "\n")
            out.flush()
            if record["outcome"] == "timeout":
                os._exit(3)  # the stuck request still holds a thread; start afresh
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]))
