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


class PersonMasker:
    """``mask(rgb)``: ``(H, W, 3)`` uint8 RGB -> ``(H, W)`` float32 person probability (zeros
    when nobody is found). Use as a context manager, or call :meth:`close`."""

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
        img = self._mp.Image(image_format=self._mp.ImageFormat.SRGB,
                             data=np.ascontiguousarray(rgb))
        res = self._lm.detect(img)
        if not res.segmentation_masks:
            return np.zeros(rgb.shape[:2], np.float32)
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
