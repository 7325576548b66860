"""Private S3 buckets: public access blocked, encrypted, TLS-only, owner-enforced."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from prism_infra.policies import tls_only_bucket_policy, to_json, with_statements


@dataclass(frozen=True, slots=True)
class PrivateBucketArgs:
    #: Start of the bucket's name (S3 appends a unique suffix), e.g. "prism-prod-uploads-".
    name_prefix: str
    #: Browser origins allowed to POST presigned uploads straight to the bucket.
    cors_origins: tuple[str, ...] = ()
    #: Delete objects this many days after creation (None keeps them).
    expire_after_days: int | None = None
    #: Holds user data: `pulumi destroy` stops at it (Pulumi protection, inherited by the
    #: bucket's settings) and S3 refuses to delete it while objects remain. Otherwise destroy
    #: empties and removes it.
    protect: bool = False
    #: More bucket-policy statements after the TLS-only one (S3 keeps one policy per bucket),
    #: e.g. the CDN's read grant; may resolve later than the bucket (a deferred output). On a
    #: protected bucket they are recorded without their resources (see `_unlinked`).
    extra_policy_statements: pulumi.Input[Sequence[Mapping[str, Any]]] | None = None


def _unlinked(value: pulumi.Input[Any]) -> pulumi.Output[Any]:
    """The same value (known, secret or not), depending on no resource in Pulumi's graph.

    `pulumi destroy --exclude-protected` keeps every protected resource and everything it
    depends on, transitively (`getProtectedExcludes` in pulumi/pulumi
    pkg/cmd/pulumi/operations/destroy.go). A protected bucket policy that depended on the CDN's
    distribution would keep the distribution, its origin function and the image build.
    The value still arrives only once those resources exist, so `up` orders them as before;
    after a destroy the statement names a distribution that no longer exists and grants
    nothing. (The SDK's Output constructor: the resources it carries are what the engine
    records as dependencies.)
    """
    output = pulumi.Output.from_input(value)
    return pulumi.Output(set(), output.future(), output.is_known(), output.is_secret())


class PrivateBucket(pulumi.ComponentResource):
    bucket: aws.s3.Bucket

    def __init__(
        self, name: str, args: PrivateBucketArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        if args.protect:
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(protect=True))
        super().__init__("prism:storage:PrivateBucket", name, None, opts)
        # Children inherit the component's protection.
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = aws.s3.Bucket(
            name,
            bucket_prefix=args.name_prefix,
            force_destroy=not args.protect,
            opts=child,
        )
        ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=self.bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=self.bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"},
                    "bucket_key_enabled": True,
                }
            ],
            opts=child,
        )
        # After the public access block, so S3 never sees a policy on an unguarded bucket.
        policy = self.bucket.arn.apply(lambda arn: to_json(tls_only_bucket_policy(arn)))
        if args.extra_policy_statements is not None:
            extra = args.extra_policy_statements
            if args.protect:
                extra = _unlinked(extra)
            policy = pulumi.Output.all(self.bucket.arn, extra).apply(
                lambda v: to_json(with_statements(tls_only_bucket_policy(v[0]), v[1]))
            )
        aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=self.bucket.id,
            policy=policy,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access, ownership]),
        )
        if args.cors_origins:
            aws.s3.BucketCorsConfiguration(
                f"{name}-cors",
                bucket=self.bucket.id,
                cors_rules=[
                    {
                        "allowed_methods": ["POST", "PUT"],
                        "allowed_origins": list(args.cors_origins),
                        "allowed_headers": ["*"],
                        "expose_headers": ["ETag"],
                        "max_age_seconds": 3000,
                    }
                ],
                opts=child,
            )
        if args.expire_after_days is not None:
            aws.s3.BucketLifecycleConfiguration(
                f"{name}-expiry",
                bucket=self.bucket.id,
                rules=[
                    {
                        "id": f"expire-after-{args.expire_after_days}-days",
                        "status": "Enabled",
                        "filter": {"prefix": ""},
                        "expiration": {"days": args.expire_after_days},
                        "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
                    }
                ],
                opts=child,
            )
        self.register_outputs({"bucket": self.bucket.bucket, "arn": self.bucket.arn})
