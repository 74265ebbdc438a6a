"""The validation studio: assets, skinning and rendering move the body as posed."""

from dataclasses import replace

import numpy as np
import pytest

from lumbar_rom.studio.body import load_body
from lumbar_rom.studio.pose import MovementPose, body_pose, landmarks, skin
from lumbar_rom.studio.render import Camera, Renderer
from lumbar_rom.studio.scenarios import Scenario, render_scenario, tip_vertices
from lumbar_rom.video.reader import iter_frames

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def body():
    return load_body("male")  # the CC0 assets `make test-data` fetched


def trunk_angles(body, pose):
    _, heads = skin(body, body_pose(pose))
    lm = landmarks(body, heads)
    v = 0.5 * (lm["left_shoulder"] + lm["right_shoulder"]) - 0.5 * (lm["left_hip"]
                                                                    + lm["right_hip"])
    return np.degrees(np.arctan2(v[2], v[1])), np.degrees(np.arctan2(v[0], v[1])), lm


def test_rest_body_is_upright_human_sized(body):
    sag, fro, lm = trunk_angles(body, MovementPose())
    height = body.vertices[:, 1].max() - body.vertices[:, 1].min()
    assert 1.5 < height < 2.0
    assert abs(sag) < 8 and abs(fro) < 1
    assert lm["left_hip"][0] > 0 > lm["right_hip"][0]  # x = the figure's left


def test_skinning_moves_the_trunk_the_posed_way(body):
    sag0, _, _ = trunk_angles(body, MovementPose())
    sag, _, _ = trunk_angles(body, MovementPose(spine_flexion=40, hip_flexion=30))
    assert 40 < sag - sag0 < 70  # forward; the trunk line turns less than the bones
    ext, _, _ = trunk_angles(body, MovementPose(spine_flexion=-20))
    assert ext < sag0
    _, fro, _ = trunk_angles(body, MovementPose(spine_side_bend=30))
    assert 10 < fro < 30  # toward the figure's left
    verts0, _ = skin(body, body_pose(MovementPose()))
    verts, _ = skin(body, body_pose(MovementPose(spine_flexion=60)))
    feet = verts0[:, 1] < 0.1
    np.testing.assert_allclose(verts[feet], verts0[feet], atol=1e-9)  # the legs stay put


@pytest.mark.parametrize("backend", ["auto", "cv"])
def test_rendered_shoulders_move_forward_in_a_side_view(body, backend):
    cam = Camera(yaw=-90.0, width=180, height_px=320)  # figure faces the image right
    r = Renderer(cam, backend=backend)
    try:
        frames, shoulders = [], []
        for flex in (0.0, 50.0):
            verts, heads = skin(body, body_pose(MovementPose(spine_flexion=flex, hip_flexion=flex
                                                             / 2)))
            frames.append(r.render(verts, body.faces, body.colors))
            lm = landmarks(body, heads)
            shoulders.append(cam.project(np.array([0.5 * (lm["left_shoulder"]
                                                          + lm["right_shoulder"])]))[0])
    finally:
        r.close()
    bg = frames[0][0, 0]
    for img, sh in zip(frames, shoulders, strict=True):
        x, y = int(sh[0]), int(sh[1])
        assert np.any(img[y - 2:y + 3, x - 2:x + 3] != bg)  # the body is drawn where it is posed
    assert shoulders[1][0] > shoulders[0][0] + 20  # mid-shoulder moved toward image right
    upper = [np.argwhere(np.any(f[:140] != bg, axis=2)) for f in frames]
    assert upper[1][:, 1].mean() > upper[0][:, 1].mean()  # the drawn upper body moved right too


def test_tiny_clip_and_sidecar(tmp_path, estimator):
    s = Scenario("side-bend-left", (20.0,), width=180, height=320, fps=10.0, neutral_s=0.6,
                 rise_s=0.6, hold_s=0.3, rest_s=0.2)
    video, sidecar = render_scenario(s, tmp_path)
    frames = list(iter_frames(video))
    import json

    truth = json.loads(sidecar.read_text())["truth"]
    assert len(frames) == len(truth["time_s"])
    assert 10 < truth["rom_deg"] < 20
    again = render_scenario(s, tmp_path)  # cached: not rendered again
    assert again[0].stat().st_mtime == video.stat().st_mtime
    assert replace(s, body="female").key() != s.key()


