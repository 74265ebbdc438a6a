"""Rendered repeated-movement tests (issue 30): ten standing flexions and ten standing extensions
in a row, with known counts and a known range for each repetition (the sidecar's truth).

Kept apart from :mod:`lumbar_rom.studio.scenarios` (which it uses unchanged): a repeated set is a
:class:`Scenario` with ten peaks and a brisker rhythm than a range-of-motion trial. The ranges
grow a little from the first to the last repetition (flexion 55 -> 64 deg, extension 18 -> 27
deg applied), as a set that frees the back would, so the first/last difference is measurable.
Small and short by default (270 x 480 px, 15 fps, about 23 s): the tests share two CPU cores.

Wiring (next session): ``lumbar-rom studio repeated OUT_DIR`` renders both clips for the demo and
the accuracy benchmark; the guided test's "try it on a sample" button can offer them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lumbar_rom.studio.scenarios import Scenario, profile, render_scenario

__all__ = ["REPEATED_TIMING", "repeated_scenario", "render_repeated", "truth_per_repetition"]

REPEATED_TIMING = {"neutral_s": 1.2, "rise_s": 0.8, "hold_s": 0.3, "rest_s": 0.3}
PEAKS = {"flexion": (55.0, 64.0), "extension": (18.0, 27.0)}  # first, last applied (deg)


def repeated_scenario(movement: str, n: int = 10, body: str = "male", width: int = 270,
                      height: int = 480, fps: float = 15.0) -> Scenario:
    """A set of ``n`` repetitions of ``movement`` ("flexion" / "extension") from the side, the
    applied peaks spread evenly from the first to the last value of :data:`PEAKS`."""
    first, last = PEAKS[movement]
    peaks = tuple(float(round(p, 2)) for p in np.linspace(first, last, n))
    t = REPEATED_TIMING
    return Scenario(movement, peaks, body=body, width=width, height=height, fps=fps,
                    neutral_s=t["neutral_s"], rise_s=t["rise_s"], hold_s=t["hold_s"],
                    rest_s=t["rest_s"])


def render_repeated(movement: str, out_dir: Path, body: str = "male"
                    ) -> tuple[Scenario, Path, Path]:
    """Render (or reuse from ``out_dir``, a cache keyed by the scenario) the set; returns the
    scenario, the MP4 and its JSON sidecar."""
    s = repeated_scenario(movement, body=body)
    video, sidecar = render_scenario(s, out_dir, stem=f"repeated-{movement}-{s.body}-{s.key()}")
    return s, video, sidecar


def truth_per_repetition(s: Scenario, sagittal_deg: np.ndarray) -> np.ndarray:
    """Each repetition's true range (deg from neutral, in the movement's direction) from the
    sidecar's per-frame ``sagittal_deg``: the median over its end-range hold minus the neutral's
    median."""
    _, fr = profile(s)
    sag = np.asarray(sagittal_deg, dtype=float)
    neutral = float(np.median(sag[fr[1] < 0]))
    sign = 1.0 if s.movement == "flexion" else -1.0
    return np.array([sign * (float(np.median(sag[(fr[1] == k) & (fr[0] >= 0.999)])) - neutral)
                     for k in range(len(s.peaks))])
