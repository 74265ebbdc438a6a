"""Hostile input on the app's pages (issue 16) and the results page's own defects (issue 17),
driven with AppTest on a hand-made visit (no pose model): stored files stay in the data folder,
user text is shown as text, no traceback reaches a page, nobody's history opens by default,
one trial per movement chosen by validity, each card plays its own segment, the CSV says when
and who."""

from __future__ import annotations

import csv
import io
import os
import re
import tomllib
from datetime import datetime, timedelta
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lumbar_rom.app import service
from lumbar_rom.app.state import Visit
from lumbar_rom.app.text import md
from lumbar_rom.assessment.trial import Flag, Repetition
from lumbar_rom.clinical.engine import Profile, Screening, assess
from tests.fixtures.clinical import trial

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "streamlit_app.py")
PAGE = "src/lumbar_rom/app/page_files/{}.py"

IMAGE_NAME = "![x](http://example.com/x.png)"
HOSTILE_NAMES = [IMAGE_NAME, "**bold** [link](http://example.com)", "$x^2$ Smith"]


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("LUMBAR_ROM_DB", f"sqlite:///{tmp_path / 'app.db'}")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    with mock.patch("streamlit_webrtc.component.get_this_session_info", return_value=None):
        yield AppTest.from_file(APP, default_timeout=120)


def shown(at) -> list[str]:
    """Every text the page hands to the browser's markdown renderer (bodies and labels)."""
    out = []
    for kind in ("markdown", "success", "error", "warning", "info", "caption", "subheader",
                 "title", "header"):
        out += [e.value for e in at.get(kind)]
    for kind in ("button", "text_input", "selectbox", "checkbox", "download_button", "slider"):
        out += [e.label for e in at.get(kind)]
    return out


def assert_escaped(texts: list[str], name: str) -> None:
    """``name`` never appears raw in markdown (only escaped), and no image or link syntax."""
    import re

    from lumbar_rom.data import load_toml

    body = "\n".join(texts)
    assert name not in body
    assert "![" not in body and "**bold**" not in body
    assert "$x^2$" not in body
    # the only links are the cited sources' own (sources.toml), never one made of user text
    cited = {e["url"] for e in load_toml("sources.toml", package="lumbar_rom.clinical")
             ["sources"].values() if isinstance(e, dict) and e.get("url")}
    assert set(re.findall(r"\]\(([^)\s]+)\)", body)) <= cited


def stored_person(name: str, days: tuple[int, ...] = (0, 33)) -> None:
    from lumbar_rom.history.store import Store

    store = Store(os.environ["LUMBAR_ROM_DB"])
    prof, t0 = Profile(age=40), datetime.now() - timedelta(days=40)
    for day in days:
        trials = [trial("flexion", 40.0 + day / 10, 3), trial("extension", 30.0, 3)]
        scr, when = Screening(pain_before=4), t0 + timedelta(days=day)
        store.save_session(name, prof, scr, trials, assess(prof, scr, trials, now=when),
                           started_at=when, notes=f"note of {name}")


def segment_trial(movement, value, start, stop, status="ok", reps=3, flags=()):
    """A trial covering ``[start, stop]`` s of its video, with ``reps`` repetitions."""
    t = trial(movement, value, 3, status=status, flags=flags, view="front")
    times = np.linspace(start, stop, 20)
    r = tuple(Repetition(start + 1, start + 2, start + 3, value, 0.0) for _ in range(reps))
    return type(t)(**{**t.__dict__, "time_s": times, "excursion_deg": np.zeros(20),
                      "repetitions": r, "used_repetitions": tuple(range(reps))})


def screened_visit(person="me", trials=(), videos=None) -> Visit:
    v = Visit(person=person, screened=True, screening=Screening(pain_before=2),
              started_at=datetime(2026, 11, 30, 9, 15))
    v.trials = {t.movement: t for t in trials}
    v.videos = dict(videos or {})
    return v


