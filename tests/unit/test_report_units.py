"""The clinical units in the PDF and on the Results page: values with uncertainty, definition,
smallest real change and sources; left out when no height gave centimetres."""

from streamlit.testing.v1 import AppTest

from lumbar_rom.history.store import Store
from lumbar_rom.report.pdf import write_report
from tests.fixtures.clinical import restricted_set, trial
from tests.fixtures.history import save
from tests.unit.test_report import flat

UNITS = {
    "flexion": {"lumbar_estimate_deg": 25.0, "fingertip_to_floor_cm": 18.4,
                "fingertip_to_floor_cm_sd": 2.5},
    "side-bend-left": {"lateral_fingertip_floor_cm": 12.0, "lateral_fingertip_floor_cm_sd": 1.0,
                       "basmi_lateral_flexion_score": 4.33,
                       "basmi_lateral_flexion_score_sd": 0.48},
    "side-bend-right": {"lateral_fingertip_floor_cm": 9.2, "lateral_fingertip_floor_cm_sd": 1.0,
                        "basmi_lateral_flexion_score": 5.67,
                        "basmi_lateral_flexion_score_sd": 0.48},
}


def with_units():
    out = []
    for t in restricted_set():
        v = "front" if t.movement != "flexion" and t.movement != "extension" else "side"
        out.append(trial(t.movement, t.value_deg, t.uncertainty_deg, view=v,
                         extras=UNITS.get(t.movement, t.extras)))
    return out


def test_pdf_holds_the_three_clinical_units(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'u.db'}")
    save(s, "ana", trials=with_units())
    row = s.sessions("ana")[0]
    text = flat(write_report(row, [row], tmp_path / "u.pdf"))
    assert "Clinical units" in text
    assert "Fingertip-to-floor (flexion): 18.4 +/- 4.9 cm (95 %); smallest real change 9.8 cm" \
        in text
    assert "Lateral fingertip-to-floor (left): 12.0 +/- 2.0 cm (95 %); smallest real change " \
        "3.6 cm" in text
    assert "Lateral fingertip-to-floor (right): 9.2" in text
    assert "middle fingertip" in text  # the definition
    # issue 27: the BASMI item (an ankylosing spondylitis index) only with its context
    assert "BASMI" not in text


def ng65_positive():
    from lumbar_rom.clinical.engine import Screening
    from lumbar_rom.clinical.knowledge import knowledge

    i = knowledge().safety.inflammatory
    return Screening(red_flags=dict.fromkeys((*i.entry, *i.criteria[:4]), True), pain_before=3)


def test_pdf_shows_the_basmi_item_with_the_inflammatory_back_pain_context(tmp_path):
    from lumbar_rom.clinical.engine import Profile, assess

    s = Store(f"sqlite:///{tmp_path / 'b.db'}")
    prof, scr = Profile(age=30, sex="male", height_cm=175), ng65_positive()
    trials = with_units()
    s.save_session("bo", prof, scr, trials, assess(prof, scr, trials))
    row = s.sessions("bo")[0]
    text = flat(write_report(row, [row], tmp_path / "b.pdf"))
    # the BASMI item: the score of the mean of both sides, (21.1 - 10.6) / 2.1 = 5.0
    assert "BASMI lateral lumbar flexion (mean of both sides): 5.0" in text
    assert "smallest real change 1.7 points" in text
    assert "Bath Ankylosing Spondylitis Metrology Index" in text and "rheumatologist" in text
    assert "van der Heijde" in text and "Jenkinson" in text  # in the reference list


def test_pdf_without_centimetres_has_no_units_section(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'n.db'}")
    save(s, "ana", trials=restricted_set())
    row = s.sessions("ana")[0]
    assert "Clinical units" not in flat(write_report(row, [row], tmp_path / "n.pdf"))


def _results_page():
    import streamlit as st  # noqa: F401

    from lumbar_rom.app.render import _units
    from lumbar_rom.clinical.engine import Profile, assess
    from tests.unit.test_report_units import ng65_positive, with_units

    trials = with_units()
    _units({t.movement: t for t in trials}, assess(Profile(age=30), ng65_positive(), trials))


def test_results_page_shows_the_units():
    at = AppTest.from_function(_results_page, default_timeout=60)
    at.run()
    assert not at.exception
    md = " ".join(m.value for m in at.markdown)
    assert "Clinical units" in " ".join(h.value for h in at.subheader)
    assert "**Fingertip-to-floor (flexion)**: 18.4 ± 4.9 cm" in md
    assert "**BASMI lateral lumbar flexion (mean of both sides)**: 5.0 ± " in md
    # the definitions, the 95 % and the smallest real change in the Details (issue 27 item 8)
    details = " ".join(m.value for m in next(e for e in at.expander if e.label == "Details")
                       .markdown)
    assert "middle fingertip" in details and "smallest real change is 9.8 cm" in details
    assert "95 %" not in md.replace(details, "")
    assert any("Bath Ankylosing Spondylitis" in i.value for i in at.info)  # its context
