"""Handle one S3 event on local storage and SIGKILL this process at a chosen point.

Run by test_crash.py as `python -m tests.reliability.crash_worker DATA_DIR KEY WHEN N`:
- WHEN `after`: die right after the N-th write to the processed bucket completes;
- WHEN `during`: die in the middle of the N-th write (temporary file written, not yet
  renamed into place).
Writes to the processed bucket are the variants in order, then the manifest.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from prism.core.settings import load_settings
from prism.http.app import create_app
from prism.service.events import object_created_event
from prism.storage.base import Bucket
from prism.storage.local import LocalStorage


def die(*_: object) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class CrashingStorage(LocalStorage):
    def __init__(self, root: Path, when: str, at: int) -> None:
        super().__init__(root)
        self.when, self.at, self.writes = when, at, 0

    def put(self, bucket: Bucket, key: str, data: bytes, content_type: str) -> str:
        if bucket == "processed":
            self.writes += 1
            if self.when == "during" and self.writes == self.at:
                os.replace = die  # the temporary file is written; the rename never happens
        etag = super().put(bucket, key, data, content_type)
        if bucket == "processed" and self.when == "after" and self.writes == self.at:
            die()
        return etag


def main(data_dir: str, key: str, when: str, at: str) -> int:
    settings = load_settings({"PRISM_STORAGE": "local", "PRISM_DATA_DIR": data_dir})
    storage = CrashingStorage(Path(data_dir), when, int(at))
    info = storage.head("uploads", key)
    assert info is not None
    event = object_created_event("uploads", key, info.size, info.etag)
    with TestClient(create_app(settings, storage=storage)) as client:
        response = client.post("/events", json=event)
    print(response.status_code, response.text)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
