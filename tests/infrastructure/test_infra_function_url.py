"""The function URL under Pulumi's mocks: IAM auth by default, public grants only when asked."""

from __future__ import annotations

from infra_mocks import Stack

PERMISSION = "aws:lambda/permission:Permission"


def test_function_url_defaults_to_iam_auth_with_no_public_grants(default: Stack) -> None:
    url = default.one("aws:lambda/functionUrl:FunctionUrl").inputs
    assert url["authorizationType"] == "AWS_IAM"
    assert "cors" not in url or not url["cors"]
    principals = {p.inputs["principal"] for p in default.of_type(PERMISSION)}
    assert principals == {"s3.amazonaws.com"}


def test_none_auth_grants_both_invoke_permissions(configured: Stack) -> None:
    assert (
        configured.one("aws:lambda/functionUrl:FunctionUrl").inputs["authorizationType"] == "NONE"
    )
    public_grants = [
        p.inputs for p in configured.of_type(PERMISSION) if p.inputs["principal"] == "*"
    ]
    by_action = {g["action"]: g for g in public_grants}
    assert set(by_action) == {"lambda:InvokeFunctionUrl", "lambda:InvokeFunction"}
    assert by_action["lambda:InvokeFunctionUrl"]["functionUrlAuthType"] == "NONE"
    # the plain invoke grant only counts for calls that come through the URL
    assert by_action["lambda:InvokeFunction"]["invokedViaFunctionUrl"] is True
    assert all(g["function"] == "prism-prod" for g in public_grants)


def test_function_url_cors_from_config(configured: Stack) -> None:
    cors = configured.one("aws:lambda/functionUrl:FunctionUrl").inputs["cors"]
    assert cors["allowOrigins"] == ["https://app.example.com"]
    assert "POST" in cors["allowMethods"]
