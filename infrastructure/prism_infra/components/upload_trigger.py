"""Uploads trigger the function: S3 may invoke it, and notifies it of new originals."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True, slots=True)
class UploadTriggerArgs:
    function_name: pulumi.Input[str]
    function_arn: pulumi.Input[str]
    bucket: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    account_id: pulumi.Input[str]
    #: Only objects under this prefix (the originals) fire the function.
    prefix: pulumi.Input[str]
    #: Stacks deployed before the split had these resources in the function component, named
    #: `<its name>-s3-invoke` and `<its name>-uploads-notification`; aliases keep them.
    formerly: pulumi.Resource | None = None


class UploadTrigger(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: UploadTriggerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("prism:function:UploadTrigger", name, None, opts)

        def was(old_name: str) -> list[pulumi.Alias]:
            return [pulumi.Alias(name=old_name, parent=args.formerly)] if args.formerly else []

        permission = aws.lambda_.Permission(
            f"{name}-s3-invoke",
            function=args.function_name,
            action="lambda:InvokeFunction",
            principal="s3.amazonaws.com",
            source_arn=args.bucket_arn,
            source_account=args.account_id,
            opts=pulumi.ResourceOptions(parent=self, aliases=was("function-s3-invoke")),
        )
        # S3 tests the destination when the notification is saved: permission first.
        notification = aws.s3.BucketNotification(
            f"{name}-notification",
            bucket=args.bucket,
            lambda_functions=[
                {
                    "lambda_function_arn": args.function_arn,
                    "events": ["s3:ObjectCreated:*"],
                    "filter_prefix": args.prefix,
                }
            ],
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[permission],
                aliases=was("function-uploads-notification"),
            ),
        )
        self.register_outputs({"notification_id": notification.id})
