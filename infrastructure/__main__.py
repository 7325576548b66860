"""Prism's Pulumi program. Resources live in the `prism_infra` package beside this file."""

from prism_infra.stack import build_stack

build_stack()
