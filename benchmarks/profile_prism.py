"""Where Prism's time goes on one image: cProfile of the pipeline run serially (one thread).

    uv run python benchmarks/profile_prism.py IMAGE [--top N]

Serial on purpose: cProfile sees only the calling thread, and serial stage times add up to
the CPU the concurrent pipeline has to spread over its threads.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("image", type=Path)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()

    from prism.image.pipeline import make_variants

    data = args.image.read_bytes()
    make_variants(data)  # warm-up: plugin registration, ICC transform cache, first-call costs

    t0, c0 = time.perf_counter(), time.process_time()
    result = make_variants(data)
    concurrent = (time.perf_counter() - t0, time.process_time() - c0)

    profiler = cProfile.Profile()
    t0 = time.perf_counter()
    profiler.enable()
    make_variants(data, workers=1)
    profiler.disable()
    serial = time.perf_counter() - t0

    source = result.source
    print(f"{args.image.name}: {source.width}x{source.height} {source.format} {source.mode}")
    print(f"concurrent: wall {concurrent[0]:.2f} s, CPU {concurrent[1]:.2f} s")
    print(f"serial (profiled): wall {serial:.2f} s")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
