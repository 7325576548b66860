"""Peak memory of processing one image the way Lambda does: S3 event in, variants out.

Run by test_memory.py as `python -m tests.reliability.memory_worker IMAGE DATA_DIR`; prints one
JSON object: the RSS before the image (app loaded and warmed up) and the peak (VmHWM) while
it was stored, processed and its variants and manifest written.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from prism.core.settings import load_settings
from prism.http.app import create_app
from prism.service.events import object_created_event
from tests.images import small_image
from tests.reliability.procstats import peak_rss_bytes, reset_peak_rss, rss_bytes

ADAPTER = {"content-type": "application/json", "x-amzn-request-context": "null"}


def deliver(client: TestClient, key: str, data: bytes) -> dict[str, object]:
    storage = client.app.state.storage  # type: ignore[attr-defined]
    etag = storage.put("uploads", key, data, "image/jpeg")
    event = object_created_event(storage.bucket_name("uploads"), key, len(data), etag)
    response = client.post("/events", content=json.dumps(event), headers=ADAPTER)
    response.raise_for_status()
    return response.json()


def main(image: str, data_dir: str) -> int:
    settings = load_settings({"PRISM_STORAGE": "local", "PRISM_DATA_DIR": data_dir})
    with TestClient(create_app(settings)) as client:
        # Warm up: lazy imports, encoder libraries, thread pools.
        deliver(client, "uploads/warm-up.jpg", small_image("JPEG", (640, 480)))
        deliver(client, "uploads/warm-up.png", small_image("PNG", (640, 480), alpha=True))
        data = Path(image).read_bytes()
        before = rss_bytes()
        reset_peak_rss()
        result = deliver(client, "uploads/" + Path(image).name, data)
        peak = peak_rss_bytes()
    print(json.dumps({"rss_before": before, "peak_rss": peak, "result": result}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
