"""Resource names from `<project>-<stack>`, shortened (never just cut) to what each service takes.

Pulumi allows stack names of up to 100 characters; S3 takes a `bucket_prefix` of at most 37, so
a long name keeps its start (still readable) and ends in a hash of the whole, so two long
stack names that share a start never share a bucket or function name.
"""

from __future__ import annotations

import hashlib
import re

#: Longest stem: leaves room for the longest suffix (`-dead-letters`) within Lambda's 64 and
#: SQS's 80 characters.
BASE_NAME_MAX = 40
#: S3's limit on `bucket_prefix` (it appends 26 characters of its own).
BUCKET_PREFIX_MAX = 37
_HASH_LENGTH = 6


def fit(name: str, limit: int) -> str:
    """`name` if it fits, else its start, '-' and a 6-character hash of all of it."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:_HASH_LENGTH]
    return f"{name[: limit - _HASH_LENGTH - 1].rstrip('-')}-{digest}"


def base_name(project: str, stack: str) -> str:
    """Name stem valid for every service it lands in (S3 and ECR want lowercase, no '_' or '.')."""
    stem = re.sub(r"[^a-z0-9-]+", "-", f"{project}-{stack}".lower()).strip("-")
    return fit(stem, BASE_NAME_MAX)


def bucket_prefix(name: str, purpose: str) -> str:
    """`<name>-<purpose>-`, within S3's bucket_prefix limit."""
    suffix = f"-{purpose}-"
    return fit(name, BUCKET_PREFIX_MAX - len(suffix)) + suffix
