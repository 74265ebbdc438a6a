"""Pictures of the positions (issue 31): rendered once with the validation studio
(scripts/render_pictures.py), committed small, and shown with the dose in plain words: in the
stretch plan on Results and beside the hold chosen on Upload."""

from pathlib import Path

import pytest
from PIL import Image

from lumbar_rom.app import service
from lumbar_rom.app.widgets import PICTURES, position_picture
from lumbar_rom.assessment.hold import HOLD_TESTS
from lumbar_rom.clinical import knowledge as K
from tests.fixtures.app import PAGE, screened
from tests.fixtures.clinical import restricted_set

pytestmark = pytest.mark.slow


def test_the_pictures_are_small_pngs_of_known_positions():
    files = sorted(PICTURES.glob("*.png"))
    import tomllib

    data = (Path(K.__file__).parent / "data" / "stretches.toml").read_text()
    known = set(HOLD_TESTS) | set(tomllib.loads(data)["stretches"])
    assert {f.stem for f in files} >= set(HOLD_TESTS) | {"standing_side_bend"}
    for f in files:
        assert f.stem in known, f.name
        assert f.stat().st_size < 12_000  # small: committed package data
        with Image.open(f) as img:
            assert img.format == "PNG" and img.size == (360, 240)
            assert len(img.convert("L").getcolors(256) or []) > 8  # a picture, not a blank


def captions(at):
    return [c for im in at.get("image") for c in im.captions]


def test_the_stretch_plan_shows_the_side_bend_with_its_dose(app, monkeypatch):
    def fake(path, movement, height_cm, on_progress=None, mirrored=False, on_wait=None):
        return restricted_set(), b"x"  # the left side bend restricted: the standing side bend

    monkeypatch.setattr(service, "analyse_upload", fake)
    screened(app)
    app.switch_page(PAGE.format("upload")).run()
    up = app.get("file_uploader")[0]
    up.upload("mine.mp4", b"\x00" * 10, "video/mp4")
    app.run()
    next(b for b in app.button if b.label == "Analyse").click().run()
    app.switch_page(PAGE.format("results")).run()
    assert not app.exception
    shown = captions(app)
    assert any(c.startswith("Standing side bend: ") and " s" in c for c in shown), shown
    assert position_picture("standing_side_bend") is not None


def test_a_hold_shows_its_position_on_upload(app):
    screened(app)
    app.switch_page(PAGE.format("upload")).run()
    box = next(s for s in app.selectbox if s.label == "Which movement is in the video?")
    box.set_value("side-plank-left").run()
    shown = captions(app)
    assert any("hold the position as long as you can" in c and "stop at once if it hurts" in c
               for c in shown), shown
