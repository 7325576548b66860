"""`prism reprocess --data DIR`: the Batch Operations job's work, over the local buckets.

Every original under the uploads prefix goes through the same per-object step the function
runs for a Batch Operations task (`prism.service.reprocess`), in a pool of processes (image
work is CPU-bound), with a `rich` progress bar. A second run finds everything up to date.

Workers die with this command: each watches for its parent to go (its parent pid changes when
the parent dies, as the orphan is re-parented) and exits, so a killed `prism reprocess` does
not leave processes remaking images behind it. (Not PR_SET_PDEATHSIG: it fires when the
*thread* that started the worker ends, and the pool may start workers from its manager
thread; and it is Linux-only.) A run also starts by removing the temporary files that writes
killed part-way left in the buckets.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from prism.core.settings import Settings, SettingsError, load_settings
from prism.core.telemetry import Telemetry
from prism.service.processing import Ingestor
from prism.service.reprocess import TaskOutcome, reprocess_upload
from prism.storage.base import StorageError
from prism.storage.local import LocalStorage

_worker: Ingestor | None = None  # one per pool process, built by _start_worker
#: Outcomes listed one by one at the end; the rest are counted.
_LISTED = ("rejected", "failed", "outside", "unstorable")
#: Outcomes that make the exit status 1.
_FAILED = ("failed", "unstorable")
#: How often a worker checks that its parent is still there.
PARENT_POLL_S = 0.2


def run_local(data: Path, *, prune: bool, workers: int, dry_run: bool) -> int:
    env = dict(os.environ) | {"PRISM_STORAGE": "local", "PRISM_DATA_DIR": str(data)}
    try:
        settings = load_settings(env)
    except SettingsError as exc:
        return _fail(str(exc))
    if not data.is_dir():
        return _fail(f"--data {data}: no such folder")
    if workers < 1:
        return _fail("--workers must be at least 1")
    ingestor = _ingestor(settings)
    try:
        keys = ingestor.storage.list_keys("uploads", settings.uploads_prefix)
    except StorageError as exc:
        return _fail(str(exc))
    print(f"{len(keys)} originals under {data}; specs {ingestor.fingerprint}")
    print(f"prune: {'yes' if prune else 'no'}")
    if dry_run:
        return 0
    assert isinstance(ingestor.storage, LocalStorage)  # _ingestor builds one
    if removed := ingestor.storage.remove_stale_temp_files():
        print(f"removed {removed} temporary files left by interrupted writes")
    if not keys:
        return 0

    from rich.console import Console
    from rich.progress import Progress

    outcomes: list[TaskOutcome] = []
    with Progress(console=Console(stderr=True)) as bar:
        task = bar.add_task("reprocessing", total=len(keys))
        for outcome in _outcomes(settings, ingestor, keys, prune, workers):
            outcomes.append(outcome)
            bar.advance(task)
    counts = Counter(o.status for o in outcomes)
    print(", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
    for outcome in outcomes:
        if outcome.status in _LISTED:
            print(f"  {outcome.key}: {outcome.message}")
    return 1 if any(counts[status] for status in _FAILED) else 0


def _outcomes(
    settings: Settings, ingestor: Ingestor, keys: list[str], prune: bool, workers: int
) -> Iterator[TaskOutcome]:
    if workers == 1 or len(keys) == 1:
        for key in keys:
            yield _guarded(ingestor, key, prune)
        return
    # spawn, not fork: the pipeline runs encoder threads, and forking a threaded process
    # is unsafe; each worker builds its own Ingestor once.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=min(workers, len(keys)),
        mp_context=context,
        initializer=_start_worker,
        initargs=(settings, os.getpid()),
    ) as pool:
        yield from pool.map(_reprocess_key, keys, [prune] * len(keys), chunksize=4)


def _ingestor(settings: Settings) -> Ingestor:
    assert settings.data_dir is not None  # load_settings guarantees it for local storage
    names = {
        "uploads": settings.uploads_bucket,
        "processed": settings.processed_bucket,
        "rejected": settings.rejected_bucket,
    }
    storage = LocalStorage(settings.data_dir, names)  # type: ignore[arg-type]
    return Ingestor(storage, settings, _Quiet(settings.log_level))


class _Quiet(Telemetry):
    """No per-image log line or metric: here the progress bar and the summary report, and a
    line per image would bury them. (Not a lower log level: Powertools configures its logger
    once per process, so a level set here would outlive this command in the same process.)"""

    def processed(self, *args: object, **kwargs: object) -> None:
        return None

    def rejected(self, *args: object, **kwargs: object) -> None:
        return None


def _start_worker(settings: Settings, parent: int) -> None:
    global _worker
    # Before any work: a parent killed while this worker started must not get it going.
    _exit_with(parent)
    _worker = _ingestor(settings)


def _exit_with(parent: int) -> None:
    """End this process as soon as `parent` is no longer its parent (it died: the orphan is
    re-parented to init or a subreaper). A write cut short by the exit is as safe as a kill:
    the old manifest stays until the new one is complete, and the next run repairs it."""
    if os.getppid() != parent:
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _reprocess_key(key: str, prune: bool) -> TaskOutcome:
    assert _worker is not None, "the pool initializer builds the ingestor"
    return _guarded(_worker, key, prune)


def _guarded(ingestor: Ingestor, key: str, prune: bool) -> TaskOutcome:
    """One image's outcome; a bug on one image is reported, and the run goes on."""
    try:
        return reprocess_upload(ingestor, key, prune=prune)
    except Exception as exc:
        return TaskOutcome(key, "failed", None, f"internal error: {exc!r}")


def _fail(message: str) -> int:
    print(f"prism reprocess: {message}", file=sys.stderr)
    return 2
