"""Parsers for the setting values pydantic has no type for: colours, width lists, ARNs, the
adapter's status list. Pure; each raises ValueError with a message that reads after the
variable's name ("PRISM_CDN_URL must look like ..."). The stack's config parser uses
parse_colour and parse_widths too, so both sides accept the same text.
"""

from __future__ import annotations

import ipaddress
import re

from prism.core.constants import RETRY_STATUS

_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")
_DISTRIBUTION_ID = re.compile(r"[A-Z0-9]{1,64}")
_CDN_URL = re.compile(r"https://[A-Za-z0-9.-]+(:\d{1,5})?")
#: A host name, optionally `*.`-prefixed (its subdomains), or a bracketed IPv6 literal.
_HOST = re.compile(r"(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*|\[[0-9a-f:.]+\]")

#: Error statuses HTTP routes answer themselves (storage failures, unhandled errors).
HTTP_ERROR_STATUSES = frozenset({500, 503})


def parse_colour(raw: str) -> tuple[int, int, int]:
    match = _HEX.match(raw.strip())
    if not match:
        raise ValueError(f"expected a colour like #ffffff, got {raw!r}")
    value = int(match.group(1), 16)
    return (value >> 16 & 0xFF, value >> 8 & 0xFF, value & 0xFF)


def parse_widths(raw: str, max_size: int) -> tuple[int, ...]:
    """A width allowlist, "640,750,1080": ascending whole numbers from 1 to max_size."""
    try:
        widths = tuple(int(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise ValueError(f"expected comma-separated whole numbers, got {raw!r}") from None
    if list(widths) != sorted(set(widths)) or any(not 1 <= w <= max_size for w in widths):
        raise ValueError(f"widths must ascend, each from 1 to {max_size}, got {raw!r}")
    return widths


def parse_keys(raw: str) -> tuple[str, ...]:
    """Comma-separated keys, blanks dropped. A value with no key at all (`,`, `" , "`) is an
    error, not "signing off": a key meant to be set must not turn signing off in silence.
    (An empty value is unset: env_ignore_empty.)"""
    keys = tuple(key for key in (part.strip() for part in raw.split(",")) if key)
    if not keys:
        raise ValueError(
            f"must list at least one key (comma-separated), got {raw!r}; "
            "leave it unset to turn signing off"
        )
    return keys


def parse_hosts(raw: str) -> tuple[str, ...]:
    """Comma-separated host names without ports, lower-cased, blanks dropped: `prism.lan`,
    `*.example.com` (its subdomains), `192.168.1.5`, `[fd00::5]`."""
    hosts = tuple(host for host in (part.strip().lower() for part in raw.split(",")) if host)
    for host in hosts:
        literal = host.startswith("[")
        if not _HOST.fullmatch(host) or (literal and not _is_ipv6(host[1:-1])):
            raise ValueError(
                "expected comma-separated host names without ports (prism.lan, *.example.com,"
                f" [fd00::5]), got {host!r}"
            )
    return hosts


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def parse_secret_arn(raw: str) -> str:
    if not (raw.startswith("arn:") and ":secretsmanager:" in raw):
        raise ValueError(f"must be a Secrets Manager ARN, got {raw!r}")
    return raw


def parse_distribution_id(raw: str) -> str:
    if not _DISTRIBUTION_ID.fullmatch(raw):
        raise ValueError(f"must be a CloudFront id, got {raw!r}")
    return raw


def parse_cdn_url(raw: str) -> str | None:
    """`https://host[:port]`, no path: manifests append `/images/<id>/<variant>`."""
    value = raw.rstrip("/")
    if value and not _CDN_URL.fullmatch(value):
        raise ValueError(f"must look like https://img.example.com, got {raw!r}")
    return value or None


def check_adapter_retries(raw: str) -> None:
    """On Lambda, transient failures of the events route must fail the invocation: the
    Lambda Web Adapter's AWS_LWA_ERROR_STATUS_CODES must list RETRY_STATUS, and nothing an
    HTTP route answers."""
    codes: set[int] = set()
    for part in raw.split(","):
        low, _, high = part.strip().partition("-")
        if low.isdigit() and (not high or high.isdigit()):
            codes.update(range(int(low), int(high or low) + 1))
    if RETRY_STATUS not in codes:
        raise ValueError(
            f"AWS_LWA_ERROR_STATUS_CODES must include {RETRY_STATUS} on Lambda (got {raw!r}):"
            " otherwise the adapter reports failed S3 events as handled and Lambda never"
            " retries them"
        )
    answered = sorted(codes & HTTP_ERROR_STATUSES)
    if answered:
        raise ValueError(
            f"AWS_LWA_ERROR_STATUS_CODES must not include {answered} (got {raw!r}): HTTP routes"
            " answer them, and the adapter would turn each into a failed invocation, which a"
            f" function URL answers with a bare 502; list only {RETRY_STATUS}"
        )
