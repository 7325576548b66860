"""The shared table of transform requests (cases.json), read for both the app and the edge."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from prism.transforms.params import Policy
from prism.transforms.signing import signature

CASES = Path(__file__).with_name("cases.json")
_SIG = re.compile(r"\{sig:([a-z]+):([^:}]*)(?::([0-9a-f]{32}))?\}")


@dataclass(frozen=True)
class Case:
    name: str
    config: str
    image_id: str
    query: str
    accept: str | None
    #: Sent as separate Accept headers, split at the first comma.
    accept_multi: bool
    has_alpha: bool
    source: str
    expect: dict[str, Any]


@cache
def table() -> dict[str, Any]:
    return json.loads(CASES.read_text(encoding="utf-8"))


def keys_of(config: str) -> list[str]:
    return [table()["signing_keys"][name] for name in table()["configs"][config]["keys"]]


def policy_of(config: str) -> Policy:
    c = table()["configs"][config]
    return Policy(max_size=c["max_size"], widths=tuple(c["widths"]), widths_mode=c["widths_mode"])


def _expand(query: str, image_id: str) -> str:
    """Replace {sig:KEY:FORM[:ID]} by the signature the named key makes of FORM."""

    def sig(m: re.Match[str]) -> str:
        return signature(table()["signing_keys"][m[1]], m[3] or image_id, m[2])

    return _SIG.sub(sig, query)


def cases() -> list[Case]:
    t = table()
    out = []
    for raw in t["cases"]:
        image_id = raw.get("id", t["image_id"])
        accept_name = raw.get("accept")
        out.append(
            Case(
                name=raw["name"],
                config=raw.get("config", "open"),
                image_id=image_id,
                query=_expand(raw["query"], t["image_id"]),
                accept=None if accept_name is None else t["accept_headers"][accept_name],
                accept_multi=accept_name == "two_headers",
                has_alpha=raw.get("has_alpha", False),
                source=raw.get("source", "jpeg"),
                expect=raw["expect"],
            )
        )
    return out
