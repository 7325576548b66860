"""The image build's AWS identity: the stack's aws:profile and aws:assumeRoles, in its region.

Sessions are checked against a moto server over real HTTP (boto3 reaches it through
AWS_ENDPOINT_URL), with a profile defined in a throwaway AWS config file.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from prism_infra.build_session import (
    AwsIdentity,
    BuildIdentityError,
    identity_from_config,
    session,
)

PROFILE_KEY = "AKIAPROFILEKEY000001"
DEPLOYER = "arn:aws:iam::123456789012:role/deployer"
BUILDER = "arn:aws:iam::123456789012:role/builder"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def aws_home(moto_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Only a `deploy` profile exists; default credentials are absent."""
    config = tmp_path / "config"
    config.write_text(
        f"[profile deploy]\naws_access_key_id = {PROFILE_KEY}\naws_secret_access_key = s\n"
    )
    (tmp_path / "credentials").write_text("")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    return tmp_path


def test_the_build_runs_in_the_stacks_region_with_its_profile(aws_home: Path) -> None:
    built = session(AwsIdentity(profile="deploy"), "ap-southeast-2")
    assert built.region_name == "ap-southeast-2"
    assert built.get_credentials().access_key == PROFILE_KEY
    assert built.client("codebuild").meta.region_name == "ap-southeast-2"


def test_the_build_assumes_the_stacks_roles_in_order(aws_home: Path) -> None:
    identity = identity_from_config(
        {
            "profile": "deploy",
            "assumeRoles": json.dumps(
                [{"roleArn": DEPLOYER, "externalId": "ext-1"}, {"roleArn": BUILDER}]
            ),
        }
    )
    built = session(identity, "eu-central-1")
    assert built.get_credentials().access_key != PROFILE_KEY
    caller = built.client("sts").get_caller_identity()["Arn"]
    assert caller.endswith(":assumed-role/builder/prism-image-build")
    assert built.region_name == "eu-central-1"


def test_v6_single_assume_role_is_read_too() -> None:
    identity = identity_from_config(
        {"assumeRole": json.dumps({"roleArn": DEPLOYER, "sessionName": "ci", "duration": "15m"})}
    )
    ((role),) = [dict(r) for r in identity.roles]
    assert role == {"RoleArn": DEPLOYER, "RoleSessionName": "ci", "DurationSeconds": 900}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"assumeRoles": json.dumps([{"sessionName": "x"}])}, "needs a roleArn"),
        ({"assumeRoles": json.dumps([{"roleArn": DEPLOYER, "duration": "soon"}])}, "duration"),
        ({"assumeRoles": json.dumps([{"roleArn": DEPLOYER, "mfa": "1"}])}, "cannot follow mfa"),
        ({"assumeRoles": "[not json"}, "not valid JSON"),
    ],
)
def test_unreadable_role_config_is_refused_by_name(raw: dict[str, str], message: str) -> None:
    with pytest.raises(BuildIdentityError, match=message):
        identity_from_config(raw)


def test_identity_survives_the_state_round_trip() -> None:
    identity = identity_from_config(
        {"profile": "p", "assumeRoles": json.dumps([{"roleArn": DEPLOYER, "tags": {"a": "b"}}])}
    )
    assert AwsIdentity.from_props(json.loads(json.dumps(identity.to_props()))) == identity
