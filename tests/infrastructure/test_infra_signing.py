"""Signed transform URLs on the stack (issue 13): `prism:transformSigningKeys` becomes a Secrets
Manager secret both functions may read (exactly that ARN), the secret's ARN and version in
both environments, and the keys in the CDN's transform edge function - whose published code,
run under Node, accepts what the app's signer makes and refuses anything else."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest
from infra_mocks import ACCOUNT, REGION, SECRET_VERSION, Stack
from pulumi.runtime import rpc

from prism.core.settings import load_settings
from prism.http.signing_keys import signing_keys
from prism.transforms.signing import sign_url
from prism_infra.config import ConfigError, parse_config, read_config

NEW = "n3w-signing-key-0123456789abcdef"
OLD = "0ld-signing-key-0123456789abcdef"
SIGNED = {"transformSigningKeys": json.dumps([NEW, OLD])}
ID = "0123456789abcdef0123456789abcdef"
HARNESS = Path(__file__).resolve().parents[1] / "transforms" / "run_cf_function.mjs"
NODE = shutil.which("node")
FUNCTIONS = ("function-function", "cdn-origin-function")
ROLE_POLICIES = ("function-policy", "cdn-origin-policy")


@pytest.fixture(scope="module")
def signed(stack_factory: Callable[[dict[str, Any]], Stack]) -> Stack:
    return stack_factory(SIGNED)


def _env(stack: Stack, function: str) -> dict[str, str]:
    return stack.one("aws:lambda/function:Function", function).inputs["environment"]["variables"]


# -- the setting -------------------------------------------------------------------------


def test_keys_are_validated_without_ever_being_printed() -> None:
    assert parse_config(SIGNED).transform_signing_keys == (NEW, OLD)
    assert NEW not in repr(parse_config(SIGNED))
    short = "tooshort"
    for bad, message in [
        (json.dumps([NEW, OLD, "th1rd-signing-key-0123456789abcd"]), "at most 2 keys"),
        (json.dumps([NEW, NEW]), "the same key twice"),
        (json.dumps([short]), r"transformSigningKeys\[0\] must be 16-256 characters"),
        (json.dumps([NEW + ",x"]), r"transformSigningKeys\[0\]"),  # commas split the env var
        (json.dumps({"k": NEW}), "must be a list of strings"),
    ]:
        with pytest.raises(ConfigError, match=message) as error:
            parse_config({"transformSigningKeys": bad})
        assert NEW not in str(error.value)
        assert short not in str(error.value)


def test_signed_transforms_may_go_public_without_a_width_allowlist() -> None:
    with pytest.raises(ConfigError, match="transformSigningKeys"):
        parse_config({"transformWidths": "[]"})  # the refusal names the way out
    assert parse_config({"transformWidths": "[]", **SIGNED}).transform_widths == ()


@pytest.fixture
def pulumi_config():
    yield
    pulumi.runtime.set_all_config({}, secret_keys=[])


def test_read_config_takes_signing_keys_only_as_secrets(pulumi_config) -> None:
    config = {"prism:transformSigningKeys": json.dumps([NEW])}
    pulumi.runtime.set_all_config(config, secret_keys=[])
    with pytest.raises(ConfigError, match="transformSigningKeys must be set with --secret") as e:
        read_config()
    assert NEW not in str(e.value)
    pulumi.runtime.set_all_config(config, secret_keys=["prism:transformSigningKeys"])
    assert read_config().transform_signing_keys == (NEW,)


# -- the stack ---------------------------------------------------------------------------


def test_the_keys_live_in_a_secret_of_their_own(signed: Stack) -> None:
    secret = signed.one("aws:secretsmanager/secret:Secret")
    assert secret.inputs["namePrefix"] == "prism-prod-transform-signing-"
    assert secret.inputs["recoveryWindowInDays"] == 0
    assert "kmsKeyId" not in secret.inputs  # the AWS-managed key: no grant needed
    version = signed.one("aws:secretsmanager/secretVersion:SecretVersion")
    assert version.inputs["secretId"] == "transform-signing-secret-id"
    wrapped = version.inputs["secretString"]
    assert wrapped[rpc._special_sig_key] == rpc._special_secret_sig
    assert json.loads(wrapped["value"]) == {"keys": [NEW, OLD]}
    assert signed.outputs["transform_signing_secret_arn"] == (
        f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:prism-prod-transform-signing-AbCdEf"
    )


def test_both_functions_may_read_exactly_that_secret(signed: Stack, default: Stack) -> None:
    arn = signed.outputs["transform_signing_secret_arn"]
    for name in ROLE_POLICIES:
        statements = signed.named(name).policy()["Statement"]
        reads = [s for s in statements if "secretsmanager" in json.dumps(s)]
        assert reads == [
            {
                "Sid": "ReadSigningKeys",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": [arn],
            }
        ], name
    # unsigned stacks grant no secret at all
    assert "secretsmanager" not in json.dumps(default.named("function-policy").policy())


def test_both_functions_know_where_the_keys_are_and_the_app_reads_them_there(
    signed: Stack,
) -> None:
    arn = signed.outputs["transform_signing_secret_arn"]
    for name in FUNCTIONS:
        env = _env(signed, name)
        assert env["PRISM_TRANSFORM_SIGNING_SECRET_ARN"] == arn, name
        assert env["PRISM_TRANSFORM_SIGNING_SECRET_VERSION"] == SECRET_VERSION, name
        assert "PRISM_TRANSFORM_SIGNING_KEYS" not in env  # never the keys themselves
        assert NEW not in json.dumps(env)
        assert OLD not in json.dumps(env)
        settings = load_settings(env)
        assert settings.transform_signing_secret_arn == arn
        assert settings.transform_signing_secret_version == SECRET_VERSION
        assert signing_keys(settings).enabled


def test_the_app_asks_secrets_manager_for_that_version(signed: Stack) -> None:
    import boto3
    from botocore.stub import Stubber

    from prism.http.api_keys import secrets_manager_loader

    env = _env(signed, "cdn-origin-function")
    client = boto3.client("secretsmanager", region_name=REGION)
    arn = env["PRISM_TRANSFORM_SIGNING_SECRET_ARN"]
    with Stubber(client) as stub:
        stub.add_response(
            "get_secret_value",
            {"SecretString": json.dumps({"keys": [NEW, OLD]})},
            {"SecretId": arn, "VersionId": env["PRISM_TRANSFORM_SIGNING_SECRET_VERSION"]},
        )
        load = secrets_manager_loader(
            arn, env["PRISM_TRANSFORM_SIGNING_SECRET_VERSION"], client, what="signing keys"
        )
        assert load() == (NEW, OLD)
        stub.assert_no_pending_responses()


def test_a_new_account_refuses_nothing_in_the_signed_stack(signed: Stack) -> None:
    from test_infra_new_account import refusals  # names, tags, memory, 4 KB environments

    assert refusals(signed) == []


def test_the_worker_shares_the_main_functions_secret(signed: Stack) -> None:
    worker = _env(signed, "reprocessing-worker")
    assert (
        worker["PRISM_TRANSFORM_SIGNING_SECRET_ARN"]
        == (signed.outputs["transform_signing_secret_arn"])
    )


# -- the edge ----------------------------------------------------------------------------


def _published_transform_code(stack: Stack) -> str:
    code = stack.one("aws:cloudfront/function:Function", "cdn-transform-request").inputs["code"]
    assert code[rpc._special_sig_key] == rpc._special_secret_sig  # the keys are in it
    return code["value"]


def _run_edge(tmp_path: Path, code: str, queries: list[str]) -> list[dict[str, Any]]:
    path = tmp_path / "transform.js"
    path.write_text(code, encoding="utf-8")
    requests = [
        {
            "config": "stack",
            "method": "GET",
            "uri": f"/images/{ID}/transform",
            "query": query,
            "accept": "image/avif,image/webp,*/*",
            "accept_multi": None,
            "raw_helper": True,
        }
        for query in queries
    ]
    stdin = json.dumps({"functions": {"stack": str(path)}, "requests": requests})
    done = subprocess.run(
        [NODE, str(HARNESS)], input=stdin, capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.skipif(NODE is None, reason="needs Node (installed by .ci/run)")
def test_the_published_edge_code_takes_what_the_app_signs_and_nothing_else(
    signed: Stack, tmp_path: Path
) -> None:
    code = _published_transform_code(signed)
    assert NEW in code
    assert OLD in code

    def query(key: str, **params: Any) -> str:
        return sign_url("https://cdn", ID, key, **params).split("?", 1)[1]

    good_new = query(NEW, width=800, format="webp")
    good_old = query(OLD, width=800, format="webp")
    forged = query("some-other-key-0123456789abcdef", width=800, format="webp")
    tampered = good_new.replace("width=800", "width=1080")
    unsigned = "format=webp&width=800"
    answers = _run_edge(tmp_path, code, [good_new, good_old, forged, tampered, unsigned])
    for answer in answers[:2]:
        assert answer.get("uri") == f"/{ID}/t/format=webp,width=828", answer  # next width up
    for answer in answers[2:]:
        assert answer["kind"] == "response", answer
        assert answer["status"] == 403, answer
        assert answer["body"]["type"].endswith(":invalid_signature"), answer


def test_the_longest_keys_the_setting_takes_still_fit_a_cloudfront_function() -> None:
    from prism_infra.cdn.edge import MAX_CODE_BYTES, transform_code

    longest = parse_config({"transformSigningKeys": json.dumps(["a" * 256, "b" * 256])})
    assert len(transform_code(longest).encode()) <= MAX_CODE_BYTES
