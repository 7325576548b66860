"""Who may call the function, under Pulumi's mocks: the IAM invoke policy, or API keys kept in a
secret for a public URL; and the limits that bound what a caller can cost."""

from __future__ import annotations

import json

from infra_mocks import ACCOUNT, KEYS, PUBLIC, REGION, SECRET_VERSION, TODAY, Stack
from pulumi.runtime import rpc

from prism.core.settings import load_settings
from prism.core.settings_table import ENV_VARS
from prism_infra.config import StackSettings, parse_config
from prism_infra.stack import config_warnings

NAMESPACE = "Prism/prism-prod"


def test_iam_stack_outputs_a_policy_granting_exactly_url_invocation(default: Stack) -> None:
    arn = default.outputs["function_arn"]
    policy = json.loads(default.outputs["invoke_policy"])
    assert policy == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "InvokeFunctionUrl",
                "Effect": "Allow",
                "Action": ["lambda:InvokeFunctionUrl"],
                "Resource": [arn],
                "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}},
            },
            {
                "Sid": "InvokeThroughFunctionUrl",
                "Effect": "Allow",
                "Action": ["lambda:InvokeFunction"],
                "Resource": [arn],
                "Condition": {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}},
            },
        ],
    }
    assert not default.of_type("aws:secretsmanager/secret:Secret")
    assert "api_keys_secret_arn" not in default.outputs


def test_public_stack_keeps_api_keys_in_a_secret(public: Stack) -> None:
    secret = public.one("aws:secretsmanager/secret:Secret")
    assert secret.inputs["namePrefix"] == "prism-prod-api-keys-"
    assert secret.inputs["recoveryWindowInDays"] == 0
    version = public.one("aws:secretsmanager/secretVersion:SecretVersion")
    assert version.inputs["secretId"] == "api-keys-secret-id"
    # sent to the engine as a secret, so the state holds it encrypted
    wrapped = version.inputs["secretString"]
    assert wrapped[rpc._special_sig_key] == rpc._special_secret_sig
    assert json.loads(wrapped["value"]) == {"keys": KEYS}
    assert public.outputs["api_keys_secret_arn"].startswith(
        f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:prism-prod-api-keys-"
    )
    assert "invoke_policy" not in public.outputs


def test_function_may_read_exactly_its_secret(public: Stack, default: Stack) -> None:
    arn = public.outputs["api_keys_secret_arn"]
    statements = {s["Sid"]: s for s in public.named("function-policy").policy()["Statement"]}
    assert statements["ReadApiKeys"] == {
        "Sid": "ReadApiKeys",
        "Effect": "Allow",
        "Action": ["secretsmanager:GetSecretValue"],
        "Resource": [arn],
    }
    assert "secretsmanager" not in json.dumps(default.named("function-policy").policy())
    # no KMS grant: the secret uses the account's AWS-managed key
    assert "kms:" not in json.dumps(public.named("function-policy").policy())
    assert "kmsKeyId" not in public.one("aws:secretsmanager/secret:Secret").inputs


def test_public_function_knows_where_its_keys_are_not_what_they_are(public: Stack) -> None:
    env = public.one("aws:lambda/function:Function", "function-function").inputs["environment"][
        "variables"
    ]
    assert env["PRISM_API_KEYS_SECRET_ARN"] == public.outputs["api_keys_secret_arn"]
    # the version pins the read and changes with the keys, so the function restarts
    assert env["PRISM_API_KEYS_SECRET_VERSION"] == SECRET_VERSION
    assert not any(key in json.dumps(env) for key in KEYS)
    # the app reads exactly these variables and accepts them
    app_vars = {k for k in env if k.startswith("PRISM_")}
    assert app_vars <= set(ENV_VARS)
    settings = load_settings({**env, "AWS_LAMBDA_FUNCTION_NAME": "prism-prod"})
    assert settings.api_keys_secret_arn == env["PRISM_API_KEYS_SECRET_ARN"]
    assert settings.api_keys_secret_version == SECRET_VERSION


def test_function_metrics_go_to_the_stacks_namespace(default: Stack) -> None:
    env = default.one("aws:lambda/function:Function", "function-function").inputs["environment"][
        "variables"
    ]
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == NAMESPACE == default.outputs["metrics_namespace"]


def test_presigned_uploads_keep_a_size_cap_and_short_lifetime(default: Stack) -> None:
    env = default.one("aws:lambda/function:Function", "function-function").inputs["environment"][
        "variables"
    ]
    settings = load_settings(env)
    assert settings.limits.max_input_bytes == StackSettings().limits.max_input_bytes
    assert settings.upload_url_ttl == 300


def test_public_url_without_a_concurrency_cap_is_warned_about() -> None:
    assert config_warnings(parse_config({})) == []
    (warning,) = config_warnings(parse_config(PUBLIC))
    assert "prism:reservedConcurrency" in warning
    capped = parse_config({**PUBLIC, "reservedConcurrency": 20})
    assert config_warnings(capped) == []


def test_reserved_concurrency_caps_the_function(stack_factory) -> None:
    stack = stack_factory({**TODAY, "reservedConcurrency": 20})
    assert (
        stack.one("aws:lambda/function:Function", "function-function").inputs[
            "reservedConcurrentExecutions"
        ]
        == 20
    )


def test_browsers_may_send_the_api_key_header(stack_factory) -> None:
    from prism.http.api_keys import HEADER

    stack = stack_factory({**PUBLIC, "corsOrigins": ["https://app.example.com"]})
    cors = stack.one("aws:lambda/functionUrl:FunctionUrl").inputs["cors"]
    assert HEADER in cors["allowHeaders"]
