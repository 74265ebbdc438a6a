"""User-facing errors: each carries one plain sentence saying what went wrong and what to do next.

Entry points (CLI, Streamlit pages) catch :class:`LumbarRomError` and show ``str(err)``; they never
show a traceback for these.
"""


class LumbarRomError(Exception):
    """Base class: the message is one sentence meant for the person using the tool."""


class ModelError(LumbarRomError):
    """The pose model file is missing, corrupt or not a PoseLandmarker bundle."""


class VideoError(LumbarRomError):
    """A video cannot be opened, decoded or has no frames."""


class NoPersonError(LumbarRomError):
    """No person was detected in the video."""
