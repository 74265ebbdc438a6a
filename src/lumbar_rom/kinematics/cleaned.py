"""A pose sequence's landmarks cleaned once (:func:`~lumbar_rom.kinematics.cleaning.clean`).

Only the landmarks the analysis reads are cleaned (:data:`CLEANED_LANDMARKS`): cleaning is about
all of a trial analysis' time, and each landmark is cleaned on its own, so the others are left
NaN. Segmentation and every trial of a video analyse slices of one :class:`CleanedPose`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lumbar_rom.kinematics.cleaning import DEFAULT_CLEANING, CleaningSettings, clean
from lumbar_rom.kinematics.swaps import repair_swaps
from lumbar_rom.pose.landmarks import Landmark as L
from lumbar_rom.pose.sequence import PoseSequence

# Every landmark kinematics/angles.py, kinematics/view.py, assessment/trial.py and
# assessment/segment.py read from cleaned points (a test checks the analysis gives the same
# result as with all 33 cleaned).
CLEANED_LANDMARKS: tuple[L, ...] = (
    L.NOSE, L.LEFT_EYE, L.RIGHT_EYE, L.LEFT_EAR, L.RIGHT_EAR,  # forward head, facing, floor scale
    L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP,  # trunk, view, yaw, posture
    L.LEFT_WRIST, L.RIGHT_WRIST,  # rotation (wrist span)
    L.LEFT_INDEX, L.RIGHT_INDEX,  # fingertip to floor
    L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE,  # knee / hip flexion, pelvis turn
    L.LEFT_HEEL, L.RIGHT_HEEL, L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX,  # facing (toes vs heels)
)  # fmt: skip


def _frozen(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


@dataclass(frozen=True)
class CleanedPose:
    """A :class:`PoseSequence` and its cleaned landmarks.

    Attributes
    ----------
    seq : the raw sequence (quality checks read its raw image and visibility).
    image : (T, 33, 3) float
        cleaned image landmarks (pixels); NaN for landmarks not in :data:`CLEANED_LANDMARKS`.
    world : (T, 33, 3) float
        cleaned world landmarks (metres); NaN likewise.
    swapped : (T,) bool
        frames whose left/right hips or shoulders were swapped by the pose model and put back
        before cleaning (:mod:`~lumbar_rom.kinematics.swaps`).
    """

    seq: PoseSequence
    image: np.ndarray
    world: np.ndarray
    swapped: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))

    @classmethod
    def from_sequence(cls, seq: PoseSequence, settings: CleaningSettings = DEFAULT_CLEANING
                      ) -> CleanedPose:
        """Repair left/right swaps, then clean the :data:`CLEANED_LANDMARKS` of ``seq`` (the
        others stay NaN)."""
        idx = list(CLEANED_LANDMARKS)
        image = np.full(seq.image.shape, np.nan)
        world = np.full(seq.world.shape, np.nan)
        swapped = np.zeros(seq.n_frames, bool)
        if seq.n_frames:
            raw_image, raw_world, raw_vis, swapped = repair_swaps(seq.image, seq.world,
                                                                  seq.visibility)
            t, vis = seq.time_s, raw_vis[:, idx]
            image[:, idx] = clean(raw_image[:, idx], t, vis, settings)
            world[:, idx] = clean(raw_world[:, idx], t, vis, settings)
        return cls(seq, _frozen(image), _frozen(world), _frozen(swapped))

    @property
    def time_s(self) -> np.ndarray:
        """(T,) seconds."""
        return self.seq.time_s

    @property
    def n_frames(self) -> int:
        return self.seq.n_frames

    @property
    def swaps_repaired(self) -> int:
        """How many frames had their left/right hips or shoulders put back."""
        return int(np.sum(self.swapped))

    def slice(self, start: int, stop: int) -> CleanedPose:
        """Frames ``start:stop`` (cleaned over the whole sequence, not again)."""
        return CleanedPose(self.seq.slice(start, stop), self.image[start:stop],
                           self.world[start:stop], self.swapped[start:stop])
