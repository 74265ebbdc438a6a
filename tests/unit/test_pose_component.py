"""The browser camera (issue 32) on the server side: the page's landmark messages, their
de-duplication, the same state machine and trial analysis fed with landmarks instead of frames,
and the committed build against its source (no npm, no network)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from lumbar_rom.app.live import GuidedTrial
from lumbar_rom.app.pose_component import BUILD, SOURCE, Feed, ensure_model, parse_batch
from lumbar_rom.app.webcam import take_landmarks
from lumbar_rom.pose.estimator import FramePose
from tests.fixtures.skeleton import make_trial
from tests.unit.test_live import Clock, Replay, hold_then, run

FRONTEND = SOURCE.parent


def message(seq, start, stop, *, sid="page1", step="flexion", base=None, n=1, ended=False,
            missing=(), fps=30.0, size=None):
    """The page's message for frames ``start..stop`` of ``seq`` (``base``: its ``from``)."""
    w, h = size or seq.frame_size
    frames = []
    for i in range(start, stop):
        if i in missing:
            frames.append([round(1000 * i / fps), w, h, None, None])
            continue
        img = np.concatenate([seq.image[i], seq.visibility[i][:, None]], axis=1)
        frames.append([round(1000 * i / fps), w, h, img.ravel().tolist(),
                       seq.world[i].ravel().tolist()])
    return {"sid": sid, "step": step, "from": start if base is None else base, "n": n,
            "ended": ended, "frames": frames, "stats": {"fps": fps, "infer_ms": 40.0}}


def test_a_message_becomes_the_estimators_arrays_with_nan_for_nobody():
    seq = make_trial("flexion", [60], "side")
    b = parse_batch(message(seq, 0, 5, missing={2}))
    assert b is not None and b.n == 5 and b.start == 0
    assert b.image.shape == (5, 33, 3) and b.world.shape == (5, 33, 3)
    assert b.visibility.shape == (5, 33)
    assert list(b.found) == [True, True, False, True, True]
    assert np.isnan(b.image[2]).all()
    np.testing.assert_allclose(b.image[3], seq.image[3])
    np.testing.assert_allclose(b.world[4], seq.world[4])
    assert b.times_s[1] == pytest.approx(1 / 30, abs=1e-3)
    poses = b.poses()
    assert poses[2] is None and isinstance(poses[0], FramePose)


def test_a_malformed_message_is_refused_and_no_message_is_none():
    assert parse_batch(None) is None
    assert parse_batch({"frames": []}) is None
    with pytest.raises(ValueError):
        parse_batch({"sid": "x", "step": "flexion", "frames": [[0, 640, 480, [1, 2], []]]})
    with pytest.raises(ValueError):
        parse_batch({"sid": "x", "step": "flexion", "frames": [[0, 640]]})
    err = parse_batch({"sid": "x", "error": "this browser has no WebAssembly SIMD"})
    assert err is not None and err.error and err.n == 0


def test_re_sent_frames_are_taken_once_and_a_gap_waits_for_the_resend():
    seq = make_trial("flexion", [60], "side")
    feed = Feed()
    first = feed.new_frames(parse_batch(message(seq, 0, 10)))
    assert first is not None and first.n == 10
    assert feed.ack("flexion") == {"sid": "page1", "step": "flexion", "count": 10}
    # the ack had not reached the page yet: frames 0..14 again, only 10..14 are new
    again = feed.new_frames(parse_batch(message(seq, 0, 15, n=2)))
    assert again is not None and again.n == 5 and again.start == 10
    np.testing.assert_allclose(again.image[0], seq.image[10])
    # a message that starts after a lost one: nothing taken, the page re-sends from the ack
    assert feed.new_frames(parse_batch(message(seq, 20, 25, n=3))) is None
    assert feed.ack("flexion")["count"] == 15
    # a reloaded page (new sid) starts its own count
    other = feed.new_frames(parse_batch(message(seq, 0, 3, sid="page2", n=1)))
    assert other is not None and other.n == 3


