"""Pose stage: the pose model file, the estimator interface and the pose sequence type."""

from lumbar_rom.pose.estimator import FramePose, MediaPipeEstimator, PoseEstimator
from lumbar_rom.pose.landmarks import LANDMARK_NAMES, Landmark
from lumbar_rom.pose.model import default_model_path, verify_model
from lumbar_rom.pose.sequence import PoseSequence

__all__ = [
    "LANDMARK_NAMES",
    "FramePose",
    "Landmark",
    "MediaPipeEstimator",
    "PoseEstimator",
    "PoseSequence",
    "default_model_path",
    "verify_model",
]
