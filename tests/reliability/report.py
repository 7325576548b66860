"""Render the figures the reliability tests wrote (.results/*.json) into docs/reliability.md,
between its `<!-- figures:start -->` and `<!-- figures:end -->` markers.

    uv run python -m tests.reliability.report          # rewrite the figures section
    uv run python -m tests.reliability.report --print  # just print it
"""

from __future__ import annotations

import json
import sys
from typing import Any

from tests.reliability.paths import REPO, RESULTS

DOC = REPO / "docs" / "reliability.md"
START, END = "<!-- figures:start -->", "<!-- figures:end -->"


def load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def counts(mapping: dict[str, int]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(mapping.items())) or "-"


def corpus() -> str:
    rows = []
    stamps = []
    for mode, path_name in (("http", "POST /images"), ("event", "S3 event (moto S3)")):
        found = load(f"corpus-{mode}") or load(f"corpus-{mode}-partial")
        if not found:
            continue
        stamps.append(f"{path_name}: {found.get('selection', 'all files')}, {found['measured_at']}")
        for folder, f in found["folders"].items():
            rows.append(
                [
                    path_name,
                    folder,
                    f["cases"],
                    counts(f["outcomes"]),
                    counts(f["statuses"]),
                    counts(f["reasons"]),
                    f["max_seconds"],
                    f["max_peak_rss_mb"],
                    len(f["failed"]),
                ]
            )
    header = ["path", "folder", "cases", "outcomes", "HTTP statuses", "reasons"]
    header += ["slowest case (s)", "peak RSS (MB)", "failed"]
    return table(header, rows) + "\n\n" + "; ".join(stamps)


def memory() -> str:
    found = load("memory")
    if not found:
        return "(not measured yet)"
    runs = table(
        ["image", "pixels", "file bytes", "RSS before (MB)", "peak RSS (MB)", "bytes/pixel"],
        [
            [
                r["image"],
                f"{r['pixels']:,}",
                f"{r['bytes']:,}",
                r["rss_before_mb"],
                r["peak_rss_mb"],
                r["bytes_per_pixel"],
            ]
            for r in found["runs"]
        ],
    )
    rgba = load("memory-rgba-at-limit")
    rgba_table = (rgba or {}).get("largest_pixels_rgba_png", {})
    sizes = sorted(found["largest_pixels_rgb_jpeg"], key=int)

    def rgba_mp(size: str) -> Any:
        return round(rgba_table[size] / 1e6, 1) if size in rgba_table else "(run -m slow)"

    largest = table(
        ["Lambda memory (MB)", "largest RGB photo (MP)", "largest RGBA PNG (MP)"],
        [
            [size, round(found["largest_pixels_rgb_jpeg"][size] / 1e6, 1), rgba_mp(size)]
            for size in sizes
        ],
    )
    text = (
        f"Measured at {found['default_memory_mb']} MB, the stack's default Lambda memory "
        f"when measured; pixel limit "
        f"{found['max_pixels']:,}. Headroom left by the photo just under the limit: "
        f"{found['headroom_at_limit']:.0%} (required: {found['headroom']:.0%}). "
        f"Measured {found['measured_at']}.\n\n{runs}\n\nLargest image per memory size with "
        f"{found['headroom']:.0%} headroom, from the measured bytes/pixel and base RSS:\n\n"
        f"{largest}"
    )
    if rgba:
        run = rgba["run"]
        text += (
            f"\n\nRGBA PNG just under the limit ({run['pixels']:,} px, `slow` test): peak "
            f"{run['peak_rss_mb']} MB = {run['peak_rss_mb'] / rgba['default_memory_mb']:.0%} "
            f"of {rgba['default_memory_mb']} MB ({run['bytes_per_pixel']} bytes/pixel). "
            f"Measured {rgba['measured_at']}."
        )
    return text


