"""`prism:cdn*` settings: parsed on their own so the CDN stays one folder.

Pure: a mapping of already-decoded config values in, a frozen `CdnSettings` out. A bad value
raises `ValueError` with a one-line message naming the key; `prism_infra.config` turns it
into its `ConfigError` (Pulumi prints it without a traceback).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

PriceClass = Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"]
PRICE_CLASSES: tuple[str, ...] = ("PriceClass_100", "PriceClass_200", "PriceClass_All")

#: Config key (without `prism:`) -> CdnSettings field.
CDN_KEYS: dict[str, str] = {
    "cdn": "enabled",
    "cdnDomain": "domain",
    "cdnCertificateArn": "certificate_arn",
    "cdnPriceClass": "price_class",
    "cdnWebAclArn": "web_acl_arn",
    "cdnLogRetentionDays": "log_retention_days",
    "cdnOriginTimeout": "origin_timeout_seconds",
    "cdnOriginReservedConcurrency": "origin_reserved_concurrency",
}

_HOST = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
# CloudFront only takes certificates from ACM in us-east-1.
_CERTIFICATE = re.compile(r"arn:aws:acm:us-east-1:\d{12}:certificate/[0-9a-f-]{36}")
# CloudFront takes a WAFv2 web ACL by ARN; only CLOUDFRONT-scope ACLs ("global") fit.
_WEB_ACL = re.compile(r"arn:aws:wafv2:us-east-1:\d{12}:global/webacl/[\w-]{1,128}/[0-9a-f-]{36}")


@dataclass(frozen=True, slots=True)
class CdnSettings:
    #: A CloudFront distribution in front of the processed bucket and an origin function.
    enabled: bool = True
    #: Optional custom domain (an alias of the distribution), e.g. img.example.com.
    domain: str = ""
    #: ACM certificate (us-east-1) covering `domain`; required with it.
    certificate_arn: str = ""
    #: Edge locations used: 100 = North America and Europe (cheapest), 200 adds most of
    #: Asia, Africa and the Middle East, All = every location.
    price_class: PriceClass = "PriceClass_100"
    #: Optional WAF web ACL (CLOUDFRONT scope) in front of the distribution.
    web_acl_arn: str = ""
    #: Days access logs are kept in the logs bucket.
    log_retention_days: int = 30
    #: Origin function timeout, also CloudFront's origin response timeout (its default 30 s;
    #: above 60 s needs a CloudFront quota increase).
    origin_timeout_seconds: int = 30
    #: Caps the origin function (cache misses) so a flood of them cannot take the account's
    #: concurrency from upload processing; -1 = unreserved.
    origin_reserved_concurrency: int = -1

    @property
    def custom_domain(self) -> bool:
        return bool(self.domain)


def _bool(raw: Mapping[str, Any], key: str, default: bool) -> bool:
    value = raw.get(key, default)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise ValueError(f"prism:{key} must be true or false, got {value!r}")
    return value


def _str(raw: Mapping[str, Any], key: str, default: str) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str):
        raise ValueError(f"prism:{key} must be a string, got {value!r}")
    return value.strip()


def _int(raw: Mapping[str, Any], key: str, default: int, lo: int, hi: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            raise ValueError(f"prism:{key} must be an integer, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"prism:{key} must be an integer, got {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"prism:{key} must be between {lo} and {hi}, got {value}")
    return value


def parse_cdn(raw: Mapping[str, Any]) -> CdnSettings:
    """Validate the `prism:cdn*` keys of `raw` (other keys are ignored here).

    With the CDN off, the other keys are still checked, and any that would change the CDN is
    refused rather than ignored; one that only spells out its default (as Pulumi.prod.yaml
    does, and so every stack copied from it) says nothing and is accepted.
    """
    d = CdnSettings()
    enabled = _bool(raw, "cdn", d.enabled)
    if not enabled:
        chosen = _values(raw, d)
        extra = [
            key
            for key, name in CDN_KEYS.items()
            if key != "cdn" and key in raw and getattr(chosen, name) != getattr(d, name)
        ]
        if extra:
            raise ValueError(
                f"{', '.join('prism:' + k for k in extra)} only apply with prism:cdn true; "
                "remove them or turn the CDN on"
            )
        return CdnSettings(enabled=False)
    chosen = _values(raw, d)
    if bool(chosen.domain) != bool(chosen.certificate_arn):
        raise ValueError(
            "prism:cdnDomain and prism:cdnCertificateArn go together: a custom domain needs "
            "an ACM certificate (us-east-1) that covers it, and a certificate needs a domain"
        )
    return chosen


def _values(raw: Mapping[str, Any], d: CdnSettings) -> CdnSettings:
    """Each `prism:cdn*` value checked on its own (pairs are checked by the caller)."""
    domain = _str(raw, "cdnDomain", d.domain).lower().rstrip(".")
    if domain and not _HOST.fullmatch(domain):
        raise ValueError(
            f"prism:cdnDomain must be a host name like img.example.com, got {domain!r}"
        )
    certificate = _str(raw, "cdnCertificateArn", d.certificate_arn)
    if certificate and not _CERTIFICATE.fullmatch(certificate):
        raise ValueError(
            "prism:cdnCertificateArn must be an ACM certificate ARN in us-east-1 "
            "(CloudFront uses no other region), like "
            f"arn:aws:acm:us-east-1:123456789012:certificate/<uuid>; got {certificate!r}"
        )
    price_class = _str(raw, "cdnPriceClass", d.price_class)
    if price_class not in PRICE_CLASSES:
        raise ValueError(
            f"prism:cdnPriceClass must be one of {', '.join(PRICE_CLASSES)}, got {price_class!r}"
        )
    web_acl = _str(raw, "cdnWebAclArn", d.web_acl_arn)
    if web_acl and not _WEB_ACL.fullmatch(web_acl):
        raise ValueError(
            "prism:cdnWebAclArn must be the ARN of a WAFv2 web ACL with CLOUDFRONT scope "
            f"(arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>), got {web_acl!r}"
        )
    return CdnSettings(
        enabled=True,
        domain=domain,
        certificate_arn=certificate,
        price_class=price_class,  # type: ignore[arg-type]  # checked above
        web_acl_arn=web_acl,
        log_retention_days=_int(raw, "cdnLogRetentionDays", d.log_retention_days, 1, 3650),
        origin_timeout_seconds=_int(raw, "cdnOriginTimeout", d.origin_timeout_seconds, 1, 60),
        origin_reserved_concurrency=_int(
            raw, "cdnOriginReservedConcurrency", d.origin_reserved_concurrency, -1, 10_000
        ),
    )
