"""Turn benchmark samples into Markdown: per-image table, size-class summary, targets, cost."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from coldstart import FLOOR, ColdStart

MB = 2**20
VARIANT_NAMES = ("jpeg85", "jpeg60", "webp", "png", "thumb")
SSIM_NAMES = ("jpeg85", "jpeg60", "thumb")
# Issue 7's targets are set on real 8-22 MP camera JPEGs.
TARGET_MIN_MP = 8.0
TARGET_FORMATS = ("JPEG", "MPO")
SPEEDUP_TARGET = 3.0
COLD_START_TARGET_MS = 300.0
# arm64 Lambda prices (us-east-1) and the CPU share Lambda gives per MB of memory.
PRICE_GB_S = 0.0000133334
PRICE_PER_REQUEST = 0.20 / 1_000_000
MB_PER_VCPU = 1769
MAX_VCPU = 6


@dataclass
class Sample:
    """One (image, contender, run) job. Times in seconds, memory in bytes."""

    contender: str
    image: str
    run: int
    job_wall: float | None = None
    job_cpu: float | None = None
    proc_wall: float | None = None
    proc_cpu: float | None = None
    peak_rss: int | None = None
    rss_after_imports: int | None = None
    # name -> [bytes, width, height, file]
    variants: dict[str, list] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class ImageInfo:
    path: str
    name: str
    format: str
    width: int
    height: int

    @property
    def megapixels(self) -> float:
        return self.width * self.height / 1e6

    @property
    def size_class(self) -> str:
        # Rounded as displayed: a 3264x2448 phone photo (7.99 MP) is an "8 MP" camera.
        if round(self.megapixels, 1) >= TARGET_MIN_MP:
            return f">= {TARGET_MIN_MP:g} MP"
        return "1-8 MP" if self.megapixels >= 1 else "< 1 MP"

    @property
    def in_target_class(self) -> bool:
        return self.format in TARGET_FORMATS and round(self.megapixels, 1) >= TARGET_MIN_MP


@dataclass(frozen=True)
class Context:
    date: str
    machine: str
    code: str
    load: str
    runs: int
    contenders: list[str]
    skipped: dict[str, str]
    sharp_version: str | None
    lambda_memory_mb: int


@dataclass(frozen=True)
class Cell:
    """Medians over the successful runs of one (image, contender)."""

    wall: float
    wall_min: float
    wall_max: float
    cpu: float
    peak_rss: float
    rss_after_imports: float
    bytes: dict[str, int]
    runs: int
    deterministic: bool

    @property
    def total_bytes(self) -> int:
        return sum(self.bytes.values())


def summarise(samples: Iterable[Sample]) -> tuple[dict[tuple[str, str], Cell], dict]:
    """Medians per (image, contender), and the last error of each pair that never succeeded."""
    groups: dict[tuple[str, str], list[Sample]] = {}
    errors: dict[tuple[str, str], str] = {}
    for sample in samples:
        key = (sample.image, sample.contender)
        if sample.error:
            errors[key] = sample.error
        else:
            groups.setdefault(key, []).append(sample)
    cells = {}
    for key, good in groups.items():
        walls = [s.job_wall for s in good]
        sizes = [{name: v[0] for name, v in s.variants.items()} for s in good]
        cells[key] = Cell(
            wall=statistics.median(walls),
            wall_min=min(walls),
            wall_max=max(walls),
            cpu=statistics.median(s.job_cpu for s in good),
            peak_rss=statistics.median(s.peak_rss for s in good),
            rss_after_imports=statistics.median(s.rss_after_imports for s in good),
            bytes=sizes[0],
            runs=len(good),
            deterministic=all(size == sizes[0] for size in sizes),
        )
    return cells, {k: v for k, v in errors.items() if k not in cells}


def _ratio(a: float | None, b: float | None, digits: int = 2) -> str:
    return "n/a" if not a or not b else f"{a / b:.{digits}f}x"


def _kb(n: int | None) -> str:
    return "-" if n is None else f"{n / 1024:,.0f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render(
    context: Context,
    infos: list[ImageInfo],
    samples: list[Sample],
    scores: dict[tuple[str, str], dict[str, float]],
    cold: list[ColdStart],
) -> str:
    cells, errors = summarise(samples)
    contenders = context.contenders
    out: list[str] = [
        f"## Benchmark: default variants, {context.date}",
        "",
        f"Machine: {context.machine}; {context.load}. Prism at {context.code}. "
        f"{context.runs} run(s) per image and contender, one image per fresh process, "
        "interleaved; medians. Wall and CPU (user + sys): the job only, in the child (after "
        "imports, until every variant's bytes exist); peak RSS: the whole child's maxrss.",
    ]
    if context.sharp_version:
        out.append(
            f"sharp {context.sharp_version} with its default settings (npm prebuilt libvips)."
        )
    for name, why in context.skipped.items():
        out.append(f"Skipped {name}: {why}.")
    out.append("")

    out += ["### Per image", ""]
    out += _per_image(infos, contenders, cells, errors, scores)
    out += ["", "### Ratios per image (Prism vs the others; > 1x means Prism is better)", ""]
    out += _ratios(infos, contenders, cells)
    out += ["", "### Summary by size class (images every contender processed)", ""]
    out += _summary(infos, contenders, cells, scores)
    out += ["", "### Targets (issue 7)", ""]
    out += _targets(infos, contenders, cells, scores, cold)
    out += ["", "### Peak memory", ""]
    out += _memory(infos, contenders, cells)
    out += ["", "### Noise", ""]
    out += _noise(contenders, cells, samples)
    out += ["", "### Cold start (fresh interpreter: import app, create it, first /healthz)", ""]
    out += _cold(cold)
    out += ["", f"### Cost estimate: arm64 Lambda at {context.lambda_memory_mb} MB", ""]
    out += _cost(infos, contenders, cells, context.lambda_memory_mb)
    return "\n".join(out) + "\n"


def _per_image(infos, contenders, cells, errors, scores) -> list[str]:
    header = ["image", "MP", "contender", "wall s (min-max)", "CPU s", "peak RSS MB", "total KB"]
    header += [f"{v} KB" for v in VARIANT_NAMES] + ["SSIM " + " / ".join(SSIM_NAMES)]
    rows = []
    for info in infos:
        for contender in contenders:
            cell = cells.get((info.path, contender))
            first = [info.name, f"{info.megapixels:.1f}", contender]
            if cell is None:
                why = errors.get((info.path, contender), "no result")
                why = " ".join(why.replace("|", "/").split())  # one table cell, one line
                rows.append(first + [f"n/a: {why[:80]}"] + [""] * (len(header) - 4))
                continue
            score = scores.get((info.path, contender), {})
            ssim = " / ".join(f"{score[n]:.4f}" if n in score else "-" for n in SSIM_NAMES)
            rows.append(
                first
                + [
                    f"{cell.wall:.2f} ({cell.wall_min:.2f}-{cell.wall_max:.2f})",
                    f"{cell.cpu:.2f}",
                    f"{cell.peak_rss / MB:.0f}",
                    _kb(cell.total_bytes) + ("" if cell.deterministic else " (varies)"),
                ]
                + [_kb(cell.bytes.get(v)) for v in VARIANT_NAMES]
                + [ssim]
            )
    return _table(header, rows)


def _ratios(infos, contenders, cells) -> list[str]:
    others = [c for c in contenders if c != "prism"]
    if "prism" not in contenders or not others:
        return ["(needs Prism and at least one other contender)"]
    header = ["image", "MP"]
    for other in others:
        header += [f"speed vs {other}", f"CPU vs {other}", f"RSS vs {other}", f"bytes vs {other}"]
    rows = []
    for info in infos:
        mine = cells.get((info.path, "prism"))
        row = [info.name, f"{info.megapixels:.1f}"]
        for other in others:
            theirs = cells.get((info.path, other))
            if mine is None or theirs is None:
                row += ["n/a"] * 4
                continue
            row += [
                _ratio(theirs.wall, mine.wall),
                _ratio(theirs.cpu, mine.cpu),
                _ratio(theirs.peak_rss, mine.peak_rss),
                _ratio(theirs.total_bytes, mine.total_bytes, 3),
            ]
        rows.append(row)
    return _table(header, rows)


def _complete(infos, contenders, cells) -> list[ImageInfo]:
    return [i for i in infos if all((i.path, c) in cells for c in contenders)]


def _totals(images, contender, cells, scores) -> dict[str, float]:
    chosen = [cells[(i.path, contender)] for i in images]
    totals = {
        "wall": sum(c.wall for c in chosen),
        "cpu": sum(c.cpu for c in chosen),
        "rss": max((c.peak_rss for c in chosen), default=0.0),
        "bytes": sum(c.total_bytes for c in chosen),
    }
    for name in SSIM_NAMES:
        values = [scores.get((i.path, contender), {}).get(name) for i in images]
        values = [v for v in values if v is not None]
        totals[f"ssim_{name}"] = statistics.fmean(values) if values else float("nan")
    return totals


def _summary(infos, contenders, cells, scores) -> list[str]:
    complete = _complete(infos, contenders, cells)
    classes: dict[str, list[ImageInfo]] = {}
    for info in complete:
        classes.setdefault(info.size_class, []).append(info)
    classes["all"] = complete
    target = [i for i in complete if i.in_target_class]
    classes["target: JPEG >= 8 MP"] = target
    header = ["class", "contender", "images", "wall s", "CPU s", "max peak RSS MB", "total MB"]
    header += ["mean SSIM " + " / ".join(SSIM_NAMES), "wall vs Prism"]
    rows = []
    for label, images in classes.items():
        if not images:
            continue
        prism = _totals(images, "prism", cells, scores) if "prism" in contenders else None
        for contender in contenders:
            t = _totals(images, contender, cells, scores)
            rows.append(
                [
                    label,
                    contender,
                    str(len(images)),
                    f"{t['wall']:.2f}",
                    f"{t['cpu']:.2f}",
                    f"{t['rss'] / MB:.0f}",
                    f"{t['bytes'] / MB:.2f}",
                    " / ".join(f"{t['ssim_' + n]:.4f}" for n in SSIM_NAMES),
                    _ratio(t["wall"], prism["wall"]) if prism else "n/a",
                ]
            )
    lines = _table(header, rows)
    left_out = [i.name for i in infos if i not in complete]
    if left_out:
        lines += ["", f"Left out (some contender failed): {', '.join(left_out)}."]
    return lines


def _check(label: str, passed: bool | None, detail: str) -> str:
    verdict = "n/a" if passed is None else ("PASS" if passed else "FAIL")
    return f"- **{verdict}** {label}: {detail}"


def _targets(infos, contenders, cells, scores, cold) -> list[str]:
    have = set(contenders)
    complete = _complete(infos, contenders, cells)
    images = [i for i in complete if i.in_target_class]
    scope = f"{len(images)} camera JPEG(s) >= {TARGET_MIN_MP:g} MP"
    if not images:
        images, scope = complete, f"no JPEG >= {TARGET_MIN_MP:g} MP; all {len(complete)} images"
    lines = [f"Computed on {scope} that every contender processed.", ""]
    if "prism" not in have or not images:
        return [*lines, "n/a: Prism has no results to check."]
    prism = _totals(images, "prism", cells, scores)

    def against(other: str, rule: Callable[[dict[str, float]], tuple[bool, str]], label: str):
        if other not in have:
            lines.append(_check(label, None, f"{other} not in this run"))
        else:
            passed, detail = rule(_totals(images, other, cells, scores))
            lines.append(_check(label, passed, detail))

    against(
        "naive",
        lambda t: (
            t["wall"] / prism["wall"] >= SPEEDUP_TARGET,
            f"{t['wall'] / prism['wall']:.2f}x (naive {t['wall']:.2f} s / "
            f"Prism {prism['wall']:.2f} s total wall; target >= {SPEEDUP_TARGET:g}x)",
        ),
        f">= {SPEEDUP_TARGET:g}x faster than naive Pillow",
    )
    against(
        "naive",
        lambda t: (
            prism["bytes"] <= t["bytes"],
            f"Prism {prism['bytes'] / MB:.2f} MB vs naive {t['bytes'] / MB:.2f} MB "
            f"({(prism['bytes'] / t['bytes'] - 1) * 100:+.1f}%)",
        ),
        "total bytes <= naive Pillow",
    )
    against(
        "sharp",
        lambda t: (
            prism["wall"] < t["wall"],
            f"{t['wall'] / prism['wall']:.2f}x "
            f"(sharp {t['wall']:.2f} s / Prism {prism['wall']:.2f} s total wall)",
        ),
        "faster than sharp",
    )

    def rss_rule(other: str):
        def rule(_: dict[str, float]) -> tuple[bool, str]:
            ratios = [
                cells[(i.path, "prism")].peak_rss / cells[(i.path, other)].peak_rss for i in images
            ]
            return (
                max(ratios) <= 1.0,
                f"Prism/sharp peak RSS per image {min(ratios):.2f}-{max(ratios):.2f} "
                f"(max Prism {prism['rss'] / MB:.0f} MB)",
            )

        return rule

    against("sharp", rss_rule("sharp"), "peak RSS <= sharp on every image")

    def ssim_rule(t: dict[str, float]) -> tuple[bool, str]:
        parts, passed = [], True
        for name in SSIM_NAMES:
            mine, theirs = prism[f"ssim_{name}"], t[f"ssim_{name}"]
            passed &= round(mine, 4) >= round(theirs, 4)  # as displayed: 4 decimals
            parts.append(f"{name} {mine:.4f} vs {theirs:.4f}")
        return passed, "; ".join(parts) + " (mean SSIM, Prism vs naive)"

    if any(scores):
        against("naive", ssim_rule, "SSIM >= naive Pillow")
    else:
        lines.append(_check("SSIM >= naive Pillow", None, "SSIM not computed (--no-ssim)"))

    per_pixel, base_mb = stated_formula()
    headroom = [
        (per_pixel * i.width * i.height + base_mb * MB) / cells[(i.path, "prism")].peak_rss
        for i in images
    ]
    lines.append(
        _check(
            f"peak RSS within the stated formula ({per_pixel:g} B/pixel + {base_mb:g} MB)",
            min(headroom) >= 1.0,
            f"{sum(h >= 1.0 for h in headroom)}/{len(headroom)} images within it; "
            f"formula / measured {min(headroom):.2f}-{max(headroom):.2f}",
        )
    )
    answered = [c for c in cold if c.total_ms is not None and c.mode != FLOOR]
    floor = next((c for c in cold if c.mode == FLOOR and c.total_ms is not None), None)
    if not answered:
        why = cold[0].error if cold else "not measured"
        lines.append(_check(f"cold start <= {COLD_START_TARGET_MS:g} ms", None, str(why)))
    else:
        detail = ", ".join(
            f"{c.mode} {c.total_ms:.0f} ms (best {c.best_ms:.0f}, HTTP {c.status})"
            for c in answered
        )
        if floor is not None:
            # Best runs, not medians: on a shared VM the medians swing by +-150 ms.
            own = max(c.best_ms for c in answered) - floor.best_ms
            detail += (
                f"; the framework alone (a bare FastAPI app answering /healthz, same run) "
                f"{floor.total_ms:.0f} ms (best {floor.best_ms:.0f}), so Prism's own part is "
                f"{own:+.0f} ms (best runs)"
            )
        lines.append(
            _check(
                f"cold start <= {COLD_START_TARGET_MS:g} ms",
                all(c.total_ms <= COLD_START_TARGET_MS and c.status == 200 for c in answered),
                detail,
            )
        )
    return lines


def _memory(infos, contenders, cells) -> list[str]:
    lines = []
    for contender in contenders:
        points = [
            (i.width * i.height, cells[(i.path, contender)])
            for i in infos
            if (i.path, contender) in cells and i.megapixels >= 1
        ]
        if len(points) < 2:
            continue
        pixels = [p for p, _ in points]
        peaks = [c.peak_rss for _, c in points]
        slope, intercept = _fit(pixels, peaks)
        above = [(c.peak_rss - c.rss_after_imports) / p for p, c in points]
        baseline = statistics.median(c.rss_after_imports for _, c in points)
        lines.append(
            f"- {contender}: peak RSS ≈ {slope:.1f} B/pixel * pixels + {intercept / MB:.0f} MB "
            f"(least squares over {len(points)} images >= 1 MP); above the post-import baseline "
            f"{statistics.median(above):.1f} B/pixel median ({min(above):.1f}-{max(above):.1f}); "
            f"baseline after imports {baseline / MB:.0f} MB."
        )
    per_pixel, base_mb = stated_formula()
    lines.append(
        f"- Stated bound (prism/core/limits.py, sizes the Lambda): {per_pixel:g} B/pixel + "
        f"{base_mb:g} MB; a decoded RGB pixel is 3 bytes."
    )
    return lines


def stated_formula() -> tuple[float, float]:
    """(bytes per pixel, baseline MB) of the peak-memory formula in prism/core/limits.py."""
    from prism.core.limits import BASELINE_MB, PEAK_BYTES_PER_PIXEL

    return float(PEAK_BYTES_PER_PIXEL), float(BASELINE_MB)


def _fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    var = sum((x - mean_x) ** 2 for x in xs)
    if var == 0:
        return 0.0, mean_y
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / var
    return slope, mean_y - slope * mean_x


def _noise(contenders, cells, samples) -> list[str]:
    lines = []
    for contender in contenders:
        spreads = [
            (c.wall_max - c.wall_min) / c.wall
            for (_, name), c in cells.items()
            if name == contender and c.runs > 1 and c.wall > 0.05
        ]
        varies = [
            Path(img).name
            for (img, name), c in cells.items()
            if name == contender and not c.deterministic
        ]
        text = (
            f"wall spread (max-min)/median over runs: median "
            f"{statistics.median(spreads) * 100:.0f}%, worst {max(spreads) * 100:.0f}%"
            if spreads
            else "single run: no spread"
        )
        if varies:
            text += f"; output bytes differ between runs for {', '.join(varies)}"
        lines.append(f"- {contender}: {text}.")
    lines.append(
        "- The machine is shared (2 cores); neighbours' load shows as spread. Ratios from the "
        "same interleaved run are steadier than absolute times."
    )
    return lines


def _cold(cold: list[ColdStart]) -> list[str]:
    if not cold:
        return ["Not measured (--no-coldstart)."]
    lines = [
        "Fresh interpreter per run, bytecode compiled (as in the image), the ASGI app called "
        "directly; medians, Prism's two storage modes and the bare-FastAPI floor interleaved.",
        "",
    ]
    for c in cold:
        name = "bare FastAPI app (the floor)" if c.mode == FLOOR else f"{c.mode} storage"
        if c.total_ms is None:
            lines.append(f"- {name}: n/a ({c.error})")
            continue
        heavy = ", ".join(f"{module} {ms:.0f} ms" for module, ms in c.heaviest)
        lines.append(
            f"- {name}: {c.total_ms:.0f} ms (best {c.best_ms:.0f}) = interpreter "
            f"{c.interpreter_ms:.0f} ms + imports {c.import_ms:.0f} ms + build the app "
            f"{c.create_ms:.0f} ms + first /healthz (HTTP {c.status}). Heaviest imports "
            f"(-X importtime, cumulative): {heavy}."
        )
    return lines


def _cost(infos, contenders, cells, memory_mb: int) -> list[str]:
    vcpu = min(MAX_VCPU, memory_mb / MB_PER_VCPU)
    gb = memory_mb / 1024
    lines = [
        f"Lambda bills duration, and at {memory_mb} MB gives {vcpu:.2f} vCPU "
        f"({MB_PER_VCPU} MB per vCPU), so a job's billed time is at least its CPU time / "
        f"{vcpu:.2f}: duration = max(measured wall, measured CPU / {vcpu:.2f}). Price arm64: "
        f"${PRICE_GB_S:.10f} per GB-second, ${PRICE_PER_REQUEST * 1e6:.2f} per 1M requests. "
        "Assumes a Graviton core does the work of one core here (not measured), warm starts.",
        "",
    ]
    header = ["images", "contender", "mean CPU s", "est. duration s", "$ per 1,000 images"]
    rows = []
    complete = _complete(infos, contenders, cells)
    for label, images in (
        (f"JPEG >= {TARGET_MIN_MP:g} MP", [i for i in complete if i.in_target_class]),
        ("whole folder", complete),
    ):
        if not images:
            continue
        for contender in contenders:
            chosen = [cells[(i.path, contender)] for i in images]
            cpu = statistics.fmean(c.cpu for c in chosen)
            duration = statistics.fmean(max(c.wall, c.cpu / vcpu) for c in chosen)
            cost = 1000 * (duration * gb * PRICE_GB_S + PRICE_PER_REQUEST)
            rows.append([label, contender, f"{cpu:.2f}", f"{duration:.2f}", f"${cost:.4f}"])
    return lines + _table(header, rows)
