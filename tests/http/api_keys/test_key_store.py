"""API keys: the secret's format, constant-time matching, one read per process, and the
Secrets Manager loader against moto's server."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from api_keys_support import KEYS

from prism.http.api_keys import (
    ApiKeyError,
    KeyStore,
    decode_keys,
    encode_keys,
    secrets_manager_loader,
)


def test_secret_text_round_trips() -> None:
    assert decode_keys(encode_keys(KEYS)) == KEYS


@pytest.mark.parametrize(
    "text",
    [
        "not json " + KEYS[0],
        '["' + KEYS[0] + '"]',
        '{"keys": []}',
        '{"keys": ["' + KEYS[0] + '", ""]}',
        '{"keys": "' + KEYS[0] + '"}',
        '{"other": ["' + KEYS[0] + '"]}',
    ],
)
def test_malformed_secret_is_refused_without_repeating_it(text: str) -> None:
    with pytest.raises(ApiKeyError) as error:
        decode_keys(text)
    assert KEYS[0] not in str(error.value)


def _store(keys: tuple[str, ...] = KEYS) -> tuple[KeyStore, list[int]]:
    loads: list[int] = []

    def load() -> tuple[str, ...]:
        loads.append(1)
        return keys

    return KeyStore(load), loads


def test_any_configured_key_is_accepted() -> None:
    store, _ = _store()
    assert all(store.accepts(key) for key in KEYS)


@pytest.mark.parametrize(
    "candidate",
    [None, "", KEYS[0][:-1], KEYS[0] + "x", KEYS[0].upper(), " " + KEYS[0], KEYS[0] + KEYS[1]],
)
def test_anything_else_is_refused(candidate: str | None) -> None:
    store, _ = _store()
    assert store.accepts(candidate) is False


def test_only_digests_are_kept() -> None:
    store, _ = _store()
    store.accepts(KEYS[0])
    held = repr(vars(store))
    assert all(key not in held for key in KEYS)
    assert all(len(d) == 32 for d in store.digests())


def test_keys_are_loaded_once_even_under_concurrent_first_requests() -> None:
    store, loads = _store()
    barrier = threading.Barrier(8)

    def first_request() -> None:
        barrier.wait()
        assert store.accepts(KEYS[1])

    threads = [threading.Thread(target=first_request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for _ in range(20):
        store.accepts("wrong-key-0123456789abcdef")
    assert loads == [1]


def test_a_failed_load_is_not_cached() -> None:
    attempts: list[int] = []

    def flaky() -> tuple[str, ...]:
        attempts.append(1)
        if len(attempts) == 1:
            raise ApiKeyError("cannot read the API keys secret: ThrottlingException")
        return KEYS

    now = [100.0]
    store = KeyStore(flaky, clock=lambda: now[0])
    with pytest.raises(ApiKeyError):
        store.accepts(KEYS[0])
    # Within the backoff the failure is answered again without another read...
    with pytest.raises(ApiKeyError) as again:
        store.accepts(KEYS[0])
    assert again.value.retry_after == 1
    assert len(attempts) == 1
    # ...and after it the secret is read again, and this time it works.
    now[0] += 1.0
    assert store.accepts(KEYS[0])
    assert len(attempts) == 2


# --- Secrets Manager (moto server) ----------------------------------------------------------


def test_loader_reads_the_keys_from_secrets_manager(
    make_secret: Callable[..., dict[str, str]], secret_reads: list[dict[str, Any]]
) -> None:
    secret = make_secret()
    assert secrets_manager_loader(secret["arn"])() == KEYS
    assert secret_reads == [{"SecretId": secret["arn"]}]


def test_loader_reads_exactly_the_deployed_version(
    make_secret: Callable[..., dict[str, str]], secret_reads: list[dict[str, Any]]
) -> None:
    import boto3

    secret = make_secret()
    client = boto3.client("secretsmanager")
    client.put_secret_value(
        SecretId=secret["arn"], SecretString=encode_keys(["newer-key-0123456789"])
    )
    pinned = secrets_manager_loader(secret["arn"], secret["version"])
    assert pinned() == KEYS
    assert secret_reads[-1] == {"SecretId": secret["arn"], "VersionId": secret["version"]}
    assert secrets_manager_loader(secret["arn"])() == ("newer-key-0123456789",)


def test_unreadable_secret_is_an_error_naming_only_the_cause(aws: None) -> None:
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prism-missing-AbCdEf"
    with pytest.raises(ApiKeyError, match="cannot read the API keys secret: ResourceNotFound"):
        secrets_manager_loader(arn)()


def test_malformed_secret_in_secrets_manager_is_an_error(
    make_secret: Callable[..., dict[str, str]],
) -> None:
    secret = make_secret(text="plain " + KEYS[0])
    with pytest.raises(ApiKeyError) as error:
        secrets_manager_loader(secret["arn"])()
    assert KEYS[0] not in str(error.value)
