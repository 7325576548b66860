"""prism.client with a fake server (httpx.MockTransport): the processing timeout, and SigV4
for an AWS_IAM function URL, checked by recomputing each signature with botocore."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from prism.client import AuthError, AwsAuth, ImageRejected, Manifest, Prism, PrismError, Timeout

IMAGE_ID = "0000" + "ab" * 14
FUNCTION_URL = "https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws"
BUCKET_URL = "https://prism-uploads.s3.eu-west-1.amazonaws.com/"
MANIFEST = {
    "id": IMAGE_ID,
    "status": "processed",
    "processed_at": "2026-12-07T20:00:00Z",
    "source": {
        "key": f"uploads/{IMAGE_ID}",
        "etag": "e",
        "format": "JPEG",
        "width": 64,
        "height": 48,
        "mode": "RGB",
        "frames": 1,
        "bytes": 5,
    },
    "variants": [
        {
            "name": "thumb",
            "format": "jpeg",
            "content_type": "image/jpeg",
            "width": 32,
            "height": 24,
            "bytes": 3,
            "url": f"{FUNCTION_URL}/images/{IMAGE_ID}/thumb",
        }
    ],
}
TICKET = {
    "id": IMAGE_ID,
    "url": BUCKET_URL,
    "method": "POST",
    "fields": {"key": f"uploads/{IMAGE_ID}", "policy": "cG9saWN5", "x-amz-signature": "s"},
    "file_field": "file",
    "max_bytes": 1000,
    "expires_in": 900,
    "status_url": f"{FUNCTION_URL}/images/{IMAGE_ID}",
}


def fake_server(
    pending: Callable[[], bool] = lambda: False,
) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """The API and the bucket's form: a ticket, 204 for the form, then 202 while `pending()`
    and the manifest after."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        if str(request.url) == BUCKET_URL:
            return httpx.Response(204)
        if request.method == "POST" and request.url.path == "/uploads":
            return httpx.Response(200, json=TICKET)
        if request.url.path == f"/images/{IMAGE_ID}":
            if pending():
                return httpx.Response(202, json={"id": IMAGE_ID, "status": "pending"})
            return httpx.Response(200, json=MANIFEST)
        if request.url.path == "/images":
            return httpx.Response(200, json={"items": [MANIFEST], "next_cursor": None})
        return httpx.Response(404, json={"type": "about:blank", "detail": "no"})

    return httpx.MockTransport(handle), seen


def test_processing_timeout_names_the_image() -> None:
    transport, seen = fake_server(pending=lambda: True)
    started = time.monotonic()
    with Prism(FUNCTION_URL, transport=transport) as prism, pytest.raises(Timeout) as caught:
        prism.upload(b"\xff\xd8\xff", content_type="image/jpeg", timeout=0.3)
    assert 0.3 <= time.monotonic() - started < 2
    assert caught.value.image_id == IMAGE_ID
    assert isinstance(caught.value, TimeoutError)
    assert sum(r.url.path == f"/images/{IMAGE_ID}" for r in seen) >= 2  # it polled


def test_a_file_larger_than_the_form_allows_is_refused_before_sending() -> None:
    transport, seen = fake_server()
    with (
        Prism(FUNCTION_URL, transport=transport) as prism,
        pytest.raises(ImageRejected) as caught,
    ):
        prism.upload(b"\xff" * (TICKET["max_bytes"] + 1), content_type="image/jpeg")
    assert caught.value.reason == "too_large"
    assert [r.url.path for r in seen] == ["/uploads"]  # the ticket only, no form


def test_busy_server_is_polled_again_then_the_manifest_comes() -> None:
    answers = iter([503, 202, 200])

    def handle(request: httpx.Request) -> httpx.Response:
        status = next(answers)
        if status == 503:
            problem = {"type": "urn:prism:problem:busy", "status": 503, "detail": "busy"}
            return httpx.Response(503, json=problem, headers={"Retry-After": "1"})
        return httpx.Response(status, json=MANIFEST if status == 200 else {"id": IMAGE_ID})

    with Prism(FUNCTION_URL, transport=httpx.MockTransport(handle)) as prism:
        assert prism.wait(IMAGE_ID, timeout=5).id == IMAGE_ID


def test_an_unresponsive_server_is_a_timeout() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    with (
        Prism(FUNCTION_URL, transport=httpx.MockTransport(handle)) as prism,
        pytest.raises(Timeout) as caught,
    ):
        prism.get(IMAGE_ID)
    assert caught.value.image_id is None


def test_an_answer_that_is_not_a_manifest_is_a_prism_error() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(200, json={"id": IMAGE_ID}))
    with (
        Prism(FUNCTION_URL, transport=transport) as prism,
        pytest.raises(PrismError, match="not a Manifest"),
    ):
        prism.get(IMAGE_ID)


