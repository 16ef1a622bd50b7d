"""Returning freed scratch memory to the operating system during a large load.

Allocators keep freed memory for reuse by the thread that allocated it. The reader allocates in
worker threads and frees in the main thread (and the other way round), so without an explicit
release the process's peak grows by the scratch of every block. Called once per block.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Any

import pyarrow as pa


def _libc() -> Any:
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return lib if hasattr(lib, "malloc_trim") else None


_LIBC = _libc()


def release_memory() -> None:
    """Hand freed memory back to the OS: Arrow's pool, and glibc's arenas where available."""
    pa.default_memory_pool().release_unused()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
