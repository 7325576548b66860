"""IAM and resource policy documents, built by pure functions from exact ARNs.

Every statement names the ARNs it applies to. The single `"*"` in this file is
`ecr:GetAuthorizationToken`, an action AWS does not let you scope to a resource (the token
alone grants nothing; pushes are still checked against the repository ARN below).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

Document = dict[str, Any]

ECR_PUSH_ACTIONS = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:CompleteLayerUpload",
    "ecr:DescribeImages",
    "ecr:GetDownloadUrlForLayer",
    "ecr:InitiateLayerUpload",
    "ecr:PutImage",
    "ecr:UploadLayerPart",
]
LOG_WRITE_ACTIONS = ["logs:CreateLogStream", "logs:PutLogEvents"]


def _doc(*statements: Document) -> Document:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def to_json(document: Document) -> str:
    return json.dumps(document, sort_keys=True)


def with_statements(document: Document, extra: Sequence[Document]) -> Document:
    """The document with more statements appended (S3 and IAM take one document each)."""
    return {**document, "Statement": [*document["Statement"], *extra]}


def assume_role_policy(service: str) -> Document:
    """Trust policy letting one AWS service (e.g. lambda.amazonaws.com) assume the role."""
    return _doc(
        {
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": "sts:AssumeRole",
        }
    )


def log_streams_arn(log_group_arn: str) -> str:
    """Log events are authorised on the group's streams: `<group arn>:*` (nothing wider)."""
    return log_group_arn.removesuffix(":*") + ":*"


def codebuild_policy(
    *, source_bucket_arn: str, source_prefix: str, repository_arn: str, log_group_arn: str
) -> Document:
    """CodeBuild may read the build context prefix, push to one repository, log to one group."""
    return _doc(
        {
            "Sid": "ReadBuildContext",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": [f"{source_bucket_arn}/{source_prefix}*"],
        },
        {
            "Sid": "LocateBuildContext",
            "Effect": "Allow",
            "Action": ["s3:GetBucketAcl", "s3:GetBucketLocation"],
            "Resource": [source_bucket_arn],
        },
        {
            "Sid": "PushImage",
            "Effect": "Allow",
            "Action": ECR_PUSH_ACTIONS,
            "Resource": [repository_arn],
        },
        {
            "Sid": "EcrLogin",
            "Effect": "Allow",
            "Action": ["ecr:GetAuthorizationToken"],
            "Resource": ["*"],
        },
        {
            "Sid": "WriteBuildLogs",
            "Effect": "Allow",
            "Action": LOG_WRITE_ACTIONS,
            "Resource": [log_streams_arn(log_group_arn)],
        },
    )


def function_policy(
    *,
    uploads_bucket_arn: str,
    uploads_prefix: str,
    processed_bucket_arn: str,
    rejected_bucket_arn: str,
    dead_letter_queue_arn: str,
    log_group_arn: str,
    api_keys_secret_arn: str | None = None,
    signing_secret_arn: str | None = None,
) -> Document:
    """The function's role: exactly the objects and queue it touches, and its own log group.

    Object actions follow the API: originals are read for processing, written by `POST /images`
    and by presigned upload POSTs (S3 checks the signer's, i.e. this role's, permission), and
    deleted by `DELETE /images/{id}` - only under the uploads prefix. Variants and manifests are
    read, written and deleted; rejection records (and the claims of `POST /images`,
    prism.service.claims) are written, read for `GET /images/{id}` and deleted with the image.
    ListBucket on each bucket makes a missing key read as 404 rather than 403 (the app tells
    "unknown" from "failed" by it; AWS S3 API reference, HeadObject/GetObject "Permissions").
    With a public URL the function also reads its API keys, and with signed transform URLs
    its signing keys, each from its one secret only (encrypted with the account's AWS-managed
    key, which needs no grant).
    """
    statements: list[Document] = [
        {
            "Sid": "Originals",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            "Resource": [f"{uploads_bucket_arn}/{uploads_prefix}*"],
        },
        {
            # No s3:prefix condition: the implicit ListBucket check S3 makes to answer a
            # HeadObject/GetObject for a missing key with 404 carries no prefix, so such a
            # condition would turn every missing original into a 403.
            "Sid": "ListOriginals",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [uploads_bucket_arn],
        },
        {
            "Sid": "Variants",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            "Resource": [f"{processed_bucket_arn}/*"],
        },
        {
            "Sid": "ListVariants",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [processed_bucket_arn],
        },
        {
            "Sid": "Rejections",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            "Resource": [f"{rejected_bucket_arn}/*"],
        },
        {
            "Sid": "ListRejections",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [rejected_bucket_arn],
        },
        {
            "Sid": "DeadLetters",
            "Effect": "Allow",
            "Action": ["sqs:SendMessage"],
            "Resource": [dead_letter_queue_arn],
        },
        {
            "Sid": "WriteLogs",
            "Effect": "Allow",
            "Action": LOG_WRITE_ACTIONS,
            "Resource": [log_streams_arn(log_group_arn)],
        },
    ]
    if api_keys_secret_arn:
        statements.append(read_secret("ReadApiKeys", api_keys_secret_arn))
    if signing_secret_arn:
        statements.append(read_secret("ReadSigningKeys", signing_secret_arn))
    return _doc(*statements)


