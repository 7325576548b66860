"""The container image: ECR repository, build-context upload, CodeBuild project, the build."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws

from prism_infra.build_context import BuildContext, write_build_context
from prism_infra.build_provider import ImageBuild, ImageBuildArgs
from prism_infra.build_session import AwsIdentity
from prism_infra.components.bucket import PrivateBucket, PrivateBucketArgs
from prism_infra.components.build_project import build_project
from prism_infra.naming import bucket_prefix
from prism_infra.policies import ecr_lifecycle_policy, to_json

KEEP_IMAGES = 10


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
        source = aws.s3.BucketObjectv2(
            f"{name}-context",
            bucket=self.source_bucket.bucket.id,
            key=args.context.key,
            source=pulumi.FileAsset(str(write_build_context(args.context, args.context_dir))),
            content_type="application/zip",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.source_bucket]),
        )
        self.project, runs_as_policy = build_project(
            f"{name}-build",
            name=args.name,
            source_bucket=self.source_bucket.bucket,
            repository_arn=self.repository.arn,
            log_retention_days=args.log_retention_days,
            parent=self,
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
            opts=pulumi.ResourceOptions(parent=self, depends_on=[source, runs_as_policy]),
        )
        self.register_outputs(
            {
                "repository_url": self.repository.repository_url,
                "image_uri": self.build.image_uri,
                "build_id": self.build.build_id,
            }
        )
