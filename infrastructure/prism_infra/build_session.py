"""The AWS identity deploy-time providers run as: the stack's own `aws:profile` and
`aws:assumeRoles`.

The image build (build_provider.py) and the reprocessing job (reprocess_job.py) call AWS with
boto3, outside the AWS provider, so without this they would use boto3's default credentials -
another account or region than the rest of the stack whenever the stack config names a profile
or a role. `aws_client()` is the one factory both use. Plain data only, and boto3 imported inside
`session()`: the providers are pickled and re-imported by Pulumi (no work at import time).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

#: pulumi-aws v7 `aws:assumeRoles` entry keys -> STS AssumeRole parameters (assumeRole, the v6
#: single-object form, is read the same way).
_ROLE_KEYS = {
    "roleArn": "RoleArn",
    "sessionName": "RoleSessionName",
    "externalId": "ExternalId",
    "duration": "DurationSeconds",
    "policy": "Policy",
    "policyArns": "PolicyArns",
    "sourceIdentity": "SourceIdentity",
    "tags": "Tags",
    "transitiveTagKeys": "TransitiveTagKeys",
}
#: Credentials given to the AWS provider some other way: the build cannot follow those.
UNFOLLOWED = ("accessKey", "secretKey", "token", "sharedCredentialsFiles", "sharedConfigFiles")
_DURATION = re.compile(r"(\d+)(h|m|s)")
_SECONDS = {"h": 3600, "m": 60, "s": 1}


class BuildIdentityError(ValueError):
    """`aws:assumeRoles` (or `aws:assumeRole`) cannot be read; the message names it."""


@dataclass(frozen=True, slots=True)
class AwsIdentity:
    profile: str = ""
    #: STS AssumeRole parameters, assumed in order (each from the previous one's credentials).
    roles: tuple[tuple[tuple[str, Any], ...], ...] = ()

    def to_props(self) -> dict[str, Any]:
        return {"profile": self.profile, "roles": [dict(role) for role in self.roles]}

    @classmethod
    def from_props(cls, props: Mapping[str, Any] | None) -> AwsIdentity:
        props = props or {}
        roles = tuple(tuple(sorted(role.items())) for role in props.get("roles") or ())
        return cls(profile=props.get("profile") or "", roles=roles)


def _seconds(value: str) -> int:
    parts = _DURATION.findall(value)
    if not parts or "".join(n + u for n, u in parts) != value:
        raise BuildIdentityError(f"aws:assumeRoles duration {value!r} is not like 1h or 15m")
    return sum(int(n) * _SECONDS[u] for n, u in parts)


def _role(entry: Any, label: str) -> tuple[tuple[str, Any], ...]:
    if not isinstance(entry, dict) or not entry.get("roleArn"):
        raise BuildIdentityError(f"{label} needs a roleArn, got {entry!r}")
    unknown = sorted(set(entry) - set(_ROLE_KEYS))
    if unknown:
        raise BuildIdentityError(f"{label}: the image build cannot follow {', '.join(unknown)}")
    params: dict[str, Any] = {"RoleSessionName": "prism-image-build"}
    for key, value in entry.items():
        name = _ROLE_KEYS[key]
        if key == "duration":
            value = _seconds(str(value))
        elif key == "policyArns":
            value = [{"arn": arn} for arn in value]
        elif key == "tags":
            value = [{"Key": k, "Value": v} for k, v in sorted(value.items())]
        params[name] = value
    return tuple(sorted(params.items()))


def identity_from_config(raw: Mapping[str, str]) -> AwsIdentity:
    """The stack's `aws:*` config (keys without `aws:`, values as Pulumi passes them)."""

    def decoded(key: str) -> Any:
        value = raw.get(key)
        try:
            return json.loads(value) if isinstance(value, str) else value
        except json.JSONDecodeError:
            raise BuildIdentityError(f"aws:{key} is not valid JSON") from None

    entries = decoded("assumeRoles") or []
    if not isinstance(entries, list):
        entries = [entries]
    single = decoded("assumeRole")
    if single:
        entries = [single, *entries]
    roles = tuple(_role(e, f"aws:assumeRoles[{i}]") for i, e in enumerate(entries))
    return AwsIdentity(profile=raw.get("profile") or "", roles=roles)


def session(identity: AwsIdentity, region: str) -> Any:
    """A boto3 session in `region` with the stack's profile, after its roles are assumed."""
    import boto3  # here, not at import: Pulumi re-imports this module to run the provider

    current = boto3.Session(profile_name=identity.profile or None, region_name=region)
    for role in identity.roles:
        creds = current.client("sts").assume_role(**dict(role))["Credentials"]
        current = boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=region,
        )
    return current


#: (service, region, identity) -> a boto3 client; providers take one so tests can stub it.
ClientFactory = Callable[[str, str, AwsIdentity], Any]


def aws_client(service: str, region: str, identity: AwsIdentity) -> Any:
    """A boto3 client for `service` as the stack's identity: what every provider uses."""
    return session(identity, region).client(service)
