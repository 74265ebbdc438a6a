"""Captions of the annotated replay (WebVTT): the movement and its excursion from neutral, frame by
frame, and "end of range" on the repetitions' end-range frames.

Why captions and not labels drawn into the picture: the skeleton and trunk line are drawn while
the video is tracked (one decode, on the spare core), but the excursion from neutral is only
known after the analysis. Drawing it into the picture needed a second video pass (decode, draw,
H.264) that cost 4-6 ms a frame, 15-20 % of pure inference (benchmarks/throughput.py). A WebVTT
track costs nothing to write, is shown on the video by the app (``st.video(subtitles=...)``) and
by players that load ``annotated.vtt`` beside ``annotated.mp4`` (VLC, mpv, browsers' ``<track>``).

Times are in seconds of the video; a cue runs from its first frame to the next frame whose text
differs (the last one to ``end_s``). Empty labels (outside any trial) give no cue.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lumbar_rom.assessment.protocol import movement_spec, side_of
from lumbar_rom.assessment.trial import TrialResult

END_OF_RANGE = "end of range"
NEAR_PEAK_S = 0.1
"""A frame within this many seconds of a used repetition's peak is captioned "end of range"."""


def excursion_label(movement: str, excursion_deg: float, mirrored: bool = False) -> str:
    """"Forward bending: 42 deg": the movement's short name and its excursion from neutral
    ("" without a movement or a finite value); with ``mirrored``, a side-specific name says the
    mirror image was flipped back."""
    if not movement or not np.isfinite(excursion_deg):
        return ""
    tail = " (mirror flipped)" if mirrored and side_of(movement) else ""
    return f"{movement_spec(movement).label.split(' (')[0]}: {excursion_deg:.0f} deg{tail}"


def near_peaks(time_s: np.ndarray, peak_s: Sequence[float]) -> np.ndarray:
    """``(N,) bool``: the frames at ``time_s (N,)`` within :data:`NEAR_PEAK_S` of a peak time."""
    t = np.asarray(time_s, dtype=float)
    out = np.zeros(len(t), bool)
    for p in peak_s:
        out |= np.abs(t - p) <= NEAR_PEAK_S + 1e-6  # frame times are not exact decimals
    return out


def with_peaks(labels: Sequence[str], peak: Sequence[bool] | np.ndarray) -> list[str]:
    """``labels`` with " · end of range" added where ``peak`` is true (and a label exists)."""
    return [f"{text} · {END_OF_RANGE}" if text and p else text
            for text, p in zip(labels, peak, strict=True)]


def _stamp(t: float) -> str:
    ms = max(0, int(round(t * 1000)))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def webvtt(time_s: np.ndarray, labels: Sequence[str], end_s: float | None = None) -> str:
    """A WebVTT document from per-frame ``labels`` at ``time_s (N,)`` (seconds; NaN times are
    skipped): consecutive equal labels form one cue. ``end_s``: when the last cue ends (default:
    one median frame step after the last frame)."""
    t = np.asarray(time_s, dtype=float)
    if len(t) != len(labels):
        raise ValueError(f"{len(t)} times for {len(labels)} labels")
    keep = np.isfinite(t)
    t = t[keep]
    texts = [lab for lab, k in zip(labels, keep, strict=True) if k]
    step = float(np.median(np.diff(t))) if len(t) > 1 else 0.04
    end = float(end_s) if end_s is not None else (float(t[-1]) + step if len(t) else 0.0)
    lines = ["WEBVTT", ""]
    i = 0
    while i < len(texts):
        j = i + 1
        while j < len(texts) and texts[j] == texts[i]:
            j += 1
        if texts[i]:
            stop = float(t[j]) if j < len(t) else end
            lines += [f"{_stamp(float(t[i]))} --> {_stamp(stop)}", texts[i], ""]
        i = j
    return "\n".join(lines)


def trial_captions(trial: TrialResult, mirrored: bool = False) -> str:
    """One trial's captions (its own frames: ``trial.time_s``, ``trial.excursion_deg``), the
    used repetitions' end range marked; "" when the trial has no frames."""
    t = np.asarray(trial.time_s, dtype=float)
    if not len(t):
        return ""
    labels = [excursion_label(trial.movement, float(v), mirrored) for v in trial.excursion_deg]
    peaks = near_peaks(t, [trial.repetitions[k].peak_s for k in trial.used_repetitions])
    return webvtt(t, with_peaks(labels, peaks))
