"""The person mask of single frames (MediaPipe's segmentation output, IMAGE mode).

Used by the deep-flexion correction (``kinematics/deep_flexion.py``) on a few frames only (the
neutral stand and each repetition's end-range hold); it is another call of the bundled pose model
on frames the one decode kept, never a second decode.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from lumbar_rom.pose.estimator import _create, quiet_native_stderr
from lumbar_rom.pose.model import default_model_path, verify_model


def stretched(rgb: np.ndarray, low: float = 1.0, high: float = 99.0) -> np.ndarray:
    """``rgb (H, W, 3)`` uint8 with its ``low``-``high`` percentile range of values stretched
    to 0-255 (one linear map for all channels, so the picture's geometry and hues stay)."""
    lo, hi = np.percentile(rgb, (low, high))
    gain = 255.0 / max(float(hi - lo), 1.0)
    return np.clip((rgb.astype(np.float32) - lo) * gain, 0, 255).astype(np.uint8)


class PersonMasker:
    """``mask(rgb)``: ``(H, W, 3)`` uint8 RGB -> ``(H, W)`` float32 person probability (zeros
    when nobody is found). Use as a context manager, or call :meth:`close`.

    IMAGE mode has to find the person from scratch in each frame, and in a dark room a body
    bent forward with its head low is often not found (measured on the dark-scene flexion
    pattern, female body, camera 2.2 m: 7 of 9 frames sampled from its end-range windows gave
    an empty mask, so the clip was not corrected and read 59.1 deg for 56.0 of truth). When
    nobody is found, the frame is tried once more with its contrast stretched
    (:func:`stretched`): 5 of those 7 were then found, and the clip read 55.5 deg. The mask is
    of the same pixels either way."""

    def __init__(self, model_path: str | Path | None = None) -> None:
        from mediapipe.tasks.python import BaseOptions, vision

        check = verify_model(model_path if model_path is not None else default_model_path())
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(check.path)),
            running_mode=vision.RunningMode.IMAGE, num_poses=1, output_segmentation_masks=True)
        self._lm: Any = _create(options)
        self._mp = __import__("mediapipe")
        self._closed = False

    def mask(self, rgb: np.ndarray) -> np.ndarray:
        if self._closed:
            raise RuntimeError("PersonMasker is closed")
        found = self._detect(rgb)
        if found is None:
            found = self._detect(stretched(rgb))  # a dark frame: once more, contrast stretched
        return found if found is not None else np.zeros(rgb.shape[:2], np.float32)

    def _detect(self, rgb: np.ndarray) -> np.ndarray | None:
        img = self._mp.Image(image_format=self._mp.ImageFormat.SRGB,
                             data=np.ascontiguousarray(rgb))
        res = self._lm.detect(img)
        if not res.segmentation_masks:
            return None
        return np.asarray(res.segmentation_masks[0].numpy_view(), np.float32).reshape(
            rgb.shape[:2]).copy()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            with quiet_native_stderr():
                self._lm.close()

    def __enter__(self) -> PersonMasker:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
