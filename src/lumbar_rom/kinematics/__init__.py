"""Kinematics stage: angles from landmarks, cleaning filters, camera-view classification."""