def simple() -> str:
    parts = []
    hostile = load("hostile-input")
    if hostile:
        parts.append(
            f"- Hostile uploads: {hostile['cases']} requests; statuses "
            f"{counts(hostile['statuses'])}; slowest {hostile['max_seconds']} s; largest "
            f"memory growth {hostile['max_rss_growth_mb']} MB ({hostile['measured_at']})."
        )
    traversal = load("traversal")
    if traversal:
        parts.append(
            f"- Traversal: {traversal['requests']} raw requests; statuses "
            f"{counts(traversal['statuses'])}; plus {traversal['event_keys']} hostile upload "
            f"keys through S3 events, all kept inside their buckets ({traversal['measured_at']})."
        )
    fuzz = load("fuzz-decode")
    if fuzz:
        parts.append(
            f"- Decode fuzzing: {fuzz['examples']} mutated inputs from {fuzz['seeds']} seeds; "
            f"{fuzz['processed']} processed, rejected {counts(fuzz['rejected'])}; other "
            f"exceptions: 0; slowest {fuzz['max_seconds']} s ({fuzz['measured_at']})."
        )
    live = load("schemathesis-live")
    if live:
        parts.append(
            f"- schemathesis on a live `prism serve`: {live['requests']} requests "
            f"({live['examples_per_operation']} per operation and mode), 5xx: "
            f"{live['server_errors']}; {counts(live['by_operation_and_status'])} "
            f"({live['measured_at']})."
        )
    return "\n".join(parts)


def load_section() -> str:
    found = load("load")
    if not found:
        return "(not measured yet)"
    latency = table(
        ["operation", "requests", "p50 (ms)", "p99 (ms)"],
        [[op, v["count"], v["p50_ms"], v["p99_ms"]] for op, v in found["latency"].items()],
    )
    return (
        f"{found['requests']} requests from {found['clients']} clients in {found['seconds']} s "
        f"= {found['requests_per_second']} requests/s; errors: {found['errors']}; open fds "
        f"{found['fds_before']} before, {found['fds_after']} after; temp files "
        f"{found['temp_files_before']} -> {found['temp_files_after']} (data dir), "
        f"{found['tmpdir_files_before']} -> {found['tmpdir_files_after']} (TMPDIR); RSS mean "
        f"{found['rss_first_quarter_mb']} MB in the first quarter, "
        f"{found['rss_last_quarter_mb']} MB in the last (max {found['rss_max_mb']}). "
        f"Measured {found['measured_at']} on {found['cpus']} shared cores.\n\n{latency}"
    )


def faults() -> str:
    found = load("faults")
    if not found:
        return "(not measured yet)"
    rows = [
        ["transient", t["fault"], f"{t['injected']} injected", t["outcome"]]
        for t in found.get("transient", [])
    ]
    rows += [
        ["persistent", p["fault"], f"{p['attempts']} attempts", f"/events -> {p['status']}"]
        for p in found.get("persistent", [])
    ]
    dlq = found.get("dead_letter")
    if dlq:
        rows.append(
            [
                "persistent + Lambda retries",
                "slowdown",
                f"invocations {dlq['attempts']}",
                f"{dlq['dead_lettered']} in DLQ, original kept, redrive {dlq['redrive']}",
            ]
        )
    return (
        table(["fault", "kind", "tries", "ended"], rows) + f"\n\nMeasured {found['measured_at']}."
    )


def crash_and_order() -> str:
    parts = []
    crash = load("crash")
    if crash:
        rows = [[c["kill"], c.get("temp_files_left", "-"), c["rerun"]] for c in crash["cases"]]
        parts.append(table(["killed", "temp files left", "re-run"], rows))
    order = load("event-order")
    if order:
        parts.append("Event order: " + "; ".join(c["case"] for c in order["cases"]) + ": all ok.")
    return "\n\n".join(parts)


