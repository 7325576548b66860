"""Storage on S3 through boto3.

The client uses botocore's `standard` retry mode (exponential backoff with jitter on throttling,
5xx and connection errors). What still fails after those retries becomes a StorageError;
`transient` tells the caller that trying again later may work, which on the events route
means failing the invocation so Lambda retries the S3 event.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from functools import cached_property
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from prism.core import deadline
from prism.storage.base import (
    Bucket,
    ListPage,
    ObjectInfo,
    StorageError,
    UploadForm,
    start_after,
)

S3Client = Any  # boto3 clients are generated at runtime; no static type to name

_MISSING = {"404", "NoSuchKey", "NotFound"}
# Error codes S3 documents as retryable, besides any 5xx.
_TRANSIENT = {
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "RequestTimeout",
    "RequestTimeTooSkewed",
    "InternalError",
    "ServiceUnavailable",
    "503",
    "500",
}


def default_client() -> S3Client:
    # boto3 and botocore.config load here, on first use: ~300 ms that start-up skips.
    import boto3
    from botocore.config import Config

    # Region and any endpoint override (AWS_ENDPOINT_URL_S3) come from the environment.
    # A call that hangs costs at most 4 x (2 s + 10 s) plus backoff, well inside the
    # function's timeout; within one request the invocation's deadline cuts it shorter
    # (S3Storage._timed). The read timeout is per socket read, so large bodies still stream.
    config = Config(
        retries={"mode": "standard", "total_max_attempts": 4},
        signature_version="s3v4",
        connect_timeout=2,
        read_timeout=10,
    )
    # Presigned URLs and forms must name the bucket's own Regional host,
    # <bucket>.s3.<region>.amazonaws.com: botocore otherwise presigns for the legacy global
    # host, which answers 400 for buckets in Regions launched after March 2019 and 307 for a
    # new bucket elsewhere (docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html).
    # "virtual" makes botocore skip that global host (boto/botocore#3081), "regional" does
    # the same for us-east-1.
    regional = config.merge(
        Config(s3={"addressing_style": "virtual", "us_east_1_regional_endpoint": "regional"})
    )
    client = boto3.client("s3", config=regional)
    # A configured endpoint (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL: moto, MinIO) wins as it
    # is, path-style: "virtual" would put the bucket in front of its host. botocore decides
    # which endpoint is configured; asking it for the endpoint with that ignored tells them apart.
    aws = boto3.client("s3", config=regional.merge(Config(ignore_configured_endpoint_urls=True)))
    if client.meta.endpoint_url == aws.meta.endpoint_url:
        return client
    return boto3.client("s3", config=config)


def _error(action: str, key: str, exc: Exception) -> StorageError:
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        transient = code in _TRANSIENT or status >= 500
        return StorageError(f"S3 {action} {key!r} failed: {code or status}", transient=transient)
    # BotoCoreError: connection refused/reset, timeouts, and the like.
    return StorageError(f"S3 {action} {key!r} failed: {type(exc).__name__}", transient=True)


def _read[T](action: str, key: str, call: Callable[[], T]) -> T | None:
    """Run one S3 read: None when the key is not there, a StorageError for any other failure."""
    try:
        return call()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in _MISSING:
            return None
        raise _error(action, key, exc) from exc
    except BotoCoreError as exc:
        raise _error(action, key, exc) from exc


class S3Storage:
    def __init__(self, names: Mapping[Bucket, str], client: S3Client | None = None) -> None:
        self._names = dict(names)
        self._given_client = client
        self._lock = threading.Lock()

    @cached_property
    def _pool(self) -> ThreadPoolExecutor:
        return ThreadPoolExecutor(max_workers=16, thread_name_prefix="prism-s3")

    def _timed[T](self, action: str, key: str, call: Callable[[], T]) -> T:
        """Run one S3 call within the request's remaining time (prism.core.deadline).

        botocore's timeouts are per attempt and fixed per client, so the call runs on a
        worker thread and is abandoned (answered as a transient failure) when the deadline
        comes; the worker ends on its own timeouts.
        """
        left = deadline.remaining()
        if left is None:
            return call()
        if left <= 0:
            raise StorageError(f"S3 {action} {key!r}: no time left in the request", transient=True)
        future = self._pool.submit(call)
        try:
            return future.result(timeout=left)
        except FutureTimeout:
            raise StorageError(
                f"S3 {action} {key!r} did not answer in the {left:.1f} s the request had left",
                transient=True,
            ) from None

    @cached_property
    def _client(self) -> S3Client:
        # Made on first use, not at start-up: creating a boto3 client takes a few hundred ms
        # that the adapter's readiness check (/healthz) should not wait for.
        with self._lock:  # boto3's default session is not safe to share while creating
            return self._given_client if self._given_client is not None else default_client()

    def bucket_name(self, bucket: Bucket) -> str:
        return self._names[bucket]

    def put(
        self,
        bucket: Bucket,
        key: str,
        data: bytes,
        content_type: str,
        *,
        cache_control: str | None = None,
    ) -> str:
        extra = {"CacheControl": cache_control} if cache_control else {}
        try:
            response = self._timed(
                "put",
                key,
                lambda: self._client.put_object(
                    Bucket=self._names[bucket],
                    Key=key,
                    Body=data,
                    ContentType=content_type,
                    **extra,
                ),
            )
        except (ClientError, BotoCoreError) as exc:
            raise _error("put", key, exc) from exc
        return response["ETag"].strip('"')

    def get(self, bucket: Bucket, key: str) -> bytes | None:
        name = self._names[bucket]
        # The body is read inside the call: a connection lost mid-read is a storage error too.
        return _read(
            "get",
            key,
            lambda: self._timed(
                "get", key, lambda: self._client.get_object(Bucket=name, Key=key)["Body"].read()
            ),
        )

    def head(self, bucket: Bucket, key: str) -> ObjectInfo | None:
        name = self._names[bucket]
        response = _read(
            "head",
            key,
            lambda: self._timed(
                "head", key, lambda: self._client.head_object(Bucket=name, Key=key)
            ),
        )
        if response is None:
            return None
        return ObjectInfo(size=response["ContentLength"], etag=response["ETag"].strip('"'))

    def delete(self, bucket: Bucket, keys: Iterable[str]) -> None:
        pending = list(keys)
        while pending:
            batch, pending = pending[:1000], pending[1000:]  # DeleteObjects takes up to 1000
            try:
                response = self._timed(
                    "delete",
                    batch[0],
                    lambda batch=batch: self._client.delete_objects(
                        Bucket=self._names[bucket],
                        Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True},
                    ),
                )
            except (ClientError, BotoCoreError) as exc:
                raise _error("delete", batch[0], exc) from exc
            errors = response.get("Errors") or []
            if errors:
                first = errors[0]
                raise StorageError(
                    f"S3 delete {first.get('Key')!r} failed: {first.get('Code')}",
                    transient=first.get("Code") in _TRANSIENT,
                )

    def list_keys(self, bucket: Bucket, prefix: str) -> list[str]:
        def every_page() -> list[str]:
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self._names[bucket], Prefix=prefix
            )
            return [item["Key"] for page in pages for item in page.get("Contents", [])]

        try:
            keys = self._timed("list", prefix, every_page)
        except (ClientError, BotoCoreError) as exc:
            raise _error("list", prefix, exc) from exc
        return sorted(keys)

    def list_page(
        self,
        bucket: Bucket,
        prefix: str,
        cursor: str | None,
        limit: int,
        *,
        delimiter: str | None = None,
    ) -> ListPage:
        # StartAfter rather than ContinuationToken: a cursor is then a key, the same on both
        # implementations, checkable, and valid across processes and deploys.
        request: dict[str, Any] = {"Bucket": self._names[bucket], "Prefix": prefix}
        request["MaxKeys"] = limit  # rolled-up prefixes count as one each
        if delimiter:
            request["Delimiter"] = delimiter
        if cursor:
            request["StartAfter"] = start_after(cursor, delimiter)
        try:
            response = self._timed("list", prefix, lambda: self._client.list_objects_v2(**request))
        except (ClientError, BotoCoreError) as exc:
            raise _error("list", prefix, exc) from exc
        keys = [item["Key"] for item in response.get("Contents", [])]
        prefixes = [item["Prefix"] for item in response.get("CommonPrefixes", [])]
        last = max(keys + prefixes, default=None)  # str order is UTF-8 byte order, as S3's
        return ListPage(keys, prefixes, last if response.get("IsTruncated") else None)

    def download_url(
        self, bucket: Bucket, key: str, ttl: int, content_type: str | None
    ) -> str | None:
        # Signing is local computation: no request is made here.
        params = {"Bucket": self._names[bucket], "Key": key}
        if content_type:
            params["ResponseContentType"] = content_type
        return self._client.generate_presigned_url("get_object", Params=params, ExpiresIn=ttl)

    def upload_form(self, key: str, ttl: int, max_bytes: int) -> UploadForm:
        post = self._client.generate_presigned_post(
            Bucket=self._names["uploads"],
            Key=key,
            Conditions=[
                ["content-length-range", 1, max_bytes],
                ["starts-with", "$Content-Type", "image/"],
            ],
            ExpiresIn=ttl,
        )
        return UploadForm(url=post["url"], fields=dict(post["fields"]))