def test_fields_the_client_does_not_know_are_tolerated() -> None:
    extra = MANIFEST | {
        "width": 64,
        "height": 48,
        "placeholder": "1QcSHQRnh493V4dIh4eXh1h4kJUI",
        "color": "#1e8cdc",
        "added_later": {"anything": True},
    }
    manifest = Manifest.model_validate(extra)
    assert (manifest.width, manifest.height, manifest.color) == (64, 48, "#1e8cdc")
    assert manifest.placeholder == "1QcSHQRnh493V4dIh4eXh1h4kJUI"
    assert Manifest.model_validate(MANIFEST).placeholder is None  # older manifests


# --- SigV4 -----------------------------------------------------------------------------------

CREDENTIALS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-tok")


def assert_signed(request: httpx.Request, credentials: Credentials, region: str) -> None:
    """The request carries the SigV4 signature botocore makes for it (service lambda)."""
    authorization = request.headers["authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 ")
    parts = dict(p.strip().split("=", 1) for p in authorization.split(" ", 1)[1].split(","))
    amz_date = request.headers["x-amz-date"]
    frozen = credentials.get_frozen_credentials()
    assert parts["Credential"] == f"{frozen.access_key}/{amz_date[:8]}/{region}/lambda/aws4_request"
    headers = {"X-Amz-Date": amz_date}
    if frozen.token:
        assert request.headers["x-amz-security-token"] == frozen.token
        headers["X-Amz-Security-Token"] = frozen.token
    if "content-type" in request.headers:
        headers["Content-Type"] = request.headers["content-type"]
    again = AWSRequest(request.method, str(request.url), data=request.content, headers=headers)
    again.context["timestamp"] = amz_date
    signer = SigV4Auth(frozen, "lambda", region)
    canonical = signer.canonical_request(again)
    assert parts["SignedHeaders"] == signer.signed_headers(signer.headers_to_sign(again))
    assert parts["Signature"] == signer.signature(signer.string_to_sign(again, canonical), again)


def test_every_api_request_is_signed_and_the_s3_form_is_not() -> None:
    transport, seen = fake_server()
    with Prism(FUNCTION_URL, aws_auth=AwsAuth(CREDENTIALS), transport=transport) as prism:
        prism.upload(b"\xff\xd8\xff", content_type="image/jpeg")
        prism.get(IMAGE_ID)
        assert [m.id for m in prism.list()] == [IMAGE_ID]
    api = [r for r in seen if r.url.host.endswith(".lambda-url.eu-west-1.on.aws")]
    form = [r for r in seen if str(r.url) == BUCKET_URL]
    assert [r.method for r in api] == ["POST", "GET", "GET", "GET"]
    for request in api:
        assert_signed(request, CREDENTIALS, "eu-west-1")  # the Region from the URL's host
    (upload,) = form
    for header in ("authorization", "x-amz-date", "x-amz-security-token", "x-api-key"):
        assert header not in upload.headers
    assert b'name="file"; filename="upload"' in upload.content


def test_a_body_is_covered_by_the_signature() -> None:
    transport, seen = fake_server()
    with Prism(FUNCTION_URL, aws_auth=AwsAuth(CREDENTIALS), transport=transport) as prism:
        prism.upload(b"\xff\xd8\xff", content_type="image/jpeg")
    request = seen[0]
    tampered = httpx.Request(request.method, request.url, headers=request.headers, content=b"{}")
    with pytest.raises(AssertionError):
        assert_signed(tampered, CREDENTIALS, "eu-west-1")


def test_aws_auth_true_uses_the_default_chain(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-from-env")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-2")
    transport, seen = fake_server()
    with Prism("https://prism.example.com", aws_auth=True, transport=transport) as prism:
        prism.get(IMAGE_ID)
    # No Region in this host: the chain's own Region.
    assert_signed(seen[0], Credentials("AKIDFROMENV", "secret-from-env"), "ap-southeast-2")
    assert "x-amz-security-token" not in seen[0].headers


def test_no_credentials_is_an_auth_error(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance role lookup
    transport, seen = fake_server()
    with (
        Prism(FUNCTION_URL, aws_auth=True, transport=transport) as prism,
        pytest.raises(AuthError, match="no AWS credentials"),
    ):
        prism.get(IMAGE_ID)
    assert seen == []


def test_an_api_key_goes_to_the_api_only() -> None:
    transport, seen = fake_server()
    with Prism(FUNCTION_URL, api_key="k" * 32, transport=transport) as prism:
        prism.upload(b"\xff\xd8\xff", content_type="image/jpeg")
    assert [r.headers.get("x-api-key") for r in seen] == ["k" * 32, None, "k" * 32]


def test_a_refused_signature_is_an_auth_error() -> None:
    message = {"Message": "Forbidden. For troubleshooting Function URL authorization issues..."}
    transport = httpx.MockTransport(lambda r: httpx.Response(403, content=json.dumps(message)))
    with (
        Prism(FUNCTION_URL, aws_auth=AwsAuth(CREDENTIALS), transport=transport) as prism,
        pytest.raises(AuthError) as caught,
    ):
        prism.delete(IMAGE_ID)
    assert caught.value.status == 403
    assert "Forbidden" in str(caught.value)
