"""Saying early, from the files' sizes, that a firewall log cannot be read into memory.

Reading builds the whole connection-event frame in memory. A log far bigger than the machine's
memory used to run for minutes and die in a raw MemoryError; its size on disk tells at once.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from ..errors import ParseError
from ..sources import Source
from ..streams import compression

#: peak memory per byte of plain log text while reading it (measured 1.40 GB for a 1,055 MB log,
#: up to 1.76x for small ones: performance-notes.md)
PEAK_PER_BYTE = 1.5
#: how much syslog text a compressed byte holds, at least: the decompressed size of gzip, bz2,
#: xz or zip is not in their headers (gzip's 32-bit field wraps at 4 GB)
COMPRESSION_RATIO = 8


def estimated_peak(sources: Sequence[Source]) -> int:
    """Bytes of memory reading ``sources`` needs at least (0 for what has no known size)."""
    total = 0
    for source in sources:
        if source.size is None or source.path is None:
            continue
        try:
            with open(source.path, "rb") as raw:
                packed = compression(raw.read(10)) is not None
        except OSError:
            continue
        total += int(source.size * (COMPRESSION_RATIO if packed else 1) * PEAK_PER_BYTE)
    return total


def available_memory() -> int | None:
    """Bytes the OS can still hand out (``MemAvailable``), or the physical memory, or None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def check_fits(sources: Sequence[Source], available: int | None = None) -> None:
    """Raise before reading when ``sources`` plainly need more memory than is available.

    Raises
    ------
    kit.ParseError
        Naming the logs' size, the memory needed and available, and ``kit parse``.
    """
    available = available_memory() if available is None else available
    need = estimated_peak(sources)
    if available is None or need <= available:
        return
    on_disk = sum(s.size or 0 for s in sources)
    raise ParseError(
        f"the firewall logs ({_gb(on_disk)} on disk in {len(sources)} file(s)) need about "
        f"{_gb(need)} of memory to read at once, more than the {_gb(available)} available: "
        "convert them once with `kit parse` (it streams them into a dataset the notebooks "
        "read piece by piece), or read fewer files at a time")


def _gb(size: int) -> str:
    return f"{size / 1e9:,.1f} GB"
