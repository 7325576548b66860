"""SigV4 for a function URL whose auth type is AWS_IAM (Prism's default): every API request is
signed for service `lambda` with botocore's signer, as AWS documents for function URLs
(https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html). botocore is imported on the
first signed request only."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

import httpx

from prism.client.errors import AuthError

SERVICE = "lambda"
#: https://<url-id>.lambda-url.<region>.on.aws (docs: "Invoking Lambda function URLs").
_FUNCTION_URL_HOST = re.compile(r"[a-z0-9]+\.lambda-url\.([a-z0-9-]+)\.on\.aws")
#: The headers copied back from botocore's signed request.
_SIGNED = ("Authorization", "X-Amz-Date", "X-Amz-Security-Token")


@dataclass(frozen=True)
class AwsAuth:
    """Whose credentials sign, and for which Region.

    `credentials`: botocore credentials (e.g. `boto3.Session(profile_name=...).get_credentials()`,
    refreshable ones included); None uses botocore's default chain (environment, profile, SSO,
    instance or task role). `region`: None takes it from the function URL's host
    (`<id>.lambda-url.<region>.on.aws`), else from the default chain's configuration.
    `Prism(url, aws_auth=True)` means `AwsAuth()`."""

    credentials: Any = None
    region: str | None = None


class SigV4Signer:
    """Signs httpx requests in place. Credentials are resolved once, on first use, and frozen
    per request so refreshable ones stay current."""

    def __init__(self, auth: AwsAuth, base_url: str) -> None:
        self._auth = auth
        self._base_host = httpx.URL(base_url).host
        self._lock = threading.Lock()
        self._credentials: Any = None
        self._region: str | None = None

    def _resolve(self) -> tuple[Any, str]:
        with self._lock:
            if self._credentials is None:
                credentials, region = self._auth.credentials, self._auth.region
                match = _FUNCTION_URL_HOST.fullmatch(self._base_host)
                region = region or (match.group(1) if match else None)
                if credentials is None or region is None:
                    import botocore.session

                    session = botocore.session.get_session()
                    credentials = credentials or session.get_credentials()
                    region = region or session.get_config_variable("region")
                if credentials is None:
                    raise AuthError("aws_auth: no AWS credentials found in the default chain")
                if not region:
                    raise AuthError("aws_auth: no Region (pass AwsAuth(region=...))")
                self._credentials, self._region = credentials, region
            return self._credentials, self._region  # type: ignore[return-value]

    def sign(self, request: httpx.Request) -> None:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        credentials, region = self._resolve()
        freeze = getattr(credentials, "get_frozen_credentials", None)
        frozen = freeze() if freeze else credentials  # already frozen (ReadOnlyCredentials)
        # Only what no proxy rewrites is signed: the host (botocore takes it from the URL),
        # the content type, and the X-Amz-* headers botocore adds. The body is hashed.
        headers = {}
        if "content-type" in request.headers:
            headers["Content-Type"] = request.headers["content-type"]
        signed = AWSRequest(
            method=request.method, url=str(request.url), data=request.content, headers=headers
        )
        SigV4Auth(frozen, SERVICE, region).add_auth(signed)
        for name in _SIGNED:
            if name in signed.headers:
                request.headers[name] = signed.headers[name]
