"""The whole stack, wired in dependency order: image -> function -> its reprocessing worker, URL
and upload trigger,
then the alarms and dashboard that watch them. Each piece is a component of one concern
(`components/`); names start with `<project>-<stack>`, so several stacks (prod, staging, dev)
live side by side in one account and region.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pulumi
import pulumi_aws as aws

from prism_infra.alarms import AlarmsArgs
from prism_infra.app_metrics import metrics_namespace
from prism_infra.build_context import PROJECT_ROOT, build_context
from prism_infra.cdn.declare import declare_cdn
from prism_infra.cdn.origin import SUFFIX as ORIGIN_SUFFIX
from prism_infra.components.alarms import Alarms
from prism_infra.components.bucket import PrivateBucket, PrivateBucketArgs
from prism_infra.components.dashboard import Dashboard, DashboardArgs
from prism_infra.components.function import ImageFunction, ImageFunctionArgs
from prism_infra.components.function_url import FunctionUrl, FunctionUrlArgs
from prism_infra.components.image import ContainerImage, ContainerImageArgs
from prism_infra.components.key_secrets import ApiKeySecret, KeySecretArgs, SigningKeySecret
from prism_infra.components.reprocessing import Reprocessing, ReprocessingArgs
from prism_infra.components.upload_trigger import UploadTrigger, UploadTriggerArgs
from prism_infra.config import StackSettings, read_build_identity, read_config
from prism_infra.dashboard import dashboard_url
from prism_infra.environment import check_environment, longest_environments
from prism_infra.naming import base_name, bucket_prefix
from prism_infra.policies import invoke_url_policy, to_json
from prism_infra.tagging import tag_everything


def config_warnings(settings: StackSettings) -> list[str]:
    """Settings that deploy but deserve a second look."""
    warnings = []
    s = settings
    if s.reprocess_on_spec_change and s.reprocess_concurrency < 0 and s.reserved_concurrency < 0:
        warnings.append(
            "prism:reprocessOnSpecChange is true and prism:reprocessConcurrency is -1, so a "
            "change of prism:variants starts a backfill that may take the account's unreserved "
            "concurrency from uploads and HTTP; cap it, e.g. pulumi config set "
            "prism:reprocessConcurrency 100 (or reserve concurrency for the function)"
        )
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
    identity = read_build_identity()
    for warning in config_warnings(settings):
        pulumi.log.warn(warning)
    project, stack = pulumi.get_project(), pulumi.get_stack()
    tag_everything(project, stack)
    name = base_name(project, stack)
    namespace = metrics_namespace(name)
    region = aws.get_region_output().region
    s = settings
    # Before anything is declared, so a preview refuses what CreateFunction would.
    functions = {
        "function": f"{name} (and its reprocessing worker)",
        "cdn-origin": name + ORIGIN_SUFFIX,
    }
    for role, variables in longest_environments(s, name=name, metrics_namespace=namespace).items():
        check_environment(functions[role], variables)

    image = ContainerImage(
        "image",
        ContainerImageArgs(
            name=name,
            context=build_context(project_root),
            context_dir=Path(tempfile.gettempdir()) / "prism-build-context",
            region=region,
            log_retention_days=s.log_retention_days,
            identity=identity,
        ),
    )
    # Originals and variants are user data: protected unless prism:protectData is false.
    # Rejection records expire anyway and the build context is rebuilt from the repository.
    uploads = PrivateBucket(
        "uploads",
        PrivateBucketArgs(
            bucket_prefix(name, "uploads"), cors_origins=s.cors_origins, protect=s.protect_data
        ),
    )
    # CDN (issue 14): the processed bucket's policy waits for the distribution's read grant.
    cdn_read, grant_cdn_read = pulumi.deferred_output() if s.cdn.enabled else (None, None)
    processed = PrivateBucket(
        "processed",
        PrivateBucketArgs(
            bucket_prefix(name, "processed"),
            protect=s.protect_data,
            extra_policy_statements=cdn_read,
        ),
    )
    rejected = PrivateBucket(
        "rejected",
        PrivateBucketArgs(
            bucket_prefix(name, "rejected"), expire_after_days=s.rejected_expiration_days
        ),
    )
    api_keys = (
        ApiKeySecret("api-keys", KeySecretArgs(name=name, keys=s.api_keys))
        if s.function_url_auth == "NONE"
        else None
    )
    # Signed transform URLs (issue 13): both functions verify with these keys, and the CDN's
    # edge code holds them too.
    signing = (
        SigningKeySecret(
            "transform-signing", KeySecretArgs(name=name, keys=s.transform_signing_keys)
        )
        if s.transform_signing_keys
        else None
    )
    signing_secret_arn = signing.secret.arn if signing else None
    signing_version = signing.version.version_id if signing else None
    # CDN (issue 14): the distribution and its origin function, before the upload function
    # (which gets the distribution id and may invalidate it).
    cdn = (
        declare_cdn(
            name=name,
            settings=s,
            image_uri=image.build.image_uri,
            account_id=aws.get_caller_identity_output().account_id,
            uploads=uploads.bucket,
            processed=processed.bucket,
            rejected=rejected.bucket,
            grant_processed_read=grant_cdn_read,
            metrics_namespace=namespace,
            signing_secret_arn=signing_secret_arn,
            signing_version=signing_version,
            depends_on=(image.build,),
        )
        if grant_cdn_read
        else None
    )
    function = ImageFunction(
        "function",
        ImageFunctionArgs(
            name=name,
            settings=s,
            image_uri=image.build.image_uri,
            uploads_bucket=uploads.bucket.bucket,
            uploads_arn=uploads.bucket.arn,
            processed_bucket=processed.bucket.bucket,
            processed_arn=processed.bucket.arn,
            rejected_bucket=rejected.bucket.bucket,
            rejected_arn=rejected.bucket.arn,
            metrics_namespace=namespace,
            api_keys_secret_arn=api_keys.secret.arn if api_keys else None,
            api_keys_version=api_keys.version.version_id if api_keys else None,
            signing_secret_arn=signing_secret_arn,
            signing_version=signing_version,
            extra_environment=cdn.environment if cdn else None,
            extra_policy_statements=cdn.policy_statements if cdn else None,
        ),
        # The image first; and each bucket (policy, blocks, encryption) settles before the
        # function can write to it.
        opts=pulumi.ResourceOptions(depends_on=[image.build, uploads, processed, rejected]),
    )
    reprocessing = Reprocessing(
        "reprocessing",
        ReprocessingArgs(
            name=name,
            settings=s,
            image_uri=image.build.image_uri,
            role_arn=function.function.role,
            log_group_name=function.log_group.name,
            environment=function.environment,
            uploads=uploads.bucket,
            identity=identity,
        ),
        # The worker runs the main function's image with its role: both settled first.
        opts=pulumi.ResourceOptions(depends_on=[image.build, function]),
    )
    url = FunctionUrl(
        "url",
        FunctionUrlArgs(
            function_name=function.function.name,
            auth=s.function_url_auth,
            cors_origins=s.cors_origins,
            formerly=function,
        ),
    )
    UploadTrigger(
        "trigger",
        UploadTriggerArgs(
            function_name=function.function.name,
            function_arn=function.function.arn,
            bucket=uploads.bucket.id,
            bucket_arn=uploads.bucket.arn,
            account_id=aws.get_caller_identity_output().account_id,
            prefix=s.uploads_prefix,
            formerly=function,
        ),
    )
    alarms = Alarms(
        "alarms",
        AlarmsArgs(
            name=name,
            thresholds=s.alarm_thresholds,
            timeout_seconds=s.timeout_seconds,
            function_name=function.function.name,
            dead_letter_queue_name=function.dead_letters.name,
            build_project_name=image.project.name,
            metrics_namespace=namespace,
            email=s.alert_email,
        ),
    )
    Dashboard(
        "dashboard",
        DashboardArgs(
            name=name,
            region=region,
            function_name=function.function.name,
            queue_name=function.dead_letters.name,
            namespace=namespace,
            timeout_seconds=s.timeout_seconds,
            alarm_arns=[alarm.arn for alarm in alarms.alarms.values()],
            cdn_distribution_id=cdn.cdn.distribution.id if cdn else None,
            cdn_alarm_arns=[a.arn for a in cdn.cdn.alarms.alarms.values()] if cdn else (),
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
        "function_url": url.url.function_url,
        "uploads_bucket": uploads.bucket.bucket,
        "processed_bucket": processed.bucket.bucket,
        "rejected_bucket": rejected.bucket.bucket,
        "alerts_topic_arn": alarms.topic.arn,
        "dashboard_url": region.apply(lambda r: dashboard_url(r, name)),
        "metrics_namespace": pulumi.Output.from_input(namespace),
    }
    if cdn:
        outputs |= cdn.outputs
    outputs |= {k: pulumi.Output.from_input(v) for k, v in reprocessing.outputs().items()}
    if signing:
        outputs["transform_signing_secret_arn"] = signing.secret.arn
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
