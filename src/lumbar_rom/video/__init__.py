"""Video stage: PyAV decoding (rotation, real timestamps, streaming), H.264 writing, drawing."""

from lumbar_rom.video.reader import Frame, VideoInfo, iter_frames, probe
from lumbar_rom.video.writer import VideoWriter

__all__ = ["Frame", "VideoInfo", "VideoWriter", "iter_frames", "probe"]
