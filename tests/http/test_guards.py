"""What a hostile page can make a browser send, refused before any route runs (issue #22.7):
DNS rebinding (a Host that is not this server's), cross-site state changes (Origin,
Sec-Fetch-Site), and a body a plain form could send to /events."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from http_support import assert_problem, pass_through_headers, unreachable_s3

from prism.core.settings import Settings, SettingsError, load_settings
from prism.http.app import create_app
from tests.images import image_bytes

JPEG = {"content-type": "image/jpeg"}
EVIL_ORIGIN = "http://evil.example"
BATCH_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "batch_operations"


def _files(settings: Settings) -> list[Path]:
    assert settings.data_dir is not None
    return [p for p in settings.data_dir.rglob("*") if p.is_file()]


def _stored(client: TestClient) -> str:
    created = client.post("/images", content=image_bytes(), headers=JPEG)
    assert created.status_code == 201, created.text
    return created.json()["id"]


# --- DNS rebinding: only this server's host names ------------------------------------------


def test_a_rebinding_host_reads_changes_and_deletes_nothing(
    client: TestClient, settings: Settings
) -> None:
    image_id = _stored(client)
    evil = {"host": "evil.example:8080"}
    for response in (
        client.get("/healthz", headers=evil),
        client.get("/images", headers=evil),
        client.get(f"/images/{image_id}", headers=evil),
        client.get(f"/images/{image_id}/thumb", headers=evil),
        client.get(f"/images/{image_id}/transform?width=20", headers=evil),
        client.post("/uploads", headers=evil),
        client.post("/images", content=image_bytes(), headers=JPEG | evil),
        client.delete(f"/images/{image_id}", headers=evil),
        client.get("/", headers=evil),
    ):
        body = assert_problem(response, 400, "untrusted_host")
        assert "evil.example" in body["detail"]
    assert client.get(f"/images/{image_id}").status_code == 200
    assert client.get("/images").json()["items"][0]["id"] == image_id
    assert len(client.get("/images").json()["items"]) == 1


@pytest.mark.parametrize(
    "host",
    ["localhost", "localhost:9000", "127.0.0.1:8080", "[::1]:8080", "LocalHost", "testserver"],
)
def test_loopback_names_and_the_bound_address_are_served(client: TestClient, host: str) -> None:
    assert client.get("/healthz", headers={"host": host}).status_code == 200


def test_a_missing_or_malformed_host_is_400(client: TestClient) -> None:
    for host in ("", "[::1", "a b"):
        assert_problem(client.get("/healthz", headers={"host": host}), 400, "untrusted_host")


def test_configured_host_names_are_served_and_patterns_match_subdomains(
    make_settings: Callable[..., Settings],
) -> None:
    client = TestClient(create_app(make_settings(PRISM_ALLOWED_HOSTS="prism.lan, *.example.test")))
    for host in ("prism.lan", "prism.lan:8080", "a.example.test", "b.a.example.test:1"):
        assert client.get("/healthz", headers={"host": host}).status_code == 200, host
    for host in ("example.test", "evil.example", "prism.lan.evil.example"):
        assert_problem(client.get("/healthz", headers={"host": host}), 400, "untrusted_host")


def test_the_name_prism_serve_is_bound_to_is_served(settings: Settings) -> None:
    client = TestClient(create_app(settings, host_names=("prism.box",)))
    assert client.get("/healthz", headers={"host": "prism.box:8080"}).status_code == 200
    assert_problem(client.get("/healthz", headers={"host": "evil.example"}), 400)


@pytest.mark.parametrize("raw", ["*", "a:80", "http://a", "a/b", "*x.example", "[nope]"])
def test_a_bad_allowed_host_stops_start_up_naming_the_variable(
    make_settings: Callable[..., Settings], raw: str
) -> None:
    with pytest.raises(SettingsError, match=r"^PRISM_ALLOWED_HOSTS"):
        make_settings(PRISM_ALLOWED_HOSTS=raw)


def _lambda_client() -> TestClient:
    names = {"uploads": "u", "processed": "p", "rejected": "r"}
    settings = load_settings(
        {
            "PRISM_STORAGE": "s3",
            "PRISM_UPLOADS_BUCKET": "u",
            "PRISM_PROCESSED_BUCKET": "p",
            "PRISM_REJECTED_BUCKET": "r",
        }
    )
    return TestClient(create_app(settings, storage=unreachable_s3(names)))


def test_on_lambda_the_function_urls_host_is_served() -> None:
    # The function URL (or CloudFront, naming its origin) sets Host: no list to keep.
    client = _lambda_client()
    host = {"host": "abcdefghij.lambda-url.eu-west-1.on.aws"}
    assert client.get("/healthz", headers=host).status_code == 200


# --- cross-site requests that change state ---------------------------------------------------


def test_a_cross_site_delete_is_403_and_deletes_nothing(client: TestClient) -> None:
    image_id = _stored(client)
    for headers in (
        {"origin": EVIL_ORIGIN},
        {"sec-fetch-site": "cross-site"},
        {"origin": "null"},
        {"sec-fetch-site": "same-site"},  # another port of localhost is the same site
        {"origin": "http://testserver:3000"},
    ):
        body = assert_problem(client.delete(f"/images/{image_id}", headers=headers), 403)
        assert body["type"] == "urn:prism:problem:cross_site", headers
    assert client.get(f"/images/{image_id}").status_code == 200


def test_a_cross_site_form_stores_no_image(client: TestClient, settings: Settings) -> None:
    form = {"file": ("a.jpg", image_bytes(), "image/jpeg")}
    for headers in ({"sec-fetch-site": "cross-site"}, {"origin": EVIL_ORIGIN}, {"origin": "null"}):
        assert_problem(client.post("/images", files=form, headers=headers), 403, "cross_site")
        assert_problem(client.post("/uploads", headers=headers), 403, "cross_site")
    assert _files(settings) == []


def test_same_origin_and_non_browser_requests_change_state(client: TestClient) -> None:
    page = {"origin": "http://testserver", "sec-fetch-site": "same-origin"}
    for headers in (page, {}, {"sec-fetch-site": "none"}):
        created = client.post("/images", content=image_bytes(), headers=JPEG | headers)
        assert created.status_code == 201, created.text
        deleted = client.delete(f"/images/{created.json()['id']}", headers=headers)
        assert deleted.status_code == 204, deleted.text
    form = {"file": ("a.jpg", image_bytes(), "image/jpeg")}
    assert client.post("/images", files=form, headers=page).status_code == 201
    assert client.post("/uploads", headers=page).status_code == 200


def test_behind_a_proxy_the_browsers_fetch_metadata_decides(client: TestClient) -> None:
    # A proxy in front of `prism serve` keeps the page's Origin and sets its own upstream Host.
    proxied = {"origin": "http://127.0.0.1:8080", "sec-fetch-site": "same-origin"}
    assert client.post("/uploads", headers=proxied).status_code == 200
    # The same Origin from a browser without Fetch Metadata cannot be told from a forgery.
    assert_problem(client.post("/uploads", headers={"origin": "http://127.0.0.1:8080"}), 403)


def test_cross_site_reads_are_not_refused(client: TestClient) -> None:
    # Other sites may embed images (<img>); the browser keeps the bytes from their scripts.
    image_id = _stored(client)
    cross = {"sec-fetch-site": "cross-site", "origin": EVIL_ORIGIN}
    assert client.get(f"/images/{image_id}/thumb", headers=cross).status_code == 200


def test_on_lambda_cross_site_is_refused_and_a_signing_proxy_is_not() -> None:
    client = _lambda_client()
    assert_problem(client.post("/uploads", headers={"sec-fetch-site": "cross-site"}), 403)
    assert_problem(client.post("/uploads", headers={"origin": "null"}), 403, "cross_site")
    # The page through a local SigV4 proxy: same-origin to the browser, while the Host the
    # function sees is its own URL's.
    proxied = {
        "host": "abcdefghij.lambda-url.eu-west-1.on.aws",
        "origin": "http://localhost:8080",
        "sec-fetch-site": "same-origin",
    }
    assert client.post("/uploads", headers=proxied).status_code == 200


# --- /events takes JSON only -----------------------------------------------------------------


def test_events_refuse_a_body_a_form_could_send(client: TestClient, settings: Settings) -> None:
    image_id = _stored(client)
    storage = client.app.state.storage
    # A reprocessing task with prune=true, as a cross-site form (text/plain) could post it.
    task = json.loads((BATCH_FIXTURES / "request-2.0.json").read_text())
    task["tasks"][0] |= {"s3Bucket": storage.bucket_name("uploads"), "s3Key": f"uploads/{image_id}"}
    task["job"]["userArguments"] = {"prune": "true"}
    before = sorted(storage.list_keys("processed", ""))
    context = {"x-amzn-request-context": "null"}
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = context | ({"content-type": content_type} if content_type else {})
        response = client.post("/events", content=json.dumps(task), headers=headers)
        assert_problem(response, 415, "unsupported_media_type")
    assert sorted(storage.list_keys("processed", "")) == before
    ok = client.post("/events", json={"Records": []}, headers=pass_through_headers())
    assert ok.status_code == 200, ok.text
