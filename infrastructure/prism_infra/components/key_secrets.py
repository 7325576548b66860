"""Keys the functions read at cold start, each set in a Secrets Manager secret of its own:
the public URL's API keys, and the keys transform URLs are signed with.

The keys come from `pulumi config set --secret`; they stay secret in the Pulumi state and are
never put in a function's environment (only the secret's ARN and version are). Both secrets
hold `{"keys": [...]}`, the first key being the current one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import pulumi
import pulumi_aws as aws

from prism.http.api_keys import encode_keys


@dataclass(frozen=True, slots=True)
class KeySecretArgs:
    name: str  # e.g. prism-prod
    keys: tuple[str, ...] = field(repr=False)


class KeySecret(pulumi.ComponentResource):
    TYPE: ClassVar[str]
    #: Secret names are `<name>-<PURPOSE>-<random suffix>`.
    PURPOSE: ClassVar[str]
    DESCRIPTION: ClassVar[str]

    secret: aws.secretsmanager.Secret
    version: aws.secretsmanager.SecretVersion

    def __init__(
        self, name: str, args: KeySecretArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.secret = aws.secretsmanager.Secret(
            f"{name}-secret",
            name_prefix=f"{args.name}-{self.PURPOSE}-",
            description=self.DESCRIPTION.format(name=args.name),
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


class ApiKeySecret(KeySecret):
    TYPE = "prism:access:ApiKeySecret"
    PURPOSE = "api-keys"
    DESCRIPTION = "API keys for the public function URL of {name} (x-api-key)"


class SigningKeySecret(KeySecret):
    TYPE = "prism:access:SigningKeySecret"
    PURPOSE = "transform-signing"
    DESCRIPTION = "Keys the transform URLs of {name} are signed with (sig)"
