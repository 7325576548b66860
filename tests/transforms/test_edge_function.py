"""The CloudFront Function, run under Node, against the same table as the app: both must give
every case the same answer. Also: what it does with other requests, and its size limit."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from prism_infra.cdn.function_code import MAX_CODE_BYTES, render
from tests.transforms.table import Case, cases, table
from tests.transforms.test_cases import answer

HARNESS = Path(__file__).with_name("run_cf_function.mjs")
CASES = cases()
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="needs Node (installed by .ci/run)")


def _render(config: str) -> str:
    c = table()["configs"][config]
    keys = [table()["signing_keys"][k] for k in c["keys"]]
    return render(
        max_size=c["max_size"], widths=c["widths"], widths_mode=c["widths_mode"], keys=keys
    )


def run_edge(tmp: Path, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    functions = {}
    for config in {r["config"] for r in requests}:
        path = tmp / f"{config}.js"
        path.write_text(_render(config), encoding="utf-8")
        functions[config] = str(path)
    stdin = json.dumps({"functions": functions, "requests": requests})
    done = subprocess.run(
        [NODE, str(HARNESS)], input=stdin, capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def request_of(case: Case, *, raw_helper: bool = True) -> dict[str, Any]:
    return {
        "config": case.config,
        "method": "GET",
        "uri": f"/images/{case.image_id}/transform",
        "query": case.query,
        "accept": case.accept,
        "accept_multi": case.accept_multi,
        "raw_helper": raw_helper,
    }


def in_table_terms(case: Case, out: dict[str, Any]) -> dict[str, Any]:
    """The edge's answer in cases.json's terms (the edge cannot know `output`: the image's
    alpha is the origin's business, so it is taken from the app for comparison)."""
    if out["kind"] == "response":
        return {"status": out["status"], "param": out["body"]["param"]}
    prefix = f"/{case.image_id}/t/"
    assert out["uri"].startswith(prefix)
    assert out["querystring"] == {}
    return {"status": 200, "form": out["uri"][len(prefix) :]}


@pytest.fixture(scope="module")
def edge_answers(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return run_edge(tmp_path_factory.mktemp("edge"), [request_of(c) for c in CASES])


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c.name for c in CASES])
def test_edge_and_app_agree(index: int, edge_answers: list[dict[str, Any]]) -> None:
    case = CASES[index]
    edge = in_table_terms(case, edge_answers[index])
    app = answer(case)
    expected = {k: v for k, v in case.expect.items() if k in ("status", "param", "form")}
    assert edge == expected
    assert edge == {k: v for k, v in app.items() if k in edge}


def test_refusals_are_problem_documents_like_the_apps(edge_answers: list[dict]) -> None:
    from prism.transforms.params import TransformError
    from prism.transforms.request import resolve
    from tests.transforms.table import keys_of, policy_of

    refused = [(c, a) for c, a in zip(CASES, edge_answers, strict=True) if a["kind"] == "response"]
    assert len(refused) > 50
    for case, out in refused:
        assert out["headers"]["content-type"] == {"value": "application/problem+json"}
        assert out["encoding"] == "text"
        body = out["body"]
        assert body["status"] == out["status"]
        assert body["instance"] == f"/images/{case.image_id}/transform"
        with pytest.raises(TransformError) as caught:
            resolve(
                case.image_id, case.query, case.accept, policy_of(case.config), keys_of(case.config)
            )
        assert body["detail"] == caught.value.detail, case.name


def test_without_the_raw_query_helper_plain_queries_still_work(tmp_path: Path) -> None:
    # The console's test events have no rawQueryString(); the function rebuilds the query.
    plain = [c for c in CASES if "%" not in c.query and c.config == "open"][:30]
    out = run_edge(tmp_path, [request_of(c, raw_helper=False) for c in plain])
    for case, got in zip(plain, out, strict=True):
        expected = {k: v for k, v in case.expect.items() if k in ("status", "param", "form")}
        assert in_table_terms(case, got) == expected, case.name


def test_other_requests_pass_through_untouched(tmp_path: Path) -> None:
    image_id = table()["image_id"]
    others = [
        ("GET", f"/images/{image_id}", "width=400"),
        ("GET", f"/images/{image_id}/variants/webp", ""),
        ("DELETE", f"/images/{image_id}/transform", "foo=1"),
        ("POST", f"/images/{image_id}/transform", "width=400"),
        ("GET", f"/images/{image_id}/transform/extra", "width=400"),
        ("GET", "/healthz", ""),
    ]
    requests = [
        {
            "config": "signed",
            "method": m,
            "uri": u,
            "query": q,
            "accept": None,
            "accept_multi": False,
            "raw_helper": True,
        }
        for m, u, q in others
    ]
    for (method, uri, query), out in zip(others, run_edge(tmp_path, requests), strict=True):
        assert out["kind"] == "request"
        assert (out["method"], out["uri"]) == (method, uri)
        assert set(out["querystring"]) == {p.split("=")[0] for p in query.split("&") if p}


def test_code_fits_cloudfront_limits_with_a_full_config() -> None:
    code = render(
        max_size=8192,
        widths=list(range(16, 4096, 128)),
        widths_mode="reject",
        keys=["k" * 64, "j" * 64],
    )
    assert len(code.encode()) <= MAX_CODE_BYTES
    # No network, no module but crypto: CloudFront Functions offer nothing else to import.
    assert [line for line in code.splitlines() if line.startswith("import ")] == [
        "import crypto from 'crypto';"
    ]
    for forbidden in ("fetch(", "require(", "XMLHttpRequest", "setTimeout", "process."):
        assert forbidden not in code


def test_render_refuses_bad_config() -> None:
    with pytest.raises(ValueError, match="widths"):
        render(widths=[640, 320])
    with pytest.raises(ValueError, match="widths_mode"):
        render(widths_mode="down")
    with pytest.raises(ValueError, match="empty"):
        render(keys=[""])
    with pytest.raises(ValueError, match="10 KB"):
        render(keys=["k" * 6000])
