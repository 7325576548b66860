"""The function's HTTPS endpoint: its URL (IAM-signed, or public with grants to anyone)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

#: Methods browsers may call on the function URL when CORS origins are configured.
CORS_METHODS = ["GET", "POST", "DELETE"]
CORS_HEADERS = [
    "authorization",
    "content-type",
    "x-amz-date",
    "x-amz-security-token",
    "x-api-key",  # a public URL's API key (the app's API-key header)
]


@dataclass(frozen=True, slots=True)
class FunctionUrlArgs:
    function_name: pulumi.Input[str]
    #: AWS_IAM (SigV4-signed calls only) or NONE (anyone; the app checks API keys).
    auth: pulumi.Input[str]
    cors_origins: tuple[str, ...] = ()
    #: Stacks deployed before the split had these resources in the function component, named
    #: `<its name>-url` etc.; aliases to those keep them (a new URL would get a new address).
    formerly: pulumi.Resource | None = None


class FunctionUrl(pulumi.ComponentResource):
    url: aws.lambda_.FunctionUrl

    def __init__(
        self, name: str, args: FunctionUrlArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("prism:function:FunctionUrl", name, None, opts)

        def was(old_name: str) -> pulumi.ResourceOptions:
            aliases = [pulumi.Alias(name=old_name, parent=args.formerly)] if args.formerly else []
            return pulumi.ResourceOptions(parent=self, aliases=aliases)

        self.url = aws.lambda_.FunctionUrl(
            name,
            function_name=args.function_name,
            authorization_type=args.auth,
            invoke_mode="BUFFERED",  # matches AWS_LWA_INVOKE_MODE (environment.py)
            cors=(
                {
                    "allow_origins": list(args.cors_origins),
                    "allow_methods": CORS_METHODS,
                    "allow_headers": CORS_HEADERS,
                    "max_age": 3600,
                }
                if args.cors_origins
                else None
            ),
            opts=was("function-url"),
        )
        if args.auth == "NONE":
            # Since October 2025 a public function URL needs both grants; the second one is
            # limited to calls that arrive through the URL.
            aws.lambda_.Permission(
                f"{name}-public-url",
                function=args.function_name,
                action="lambda:InvokeFunctionUrl",
                principal="*",
                function_url_auth_type="NONE",
                opts=was("function-public-url"),
            )
            aws.lambda_.Permission(
                f"{name}-public-invoke",
                function=args.function_name,
                action="lambda:InvokeFunction",
                principal="*",
                invoked_via_function_url=True,
                opts=was("function-public-invoke"),
            )
        self.register_outputs({"url": self.url.function_url})
