"""Uploads trigger the function, under Pulumi's mocks: permission first, then the notification."""

from __future__ import annotations

import pytest
from infra_mocks import ACCOUNT, CONFIGURED


@pytest.mark.parametrize("config", [{}, CONFIGURED], ids=["default", "public"])
def test_uploads_notify_the_function_after_the_permission(stack_factory, config) -> None:
    stack = stack_factory(config)
    prefix = config.get("uploadsPrefix", "uploads/")
    permission = stack.named("trigger-s3-invoke")
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
