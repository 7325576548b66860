"""The real program under Pulumi's mocks: resources, security properties, ordering, outputs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from infra_mocks import ACCOUNT, Registered, Stack

from prism.core.settings import load_settings
from prism.core.settings_table import REQUIRED_FOR_S3
from prism_infra.build_provider import PROVIDER_VERSION
from prism_infra.environment import ADAPTER_ENV

#: These tests describe the stack without the CDN (test_infra_cdn.py covers it on).
DEFAULTS: dict[str, Any] = {"cdn": False}
API_KEYS = ["k" * 32, "second-key-for-rotation-0123456789"]
PUBLIC: dict[str, Any] = {
    **DEFAULTS,
    "functionUrlAuth": "NONE",
    "apiKeys": API_KEYS,
    "corsOrigins": ["https://app.example.com"],
    "alertEmail": "ops@example.com",
    "rejectedExpirationDays": 7,
    "uploadsPrefix": "incoming/",
    "memorySize": 3008,
    "reservedConcurrency": 5,
}
BUCKET = "aws:s3/bucket:Bucket"
PERMISSION = "aws:lambda/permission:Permission"
FUNCTION = "aws:lambda/function:Function"
#: Set only with functionUrlAuth NONE: where the function reads its API keys.
PUBLIC_URL_ONLY = {"PRISM_API_KEYS_SECRET_ARN", "PRISM_API_KEYS_SECRET_VERSION"}
#: Set only with the CDN on (test_infra_cdn.py): its distribution and public URL.
CDN_ONLY = {"PRISM_CDN_DISTRIBUTION_ID", "PRISM_CDN_URL"}


@pytest.fixture(scope="module")
def default(stack_factory) -> Stack:
    return stack_factory(DEFAULTS)


@pytest.fixture(scope="module")
def public(stack_factory) -> Stack:
    return stack_factory(PUBLIC)


def _statements(resource: Registered) -> list[dict[str, Any]]:
    return resource.policy()["Statement"]


def _is_wildcard(resource: str) -> bool:
    """`*`, or an ARN whose region, account or resource name is a wildcard."""
    if resource == "*":
        return True
    parts = resource.split(":", 5)
    return "*" in (parts[3], parts[4]) or parts[5].startswith("*") or parts[5] == ""


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- every resource is there -------------------------------------------------------------


def test_declares_every_resource_of_the_stack(default: Stack) -> None:
    types = {r.type for r in default.resources}
    for expected in (
        "aws:ecr/repository:Repository",
        "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        "aws:s3/bucketObjectv2:BucketObjectv2",
        "aws:codebuild/project:Project",
        "pulumi-python:dynamic/prism:ImageBuild",
        FUNCTION,
        "aws:lambda/functionUrl:FunctionUrl",
        "aws:lambda/functionRecursionConfig:FunctionRecursionConfig",
        "aws:sqs/queue:Queue",
        "aws:s3/bucketNotification:BucketNotification",
    ):
        assert expected in types, expected
    # source, uploads, processed, rejected
    assert len(default.of_type(BUCKET)) == 4
    # two log groups (build, function), two roles each with one inline policy
    assert len(default.of_type("aws:cloudwatch/logGroup:LogGroup")) == 2
    assert len(default.of_type("aws:iam/rolePolicy:RolePolicy")) == 2


def test_stack_outputs(default: Stack) -> None:
    out = default.outputs
    assert set(out) >= {
        "repository_url",
        "function_name",
        "function_arn",
        "function_url",
        "codebuild_project",
        "build_id",
        "source_bucket",
        "uploads_bucket",
        "processed_bucket",
        "rejected_bucket",
    }
    assert out["function_url"].startswith("https://")
    assert out["function_name"] == "prism-prod"
    assert out["build_id"].startswith(out["codebuild_project"] + ":")
    assert out["uploads_bucket"] == "uploads-a1b2c3"
    assert len({out[k] for k in out if k.endswith("_bucket")}) == 4


# --- buckets --------------------------------------------------------------------------------


@pytest.mark.parametrize("bucket", ["image-source", "uploads", "processed", "rejected"])
def test_every_bucket_is_private_encrypted_tls_only_and_owner_enforced(
    default: Stack, bucket: str
) -> None:
    arn = f"arn:aws:s3:::{bucket}-a1b2c3"

    block = default.named(f"{bucket}-public-access").inputs
    assert block["bucket"] == f"{bucket}-a1b2c3"
    for flag in (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ):
        assert block[flag] is True, flag

    sse = default.named(f"{bucket}-encryption").inputs
    assert sse["bucket"] == f"{bucket}-a1b2c3"
    (rule,) = sse["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] in ("AES256", "aws:kms")

    ownership = default.named(f"{bucket}-ownership").inputs
    assert ownership["rule"]["objectOwnership"] == "BucketOwnerEnforced"

    policy_resource = default.named(f"{bucket}-tls-only")
    (statement,) = _statements(policy_resource)
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == "*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert sorted(statement["Resource"]) == [arn, f"{arn}/*"]
    # the policy goes on after public access is blocked
    assert default.depends_on(policy_resource, default.named(f"{bucket}-public-access"))


def test_bucket_names_carry_stack_prefix(default: Stack) -> None:
    assert default.one(BUCKET, "uploads").inputs["bucketPrefix"] == "prism-prod-uploads-"
    assert default.one(BUCKET, "image-source").inputs["bucketPrefix"] == "prism-prod-source-"


def test_rejected_records_expire_after_configured_days(default: Stack, public: Stack) -> None:
    for stack, days in ((default, 30), (public, 7)):
        (rule,) = stack.named("rejected-expiry").inputs["rules"]
        assert rule["status"] == "Enabled"
        assert rule["expiration"]["days"] == days
        assert rule["filter"] == {"prefix": ""}
    # nothing else expires
    lifecycles = default.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    assert [r.name for r in lifecycles] == ["rejected-expiry"]


def test_uploads_cors_only_from_configured_origins(default: Stack, public: Stack) -> None:
    assert not default.of_type("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration")
    cors = public.one("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration")
    assert cors.inputs["bucket"] == "uploads-a1b2c3"
    (rule,) = cors.inputs["corsRules"]
    assert rule["allowedOrigins"] == ["https://app.example.com"]
    assert "POST" in rule["allowedMethods"]


# --- ECR, build context, CodeBuild, the build ------------------------------------------------


def test_ecr_repository_scans_is_immutable_keeps_few_and_is_deletable(default: Stack) -> None:
    repo = default.one("aws:ecr/repository:Repository").inputs
    assert repo["imageScanningConfiguration"]["scanOnPush"] is True
    assert repo["imageTagMutability"] == "IMMUTABLE"
    assert repo["forceDelete"] is True
    policy = json.loads(default.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs["policy"])
    (rule,) = policy["rules"]
    assert rule["selection"]["countType"] == "imageCountMoreThan"
    assert 1 <= rule["selection"]["countNumber"] <= 20
    assert rule["action"]["type"] == "expire"


def test_build_context_is_uploaded_under_its_content_hash(default: Stack) -> None:
    obj = default.one("aws:s3/bucketObjectv2:BucketObjectv2").inputs
    build = default.one("pulumi-python:dynamic/prism:ImageBuild").inputs
    assert obj["bucket"] == "image-source-a1b2c3"
    assert obj["key"] == f"build-context/{build['content_hash']}.zip"
    assert len(build["content_hash"]) == 64


def test_codebuild_project_is_arm_privileged_with_own_log_group(default: Stack) -> None:
    project = default.one("aws:codebuild/project:Project").inputs
    env = project["environment"]
    assert env["type"] == "ARM_CONTAINER"
    assert "aarch64" in env["image"]
    assert env["privilegedMode"] is True
    logs = default.named("image-build-logs").inputs
    assert logs["retentionInDays"] == 30
    assert project["logsConfig"]["cloudwatchLogs"]["groupName"] == logs["name"]
    assert project["source"]["type"] == "S3"
    assert project["serviceRole"] == f"arn:aws:iam::{ACCOUNT}:role/image-build-role"


def test_codebuild_role_reads_only_the_prefix_pushes_only_the_repo_logs_only_its_group(
    default: Stack,
) -> None:
    by_sid = {s["Sid"]: s for s in _statements(default.named("image-build-policy"))}
    assert by_sid["ReadBuildContext"]["Resource"] == [
        "arn:aws:s3:::image-source-a1b2c3/build-context/*"
    ]
    assert by_sid["PushImage"]["Resource"] == [
        f"arn:aws:ecr:eu-west-1:{ACCOUNT}:repository/prism-prod"
    ]
    assert by_sid["WriteBuildLogs"]["Resource"] == [
        f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/codebuild/prism-prod-image:*"
    ]
    assert "ecr:PutImage" in by_sid["PushImage"]["Action"]
    assert by_sid["LocateBuildContext"]["Resource"] == ["arn:aws:s3:::image-source-a1b2c3"]


def test_build_runs_after_upload_and_permissions_and_yields_pinned_image(default: Stack) -> None:
    build = default.one("pulumi-python:dynamic/prism:ImageBuild")
    assert build.inputs["project_name"] == "prism-prod-image"
    assert build.inputs["source_bucket"] == "image-source-a1b2c3"
    assert build.inputs["repository_url"].endswith(".amazonaws.com/prism-prod")
    assert build.inputs["region"] == "eu-west-1"
    assert build.inputs["provider_version"] == PROVIDER_VERSION
    assert "__provider" in build.inputs  # the pickled provider travels with the resource
    assert default.depends_on(build, default.one("aws:s3/bucketObjectv2:BucketObjectv2"))
    assert default.depends_on(build, default.one("aws:codebuild/project:Project"))
    assert default.depends_on(build, default.named("image-build-policy"))


# --- the function ----------------------------------------------------------------------------


def test_function_is_an_arm64_image_from_the_build(default: Stack) -> None:
    fn = default.one(FUNCTION)
    assert fn.inputs["packageType"] == "Image"
    assert fn.inputs["architectures"] == ["arm64"]
    assert fn.inputs["imageUri"] == default.outputs["image_uri"]
    assert "@sha256:" in fn.inputs["imageUri"]
    assert default.depends_on(fn, default.one("pulumi-python:dynamic/prism:ImageBuild"))


def test_function_sizes_come_from_config(default: Stack, public: Stack) -> None:
    d = default.one(FUNCTION).inputs
    assert (d["memorySize"], d["timeout"], d["ephemeralStorage"]["size"]) == (3538, 120, 1024)
    assert d["reservedConcurrentExecutions"] == -1
    p = public.one(FUNCTION).inputs
    assert (p["memorySize"], p["reservedConcurrentExecutions"]) == (3008, 5)


def test_function_logs_json_to_precreated_group_with_retention(default: Stack) -> None:
    fn = default.one(FUNCTION)
    group = default.named("function-logs")
    assert group.inputs["retentionInDays"] == 30
    assert fn.inputs["loggingConfig"]["logFormat"] == "JSON"
    assert fn.inputs["loggingConfig"]["logGroup"] == group.inputs["name"]
    assert default.depends_on(fn, group)
    # Lambda checks the role can reach the DLQ when the function is created
    assert default.depends_on(fn, default.named("function-policy"))


def test_failed_s3_events_go_to_a_dead_letter_queue(default: Stack) -> None:
    fn = default.one(FUNCTION).inputs
    assert (
        fn["deadLetterConfig"]["targetArn"]
        == f"arn:aws:sqs:eu-west-1:{ACCOUNT}:prism-prod-dead-letters"
    )


def test_recursive_loop_detection_stays_on(default: Stack) -> None:
    config = default.one("aws:lambda/functionRecursionConfig:FunctionRecursionConfig").inputs
    assert config == {"functionName": "prism-prod", "recursiveLoop": "Terminate"}


def test_environment_is_exactly_what_the_app_reads(default: Stack) -> None:
    from prism.core.settings_table import ENV_VARS

    env: dict[str, str] = default.one(FUNCTION).inputs["environment"]["variables"]
    app_vars = {k for k in env if k.startswith("PRISM_")}
    # every app variable is one the app reads, and all that S3 mode needs are there
    assert app_vars <= set(ENV_VARS)
    assert set(REQUIRED_FOR_S3) <= app_vars
    # "exactly": everything the app reads except what only local storage or a public URL uses
    local_only = {k for k, doc in ENV_VARS.items() if doc.startswith("local storage only")}
    assert local_only, "the contract marks PRISM_DATA_DIR as local-only"
    assert app_vars == set(ENV_VARS) - local_only - PUBLIC_URL_ONLY - CDN_ONLY
    # the rest belongs to the Lambda Web Adapter and Powertools, nothing else
    others = set(env) - app_vars
    assert others == set(ADAPTER_ENV) | {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"}
    # and the app accepts it, pointing at the stack's buckets, with Lambda's own variable set
    # so its on-Lambda start-up checks (the adapter's retry status codes) run too
    settings = load_settings({**env, "AWS_LAMBDA_FUNCTION_NAME": "prism-test"})
    assert settings.storage == "s3"
    assert settings.uploads_bucket == "uploads-a1b2c3"
    assert settings.processed_bucket == "processed-a1b2c3"
    assert settings.rejected_bucket == "rejected-a1b2c3"
    assert [s.name for s in settings.variants] == ["jpeg85", "jpeg60", "webp", "png", "thumb"]
    assert settings.events_path == env["AWS_LWA_PASS_THROUGH_PATH"]


def test_environment_follows_config(public: Stack) -> None:
    env = public.one(FUNCTION).inputs["environment"]["variables"]
    assert env["PRISM_UPLOADS_PREFIX"] == "incoming/"
    assert load_settings(env).uploads_prefix == "incoming/"
    # a public URL: the app learns where its keys are, never the keys themselves
    assert {k for k in env if k.startswith("PRISM_")} >= PUBLIC_URL_ONLY
    assert not any(key in json.dumps(env) for key in API_KEYS)


def test_adapter_serves_readiness_streaming_and_events(default: Stack) -> None:
    env = default.one(FUNCTION).inputs["environment"]["variables"]
    assert env["AWS_LWA_PORT"] == "8080"
    assert env["AWS_LWA_READINESS_CHECK_PATH"] == "/healthz"
    assert env["AWS_LWA_INVOKE_MODE"] == "response_stream"
    assert (
        default.one("aws:lambda/functionUrl:FunctionUrl").inputs["invokeMode"] == "RESPONSE_STREAM"
    )


def test_function_role_is_least_privilege(default: Stack) -> None:
    statements = _statements(default.named("function-policy"))
    by_sid = {s["Sid"]: s for s in statements}
    assert by_sid["Originals"]["Resource"] == ["arn:aws:s3:::uploads-a1b2c3/uploads/*"]
    assert "s3:GetObject" in by_sid["Originals"]["Action"]
    assert by_sid["ListOriginals"]["Condition"] == {"StringLike": {"s3:prefix": ["uploads/*"]}}
    assert set(by_sid["Variants"]["Action"]) == {
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
    }
    assert by_sid["Variants"]["Resource"] == ["arn:aws:s3:::processed-a1b2c3/*"]
    assert "s3:PutObject" in by_sid["Rejections"]["Action"]
    assert by_sid["Rejections"]["Resource"] == ["arn:aws:s3:::rejected-a1b2c3/*"]
    assert by_sid["DeadLetters"] == {
        "Sid": "DeadLetters",
        "Effect": "Allow",
        "Action": ["sqs:SendMessage"],
        "Resource": [f"arn:aws:sqs:eu-west-1:{ACCOUNT}:prism-prod-dead-letters"],
    }
    assert by_sid["WriteLogs"]["Resource"] == [
        f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/lambda/prism-prod:*"
    ]
    # nothing may touch the source bucket or the repository
    flat = json.dumps(statements)
    assert "image-source" not in flat
    assert "ecr:" not in flat


@pytest.mark.parametrize("config", [DEFAULTS, PUBLIC], ids=["default", "public"])
def test_no_wildcard_resources_on_s3_ecr_logs_or_sqs(stack_factory, config) -> None:
    stack = stack_factory(config)
    policies = stack.of_type("aws:iam/rolePolicy:RolePolicy")
    assert len(policies) == 2
    for policy in policies:
        for statement in _statements(policy):
            actions = _as_list(statement["Action"])
            resources = _as_list(statement["Resource"])
            assert statement["Effect"] == "Allow"
            wildcard = [r for r in resources if _is_wildcard(r)]
            if wildcard:
                # The one AWS-unscopable action: a registry login token.
                assert actions == ["ecr:GetAuthorizationToken"], statement
                continue
            for resource in resources:
                assert resource.startswith("arn:aws:"), resource
                service = resource.split(":")[2]
                assert all(a.split(":")[0] == service for a in actions), statement


def test_roles_trust_only_their_service(default: Stack) -> None:
    trusts = {
        r.name: json.loads(r.inputs["assumeRolePolicy"])["Statement"]
        for r in default.of_type("aws:iam/role:Role")
    }
    assert trusts["function-role"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert trusts["image-build-role"][0]["Principal"] == {"Service": "codebuild.amazonaws.com"}


# --- function URL ----------------------------------------------------------------------------


def test_function_url_defaults_to_iam_auth_with_no_public_grants(default: Stack) -> None:
    url = default.one("aws:lambda/functionUrl:FunctionUrl").inputs
    assert url["authorizationType"] == "AWS_IAM"
    assert "cors" not in url or not url["cors"]
    principals = {p.inputs["principal"] for p in default.of_type(PERMISSION)}
    assert principals == {"s3.amazonaws.com"}


def test_none_auth_grants_both_invoke_permissions(public: Stack) -> None:
    assert public.one("aws:lambda/functionUrl:FunctionUrl").inputs["authorizationType"] == "NONE"
    public_grants = [p.inputs for p in public.of_type(PERMISSION) if p.inputs["principal"] == "*"]
    by_action = {g["action"]: g for g in public_grants}
    assert set(by_action) == {"lambda:InvokeFunctionUrl", "lambda:InvokeFunction"}
    assert by_action["lambda:InvokeFunctionUrl"]["functionUrlAuthType"] == "NONE"
    # the plain invoke grant only counts for calls that come through the URL
    assert by_action["lambda:InvokeFunction"]["invokedViaFunctionUrl"] is True
    assert all(g["function"] == "prism-prod" for g in public_grants)


def test_function_url_cors_from_config(public: Stack) -> None:
    cors = public.one("aws:lambda/functionUrl:FunctionUrl").inputs["cors"]
    assert cors["allowOrigins"] == ["https://app.example.com"]
    assert "POST" in cors["allowMethods"]


# --- S3 -> Lambda ----------------------------------------------------------------------------


@pytest.mark.parametrize("config", [DEFAULTS, PUBLIC], ids=["default", "public"])
def test_uploads_notify_the_function_after_the_permission(stack_factory, config) -> None:
    stack = stack_factory(config)
    prefix = config.get("uploadsPrefix", "uploads/")
    permission = stack.named("function-s3-invoke")
    assert permission.inputs["principal"] == "s3.amazonaws.com"
    assert permission.inputs["action"] == "lambda:InvokeFunction"
    assert permission.inputs["sourceArn"] == "arn:aws:s3:::uploads-a1b2c3"
    assert permission.inputs["sourceAccount"] == ACCOUNT
    notification = stack.one("aws:s3/bucketNotification:BucketNotification")
    assert notification.inputs["bucket"] == "uploads-a1b2c3"
    (target,) = notification.inputs["lambdaFunctions"]
    assert target["events"] == ["s3:ObjectCreated:*"]
    assert target["filterPrefix"] == prefix
    assert target["lambdaFunctionArn"] == stack.outputs["function_arn"]
    assert stack.depends_on(notification, permission)


# --- components ------------------------------------------------------------------------------


def test_resources_are_grouped_in_parented_components(default: Stack) -> None:
    components = {r.name: r for r in default.resources if r.type.startswith("prism:")}
    assert {"image", "function", "uploads", "processed", "rejected"} <= set(components)
    assert default.one(FUNCTION).parent == components["function"].urn
    assert default.one("aws:codebuild/project:Project").parent == components["image"].urn
    assert default.one(BUCKET, "uploads").parent == components["uploads"].urn


@pytest.mark.parametrize(
    ("project", "stack", "expected"),
    [("prism", "prod", "prism-prod"), ("Prism", "Dev_Eu.1", "prism-dev-eu-1")],
)
def test_base_name_is_valid_for_s3_ecr_and_lambda(project: str, stack: str, expected: str) -> None:
    from prism_infra.stack import base_name

    assert base_name(project, stack) == expected
