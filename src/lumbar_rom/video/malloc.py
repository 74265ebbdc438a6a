"""Keep a long video's memory flat: freed frame buffers are handed back to the system.

Every frame passes through a few buffers of several MB (the decoded RGB frame, its resized
copies, the model's input image), allocated on one thread and freed on another. glibc keeps
such freed memory in its heap arenas, which fragment: measured on a 10-minute 1080p clip
(``benchmarks/throughput.py --long-minutes 10``) RSS grew from 475 MB at 10 % to 648 MB at 100 %.

Tried first and rejected: a fixed 1 MB mmap threshold (``M_MMAP_THRESHOLD``) kept memory flat
(2,000 frames: 417-420 MB against 459-476 MB) but every frame buffer then costs fresh page faults:
tracking the 1080x1920 balancing clip took 6.0-6.5 s instead of 4.8-5.0 s (+30 %) on this VM.
Instead :func:`trim` (glibc's ``malloc_trim``) is called every :data:`TRIM_EVERY` frames, which
returns the arenas' free pages without changing how buffers are allocated. Elsewhere than glibc
this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from functools import cache

TRIM_EVERY = 500  # frames between two trims (a trim costs a few ms)


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return getattr(libc, "malloc_trim", None)


def trim() -> bool:
    """Hand the heap's free pages back to the system; True when glibc did it."""
    fn = _malloc_trim()
    return bool(fn is not None and fn(0))
