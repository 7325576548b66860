"""A new account and CloudFront (issue 21, item 6): CloudFront may refuse a new account's first
distribution until AWS verifies the account; preview says so whenever the CDN is on, and the
README's Troubleshooting gives the message, the fix and the workaround."""

from __future__ import annotations

import logging

import pytest
from infra_mocks import REPO_ROOT, run_stack

from prism_infra.cdn.declare import NEW_ACCOUNT_NOTE
from prism_infra.config import parse_config

#: What CloudFront answers (AccessDenied), as reported by pulumi-aws/terraform-provider-aws.
REFUSAL = "Your account must be verified before you can add new CloudFront resources"


def _notes(caplog: pytest.LogCaptureFixture, raw: dict[str, object]) -> list[str]:
    # Under mocks, pulumi.log.info goes to the root logger (pulumi.runtime.mocks.MockEngine).
    with caplog.at_level(logging.INFO):
        run_stack(parse_config(raw))
    return [r.getMessage() for r in caplog.records if REFUSAL in r.getMessage()]


def test_preview_notes_the_new_account_refusal_when_the_cdn_is_on(caplog) -> None:
    (note,) = _notes(caplog, {})
    assert note == NEW_ACCOUNT_NOTE
    assert "\n" not in note
    assert "AWS Support case" in note
    assert "prism:cdn false" in note


def test_no_note_without_the_cdn(caplog) -> None:
    assert _notes(caplog, {"cdn": False}) == []


def test_troubleshooting_gives_the_message_the_fix_and_the_workaround() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    start = readme.index("### Troubleshooting")
    section = readme[start : readme.index("<!-- /section:deploy -->", start)]
    (entry,) = [item for item in section.split("\n- ") if REFUSAL in item]
    assert "support case" in entry.lower()
    assert "pulumi config set prism:cdn false" in entry
