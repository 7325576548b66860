"""The CDN's edge functions as the stack publishes them, and the `prism:cdn*` settings.

The transform function's own rules are tested with the transforms (tests/transforms); the
router (preset URLs, 404 for the rest) is the stack's and is run here under Node.
"""

from __future__ import annotations

import json
import subprocess
from shutil import which
from typing import Any

import pytest
from infra_mocks import ACCOUNT, Stack

from prism_infra.cdn.edge import MAX_CODE_BYTES
from prism_infra.config import ConfigError, parse_config

#: How a secret input looks in the mocks' recorded inputs.
SECRET_SIG = "4dabf18193072939515e22adb298388d"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100"


@pytest.fixture(scope="module")
def on(stack_factory) -> Stack:
    return stack_factory({})


def _distribution(stack: Stack) -> dict[str, Any]:
    return stack.one("aws:cloudfront/distribution:Distribution").inputs


def _router(stack: Stack) -> dict[str, Any]:
    return stack.one("aws:cloudfront/function:Function", "cdn-router-request").inputs


def test_edge_functions_run_on_viewer_request_and_fit_cloudfront_functions(on: Stack) -> None:
    functions = {f.name: f.inputs for f in on.of_type("aws:cloudfront/function:Function")}
    assert set(functions) == {"cdn-transform-request", "cdn-router-request"}
    for fn in functions.values():
        assert fn["runtime"] == "cloudfront-js-2.0"
        assert fn["publish"] is True
        assert "keyValueStoreAssociations" not in fn
    transform = functions["cdn-transform-request"]["code"]
    # the transform code may carry signing keys: a secret in the state
    assert set(transform) == {SECRET_SIG, "value"}
    assert len(transform["value"].encode()) <= MAX_CODE_BYTES
    assert len(functions["cdn-router-request"]["code"].encode()) <= MAX_CODE_BYTES
    dist = _distribution(on)
    (transforms,) = dist["orderedCacheBehaviors"]
    assert transforms["pathPattern"] == "/images/*/transform"
    arn = f"arn:aws:cloudfront::{ACCOUNT}:function/prism-prod-"
    assert transforms["functionAssociations"] == [
        {"eventType": "viewer-request", "functionArn": arn + "transform-request"}
    ]
    default = dist["defaultCacheBehavior"]
    assert default["functionAssociations"] == [
        {"eventType": "viewer-request", "functionArn": arn + "router-request"}
    ]
    # both behaviours: same origin group, cache key, headers
    for key in ("targetOriginId", "cachePolicyId", "responseHeadersPolicyId", "compress"):
        assert transforms[key] == default[key], key


ID = "0123456789abcdef0123456789abcdef"
RUN_HANDLER = """
const code = require('fs').readFileSync(0, 'utf8');
const events = JSON.parse(process.argv[1]);
const handler = new Function(code + '; return handler;')();
process.stdout.write(JSON.stringify(events.map((e) => handler(e))));
"""


def _run_router(code: str, uris: list[str]) -> list[dict[str, Any]]:
    events = [
        {"request": {"method": "GET", "uri": uri, "querystring": {"v": {"value": "2"}}}}
        for uri in uris
    ]
    done = subprocess.run(
        ["node", "-e", RUN_HANDLER, json.dumps(events)],
        input=code,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


@pytest.mark.skipif(which("node") is None, reason="Node.js is not installed")
def test_router_maps_preset_urls_to_objects_and_answers_the_rest_404(on: Stack) -> None:
    code = _router(on)["code"]
    served, webp, *refused = _run_router(
        code,
        [
            f"/images/{ID}/jpeg85",
            f"/images/{ID}/webp",
            f"/images/{ID}",  # the manifest: API, not CDN
            "/images",  # the listing
            "/docs",
            "/healthz",
            f"/images/{ID}/nope",  # no such variant
            f"/images/{ID.upper()}/jpeg85",  # not an id
            f"/images/{ID}/jpeg85/x",
            f"/images/{ID}/constructor",  # not a variant, whatever JavaScript objects hold
            f"//images/{ID}/jpeg85",
        ],
    )
    assert served == {"method": "GET", "uri": f"/{ID}/jpeg85.jpg", "querystring": {}}
    assert webp["uri"] == f"/{ID}/webp.webp"
    for answer in refused:
        assert answer["statusCode"] == 404
        assert answer["headers"]["content-type"] == {"value": "application/problem+json"}
        assert answer["headers"]["cache-control"] == {"value": "no-store"}
        assert json.loads(answer["body"]["data"])["status"] == 404


def test_edge_code_over_the_size_limit_fails_preview(tmp_path) -> None:
    from prism_infra.cdn import edge

    big = tmp_path / "router.js"
    big.write_text("var PRISM_CONFIG = {}; // PRISM_CONFIG\n//" + "x" * MAX_CODE_BYTES)
    with pytest.raises(ConfigError, match="at most 10240"):
        edge.router_code(parse_config({}), big)
    no_line = tmp_path / "bare.js"
    no_line.write_text("function handler(e) { return e.request; }\n")
    with pytest.raises(ConfigError, match="exactly one PRISM_CONFIG line"):
        edge.router_code(parse_config({}), no_line)


# --- settings ---------------------------------------------------------------------------------


def test_cdn_off_rejects_cdn_settings_it_would_ignore() -> None:

    with pytest.raises(ConfigError, match="prism:cdnDomain only apply with prism:cdn true"):
        parse_config({"cdn": False, "cdnDomain": "img.example.com"})


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"cdnDomain": "img.example.com"}, "go together"),
        ({"cdnCertificateArn": CERT}, "go together"),
        ({"cdnDomain": "img_example", "cdnCertificateArn": CERT}, "host name"),
        (
            {
                "cdnDomain": "img.example.com",
                "cdnCertificateArn": CERT.replace("us-east-1", "eu-west-1"),
            },
            "us-east-1",
        ),
        ({"cdnPriceClass": "PriceClass_300"}, "PriceClass_100, PriceClass_200"),
        ({"cdnWebAclArn": "arn:aws:wafv2:eu-west-1:1:regional/webacl/x/y"}, "CLOUDFRONT"),
        ({"cdnLogRetentionDays": 0}, "between 1 and 3650"),
        ({"cdnOriginTimeout": 61}, "between 1 and 60"),
        ({"cdnOriginReservedConcurrency": "lots"}, "must be an integer"),
        ({"cdn": "yes"}, "true or false"),
        ({"alarmThresholds": {"cdn5xxRatePercent": 101}}, "between 0 and 100"),
    ],
)
def test_bad_cdn_settings_stop_preview_with_a_clear_message(raw, message) -> None:

    with pytest.raises(ConfigError, match=message):
        parse_config(raw)


def test_settings_arrive_as_strings_from_the_engine() -> None:
    cdn = parse_config(
        {"cdn": "true", "cdnOriginTimeout": "20", "cdnDomain": "IMG.Example.com."}
        | {"cdnCertificateArn": CERT}
    ).cdn
    assert (cdn.enabled, cdn.origin_timeout_seconds, cdn.domain) == (True, 20, "img.example.com")
    assert parse_config({"cdn": "false"}).cdn.enabled is False
