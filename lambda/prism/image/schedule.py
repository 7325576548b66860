"""Schedule: run one job per variant on as many threads as help, longest first.

Jobs whose encoder releases the GIL run concurrently, one thread per core; the ones that hold
it (oxipng) run after them, alone. Results come back in the jobs' order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Job[T]:
    run: Callable[[], T]
    cost: float  # relative; only the order matters
    holds_gil: bool


def cpus() -> int:
    """CPUs this process may run on (Lambda gives one per 1769 MB of memory)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run_jobs[T](jobs: Sequence[Job[T]], workers: int | None = None) -> tuple[T, ...]:
    """Every job's result, in order. `workers` caps the threads (default: one per CPU);
    `workers=1` (or a single job) runs everything on the calling thread."""
    if workers == 1 or len(jobs) == 1:
        return tuple(job.run() for job in jobs)
    by_cost = sorted(range(len(jobs)), key=lambda i: -jobs[i].cost)
    bound = [i for i in by_cost if jobs[i].holds_gil]
    free = [i for i in by_cost if i not in bound]
    # GIL-free jobs: one thread per core, longest first. More threads would not be faster
    # and would hold more encoders' working buffers (3-20 bytes per pixel each) at once.
    threads = max(1, min(workers or cpus(), len(free)))
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="prism") as pool:
        results = dict(zip(free, pool.map(lambda i: jobs[i].run(), free), strict=True))
    # Then the GIL-holding ones (oxipng), alone: beside them no Python thread could start its
    # next encoder, and beside WebP their memory peaks would add up (~57 B/pixel for RGBA).
    results.update({i: jobs[i].run() for i in bound})
    return tuple(results[i] for i in range(len(jobs)))
