"""`prism reprocess --data DIR --workers 2` with every image slowed down, so a test can kill
it while its workers are busy. The patch is at module level on purpose: a spawned worker runs
this module's top level too (as `__mp_main__`), so the workers are slowed as well."""

from __future__ import annotations

import sys
import time

import prism.cli.reprocess_local as local

_real = local.reprocess_upload


def _slow(ingestor, key, *, prune=False):
    time.sleep(0.3)
    return _real(ingestor, key, prune=prune)


local.reprocess_upload = _slow

if __name__ == "__main__":
    from prism.cli.main import main

    sys.exit(main(["reprocess", "--data", sys.argv[1], "--workers", "2"]))