@pytest.mark.parametrize(("scenario", "flag"), [
    (Scenario("flexion", (70.0, 70.0, 70.0), view="front", width=270, height=480, fps=15.0),
     "wrong_view"),
    (Scenario("rotation-left", (40.0, 40.0, 40.0), pelvis_rotation=25.0, width=270, height=480,
              fps=15.0), "pelvis_turning"),
])
def test_rendered_compensations_are_flagged(tmp_path, estimator, scenario, flag):
    from lumbar_rom.pipeline import analyze_video

    video, _ = render_scenario(scenario, tmp_path)
    trial = analyze_video(video, scenario.movement, estimator=estimator).trials[0]
    assert flag in {f.code for f in trial.flags}


def test_dowel_goes_through_both_hands_and_turns_with_the_thorax(body):
    import numpy as np

    from lumbar_rom.studio.pose import dowel_mesh

    spans = []
    for rot in (0.0, 40.0):
        _, heads = skin(body, body_pose(MovementPose(arms="dowel", spine_rotation=rot)))
        lm = landmarks(body, heads)
        verts, faces = dowel_mesh(lm["left_wrist"], lm["right_wrist"])
        axis = lm["left_wrist"] - lm["right_wrist"]
        length = np.ptp(verts @ (axis / np.linalg.norm(axis)))
        assert length == pytest.approx(np.linalg.norm(axis) + 0.5, abs=1e-6)
        assert faces.max() < len(verts)
        spans.append(abs(axis[0]))  # span seen by a camera in front (x)
    # the hands are carried by the thorax: the frontal span foreshortens by cos(rotation)
    assert spans[1] / spans[0] == pytest.approx(np.cos(np.radians(40.0)), abs=0.02)


@pytest.mark.parametrize(("bend", "side", "other"), [(30.0, "L", "R"), (-30.0, "R", "L")])
def test_in_a_side_bend_the_arm_bent_to_hangs_and_the_other_is_carried(body, bend, side, other):
    """The hand on the side bent to moves down as a whole (the fingertip as far as the knuckles
    and the shoulder: the hand does not tilt with the trunk); the other arm turns with it."""
    def points(pose, s):
        verts, heads = skin(body, body_pose(pose))
        return np.array([heads[body.bone(f"upperarm01.{s}")], heads[body.bone(f"wrist.{s}")],
                         heads[body.bone(f"finger2-1.{s}")],
                         verts[tip_vertices(body)[0 if s == "L" else 1]]])

    for s, hangs in ((side, True), (other, False)):
        p0 = points(MovementPose(), s)
        p1 = points(MovementPose(spine_side_bend=bend), s)
        drops = p0[:, 1] - p1[:, 1]  # shoulder, wrist, knuckle, fingertip
        if hangs:
            assert drops[0] > 0.05  # the shoulder goes down ...
            np.testing.assert_allclose(drops, drops[0], atol=1e-9)  # ... and the hand with it
            np.testing.assert_allclose(p1 - p1[0], p0 - p0[0], atol=1e-9)  # hangs as standing
        else:
            assert drops[0] < 0  # the shoulder rises
            tilt = np.degrees(np.arctan2(*(p1[3] - p1[0])[[0, 1]])
                              - np.arctan2(*(p0[3] - p0[0])[[0, 1]]))
            assert abs(tilt) > 10  # shoulder -> fingertip turned with the trunk


def test_the_side_bend_rig_change_renews_only_side_bend_cache_keys():
    from lumbar_rom.studio.scenarios import RIG_REVISION

    assert RIG_REVISION["side-bend-left"] >= 1
    s = Scenario("side-bend-left")
    plain = replace(s, movement="flexion")
    import hashlib
    import json
    from dataclasses import asdict

    def old_key(x):  # the key before the rig revision (and before the later optional fields)
        d = {k: v for k, v in asdict(x).items() if k not in ("arms_only", "sides")}
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:12]

    assert s.key() != old_key(s)  # a cached side-bend render from the old rig is not reused
    assert plain.key() == old_key(plain)  # other movements keep their cached renders
