"""lumbar-rom: measure lower-back range of motion with a camera.

Data flows one way: video -> pose -> kinematics -> assessment -> clinical -> history/report.

``__version__`` is looked up on first use (the installed distribution's metadata), not on
import: importing a ``lumbar_rom`` module reads no file (tests/integration/
test_import_side_effects.py).
"""

from functools import cache

__all__ = ["__version__"]


@cache
def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lumbar-rom")
    except PackageNotFoundError:  # running from a source tree without installation
        return "0.0.0+src"


def __getattr__(name: str) -> str:
    if name == "__version__":
        return _version()
    raise AttributeError(f"module 'lumbar_rom' has no attribute {name!r}")
