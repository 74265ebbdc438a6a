"""Output files named on the command line: checked before the work, written atomically.

:func:`check_output_file` runs before any measuring or saving, so a bad ``-o``/``--json``/``--csv``
path fails at once with one sentence instead of after the work (or with a traceback).
:func:`atomic_write` writes a hidden temporary file in the same folder and renames it onto the
target (``os.replace``), so a full disk or a crash never leaves a half-written file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from lumbar_rom.errors import LumbarRomError


class OutputError(LumbarRomError, OSError):
    """An output file or folder cannot be written."""


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    return exc.strerror or str(exc)


def check_output_file(path: str | Path, option: str = "the output file") -> Path:
    """``path`` if a file can be written there: its folder exists and is writable and ``path`` is
    not a folder; otherwise an :class:`OutputError` naming ``option`` (``"--json"``)."""
    p = Path(path)
    if p.is_dir():
        raise OutputError(f"{option} {p} is a folder; give a file name such as "
                          f"{p / ('out' + (p.suffix or '.txt'))}.")
    folder = p.parent
    if not folder.is_dir():
        raise OutputError(f"The folder {folder} for {option} does not exist; create it or "
                          "choose another path.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"The folder {folder} for {option} is not writable; choose another "
                          "path.")
    return p


def check_output_dir(path: str | Path, option: str = "the output folder") -> Path:
    """``path`` as a writable folder (created if missing); otherwise an :class:`OutputError`."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise OutputError(f"{option} {p} is a file, not a folder; choose a folder.")
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{option} {p} cannot be created ({_reason(exc)}); choose another "
                          "folder.") from None
    if not os.access(p, os.W_OK | os.X_OK):
        raise OutputError(f"{option} {p} is not writable; choose another folder.")
    return p


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path next to ``path`` (same suffix) to write to; moved onto ``path`` when the
    block ends without error, removed otherwise. ``OSError`` becomes :class:`OutputError`."""
    p = Path(path)
    tmp = p.with_name(f".{p.stem}.{uuid.uuid4().hex[:8]}.partial{p.suffix}")
    try:
        yield tmp
        os.replace(tmp, p)
    except OutputError:
        tmp.unlink(missing_ok=True)
        raise
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"Cannot write {p} ({_reason(exc)}); free some space or choose "
                          "another path.") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write(path: str | Path, data: str | bytes) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` atomically; see :func:`atomic_path`."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(path) as tmp:
        tmp.write_bytes(raw)
    return Path(path)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> object:
    """A CSV cell that a spreadsheet shows as text: a string starting with ``= + - @`` (or a tab
    or carriage return) gets a leading ``'``, so ``=HYPERLINK(...)`` is never a live formula.
    Numbers pass unchanged (a negative angle stays a number)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
