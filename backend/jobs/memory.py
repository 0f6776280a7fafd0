"""How a worker process gives memory back: glibc's malloc, tuned for a reading's page-sized buffers.

A module of its own, importing nothing else of the app: a test checks the allocator's behaviour in a bare
process, which the app's imports would disturb.
"""

from __future__ import annotations

import ctypes
import ctypes.util

# glibc's malloc serves a block from its heap, and keeps it when freed, below a threshold that it raises
# up to 32 MB as blocks are freed: a reading's page-sized buffers (a 2000 px view is 9 MB, the detector's
# input 8 MB) then stay with the process after the job. Fixed at 1 MB, they are mapped and given back
# when freed: a worker held ~380 MB after reading dev photos, ~235 MB with this; its peak 394 → 310 MB.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameters (malloc.h)
LARGE_BLOCK_BYTES = 1 << 20


def return_large_frees() -> None:
    """Large blocks mapped on their own, and the heap's free top given back, in this process (glibc)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, LARGE_BLOCK_BYTES)
        libc.mallopt(_M_TRIM_THRESHOLD, LARGE_BLOCK_BYTES)
    except (OSError, AttributeError):  # not glibc (musl, macOS): its allocator's own policy stands
        pass