def test_the_components_last_value_returned_by_a_rerun_is_not_taken_twice():
    seq = hold_then(10, make_trial("flexion", [60], "side"))
    clock = Clock()
    trial = GuidedTrial("flexion", Replay(seq), clock=clock)
    feed = Feed()
    msg = message(seq, 0, 20)
    assert take_landmarks(msg, trial, feed) == 20
    assert take_landmarks(msg, trial, feed) == 0  # the same value on the next rerun
    assert trial.snapshot().frames == 20
    # the previous step's last message, returned after the step changed, is not this step's
    ext = GuidedTrial("extension", Replay(seq), clock=clock)
    assert take_landmarks(message(seq, 20, 30, n=2), ext, feed) == 0
    assert ext.snapshot().frames == 0


@pytest.mark.parametrize("batch", [1, 15, 45])
def test_landmarks_in_batches_give_the_same_result_as_frames_on_the_server(batch):
    """The browser path (landmarks in batches of 1, 15 or 45 frames) and the server path (the
    same poses from the model, frame by frame) reach the same state and the same result."""
    seq = hold_then(150, make_trial("flexion", [60, 62, 61], "side"))
    n = seq.n_frames + 30
    clock = Clock()
    server = GuidedTrial("flexion", Replay(seq), clock=clock)
    run(server, clock, n)

    clock2 = Clock()
    browser = GuidedTrial("flexion", Replay(seq), clock=clock2)
    feed = Feed()
    for k, start in enumerate(range(0, n, batch)):
        # frames past the clip repeat its last pose, as the replay does
        stop = min(start + batch, n)
        idx = [min(i, seq.n_frames - 1) for i in range(start, stop)]
        msg = message(seq, 0, 0, n=k)
        msg["from"] = start
        for i, j in zip(range(start, stop), idx, strict=True):
            img = np.concatenate([seq.image[j], seq.visibility[j][:, None]], axis=1)
            msg["frames"].append([round(1000 * i / 30), 720, 1280, img.ravel().tolist(),
                                  seq.world[j].ravel().tolist()])
        clock2.t = stop / 30
        take_landmarks(msg, browser, feed)
        browser.tick()
    a, b = server.snapshot(), browser.snapshot()
    assert b.phase == a.phase == "done" and b.reps == 3
    assert a.result is not None and b.result is not None
    assert b.result.value_deg == pytest.approx(a.result.value_deg, abs=0.05)
    assert b.fps == pytest.approx(30, rel=0.05)
    assert b.latency_ms == 40.0  # the page's own inference time


def test_the_live_angle_reference_is_given_while_moving_only():
    seq = hold_then(150, make_trial("flexion", [60, 62, 61], "side"))
    clock = Clock()
    g = GuidedTrial("flexion", Replay(seq), clock=clock)
    assert g.live_reference() is None
    while g.snapshot().phase != "moving":
        run(g, clock, 1)
    ref = g.live_reference()
    assert ref is not None and ref["signal"] == "sagittal" and ref["sign"] in (1.0, -1.0)
    assert np.isfinite(ref["neutral"])


def test_a_page_that_stops_its_camera_stalls_the_step():
    seq = hold_then(60, make_trial("flexion", [60], "side"))
    trial = GuidedTrial("flexion", Replay(seq), clock=Clock())
    msg = message(seq, 0, 10, ended=True)
    take_landmarks(msg, trial, Feed())
    assert trial.snapshot().phase == "stalled"


