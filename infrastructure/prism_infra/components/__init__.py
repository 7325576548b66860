"""Pulumi components, one concern each; `prism_infra.stack` wires them together."""
