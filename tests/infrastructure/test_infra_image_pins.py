"""Every image Dockerfile.lambda pulls is named by tag and digest, and none comes from Docker Hub.

CodeBuild builds from shared IP addresses, which Docker Hub rate-limits for anonymous pulls
(429): one Hub reference, including a `# syntax=` frontend, fails builds at random. A digest
makes the build-context hash name every byte the image starts from.
"""

from __future__ import annotations

import re

import pytest
from infra_mocks import REPO_ROOT

DOCKERFILE = REPO_ROOT / "Dockerfile.lambda"
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
#: Docker Hub's names for itself; a reference with no registry host also resolves there.
_HUB_HOSTS = {"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}


def _logical_lines(text: str) -> list[str]:
    joined = re.sub(r"\\\n", " ", text)
    return [ln.strip() for ln in joined.splitlines() if ln.strip()]


def image_references(text: str) -> list[tuple[str, str]]:
    """(where, reference) for every image the Dockerfile names, with ARG defaults expanded.

    Stage names (`FROM x AS deps` then `COPY --from=deps`) are not images and are skipped.
    """
    args: dict[str, str] = {}
    stages: set[str] = set()
    found: list[tuple[str, str]] = []
    for line in _logical_lines(text):
        directive = re.match(r"#\s*syntax\s*=\s*(\S+)", line, re.IGNORECASE)
        if directive:
            found.append(("syntax directive", directive.group(1)))
            continue
        if line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "ARG":
            name, _, default = rest.partition("=")
            args[name.strip()] = default.strip().strip('"')
            if re.search(r"[./:@]", default) and not default.strip().startswith("/"):
                found.append((f"ARG {name.strip()} default", default.strip().strip('"')))
        elif word == "FROM":
            parts = [p for p in rest.split() if not p.startswith("--")]
            ref = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), parts[0])
            if len(parts) >= 3 and parts[1].upper() == "AS":
                stages.add(parts[2])
            if ref not in stages:
                found.append(("FROM", ref))
        elif word in ("COPY", "ADD"):
            source = re.search(r"--from=(\S+)", rest)
            if source:
                ref = re.sub(
                    r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), source.group(1)
                )
                if ref not in stages and not ref.isdigit():
                    found.append((f"{word} --from", ref))
    return found


def registry(reference: str) -> str:
    """The registry host a reference pulls from (Docker's rule: a first path part with a
    '.' or ':' or equal to 'localhost' is a host; anything else is Docker Hub)."""
    first, sep, _ = reference.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def problems(reference: str) -> list[str]:
    found = []
    if registry(reference) in _HUB_HOSTS:
        found.append("resolves to Docker Hub")
    if not _DIGEST.search(reference):
        found.append("no sha256 pin")
    name = reference.split("@", 1)[0]
    if ":" not in name.rpartition("/")[2]:
        found.append("names no tag (a digest alone does not say what it is)")
    return found


# --- the checker itself ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("# syntax=docker/dockerfile:1\nFROM public.ecr.aws/x/y:1@sha256:" + "a" * 64, "Hub"),
        ("FROM python:3.12-slim", "Docker Hub"),
        ("ARG IMG=docker.io/library/python:3.12\nFROM ${IMG}", "Docker Hub"),
        ("FROM public.ecr.aws/docker/library/python:3.12-slim", "pin"),
        ("FROM public.ecr.aws/x/y@sha256:" + "b" * 64, "tag"),
        (f"FROM public.ecr.aws/x/y:1@sha256:{'c' * 64} AS b\nCOPY --from=ghcr.io/a/b:2 /x", "pin"),
    ],
)
def test_the_check_refuses_hub_and_unpinned_references(text: str, complaint: str) -> None:
    complaints = [p for _, ref in image_references(text) for p in problems(ref)]
    assert any(complaint in c for c in complaints), complaints


def test_the_check_accepts_pinned_references_and_stage_names() -> None:
    pinned = "public.ecr.aws/x/y:1.0@sha256:" + "d" * 64
    text = f"ARG IMG={pinned}\nFROM ${{IMG}} AS deps\nFROM {pinned}\nCOPY --from=deps /a /b"
    refs = image_references(text)
    assert [ref for _, ref in refs] == [pinned, pinned, pinned]
    assert not [p for _, ref in refs for p in problems(ref)]


# --- the real Dockerfile ------------------------------------------------------------------


def test_dockerfile_pulls_nothing_from_docker_hub_and_pins_every_image() -> None:
    refs = image_references(DOCKERFILE.read_text())
    bad = {f"{where}: {ref}": problems(ref) for where, ref in refs if problems(ref)}
    assert not bad
    # the three things the image is made of: Python, uv and the Lambda Web Adapter
    names = {ref.split("@")[0].rsplit(":", 1)[0] for _, ref in refs}
    assert names == {
        "public.ecr.aws/docker/library/python",
        "ghcr.io/astral-sh/uv",
        "public.ecr.aws/awsguru/aws-lambda-adapter",
    }


def test_dockerfile_has_no_frontend_directive() -> None:
    # `# syntax=` makes BuildKit pull a frontend image before every build; the built-in one
    # handles everything this Dockerfile uses.
    first_lines = DOCKERFILE.read_text().splitlines()[:5]
    assert not any(re.match(r"#\s*syntax\s*=", ln, re.IGNORECASE) for ln in first_lines)