def test_the_component_folder_holds_the_model_and_the_committed_build_matches_the_source(
        tmp_path):
    """The build served to the browser is the source's (``npm run build`` copies it) and the
    tasks-vision version pinned by package-lock.json; every file listed in BUILD.json is there
    with its checksum. The model is linked into the folder when the app starts."""
    info = json.loads((BUILD / "BUILD.json").read_text())
    lock = json.loads((FRONTEND / "package-lock.json").read_text())
    assert info["@mediapipe/tasks-vision"] == \
        lock["packages"]["node_modules/@mediapipe/tasks-vision"]["version"]
    for src in SOURCE.iterdir():
        assert (BUILD / src.name).read_bytes() == src.read_bytes(), f"rebuild: {src.name}"
    for name, digest in info["files"].items():
        assert hashlib.sha256((BUILD / name).read_bytes()).hexdigest() == digest, name
    assert {"index.html", "main.js", "vision_bundle.mjs", "vision_wasm_internal.js",
            "vision_wasm_internal.wasm"} <= set(info["files"])
    build = tmp_path / "build"
    build.mkdir()
    model = ensure_model(build)
    assert model.parent == build and model.stat().st_size > 1_000_000
    assert ensure_model(build) == model  # once


def test_no_address_off_the_machine_in_the_page_source_and_its_policy_forbids_one():
    """The page loads everything from its own folder (relative URLs): no http(s) address in the
    code written here; its Content-Security-Policy lets it connect to its own server only (the
    tasks-vision bundle has a usage-log address, which the policy refuses)."""
    for src in SOURCE.iterdir():
        text = src.read_text()
        assert "http://" not in text and "https://" not in text, src.name
    html = (BUILD / "index.html").read_text()
    policy = html.split('http-equiv="Content-Security-Policy" content="')[1].split('"')[0]
    rules = dict(r.strip().split(" ", 1) for r in policy.split(";") if r.strip())
    assert rules["default-src"] == "'none'" and rules["connect-src"] == "'self'"
    assert rules["script-src"].split() == ["'self'", "'wasm-unsafe-eval'"]
    assert "odml.pa.googleapis.com" in (BUILD / "vision_bundle.mjs").read_text()


def test_a_read_only_install_serves_a_copy_from_the_users_cache(tmp_path, monkeypatch):
    import platformdirs

    import lumbar_rom.app.pose_component as pc

    build = tmp_path / "site" / "build"
    build.mkdir(parents=True)
    for name in ("BUILD.json", "index.html", "main.js"):
        (build / name).write_bytes((BUILD / name).read_bytes())
    real = pc.ensure_model

    def refuse_the_package(folder: Path = BUILD) -> Path:
        if folder == build:
            raise PermissionError(13, "Permission denied")
        return real(folder)

    monkeypatch.setattr(pc, "ensure_model", refuse_the_package)
    monkeypatch.setattr(platformdirs, "user_cache_dir", lambda name: str(tmp_path / "cache"))
    served = pc.component_dir(build)
    assert served.is_relative_to(tmp_path / "cache")
    assert (served / "index.html").read_bytes() == (BUILD / "index.html").read_bytes()
    assert (served / pc.MODEL_NAME).stat().st_size > 1_000_000


def test_a_gap_in_the_pages_frames_stays_real_time_and_a_reload_continues():
    """The page's clock runs for the whole visit: 4 s without an analysed picture are 4 s (not
    closed up as a restarted WebRTC stream's are); a reloaded page's clock starts lower and
    continues after the last frame."""
    seq = hold_then(200, make_trial("flexion", [60], "side"))
    trial = GuidedTrial("flexion", Replay(seq), clock=Clock())
    feed = Feed()
    first = message(seq, 0, 30)  # 0 .. 0.97 s
    later = message(seq, 150, 180, n=2, base=30)  # 5.0 .. 5.97 s: a 4 s gap
    take_landmarks(first, trial, feed)
    take_landmarks(later, trial, feed)
    assert trial._last_t == pytest.approx(5.97, abs=0.02)
    reloaded = message(seq, 0, 10, sid="page2")
    take_landmarks(reloaded, trial, feed)
    assert trial._last_t == pytest.approx(5.97 + 1 / 30 + 0.3, abs=0.02)
