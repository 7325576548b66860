"""What `pulumi destroy` removes, under mocks: user data stays protected unless told otherwise."""

from __future__ import annotations

from typing import Any

import pytest
from infra_mocks import CONFIGURED, TODAY, Stack

BUCKET = "aws:s3/bucket:Bucket"
#: What each data bucket keeps through `destroy --exclude-protected`: itself and its guards.
GUARDS = {
    "prism:storage:PrivateBucket",
    BUCKET,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketPolicy:BucketPolicy",
}
CORS = "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration"
#: The CDN on (the default), off, with browser origins, with signing keys and a custom domain.
DESTROYED_CONFIGS: dict[str, dict[str, Any]] = {
    "cdn": {},
    "no-cdn": TODAY,
    "configured": CONFIGURED,
    "cdn-signed": {
        "corsOrigins": ["https://app.example.com"],
        "transformSigningKeys": ["s" * 32, "second-signing-key-0123456789abcd"],
        "functionUrlAuth": "NONE",
        "apiKeys": ["k" * 32],
    },
}


DATA_BUCKETS = ("uploads", "processed")
DISPOSABLE_BUCKETS = ("rejected", "image-source")


def test_prod_data_buckets_are_protected_and_never_force_destroyed(default: Stack) -> None:
    for name in DATA_BUCKETS:
        bucket = default.one(BUCKET, name)
        assert bucket.protect is True
        assert bucket.inputs["forceDestroy"] is False
        component = default.one("prism:storage:PrivateBucket", name)
        assert component.protect is True
        # its guards (policy, public access block, encryption) stay with it
        children = default.children_of(component)
        assert len(children) >= 5
        assert all(child.protect for child in children)
    for name in DISPOSABLE_BUCKETS:
        bucket = default.one(BUCKET, name)
        assert bucket.protect is False
        assert bucket.inputs["forceDestroy"] is True
    # nothing else is protected: destroy removes the rest of the stack
    protected = {r.urn for r in default.resources if r.protect}
    components = [default.one("prism:storage:PrivateBucket", name) for name in DATA_BUCKETS]
    assert protected == {r.urn for c in components for r in [c, *default.children_of(c)]}


def test_with_protection_off_destroy_empties_and_removes_every_bucket(mailed: Stack) -> None:
    for bucket in mailed.of_type(BUCKET):
        assert bucket.protect is False
        assert bucket.inputs["forceDestroy"] is True
    assert not [r.name for r in mailed.resources if r.protect]


def test_repository_is_always_removed_with_its_images(default: Stack) -> None:
    # images are rebuilt from the repository at every `pulumi up`: nothing to lose
    repository = default.one("aws:ecr/repository:Repository")
    assert repository.inputs["forceDelete"] is True
    assert repository.protect is False


@pytest.mark.parametrize("config", DESTROYED_CONFIGS.values(), ids=DESTROYED_CONFIGS.keys())
def test_destroy_exclude_protected_keeps_the_data_buckets_and_their_guards_only(
    stack_factory, config: dict[str, Any]
) -> None:
    stack = stack_factory(config)
    kept = stack.kept_by_exclude_protected()
    components = [stack.one("prism:storage:PrivateBucket", name) for name in DATA_BUCKETS]
    expected = {r.urn for c in components for r in [c, *stack.children_of(c)]}
    assert {r.urn for r in kept} == expected, sorted(r.name for r in kept)
    for component in components:
        own = {r.type for r in [component, *stack.children_of(component)]}
        assert own - {CORS} == GUARDS
    # the CDN's grant stays in the processed bucket's (kept) policy, naming no kept resource
    policy = stack.named("processed-tls-only")
    assert policy in kept
    assert policy.dependencies <= expected


def test_destroy_exclude_protected_keeps_nothing_when_data_is_unprotected(mailed: Stack) -> None:
    assert mailed.kept_by_exclude_protected() == []
