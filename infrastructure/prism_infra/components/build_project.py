"""The CodeBuild project that builds the image: an ARM host with Docker, its own role and logs."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from prism_infra.components.service_role import service_role
from prism_infra.policies import codebuild_policy, to_json

#: Where build contexts are uploaded in the source bucket (the role may read only there).
SOURCE_PREFIX = "build-context/"
#: ARM build host with Docker (privileged mode) for a linux/arm64 image.
BUILD_IMAGE = "aws/codebuild/amazonlinux-aarch64-standard:3.0"


def build_project(
    resource_name: str,
    *,
    name: str,
    source_bucket: aws.s3.Bucket,
    repository_arn: pulumi.Input[str],
    log_retention_days: int,
    parent: pulumi.Resource,
) -> tuple[aws.codebuild.Project, aws.iam.RolePolicy]:
    """The project `<name>-image` and its role's policy (a build must wait for the policy)."""
    runs_as = service_role(
        resource_name,
        service="codebuild.amazonaws.com",
        role_name_prefix=f"{name[:32]}-cb-",
        log_group_name=f"/aws/codebuild/{name}-image",
        log_retention_days=log_retention_days,
        policy=lambda log_group_arn: pulumi.Output.all(
            source_bucket_arn=source_bucket.arn,
            repository_arn=repository_arn,
            log_group_arn=log_group_arn,
        ).apply(lambda arns: to_json(codebuild_policy(source_prefix=SOURCE_PREFIX, **arns))),
        parent=parent,
    )
    project = aws.codebuild.Project(
        resource_name,
        name=f"{name}-image",  # matches its log group
        service_role=runs_as.role.arn,
        build_timeout=30,
        source={
            "type": "S3",
            # Each build overrides this with the exact context object (by content hash).
            "location": source_bucket.bucket.apply(lambda b: f"{b}/{SOURCE_PREFIX}"),
            "buildspec": "buildspec.yml",
        },
        artifacts={"type": "NO_ARTIFACTS"},
        environment={
            "type": "ARM_CONTAINER",
            "compute_type": "BUILD_GENERAL1_SMALL",
            "image": BUILD_IMAGE,
            "image_pull_credentials_type": "CODEBUILD",
            "privileged_mode": True,  # Docker-in-Docker
        },
        logs_config={
            "cloudwatch_logs": {"status": "ENABLED", "group_name": runs_as.log_group.name},
            "s3_logs": {"status": "DISABLED"},
        },
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[runs_as.policy]),
    )
    return project, runs_as.policy