# --- files named from ids, inside the data folder --------------------------------------------

@pytest.mark.parametrize("name", ["../../../escape", "../../../../../../../../tmp/x",
                                  "/abs/olute", "a/../../b"])
def test_kept_videos_are_named_from_ids_inside_the_data_folder(tmp_path, monkeypatch, name):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    before = set(Path("/tmp").glob("x-*"))
    v = screened_visit(name, videos={"side-bend-left": b"mp4", "rotation-left": b"mp4"})
    folder = Path(service.keep_videos(v))
    data = (tmp_path / "data").resolve()
    written = [p.resolve() for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) == 2 and all(p.is_relative_to(data / "lumbar-rom") for p in written)
    assert folder.resolve().is_relative_to(data)
    names = sorted(str(p.relative_to(data / "lumbar-rom" / "videos")) for p in written)
    assert [n.split("/")[1] for n in names] == ["01-rotation-left.mp4", "02-side-bend-left.mp4"]
    assert re.fullmatch(r"visit-20261130-091500-[0-9a-f]{8}", names[0].split("/")[0])
    assert set(Path("/tmp").glob("x-*")) == before


def test_a_path_outside_the_data_folder_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    with pytest.raises(ValueError, match="outside the data folder"):
        service.inside_data_dir(service.data_dir() / ".." / ".." / "elsewhere.mp4")


# --- user text shown as text ------------------------------------------------------------------

def test_md_escapes_every_markdown_special():
    for special in ["![", "[", "*", "_", "`", "$", "<", "#", "|", ":", "~", ">"]:
        assert md(f"a{special}b") == "a" + "".join("\\" + c for c in special) + "b"
    assert md("Anna\nBerg") == "Anna Berg"  # one line: a newline would start a block


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_are_shown_as_text_on_progress_and_results(app, name):
    stored_person(name)
    app.session_state["visit"] = screened_visit(name)
    app.switch_page(PAGE.format("progress")).run()
    assert not app.exception
    assert app.selectbox[0].value == name  # the person of this visit is pre-selected
    assert_escaped(shown(app), name)
    assert any(md(name) in t for t in shown(app)) or app.get("code")
    # the text to type equals the text shown (plain, as code), and deletes
    assert [c.value for c in app.get("code")] == [name]
    box = next(t for t in app.text_input if t.key == "confirm_all")
    delete = next(b for b in app.button if b.label == "Delete everything for this person")
    assert delete.disabled
    box.set_value(name).run()
    next(b for b in app.button if b.label == "Open").click().run()
    assert not app.exception
    assert app.title[0].value.startswith("Session of ")  # a stored session, shown as such
    assert_escaped(shown(app), name)
    assert f"of {md(name)}" in " ".join(h.value for h in app.subheader)
    assert md(f"note of {name}") in " ".join(c.value for c in app.caption)


def test_delete_all_needs_the_exact_name_shown(app):
    stored_person(IMAGE_NAME)
    app.session_state["visit"] = screened_visit(IMAGE_NAME)
    app.switch_page(PAGE.format("progress")).run()
    box = next(t for t in app.text_input if t.key == "confirm_all")
    box.set_value("x").run()  # what a rendered image's alt text would show
    assert next(b for b in app.button if b.label.startswith("Delete everything")).disabled
    next(t for t in app.text_input if t.key == "confirm_all").set_value(IMAGE_NAME).run()
    next(b for b in app.button if b.label.startswith("Delete everything")).click().run()
    from lumbar_rom.app.state import store

    assert store().sessions(IMAGE_NAME) == []


def test_hostile_upload_file_name_is_shown_as_text(app):
    app.session_state["visit"] = screened_visit()
    app.switch_page(PAGE.format("upload")).run()
    name = "![y](http:example.com) **b** $x$.mp4"
    app.get("file_uploader")[0].upload(name, b"this is not a video" * 50, "video/mp4")
    app.run()
    next(b for b in app.button if b.label == "Analyse").click().run()
    assert not app.exception
    assert app.error, "the unreadable file gives an error"
    assert_escaped(shown(app), name)


