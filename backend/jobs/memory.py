"""How a worker process keeps its memory down: glibc's malloc, tuned for a reading's threads.

A module of its own, importing nothing else of the app: it is called as a worker process starts, before the
models load.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools

# glibc gives each thread that allocates an arena of its own (up to 8 per core), and each arena keeps what
# its thread freed: the recognition lanes' threads (Recogniser.read_all) each held their own copy of a
# reading's buffers after the job. Two arenas hold less (a lone reading of 6 dev photos peaked at 329 MB,
# not 373 MB, ~270 MB held after, not ~316 MB) and cost nothing measurable; mapping every block of 1 MB or
# more on its own (mallopt M_MMAP_THRESHOLD) held still less but made a reading ~30 % slower (page faults).
_M_ARENA_MAX = -8  # mallopt's parameter (malloc.h)
ARENAS = 2


def share_arenas() -> None:
    """At most ARENAS malloc arenas in this process (glibc; elsewhere the allocator's own policy stands)."""
    with contextlib.suppress(OSError, AttributeError):
        _libc().mallopt(_M_ARENA_MAX, ARENAS)


# What a job freed, handed back to the system as it ends (malloc_trim): kept, it sat in its thread's arena while
# the job beside it grew the other (two threads of one process reading 6 generated invoice photos each peaked at
# 462 MB, trimmed 420 MB; ~220 MB held after, not ~380). The next job maps its pages again: ~0.05 s of system time
# a photo, of its ~1 s of CPU (a fixed 4 MB mmap threshold peaked at 410 MB for ~0.12 s a photo).
def give_back() -> None:
    """Return the free memory of every malloc arena to the system (glibc; elsewhere nothing)."""
    with contextlib.suppress(OSError, AttributeError):
        _libc().malloc_trim(0)


@functools.cache
def _libc():
    """The C library, or None where it cannot be loaded: kept either way (find_library runs ldconfig, and a
    failure not kept would run it again after every job)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
