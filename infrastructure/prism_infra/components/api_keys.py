"""The public URL's API keys, in a Secrets Manager secret the function reads at cold start.

The keys come from `pulumi config set --secret`; they stay secret in the Pulumi state and are
never put in the function's environment (only the secret's ARN and version are).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from prism.http.api_keys import encode_keys


@dataclass(frozen=True, slots=True)
class ApiKeySecretArgs:
    name: str  # e.g. prism-prod
    keys: tuple[str, ...] = field(repr=False)


class ApiKeySecret(pulumi.ComponentResource):
    secret: aws.secretsmanager.Secret
    version: aws.secretsmanager.SecretVersion

    def __init__(
        self, name: str, args: ApiKeySecretArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("prism:access:ApiKeySecret", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.secret = aws.secretsmanager.Secret(
            f"{name}-secret",
            name_prefix=f"{args.name}-api-keys-",
            description=f"API keys for the public function URL of {args.name} (x-api-key)",
            # The keys live in the stack's config, so there is nothing to recover; deleting at
            # once lets a re-created stack start clean.
            recovery_window_in_days=0,
            opts=child,
        )
        self.version = aws.secretsmanager.SecretVersion(
            f"{name}-version",
            secret_id=self.secret.id,
            secret_string=pulumi.Output.secret(encode_keys(args.keys)),
            opts=child,
        )
        self.register_outputs({"secret_arn": self.secret.arn})
