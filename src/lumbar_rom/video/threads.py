"""Placement of the video helper threads (decoding, encoding).

Pose inference runs on one core. Measured on a 2-core machine (benchmarks/throughput.py): when the
decoder and encoder threads float freely, the scheduler keeps moving them onto the inference core
and inference slows by ~25 % (ratio 1.24-1.34, ``throughput.py --no-pin``); pinning them to one
spare core brings decode + draw + encode down to 11-14 % over the model alone. With a single
allowed CPU nothing is pinned.

MediaPipe runs inference on its own graph threads ("drishti"), created with each landmarker, and
they inherit the affinity of the thread that created the landmarker. A landmarker must therefore
never be created on a pinned thread: measured, one made on the pinned helper put inference on the
decoder's core and ``analyze`` went from 1.4x to 2.0x pure inference. The landmarker helper runs
:func:`float_on_all_cores` instead.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

_unpinned_count = 0
_lock = threading.Lock()


@contextlib.contextmanager
def unpinned() -> Iterator[None]:
    """Helper threads started inside this block are not pinned (no inference runs alongside,
    e.g. the annotated video's drawing pass: decoder and encoder then use both cores)."""
    global _unpinned_count
    with _lock:
        _unpinned_count += 1
    try:
        yield
    finally:
        with _lock:
            _unpinned_count -= 1


def pin_to_spare_core() -> None:
    """Restrict the calling thread to the highest-numbered CPU it may use (Linux only).

    ``LUMBAR_ROM_PIN_THREADS=0`` turns this off (``benchmarks/throughput.py --no-pin``)."""
    if os.environ.get("LUMBAR_ROM_PIN_THREADS") == "0" or _unpinned_count:
        return
    getter = getattr(os, "sched_getaffinity", None)
    setter = getattr(os, "sched_setaffinity", None)
    if getter is None or setter is None:
        return
    try:
        cpus = getter(0)
        if len(cpus) >= 2:
            setter(0, {max(cpus)})
    except OSError:  # not permitted in some sandboxes: keep the default placement
        pass


def float_on_all_cores() -> None:
    """Let the calling thread (and the threads it starts) run on every CPU the process's main
    thread may use, undoing an inherited pin (Linux only; elsewhere nothing to do)."""
    getter = getattr(os, "sched_getaffinity", None)
    setter = getattr(os, "sched_setaffinity", None)
    if getter is None or setter is None:
        return
    with contextlib.suppress(OSError):  # not permitted in some sandboxes: keep the default
        setter(0, getter(os.getpid()))