# --- no traceback reaches a page --------------------------------------------------------------

def test_a_failing_page_shows_one_sentence_and_logs_the_details(app, caplog):
    from lumbar_rom.app.main import PAGE_FAILED

    secret = "/srv/secret/lumbar/app.db is locked"
    with mock.patch("lumbar_rom.app.page_progress.store", side_effect=RuntimeError(secret)):
        app.switch_page(PAGE.format("progress")).run()
    assert not app.exception  # Streamlit's exception element (the traceback) is not drawn
    assert [e.value for e in app.error] == [PAGE_FAILED]
    body = "\n".join(shown(app))
    assert "Traceback" not in body and "/srv/secret" not in body and ".py" not in body
    assert secret in caplog.text and "Traceback" in caplog.text  # the log has the details


def test_a_304_character_unicode_file_name_gives_no_traceback(app):
    app.session_state["visit"] = screened_visit()
    app.switch_page(PAGE.format("upload")).run()
    name = "é" * 300 + ".mp4"
    app.get("file_uploader")[0].upload(name, b"this is not a video" * 50, "video/mp4")
    app.run()
    next(b for b in app.button if b.label == "Analyse").click().run()
    assert not app.exception
    assert app.error
    body = "\n".join(shown(app))
    assert "Traceback" not in body and "/tmp" not in body and "site-packages" not in body


def test_config_hides_error_details_and_developer_tools():
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert cfg["client"]["showErrorDetails"] == "none"
    assert cfg["client"]["toolbarMode"] in ("viewer", "minimal")


# --- nobody's history opens by default -------------------------------------------------------

def test_progress_opens_nobody_by_default_and_lists_only_saved_people(app):
    from lumbar_rom.history.store import Store

    stored_person("zoe")
    stored_person("adam")
    Store(os.environ["LUMBAR_ROM_DB"]).person("only-typed", Profile(age=30))  # never saved
    app.switch_page(PAGE.format("progress")).run()  # a new browser session
    assert not app.exception
    box = app.selectbox[0]
    assert box.value is None and box.options == ["adam", "zoe"]
    assert "Sessions" not in [h.value for h in app.subheader]
    assert not [m for m in app.markdown if "(#" in m.value]  # no session listed
    assert not app.get("download_button")
    box.set_value("zoe").run()  # a deliberate choice opens it
    assert len([m for m in app.markdown if "(#" in m.value]) == 2


# --- one trial per movement, chosen by validity ----------------------------------------------

def test_keep_trials_keeps_the_valid_trial_in_either_order():
    real = segment_trial("rotation-left", 45.0, 0, 8, reps=3)
    spurious = segment_trial("rotation-left", 7.0, 8, 12, status="inconclusive", reps=0,
                             flags=(Flag("no-repetition", "No repetition was found.", True),))
    for order in ([real, spurious], [spurious, real]):
        v = screened_visit()
        for t in order:
            service.keep_trials(v, [t], b"replay of " + str(t.value_deg).encode())
        assert v.trials["rotation-left"] is real
        assert v.videos["rotation-left"] == b"replay of 45.0"
    v = screened_visit()  # both in one file's trials, also either order
    service.keep_trials(v, [spurious, real], b"one file")
    assert v.trials["rotation-left"] is real


