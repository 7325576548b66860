"""Tags on every taggable resource, from one place: a stack transformation.

The transformation sees each resource as the program declares it, so the tags show up in the
resource's own inputs (where `pulumi preview` and the mock tests see them), not only at the
provider. A resource is taggable when its pulumi-aws class takes a `tags` argument.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from functools import cache

import pulumi

MANAGED_BY = "pulumi"


def stack_tags(project: str, stack: str) -> dict[str, str]:
    return {"project": project, "stack": stack, "managed-by": MANAGED_BY}


@cache
def takes_tags(cls: type) -> bool:
    """Whether a resource class accepts `tags` (pulumi-aws classes build in _internal_init)."""
    init = getattr(cls, "_internal_init", None)
    return init is not None and "tags" in inspect.signature(init).parameters


def tag_transformation(tags: Mapping[str, str]) -> pulumi.ResourceTransformation:
    """Add `tags` to every taggable resource; tags a resource sets itself win."""

    def transform(
        args: pulumi.ResourceTransformationArgs,
    ) -> pulumi.ResourceTransformationResult | None:
        if not takes_tags(type(args.resource)):
            return None
        own = args.props.get("tags")
        merged = (
            pulumi.Output.from_input(own).apply(lambda t: {**tags, **(t or {})})
            if own is not None
            else dict(tags)
        )
        return pulumi.ResourceTransformationResult({**args.props, "tags": merged}, args.opts)

    return transform


def tag_everything(project: str, stack: str) -> None:
    """Register the transformation for all resources declared after this call."""
    pulumi.runtime.register_stack_transformation(tag_transformation(stack_tags(project, stack)))
