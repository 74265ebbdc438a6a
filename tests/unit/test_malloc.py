"""The malloc setting that keeps a long video's memory flat (video/malloc.py)."""

import ctypes
import sys

import numpy as np
import pytest

from lumbar_rom.video.malloc import release_large_buffers


class _MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
                                              "usmblks", "fsmblks", "uordblks", "fordblks",
                                              "keepcost")]


def _mmapped_blocks() -> int:
    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = _MallInfo2
    return int(libc.mallinfo2().hblks)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_frame_sized_buffers_stay_mmapped_after_one_was_freed():
    """glibc's default raises the mmap threshold when a large mmapped buffer is freed, so the
    next frame buffers come from the (fragmenting) heap; with the fixed threshold each one is
    still its own mmapped block, returned to the system when freed."""
    assert release_large_buffers() and release_large_buffers()  # once, then a no-op
    first = np.ones(3 * 2**20, np.uint8)  # 3 MB: a 1280x720 RGB frame
    del first  # the free that would raise a dynamic threshold
    before = _mmapped_blocks()
    held = [np.ones(3 * 2**20, np.uint8) for _ in range(4)]
    assert _mmapped_blocks() - before == 4
    del held
    assert _mmapped_blocks() == before
