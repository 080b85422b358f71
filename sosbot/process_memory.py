"""A long-lived process's memory once it has started."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc


def release_startup_memory() -> None:
    """Hand back to the system the heap that loading the ward data used and freed (the parsed
    GeoJSON, the shapes before simplification): about 30 MB of RSS (bench/RESULTS.md).
    Called by each long-lived process once it is warm (web, intake writer, worker).

    What survives start-up (modules, the ward index, the table metadata) lives as long as
    the process: frozen, the garbage collector no longer walks it on every full collection
    under load."""
    gc.collect()
    gc.freeze()
    libc = ctypes.util.find_library("c")
    if libc is None:
        return
    trim = getattr(ctypes.CDLL(libc), "malloc_trim", None)  # glibc only
    if trim is not None:
        trim(0)
