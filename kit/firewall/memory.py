"""Returning freed memory to the operating system once a large piece of work is done.

Allocators keep freed memory for reuse. While blocks are parsed that is what we want: each
block's scratch reuses the last one's pages (trimming every few blocks measured ~12 % more CPU
at 5M lines, in page faults, and no lower peak). Once a frame is built, the blocks' and the
build's scratch is handed back, so the caller's process is as small as its frame.
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