def round_two() -> str:
    """Issue 17's findings after their fixes, beside what the attack measured before."""
    rows = []
    race = load("delete_race")
    if race:
        rows.append(
            [
                "DELETE racing the processing of the same image",
                f"{counts(race['interleavings'])} interleavings: image gone, nothing left",
                "3 of 26 runs left a manifest on missing variants",
            ]
        )
    frames = load("frame_cap")
    if frames:
        times = " / ".join(f"{frames[n]['seconds']:.2f}" for n in ("35000", "70000", "175000"))
        rows.append(
            ["TIFF with 35k / 70k / 175k IFDs", f"{times} s, too_large", "6.9 / 25 / 149 s"]
        )
        rows.append(
            [
                f"TIFF at the cap ({frames['at_cap']['frames']} frames)",
                f"{frames['at_cap']['seconds']:.2f} s, processed",
                "-",
            ]
        )
    for name, label in (("bounded_serve_6mp", "6 MP"), ("bounded_serve_50mp", "50 MP")):
        found = load(name)
        if found:
            peak = found.get("eight_concurrent_peak_rss_mb")
            rows.append(
                [
                    f"8 concurrent {label} uploads (PRISM_MEMORY_MB={found['memory_mb']})",
                    f"+{found['eight_concurrent_mb']} MB peak RSS (one alone +{found['single_mb']}"
                    f" MB){f', {peak} MB in all' if peak else ''}; {counts(_tally(found))}",
                    "3.97 GB RSS for 50 MP" if label == "50 MP" else "+1114 MB (failing-first run)",
                ]
            )
    slow = load("slow_clients")
    if slow:
        rows.append(
            [
                f"{slow['sockets']} slow clients, 256-fd limit",
                f"all closed, /healthz answered, {slow['log_lines']} log lines",
                "/healthz timed out; 245,602 traceback lines in 10 s",
            ]
        )
    if not rows:
        return ""
    stamp = ", ".join(
        f"{n} {d['measured_at']}"
        for n in ("delete_race", "frame_cap", "bounded_serve_50mp")
        if (d := load(n))
    )
    return table(["case", "after the fix", "before"], rows) + f"\n\nMeasured: {stamp}."


def round_three() -> str:
    """Issue 22's transform herd and flood (test_transform_flood.py, slow) after the fix,
    beside what the attack measured before (on its own images, not this 24 MP PNG)."""
    rows = []
    herd = load("transform_herd")
    if herd:
        rows.append(
            [
                f"{herd['requests']} identical first requests, {herd['pixels'] / 1e6:.0f} MP "
                "RGBA PNG",
                f"{herd['renders']} render; peak RSS {herd['peak_rss_mb']} MB (before "
                f"{herd['rss_before_mb']} MB, idle after {herd['idle_rss_mb']} MB); "
                f"{counts(_tally(herd))}",
                "about 21 renders, 25 CPU-s, 2.4 GB peak; 5.1 GB held when idle",
            ]
        )
    flood = load("transform_flood")
    if flood:
        rows.append(
            [
                f"manifest read during {flood['transforms']} distinct transforms "
                f"({flood['pixels'] / 1e6:.0f} MP)",
                f"p50 {flood['manifest_p50_ms']} ms, max {flood['manifest_max_ms']} ms over "
                f"{flood['manifest_reads']} reads; peak RSS {flood['peak_rss_mb']} MB; "
                f"{counts(_tally(flood))}",
                "12.4 s; 6.3 GB for 30 distinct 50 MP renders",
            ]
        )
    if not rows:
        return ""
    stamp = ", ".join(
        f"{n} {d['measured_at']}" for n in ("transform_herd", "transform_flood") if (d := load(n))
    )
    note = (
        "The before column is the attack's (issue 22), on its own images. One render at a "
        "time fits the default 2048 MB for this image; the flood's 503s waited 10 s (a render "
        "slot, then memory) and carry `Retry-After`."
    )
    return table(["case", "after the fix", "before"], rows) + f"\n\n{note} Measured: {stamp}."


def _tally(found: dict[str, Any]) -> dict[str, int]:
    statuses = found.get("statuses", [])
    return {str(s): statuses.count(s) for s in sorted(set(statuses))}


def render() -> str:
    return "\n\n".join(
        [
            START,
            "### Corpus\n\n" + corpus(),
            "### Memory\n\n" + memory(),
            "### Hostile input, traversal, fuzzing\n\n" + simple(),
            "### Load\n\n" + load_section(),
            "### Storage faults\n\n" + faults(),
            "### Crashes and event order\n\n" + crash_and_order(),
            "### Round 2: deletes, poison events, frames, bounded serve\n\n" + round_two(),
            "### Third round: transforms under a herd and a flood\n\n" + round_three(),
            END,
        ]
    )


def main(argv: list[str]) -> int:
    figures = render()
    if "--print" in argv:
        print(figures)
        return 0
    doc = DOC.read_text()
    before, _, rest = doc.partition(START)
    _, _, after = rest.partition(END)
    DOC.write_text(before + figures + after)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
