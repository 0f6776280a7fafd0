"""How a worker process keeps its memory down: glibc's malloc, tuned for a reading's threads.

A module of its own, importing nothing else of the app: it is called as a worker process starts, before the
models load.
"""

from __future__ import annotations

import ctypes
import ctypes.util

# glibc gives each thread that allocates an arena of its own (up to 8 per core), and each arena keeps what
# its thread freed: the recognition lanes' threads (Recogniser.read_all) each held their own copy of a
# reading's buffers after the job. Two arenas hold less (a lone reading of 6 dev photos peaked at 329 MB,
# not 373 MB, ~270 MB held after, not ~316 MB) and cost nothing measurable; mapping every block of 1 MB or
# more on its own (mallopt M_MMAP_THRESHOLD) held still less but made a reading ~30 % slower (page faults).
_M_ARENA_MAX = -8  # mallopt's parameter (malloc.h)
ARENAS = 2


def share_arenas() -> None:
    """At most ARENAS malloc arenas in this process (glibc; elsewhere the allocator's own policy stands)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(_M_ARENA_MAX, ARENAS)
    except (OSError, AttributeError):
        pass
