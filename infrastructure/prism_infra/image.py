"""The container image: ECR repository, build context upload, CodeBuild project, the build."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws

from prism_infra.build_context import BuildContext, write_build_context
from prism_infra.build_provider import ImageBuild, ImageBuildArgs
from prism_infra.build_session import AwsIdentity
from prism_infra.naming import bucket_prefix
from prism_infra.policies import (
    assume_role_policy,
    codebuild_policy,
    ecr_lifecycle_policy,
    to_json,
)
from prism_infra.storage import PrivateBucket, PrivateBucketArgs

SOURCE_PREFIX = "build-context/"
KEEP_IMAGES = 10
#: ARM build host with Docker (privileged mode) for a linux/arm64 image.
BUILD_IMAGE = "aws/codebuild/amazonlinux-aarch64-standard:3.0"


@dataclass(frozen=True, slots=True)
class ContainerImageArgs:
    name: str  # e.g. prism-prod: names the repository and the CodeBuild project
    context: BuildContext
    context_dir: Path  # where the zip is written for upload
    region: pulumi.Input[str]
    log_retention_days: int
    #: Who the build runs as: the stack's aws:profile and aws:assumeRoles.
    identity: AwsIdentity = field(default_factory=AwsIdentity)


class ContainerImage(pulumi.ComponentResource):
    repository: aws.ecr.Repository
    source_bucket: PrivateBucket
    project: aws.codebuild.Project
    build: ImageBuild

    def __init__(
        self, name: str, args: ContainerImageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("prism:image:ContainerImage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        self.repository = aws.ecr.Repository(
            f"{name}-repository",
            name=args.name,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration={"scan_on_push": True},
            force_delete=True,  # `pulumi destroy` removes it with its images
            opts=child,
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-keep-last",
            repository=self.repository.name,
            policy=to_json(ecr_lifecycle_policy(KEEP_IMAGES)),
            opts=child,
        )

        self.source_bucket = PrivateBucket(
            f"{name}-source", PrivateBucketArgs(bucket_prefix(args.name, "source")), opts=child
        )
        zip_path = write_build_context(args.context, args.context_dir)
        source = aws.s3.BucketObjectv2(
            f"{name}-context",
            bucket=self.source_bucket.bucket.id,
            key=args.context.key,
            source=pulumi.FileAsset(str(zip_path)),
            content_type="application/zip",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.source_bucket]),
        )

        log_group = aws.cloudwatch.LogGroup(
            f"{name}-build-logs",
            name=f"/aws/codebuild/{args.name}-image",
            retention_in_days=args.log_retention_days,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-build-role",
            name_prefix=f"{args.name[:32]}-cb-",
            assume_role_policy=to_json(assume_role_policy("codebuild.amazonaws.com")),
            opts=child,
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-build-policy",
            role=role.id,
            policy=pulumi.Output.all(
                self.source_bucket.bucket.arn, self.repository.arn, log_group.arn
            ).apply(
                lambda arns: to_json(
                    codebuild_policy(
                        source_bucket_arn=arns[0],
                        source_prefix=SOURCE_PREFIX,
                        repository_arn=arns[1],
                        log_group_arn=arns[2],
                    )
                )
            ),
            opts=child,
        )
        self.project = aws.codebuild.Project(
            f"{name}-build",
            name=f"{args.name}-image",  # matches its log group
            service_role=role.arn,
            build_timeout=30,
            source={
                "type": "S3",
                # Each build overrides this with the exact context object (by content hash).
                "location": self.source_bucket.bucket.bucket.apply(
                    lambda b: f"{b}/{SOURCE_PREFIX}"
                ),
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
                "cloudwatch_logs": {"status": "ENABLED", "group_name": log_group.name},
                "s3_logs": {"status": "DISABLED"},
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]),
        )
        self.build = ImageBuild(
            f"{name}-image-build",
            ImageBuildArgs(
                project_name=self.project.name,
                source_bucket=source.bucket,
                source_key=source.key,
                content_hash=args.context.content_hash,
                repository_url=self.repository.repository_url,
                region=args.region,
                identity=args.identity,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[source, role_policy]),
        )
        self.register_outputs(
            {
                "repository_url": self.repository.repository_url,
                "image_uri": self.build.image_uri,
                "build_id": self.build.build_id,
            }
        )
