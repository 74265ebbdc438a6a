"""Logging set-up for entry points only (CLI, Streamlit app); the library never configures it.

MediaPipe's native code (TFLite, LiteRT, absl) writes log lines straight to file descriptor 2,
bypassing Python. :func:`filter_native_stderr` puts a filter between fd 2 and the terminal that
drops those lines and passes everything else (tracebacks, tqdm progress bars) through unchanged.
Set ``LUMBAR_ROM_NATIVE_LOGS=1`` to see everything.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import re
import sys
import threading

_NATIVE = re.compile(
    rb"^(?:[IWE]\d{4} [\d:. ]+\d+ [\w.]+:\d+\]|INFO: |WARNING: Logging before InitGoogle|"
    rb"WARNING: All log messages before absl::InitializeLog|"
    rb"Sparsity tensors|INFO: Created TensorFlow Lite)"
)
_installed = False


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


def _drop_native(data: bytes) -> bytes:
    """``data`` without its native log lines (split after each \\n or \\r)."""
    return b"".join(part for part in re.split(rb"(?<=[\n\r])", data)
                    if part and not _NATIVE.match(part))


def _pump(read_fd: int, real: int) -> None:
    """Copy the pipe ``read_fd`` to the real stderr ``real`` without native log lines: complete
    lines and \\r-terminated progress updates as they come, the unterminated rest at EOF."""
    buf = b""
    with os.fdopen(read_fd, "rb", buffering=0) as src:
        while chunk := src.read(65536):
            buf += chunk
            cut = max(buf.rfind(b"\n"), buf.rfind(b"\r"))
            if cut < 0:
                continue
            head, buf = buf[: cut + 1], buf[cut + 1 :]
            out = _drop_native(head)
            if out:
                os.write(real, out)
    if buf and not _NATIVE.match(buf):
        os.write(real, buf)


def filter_native_stderr() -> None:
    """Route fd 2 through a pipe whose reader drops native log lines (idempotent)."""
    global _installed
    if _installed or os.environ.get("LUMBAR_ROM_NATIVE_LOGS") == "1":
        return
    try:
        real = os.dup(2)
        read_fd, write_fd = os.pipe()
        os.dup2(write_fd, 2)
        os.close(write_fd)
    except OSError:
        return
    _installed = True

    def pump() -> None:
        _pump(read_fd, real)

    thread = threading.Thread(target=pump, name="stderr-filter", daemon=True)
    thread.start()

    @atexit.register
    def _restore() -> None:
        with contextlib.suppress(Exception):
            sys.stderr.flush()
        os.dup2(real, 2)  # closes the pipe's write end: the pump sees EOF and drains
        thread.join(timeout=2)
