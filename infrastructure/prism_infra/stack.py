"""The whole stack, wired in dependency order: image -> function -> URL and S3 trigger, then
the alarms and dashboard that watch them. Names start with `<project>-<stack>`, so several
stacks (prod, staging, dev) live side by side in one account and region.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pulumi
import pulumi_aws as aws

from prism_infra.alarms import Alarms, AlarmsArgs
from prism_infra.api_key_secret import ApiKeySecret, ApiKeySecretArgs
from prism_infra.app_metrics import metrics_namespace
from prism_infra.build_context import PROJECT_ROOT, build_context
from prism_infra.cdn.declare import declare_cdn
from prism_infra.cdn.monitoring import cdn_widgets
from prism_infra.config import StackSettings, read_config
from prism_infra.dashboard import dashboard_body, dashboard_url
from prism_infra.function import ImageFunction, ImageFunctionArgs
from prism_infra.image import ContainerImage, ContainerImageArgs
from prism_infra.policies import invoke_url_policy, to_json
from prism_infra.storage import PrivateBucket, PrivateBucketArgs
from prism_infra.tagging import tag_everything


def base_name(project: str, stack: str) -> str:
    """Name stem valid for every service it lands in (S3 and ECR want lowercase, no '_' or '.')."""
    return re.sub(r"[^a-z0-9-]+", "-", f"{project}-{stack}".lower()).strip("-")[:40]


def config_warnings(settings: StackSettings) -> list[str]:
    """Settings that deploy but deserve a second look."""
    warnings = []
    if settings.function_url_auth == "NONE" and settings.reserved_concurrency < 0:
        warnings.append(
            "the function URL is public and prism:reservedConcurrency is -1, so requests can "
            "scale the function (and the bill) up to the account's concurrency limit; set a "
            "cap, e.g. pulumi config set prism:reservedConcurrency 20"
        )
    return warnings


def build_stack(
    settings: StackSettings | None = None, project_root: Path = PROJECT_ROOT
) -> dict[str, pulumi.Output]:
    """Declare every resource and export the stack outputs; returns the outputs too."""
    settings = settings or read_config()
    for warning in config_warnings(settings):
        pulumi.log.warn(warning)
    project, stack = pulumi.get_project(), pulumi.get_stack()
    tag_everything(project, stack)
    name = base_name(project, stack)
    namespace = metrics_namespace(name)
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
    # Originals and variants are user data: protected unless prism:protectData is false.
    # Rejection records expire anyway and the build context is rebuilt from the repository.
    uploads = PrivateBucket(
        "uploads",
        PrivateBucketArgs(
            f"{name}-uploads-", cors_origins=settings.cors_origins, protect=settings.protect_data
        ),
    )
    # CDN (issue 14): the processed bucket's policy waits for the distribution's read grant.
    cdn_read, grant_cdn_read = pulumi.deferred_output() if settings.cdn.enabled else (None, None)
    processed = PrivateBucket(
        "processed",
        PrivateBucketArgs(
            f"{name}-processed-",
            protect=settings.protect_data,
            extra_policy_statements=cdn_read,
        ),
    )
    rejected = PrivateBucket(
        "rejected",
        PrivateBucketArgs(f"{name}-rejected-", expire_after_days=settings.rejected_expiration_days),
    )
    api_keys = (
        ApiKeySecret("api-keys", ApiKeySecretArgs(name=name, keys=settings.api_keys))
        if settings.function_url_auth == "NONE"
        else None
    )
    # CDN (issue 14): the distribution and its origin function, before the upload function
    # (which gets the distribution id and may invalidate it).
    cdn = (
        declare_cdn(
            name=name,
            settings=settings,
            image_uri=image.build.image_uri,
            account_id=account_id,
            uploads=uploads.bucket,
            processed=processed.bucket,
            rejected=rejected.bucket,
            grant_processed_read=grant_cdn_read,
            metrics_namespace=namespace,
            depends_on=(image.build,),
        )
        if grant_cdn_read
        else None
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
            metrics_namespace=namespace,
            api_keys_secret_arn=api_keys.secret.arn if api_keys else None,
            api_keys_version=api_keys.version.version_id if api_keys else None,
            # The image first; and each bucket component (policy, blocks, encryption) settles
            # before the function can write to it.
            depends_on=(image.build, uploads, processed, rejected),
            extra_environment=cdn.environment if cdn else None,
            extra_policy_statements=cdn.policy_statements if cdn else None,
        ),
    )
    alarms = Alarms(
        "alarms",
        AlarmsArgs(
            name=name,
            thresholds=settings.alarm_thresholds,
            timeout_seconds=settings.timeout_seconds,
            function_name=function.function.name,
            dead_letter_queue_name=function.dead_letters.name,
            build_project_name=image.project.name,
            metrics_namespace=namespace,
            email=settings.alert_email,
        ),
    )
    aws.cloudwatch.Dashboard(
        "dashboard",
        dashboard_name=name,
        dashboard_body=pulumi.Output.all(
            region,
            function.function.name,
            function.dead_letters.name,
            cdn.cdn.distribution.id if cdn else None,
            *[alarm.arn for alarm in alarms.alarms.values()],
        ).apply(
            lambda v: json.dumps(
                dashboard_body(
                    region=v[0],
                    function_name=v[1],
                    queue_name=v[2],
                    namespace=namespace,
                    timeout_seconds=settings.timeout_seconds,
                    alarm_arns=list(v[4:]),
                    extra_widgets=cdn_widgets(v[3]) if v[3] else (),
                )
            )
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
        "alerts_topic_arn": alarms.topic.arn,
        "dashboard_url": region.apply(lambda r: dashboard_url(r, name)),
        "metrics_namespace": pulumi.Output.from_input(namespace),
    }
    if cdn:
        outputs |= cdn.outputs
    if api_keys:
        outputs["api_keys_secret_arn"] = api_keys.secret.arn
    else:
        # Attach this to a caller's role or user to let it call the URL, and nothing else.
        outputs["invoke_policy"] = function.function.arn.apply(
            lambda arn: to_json(invoke_url_policy(arn))
        )
    for key, value in outputs.items():
        pulumi.export(key, value)
    return outputs
