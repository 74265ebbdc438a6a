import tracemalloc

import av
import numpy as np
import pytest

from lumbar_rom.errors import VideoError
from lumbar_rom.video.reader import iter_frames, probe
from lumbar_rom.video.writer import VideoWriter
from tests.fixtures.videos import make_video, pattern


def test_frames_are_contiguous_rgb_with_times(tmp_path):
    path = make_video(tmp_path / "v.mp4", n_frames=5, width=66, height=48)
    frames = list(iter_frames(path))
    assert len(frames) == 5
    assert all(f.rgb.flags["C_CONTIGUOUS"] and f.rgb.shape == (48, 66, 3) for f in frames)
    np.testing.assert_allclose([f.time_s for f in frames], np.arange(5) / 30, atol=1e-3)


def test_variable_frame_rate_timestamps_are_kept(tmp_path):
    times = [0.0, 0.030, 0.100, 0.110, 0.300, 0.333]
    path = make_video(tmp_path / "vfr.mp4", n_frames=len(times), times_s=times)
    got = [f.time_s for f in iter_frames(path)]
    np.testing.assert_allclose(got, times, atol=1e-3)


@pytest.mark.parametrize(("rotation", "expect_shape", "corner"), [
    (-90, (64, 48, 3), "top-right"),  # phone portrait: rotate clockwise for display
    (90, (64, 48, 3), "bottom-left"),
    (180, (48, 64, 3), "bottom-right"),
])
def test_rotation_metadata_is_applied(tmp_path, rotation, expect_shape, corner):
    path = make_video(tmp_path / "rot.mp4", n_frames=3, width=64, height=48, rotation=rotation)
    info = probe(path)
    assert info.rotation % 360 == rotation % 360
    assert (info.height, info.width) == expect_shape[:2]
    rgb = next(iter_frames(path)).rgb
    assert rgb.shape == expect_shape
    h, w = rgb.shape[:2]
    quads = {"top-left": rgb[: h // 6, : w // 6], "top-right": rgb[: h // 6, -w // 6:],
             "bottom-left": rgb[-h // 6:, : w // 6], "bottom-right": rgb[-h // 6:, -w // 6:]}
    bright = max(quads, key=lambda k: quads[k].mean())
    assert bright == corner


def test_downscale_keeps_aspect_and_reports_scale(tmp_path):
    path = make_video(tmp_path / "big.mp4", n_frames=2, width=320, height=240)
    f = next(iter_frames(path, max_side=160))
    assert f.rgb.shape == (120, 160, 3)
    assert f.scale == pytest.approx(0.5)


def test_prefetch_gives_the_same_frames(tmp_path):
    path = make_video(tmp_path / "p.mp4", n_frames=12)
    plain = [(f.index, f.time_s, f.rgb.sum()) for f in iter_frames(path)]
    pre = [(f.index, f.time_s, f.rgb.sum()) for f in iter_frames(path, prefetch=3)]
    assert plain == pre


def test_prefetch_stops_cleanly_when_consumer_leaves_early(tmp_path):
    path = make_video(tmp_path / "p.mp4", n_frames=30)
    it = iter_frames(path, prefetch=2)
    next(it)
    it.close()  # must not hang


def test_memory_does_not_grow_with_video_length(tmp_path):
    path = make_video(tmp_path / "long.mp4", n_frames=240, width=320, height=240)
    frame_bytes = 320 * 240 * 3
    tracemalloc.start()
    n = 0
    for _ in iter_frames(path, prefetch=4):
        n += 1
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert n == 240
    assert peak < 20 * frame_bytes  # bounded by the prefetch queue, not by 240 frames


def test_not_a_video(tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_text("this is text, not a video\n" * 20)
    with pytest.raises(VideoError, match="not a video file"):
        list(iter_frames(bad))


def test_missing_path_and_folder(tmp_path):
    with pytest.raises(VideoError, match="does not exist"):
        probe(tmp_path / "nope.mp4")
    with pytest.raises(VideoError, match="folder"):
        probe(tmp_path)


def test_truncated_video(tmp_path):
    """An MP4 cut to a third loses its index (written last), so it cannot even be opened."""
    path = make_video(tmp_path / "t.mp4", n_frames=30, width=160, height=120)
    data = path.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 3])
    with pytest.raises(VideoError, match="cut.mp4 is not a video file that can be read"):
        list(iter_frames(cut))


def test_zero_frame_video(tmp_path):
    path = tmp_path / "empty.mp4"
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=30)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
    with pytest.raises(VideoError):
        list(iter_frames(path))


def test_writer_makes_browser_playable_h264(tmp_path):
    out = tmp_path / "o.mp4"
    with VideoWriter(out, 65, 49, fps=30) as w:  # odd sizes are made even
        for i in range(10):
            w.write(pattern(64, 48, i), i / 30,
                    transform=lambda im: np.pad(im, ((0, 1), (0, 1), (0, 0))))
    with av.open(str(out)) as c:
        s = c.streams.video[0]
        assert s.codec_context.name == "h264"
        assert s.codec_context.pix_fmt == "yuv420p"
        assert (s.codec_context.width, s.codec_context.height) == (64, 48)
    frames = list(iter_frames(out))
    assert len(frames) == 10
    np.testing.assert_allclose([f.time_s for f in frames], np.arange(10) / 30, atol=2e-3)
    # moov atom before mdat (+faststart) so browsers can start playing before the end
    data = out.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")
