"""The whole stack, wired in dependency order: image -> function -> URL and S3 trigger."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pulumi
import pulumi_aws as aws

from prism_infra.alarms import Alarms, AlarmsArgs
from prism_infra.build_context import PROJECT_ROOT, build_context
from prism_infra.config import StackSettings, read_config
from prism_infra.function import ImageFunction, ImageFunctionArgs
from prism_infra.image import ContainerImage, ContainerImageArgs
from prism_infra.storage import PrivateBucket, PrivateBucketArgs


def base_name(project: str, stack: str) -> str:
    """Name stem valid for every service it lands in (S3 and ECR want lowercase, no '_' or '.')."""
    return re.sub(r"[^a-z0-9-]+", "-", f"{project}-{stack}".lower()).strip("-")[:40]


def build_stack(
    settings: StackSettings | None = None, project_root: Path = PROJECT_ROOT
) -> dict[str, pulumi.Output]:
    """Declare every resource and export the stack outputs; returns the outputs too."""
    settings = settings or read_config()
    name = base_name(pulumi.get_project(), pulumi.get_stack())
    region = aws.get_region_output().region
    account_id = aws.get_caller_identity_output().account_id

    image = ContainerImage(
        "image",
        ContainerImageArgs(
            name=name,
            context=build_context(project_root),
            context_dir=Path(tempfile.gettempdir()) / "prism-build-context",
            region=region,
            log_retention_days=settings.log_retention_days,
        ),
    )
    uploads = PrivateBucket(
        "uploads", PrivateBucketArgs(f"{name}-uploads-", cors_origins=settings.cors_origins)
    )
    processed = PrivateBucket("processed", PrivateBucketArgs(f"{name}-processed-"))
    rejected = PrivateBucket(
        "rejected",
        PrivateBucketArgs(f"{name}-rejected-", expire_after_days=settings.rejected_expiration_days),
    )
    function = ImageFunction(
        "function",
        ImageFunctionArgs(
            name=name,
            settings=settings,
            image_uri=image.build.image_uri,
            account_id=account_id,
            uploads=uploads.bucket,
            processed=processed.bucket,
            rejected=rejected.bucket,
            # The image first; and each bucket component (policy, blocks, encryption) settles
            # before the function can write to it.
            depends_on=(image.build, uploads, processed, rejected),
        ),
    )
    if settings.alarm_email:
        Alarms(
            "alarms",
            AlarmsArgs(
                email=settings.alarm_email,
                function_name=function.function.name,
                dead_letter_queue_name=function.dead_letters.name,
            ),
        )

    outputs: dict[str, pulumi.Output] = {
        "repository_url": image.repository.repository_url,
        "image_uri": image.build.image_uri,
        "build_id": image.build.build_id,
        "codebuild_project": image.project.name,
        "source_bucket": image.source_bucket.bucket.bucket,
        "function_name": function.function.name,
        "function_arn": function.function.arn,
        "function_url": function.url.function_url,
        "uploads_bucket": uploads.bucket.bucket,
        "processed_bucket": processed.bucket.bucket,
        "rejected_bucket": rejected.bucket.bucket,
    }
    for key, value in outputs.items():
        pulumi.export(key, value)
    return outputs
