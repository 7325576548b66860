"""The role an AWS service runs as, with the log group it writes to and its one inline policy.

Written once for the function and the image build: the log group is created first (with its
retention) so the service never creates an unbounded one, and the policy is given the group's
ARN so it may write there and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from prism_infra.policies import assume_role_policy, to_json

#: Longest role name prefix IAM takes (it appends 26 characters).
_ROLE_PREFIX_MAX = 38


@dataclass(frozen=True, slots=True)
class ServiceRole:
    role: aws.iam.Role
    log_group: aws.cloudwatch.LogGroup
    policy: aws.iam.RolePolicy


def service_role(
    name: str,
    *,
    service: str,
    role_name_prefix: str,
    log_group_name: pulumi.Input[str],
    log_retention_days: int,
    policy: Callable[[pulumi.Output[str]], pulumi.Input[str]],
    parent: pulumi.Resource,
) -> ServiceRole:
    """`<name>-logs`, `<name>-role` and `<name>-policy`; `policy` gets the log group's ARN.

    `name` is the stem of the three Pulumi resource names (they are the resources' identity in
    the state, so they never change).
    """
    child = pulumi.ResourceOptions(parent=parent)
    log_group = aws.cloudwatch.LogGroup(
        f"{name}-logs", name=log_group_name, retention_in_days=log_retention_days, opts=child
    )
    role = aws.iam.Role(
        f"{name}-role",
        name_prefix=role_name_prefix[:_ROLE_PREFIX_MAX],
        assume_role_policy=to_json(assume_role_policy(service)),
        opts=child,
    )
    role_policy = aws.iam.RolePolicy(
        f"{name}-policy", role=role.id, policy=policy(log_group.arn), opts=child
    )
    return ServiceRole(role=role, log_group=log_group, policy=role_policy)
