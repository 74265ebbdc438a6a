"""lumbar-rom: measure lower-back range of motion with a camera.

Data flows one way: video -> pose -> kinematics -> assessment -> clinical -> history/report.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("lumbar-rom")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+src"

__all__ = ["__version__"]
