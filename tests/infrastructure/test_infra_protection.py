"""What `pulumi destroy` removes, under mocks: user data stays protected unless told otherwise."""

from __future__ import annotations

from infra_mocks import Stack

BUCKET = "aws:s3/bucket:Bucket"


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
