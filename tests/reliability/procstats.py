"""Process metrics from /proc (Linux): RSS, peak RSS (VmHWM) and open file descriptors.

`reset_peak_rss` sets the peak back to the current RSS (writing 5 to /proc/self/clear_refs), so
one process can measure many cases.
"""

from __future__ import annotations

import os
from pathlib import Path


def _status_kb(pid: int | str, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def rss_bytes(pid: int | str = "self") -> int:
    return _status_kb(pid, "VmRSS") * 1024


def peak_rss_bytes(pid: int | str = "self") -> int:
    return _status_kb(pid, "VmHWM") * 1024


def reset_peak_rss() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def default_lambda_memory_mb() -> int:
    """The stack's default Lambda memory size, read from its config dataclass's default."""
    import dataclasses

    from prism_infra import config

    for value in vars(config).values():
        if dataclasses.is_dataclass(value) and isinstance(value, type):
            for spec in dataclasses.fields(value):
                if spec.name == "memory_mb":
                    return int(spec.default)  # type: ignore[arg-type]
    raise LookupError("no memory_mb default in prism_infra.config")


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))
