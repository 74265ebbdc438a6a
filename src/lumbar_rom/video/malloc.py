"""Keep a long video's memory flat: large frame buffers go back to the system when freed.

Every frame passes through a few buffers of several MB (the decoded RGB frame, its resized
copies, the model's input image), allocated on one thread and freed on another. glibc's malloc
raises its mmap threshold the first time such a buffer is freed, after which these buffers are
carved from the heap arenas, which fragment: measured on a 10-minute 1080p clip
(``benchmarks/throughput.py --long-minutes 10``) RSS grew from 475 MB at 10 % to 648 MB at
100 %. A fixed 1 MB threshold (glibc's ``M_MMAP_THRESHOLD``, which also turns the dynamic
adjustment off) keeps every such buffer mmapped and returned on free: 2,000 frames of that clip
stayed at 417-420 MB against 459-476 MB without it. Elsewhere than glibc this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading

M_MMAP_THRESHOLD = -3  # glibc <malloc.h>
THRESHOLD_BYTES = 1 << 20

_done = False
_lock = threading.Lock()


def release_large_buffers() -> bool:
    """Set glibc's mmap threshold to :data:`THRESHOLD_BYTES` once per process; True when set."""
    global _done
    with _lock:
        if _done:
            return True
        name = ctypes.util.find_library("c")
        try:
            libc = ctypes.CDLL(name) if name else None
            mallopt = getattr(libc, "mallopt", None)
            _done = bool(mallopt is not None and mallopt(M_MMAP_THRESHOLD, THRESHOLD_BYTES))
        except OSError:
            _done = False
        return _done