def read_secret(sid: str, secret_arn: str) -> Document:
    """Reading one secret's value (its keys), and no other secret."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": ["secretsmanager:GetSecretValue"],
        "Resource": [secret_arn],
    }


def invoke_url_policy(function_arn: str) -> Document:
    """What a caller needs to call an AWS_IAM function URL, and nothing more.

    Since October 2025 a function URL call is authorised against both actions: the URL
    action, limited to IAM-authenticated URLs, and the plain invoke, limited to calls that
    arrive through a function URL (so this cannot invoke the function directly).
    """
    return _doc(
        {
            "Sid": "InvokeFunctionUrl",
            "Effect": "Allow",
            "Action": ["lambda:InvokeFunctionUrl"],
            "Resource": [function_arn],
            "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "AWS_IAM"}},
        },
        {
            "Sid": "InvokeThroughFunctionUrl",
            "Effect": "Allow",
            "Action": ["lambda:InvokeFunction"],
            "Resource": [function_arn],
            "Condition": {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}},
        },
    )


def tls_only_bucket_policy(bucket_arn: str) -> Document:
    """Deny every request that does not arrive over TLS."""
    return _doc(
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )


def ecr_lifecycle_policy(keep: int) -> Document:
    """Expire all but the newest `keep` images (tags are immutable content hashes)."""
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"keep the last {keep} images",
                "selection": {
                    "tagStatus": "any",
                    "countType": "imageCountMoreThan",
                    "countNumber": keep,
                },
                "action": {"type": "expire"},
            }
        ]
    }


def batch_operations_policy(
    *,
    function_arn: str,
    uploads_bucket_arn: str,
    uploads_prefix: str,
    reports_bucket_arn: str,
    reports_prefix: str,
) -> Document:
    """The role S3 Batch Operations assumes for `prism reprocess`: list the uploads bucket (the
    manifest generator's listing; how it pages is undocumented, so no prefix condition, and a
    listing reveals key names only), read originals under the prefix, invoke the one worker
    function, write reports under the reports prefix. The worker uses its own role for images.
    """
    return _doc(
        {
            "Sid": "ListUploads",
            "Effect": "Allow",
            "Action": ["s3:ListBucket"],
            "Resource": [uploads_bucket_arn],
        },
        {
            "Sid": "ReadUploads",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": [f"{uploads_bucket_arn}/{uploads_prefix}*"],
        },
        {
            "Sid": "InvokeWorker",
            "Effect": "Allow",
            "Action": ["lambda:InvokeFunction"],
            "Resource": [function_arn],
        },
        {
            "Sid": "WriteReports",
            "Effect": "Allow",
            "Action": ["s3:PutObject"],
            "Resource": [f"{reports_bucket_arn}/{reports_prefix}*"],
        },
        {
            "Sid": "LocateReports",
            "Effect": "Allow",
            "Action": ["s3:GetBucketLocation"],
            "Resource": [reports_bucket_arn],
        },
    )
