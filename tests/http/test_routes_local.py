"""Every endpoint and error of the HTTP API, driven over HTTP (TestClient), local storage."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

from fastapi.testclient import TestClient
from http_support import assert_problem, function_url_context, pass_through_headers
from PIL import Image

from prism.core.settings import Settings
from prism.core.specs import DEFAULT_SPECS
from prism.http.app import create_app
from prism.storage.layout import new_image_id
from tests.images import image_bytes


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_post_raw_image_returns_manifest_and_every_variant_downloads(
    client: TestClient, jpeg: bytes
) -> None:
    response = client.post("/images", content=jpeg, headers={"content-type": "image/jpeg"})
    assert response.status_code == 201, response.text
    manifest = response.json()
    assert response.headers["location"].endswith(f"/images/{manifest['id']}")
    assert manifest["status"] == "processed"
    assert manifest["source"]["format"] == "JPEG"
    assert (manifest["source"]["width"], manifest["source"]["height"]) == (120, 80)
    assert [v["name"] for v in manifest["variants"]] == [s.name for s in DEFAULT_SPECS]
    for variant in manifest["variants"]:
        got = client.get(variant["url"])
        assert got.status_code == 200
        assert got.headers["content-type"] == variant["content_type"]
        assert len(got.content) == variant["bytes"]
        with Image.open(io.BytesIO(got.content)) as image:
            assert image.size == (variant["width"], variant["height"])
            assert (
                image.format.lower()
                == {"jpeg": "jpeg", "webp": "webp", "png": "png"}[variant["format"]]
            )
    assert client.get(f"/images/{manifest['id']}").json() == manifest


def test_post_multipart_image(client: TestClient) -> None:
    png = image_bytes(50, 70, "PNG", mode="RGBA")
    response = client.post("/images", files={"file": ("a.png", png, "image/png")})
    assert response.status_code == 201, response.text
    assert response.json()["source"]["format"] == "PNG"
    assert (response.json()["source"]["width"], response.json()["source"]["height"]) == (50, 70)


def test_too_large_request_points_to_uploads(make_settings: Callable[..., Settings]) -> None:
    client = TestClient(create_app(make_settings(PRISM_MAX_REQUEST_BYTES="1000")))
    big = image_bytes(400, 400, "PNG")
    assert len(big) > 1000
    body = assert_problem(
        client.post("/images", content=big, headers={"content-type": "image/png"}),
        413,
        "request_too_large",
    )
    assert "/uploads" in body["detail"]


def test_too_many_pixels_is_413_and_recorded(make_settings: Callable[..., Settings]) -> None:
    client = TestClient(create_app(make_settings(PRISM_MAX_PIXELS="100")))
    response = client.post("/images", content=image_bytes(), headers={"content-type": "image/jpeg"})
    body = assert_problem(response, 413, "too_large")
    assert body["reason"] == "too_large"
    # The original is kept and the rejection is on record.
    again = assert_problem(client.get(f"/images/{body['image_id']}"), 422, "too_large")
    assert again["reason"] == "too_large"


def test_wrong_content_type_is_415(client: TestClient) -> None:
    response = client.post("/images", json={"not": "an image"})
    body = assert_problem(response, 415, "unsupported_media_type")
    assert "multipart/form-data" in body["detail"]


def test_not_an_image_is_415_with_reason(client: TestClient) -> None:
    response = client.post(
        "/images", content=b"hello, I am text" * 10, headers={"content-type": "image/png"}
    )
    body = assert_problem(response, 415, "unsupported_format")
    assert body["reason"] == "unsupported_format"
    assert len(body["image_id"]) == 32


def test_truncated_image_is_422(client: TestClient, jpeg: bytes) -> None:
    response = client.post("/images", content=jpeg[:300], headers={"content-type": "image/jpeg"})
    body = assert_problem(response, 422, "corrupt")
    assert body["detected_format"] == "JPEG"


def test_empty_body_is_400(client: TestClient) -> None:
    assert_problem(
        client.post("/images", content=b"", headers={"content-type": "image/png"}),
        400,
        "empty_body",
    )


def test_multipart_without_file_is_400(client: TestClient) -> None:
    response = client.post("/images", data={"other": "x"}, files={"notfile": ("a", b"x")})
    assert_problem(response, 400, "bad_form")


def test_get_unknown_image_is_404(client: TestClient) -> None:
    assert_problem(client.get(f"/images/{new_image_id()}"), 404, "not_found")


def test_malformed_id_is_422(client: TestClient) -> None:
    body = assert_problem(client.get("/images/ABC.json"), 422, "invalid_request")
    assert body["errors"][0]["loc"] == ["path", "image_id"]
    # An escaped traversal decodes to a path no route matches.
    assert_problem(client.get("/images/..%2F..%2Fetc"), 404)


def test_pending_upload_is_202(client: TestClient, settings: Settings, jpeg: bytes) -> None:
    image_id = new_image_id()
    client.app.state.storage.put("uploads", f"uploads/{image_id}", jpeg, "image/jpeg")
    response = client.get(f"/images/{image_id}")
    assert response.status_code == 202
    assert response.json()["status"] == "pending"
    assert_problem(client.get(f"/images/{image_id}/thumb"), 404, "not_found")


def test_unknown_variant_is_404(client: TestClient, jpeg: bytes) -> None:
    image_id = client.post("/images", content=jpeg, headers={"content-type": "image/jpeg"}).json()[
        "id"
    ]
    body = assert_problem(client.get(f"/images/{image_id}/nope"), 404, "not_found")
    assert "thumb" in body["detail"]
    assert_problem(client.get(f"/images/{image_id}/Bad.Name"), 422, "invalid_request")


def test_delete_removes_everything(client: TestClient, settings: Settings, jpeg: bytes) -> None:
    manifest = client.post("/images", content=jpeg, headers={"content-type": "image/jpeg"}).json()
    data = settings.data_dir
    assert data is not None
    assert any((data / "processed").rglob("*"))
    response = client.delete(f"/images/{manifest['id']}")
    assert response.status_code == 204
    assert not [p for p in data.rglob("*") if p.is_file()]
    assert_problem(client.get(f"/images/{manifest['id']}"), 404)
    assert_problem(client.delete(f"/images/{manifest['id']}"), 404, "not_found")


def test_delete_rejected_image(client: TestClient, settings: Settings) -> None:
    body = client.post("/images", content=b"nope" * 9, headers={"content-type": "image/gif"}).json()
    assert client.delete(f"/images/{body['image_id']}").status_code == 204
    assert settings.data_dir is not None
    assert not [p for p in settings.data_dir.rglob("*") if p.is_file()]


def test_unknown_route_and_wrong_method_are_problems(client: TestClient) -> None:
    assert_problem(client.get("/nowhere"), 404)
    body = assert_problem(client.put("/images"), 405)
    assert "POST" in body["detail"]
    # Every method of the path, though GET and DELETE are separate routes.
    response = client.patch(f"/images/{new_image_id()}")
    assert_problem(response, 405)
    assert response.headers["allow"] == "DELETE, GET, HEAD"


def test_validation_error_is_problem_json(client: TestClient) -> None:
    body = assert_problem(client.delete("/images/xyz"), 422, "invalid_request")
    assert body["errors"][0]["loc"] == ["path", "image_id"]


# --- the events route ------------------------------------------------------------------------


def test_events_refuse_function_url_callers(client: TestClient) -> None:
    """Behind the adapter an HTTP caller always arrives with a request-context object."""
    event = {"Records": []}
    headers = {"x-amzn-request-context": function_url_context()}
    assert_problem(client.post("/events", json=event, headers=headers), 403, "forbidden")
    # A caller cannot smuggle "null" past the adapter (it overwrites the header), and
    # locally a plain request (no adapter) is allowed.
    assert client.post("/events", json=event).status_code == 200


def test_events_refuse_requests_without_adapter_header_on_s3(
    s3_client: TestClient,
) -> None:
    assert_problem(s3_client.post("/events", json={"Records": []}), 403, "forbidden")
    response = s3_client.post("/events", json={"Records": []}, headers=pass_through_headers())
    assert response.status_code == 200
    assert response.json() == {
        "processed": [],
        "rejected": [],
        "missing": [],
        "ignored": 0,
        "failed": [],
    }


def test_malformed_events_are_400(client: TestClient) -> None:
    headers = pass_through_headers()
    assert_problem(client.post("/events", content=b"{not json", headers=headers), 400, "bad_event")
    assert_problem(client.post("/events", json={"detail": {}}, headers=headers), 400, "bad_event")
    assert_problem(client.post("/events", json={"Records": [1]}, headers=headers), 400)
    broken = {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put"}]}
    assert_problem(client.post("/events", json=broken, headers=headers), 400, "bad_event")


# --- the local presigned-upload flow ---------------------------------------------------------


def _ticket(client: TestClient) -> dict:
    response = client.post("/uploads")
    assert response.status_code == 200
    return response.json()


def test_local_upload_flow_runs_the_event_path(client: TestClient, jpeg: bytes) -> None:
    ticket = _ticket(client)
    assert ticket["url"].startswith("http://testserver/")
    assert ticket["max_bytes"] == 50 * 1024 * 1024
    fields = ticket["fields"] | {"Content-Type": "image/jpeg"}
    response = client.post(ticket["url"], data=fields, files={"file": ("p.jpg", jpeg)})
    assert response.status_code == 204, response.text
    # The background event delivery has run by the time TestClient returns.
    manifest = client.get(ticket["status_url"]).json()
    assert manifest["id"] == ticket["id"]
    assert manifest["source"]["key"] == f"uploads/{ticket['id']}"
    assert len(manifest["variants"]) == len(DEFAULT_SPECS)


def test_local_upload_rejections_end_as_422(client: TestClient) -> None:
    ticket = _ticket(client)
    fields = ticket["fields"] | {"Content-Type": "image/png"}
    client.post(ticket["url"], data=fields, files={"file": ("x.png", b"garbage" * 10)})
    body = assert_problem(client.get(ticket["status_url"]), 422, "unsupported_format")
    assert body["image_id"] == ticket["id"]


def test_local_upload_enforces_its_policy(
    make_settings: Callable[..., Settings], jpeg: bytes
) -> None:
    client = TestClient(create_app(make_settings(PRISM_MAX_INPUT_BYTES="2000")))
    ticket = _ticket(client)
    good = ticket["fields"] | {"Content-Type": "image/jpeg"}
    url = ticket["url"]

    def post(fields: dict, data: bytes = jpeg):
        return client.post(url, data=fields, files={"file": ("p.jpg", data)})

    assert_problem(post(good | {"signature": "0" * 64}), 403, "upload_denied")
    assert_problem(post(good | {"key": "uploads/other"}), 403, "upload_denied")
    assert_problem(post(good | {"Content-Type": "text/plain"}), 403, "upload_denied")
    assert_problem(post(good, jpeg + b"\0" * 3000), 400, "upload_size")
    assert_problem(post(good, b""), 400, "upload_size")
    assert_problem(client.post(url, data=good), 400, "bad_form")
    assert_problem(client.post(url, content=b"x", headers={"content-type": "text/plain"}), 400)
    assert post(good).status_code == 204


def test_local_upload_form_expires(make_settings: Callable[..., Settings], jpeg: bytes) -> None:
    import time

    client = TestClient(create_app(make_settings(PRISM_UPLOAD_URL_TTL="1")))
    ticket = _ticket(client)
    time.sleep(1.1)
    response = client.post(
        ticket["url"],
        data=ticket["fields"] | {"Content-Type": "image/jpeg"},
        files={"file": ("p.jpg", jpeg)},
    )
    body = assert_problem(response, 403, "upload_denied")
    assert "expired" in body["detail"]


def test_create_app_reads_the_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PRISM_STORAGE", "local")
    monkeypatch.setenv("PRISM_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PRISM_EVENTS_PATH", "/hooks/s3")
    client = TestClient(create_app())
    assert client.get("/healthz").status_code == 200
    assert client.post("/hooks/s3", json={"Records": []}).status_code == 200
    assert json.loads(client.get("/openapi.json").text)["paths"]["/hooks/s3"]