def test_keep_trials_prefers_more_repetitions_then_fewer_flags():
    warn = (Flag("lean", "Leaning.", False),)
    two = segment_trial("flexion", 50.0, 0, 5, reps=2)
    three = segment_trial("flexion", 60.0, 0, 5, reps=3)
    blocked = segment_trial("flexion", 70.0, 0, 5, status="inconclusive", reps=3,
                            flags=(Flag("x", "Blocked.", True),))
    for order in ([two, three, blocked], [blocked, three, two], [three, blocked, two]):
        v = screened_visit()
        for t in order:
            service.keep_trials(v, [t], b"")
        assert v.trials["flexion"] is three
    a, b = segment_trial("extension", 20.0, 0, 5), segment_trial("extension", 25.0, 0, 5)
    b = type(b)(**{**b.__dict__, "flags": warn})
    assert service.trial_rank(a) != service.trial_rank(b)


# --- results page: own segments, narrow videos, CSV with date and person ---------------------

def test_each_card_plays_its_own_segment_in_a_narrow_column(app):
    trials = [segment_trial("side-bend-left", 12.0, 0.4, 9.6),
              segment_trial("rotation-left", 45.0, 10.2, 19.5)]
    app.session_state["visit"] = screened_visit(
        trials=trials, videos={t.movement: b"the same replay" for t in trials})
    app.switch_page(PAGE.format("results")).run()
    assert not app.exception
    videos = app.get("video")
    segments = sorted((v.proto.start_time, v.proto.end_time) for v in videos)
    assert segments == [(0, 10), (10, 20)]
    # each video sits in a column beside its curve, not across the page's full width
    in_columns = [v for col in app.columns for v in col.get("video")]
    assert len(in_columns) == 2
    spec = [c.weight for c in app.columns if c.get("video")]
    assert all(w < 0.5 for w in spec)


def test_results_csv_has_date_and_person():
    from lumbar_rom.app.charts import results_csv

    trials = [trial("flexion", 40.0, 3), trial("extension", 30.0, 3)]
    a = assess(Profile(age=40), Screening(pain_before=2), trials)
    rows = list(csv.DictReader(io.StringIO(
        results_csv(a, person="=HYPERLINK(1)", when=datetime(2026, 11, 30, 9, 15)))))
    assert rows and all(r["date"] == "2026-11-30 09:15" for r in rows)
    assert all(r["person"] == "'=HYPERLINK(1)" for r in rows)  # text, not a formula
    assert {r["movement"] for r in rows} >= {"flexion", "extension"}


def test_results_page_downloads_csv_with_visit_date_and_person(app):
    app.session_state["visit"] = screened_visit("bea", [segment_trial("flexion", 40.0, 0, 8)])
    app.switch_page(PAGE.format("results"))
    from lumbar_rom.app import charts

    with mock.patch.object(charts, "results_csv", wraps=charts.results_csv) as made:
        app.run()
    assert not app.exception
    assert made.call_args.kwargs == {"person": "bea", "when": datetime(2026, 11, 30, 9, 15)}


def test_menu_and_card_icons_are_material_symbols_bundled_offline():
    import streamlit

    from lumbar_rom.app.navigation import PAGE_SPECS

    assert all(icon.startswith(":material/") for _k, _t, icon in PAGE_SPECS)
    static = Path(streamlit.__file__).parent / "static"
    assert list(static.rglob("MaterialSymbols*.woff2")), "the icon font ships with Streamlit"
    src = (ROOT / "src/lumbar_rom/app").glob("*.py")
    owned = {"navigation.py", "render.py", "main.py", "page_results.py", "page_progress.py"}
    for p in src:
        if p.name in owned:
            assert not [c for c in p.read_text() if 0x1F000 <= ord(c) <= 0x1FAFF], p.name


def test_no_emoji_in_the_app_sources():
    """Debian's Chromium has no emoji font: every icon is a Material symbol or plain text."""
    import re

    app_dir = Path(__file__).resolve().parents[2] / "src" / "lumbar_rom" / "app"
    emoji = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF]")
    found = [f"{p.name}:{i}" for p in app_dir.rglob("*.py")
             for i, line in enumerate(p.read_text("utf-8").splitlines(), 1) if emoji.search(line)]
    assert found == []
