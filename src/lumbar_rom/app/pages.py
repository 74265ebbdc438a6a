"""The pages of the Streamlit app: thin shells over the library.

Start (profile + safety screening) -> Guided test (webcam) or Upload -> Results -> Progress.
Every error a person can cause is shown as one plain sentence with a way forward.
"""

from __future__ import annotations

import json
import tempfile
from datetime import datetime, time, timedelta
from pathlib import Path

import numpy as np
import streamlit as st

from lumbar_rom.app import charts
from lumbar_rom.app.state import MAX_UPLOAD_MB, SAMPLES, new_visit, store, visit
from lumbar_rom.assessment.protocol import MOVEMENTS, movement_spec
from lumbar_rom.clinical.engine import Assessment, Profile, Screening, assess, screen
from lumbar_rom.clinical.knowledge import citations, knowledge
from lumbar_rom.clinical.summary import DISCLAIMER
from lumbar_rom.errors import LumbarRomError

STATUS_ICON = {"normal": "✅", "restricted": "🟠", "inconclusive": "❔", "above normal": "🔵",
               "pain-limited": "✋", "not tested": "—"}


def _sources(source_text: str) -> None:
    cites = citations(source_text)
    if cites:
        with st.expander("Sources"):
            for k, c in cites:
                st.markdown(f"- **{k}**: {c}")


def _show_gate(a: Assessment) -> None:
    for s in a.safety:
        (st.error if a.status == "stopped-red-flag" else st.warning)(s.text)
    if a.retest_after:
        st.info(f"You can do the test after {a.retest_after.replace('T', ' at ')}.")
    _sources("; ".join(s.source for s in a.safety))


# ---- Start ----------------------------------------------------------------------------------


def start_page() -> None:
    st.title("lumbar-rom")
    st.write("Measure how far your lower back bends, compared with normal ranges, and stretch "
             "only what is truly restricted. " + DISCLAIMER)
    v = visit()
    k = knowledge()
    try:
        known = [p.name for p in store().people()]
    except Exception as err:  # the database is outside our control: say so, carry on
        st.warning(f"The history database cannot be read ({err}); results will not be saved.")
        known = []
    who = st.selectbox("Who is testing?", ["someone new", *known],
                       index=1 + known.index(v.person) if v.person in known else 0,
                       help="Profiles are kept on this computer; each person's results stay "
                            "apart.")
    stored = store().profile(who) if known and who != "someone new" else None
    base = stored or v.profile
    sexes = ["female", "male", "other / prefer not to say"]
    with st.form("start"):
        st.subheader("About you")
        name = st.text_input("Name or nickname (keeps your results apart on this computer)",
                             value=who if stored else (v.person or "me"))
        c1, c2, c3 = st.columns(3)
        age = c1.number_input("Age (years)", 16, 100, int(base.age or 40))
        sex = c2.selectbox("Sex", sexes,
                           index=sexes.index(base.sex) if base.sex in sexes else 0)
        height = c3.number_input("Height (cm)", 120, 220, int(base.height_cm or 170))
        st.subheader("Safety questions")
        st.caption("Answer honestly: some back problems must be checked by a doctor first.")
        flags = {q["id"]: st.radio(q["question"], ["No", "Yes"], horizontal=True,
                                   key=f"rf_{q['id']}") == "Yes" for q in k.safety["red_flags"]}
        injured = st.radio("Did you injure your back recently (a strain, a fall, lifting)?",
                           ["No", "Yes"], horizontal=True) == "Yes"
        c1, c2 = st.columns(2)
        inj_day = c1.date_input("When? (date)", value=datetime.now().date())
        inj_time = c2.time_input("When? (time)", value=time(8, 0))
        pain = st.slider("Pain right now (0 = none, 10 = worst imaginable)", 0, 10, 2)
        st.subheader("Habits (optional)")
        factors = {}
        for q in k.factors["questions"]:
            ans = st.radio(q["question"], ["Not answered", "Yes", "No"], horizontal=True,
                           key=f"f_{q['id']}")
            if ans != "Not answered":
                factors[q["id"]] = ans == "Yes"
        with st.expander("Optional checks that narrow down which muscles limit you"):
            slr = st.number_input("Straight-leg raise of the tighter leg (degrees, 0 = not "
                                  "done)", 0, 120, 0)
            thomas = st.radio("Thomas test: did the other thigh lift off the bed?",
                              ["Not done", "Yes", "No"], horizontal=True)
        go = st.form_submit_button("Continue", type="primary")
    if not go:
        if v.gate is not None:
            _show_gate(v.gate)
        return
    injury = datetime.combine(inj_day, inj_time) if injured else None
    if injury is not None and injury > datetime.now():
        st.error("The injury time is in the future; check the date and time.")
        return
    checks: dict[str, float | bool] = {}
    if slr:
        checks["straight_leg_raise_deg"] = float(slr)
    if thomas != "Not done":
        checks["thomas_test_positive"] = thomas == "Yes"
    v = new_visit(keep_person=False)
    v.person = name.strip() or "me"
    v.profile = Profile(age=float(age), sex=sex, height_cm=float(height), injury=injury)
    v.screening = Screening(red_flags=flags, pain_before=int(pain), factors=factors,
                            checks=checks)
    v.gate = screen(v.screening, v.profile, datetime.now())
    v.screened = True
    try:
        store().person(v.person, v.profile)  # the profile is kept on this computer
    except Exception as err:
        st.warning(f"Your profile could not be stored ({err}); the test still works.")
    if v.gate is not None:
        _show_gate(v.gate)
        return
    st.success("Thank you. Choose how to measure: the guided webcam test, or upload videos.")
    c1, c2 = st.columns(2)
    c1.page_link(PAGES["guided"], label="Guided webcam test", icon="🎥")
    c2.page_link(PAGES["upload"], label="Upload videos", icon="📁")


def _need_screening() -> bool:
    v = visit()
    if not v.screened:
        st.warning("Please answer the safety questions on the Start page first.")
        st.page_link(PAGES["start"], label="Go to Start", icon="🏠")
        return True
    if v.gate is not None:
        _show_gate(v.gate)
        return True
    return False


# ---- Upload ---------------------------------------------------------------------------------


def _analyse_file(path: Path, movement: str, label: str) -> None:
    from lumbar_rom.app.state import file_estimator
    from lumbar_rom.pipeline import analyze_video, render_annotated

    v = visit()
    bar = st.progress(0.0, text=f"Analysing {label}…")
    try:
        result = analyze_video(path, movement, estimator=file_estimator(),
                               height_cm=v.profile.height_cm,
                               on_progress=lambda d, t: bar.progress(min(1.0, d / t) if t else 0.5,
                                                                     text=f"Analysing {label}…"))
    except LumbarRomError as err:
        bar.empty()
        st.error(f"{label}: {err}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "annotated.mp4"
        render_annotated(path, result, out)
        replay = out.read_bytes()
    bar.empty()
    for trial in result.trials:
        if trial.movement in MOVEMENTS:
            v.trials[trial.movement] = trial
            v.videos[trial.movement] = replay
            if trial.status == "ok":
                st.success(f"{label}: {movement_spec(trial.movement).label} measured "
                           f"{trial.value_deg:.0f} deg ± {trial.uncertainty_deg:.0f}.")
            else:
                st.warning(f"{label}: {movement_spec(trial.movement).label} could not be "
                           "trusted: " + " ".join(trial.reasons))
        else:
            st.error(f"{label}: " + " ".join(trial.reasons))


def upload_page() -> None:
    st.title("Upload movement videos")
    if _need_screening():
        return
    st.write("Film each movement as the guide says: flexion and extension from the side, side "
             "bends and rotation from the front; stand still for a second first, then do the "
             "movement three times. MP4, MOV or WebM, up to "
             f"{MAX_UPLOAD_MB} MB each.")
    options = ["auto"] + list(MOVEMENTS)
    movement = st.selectbox("Which movement is in the video?", options,
                            format_func=lambda m: "Detect it for me" if m == "auto"
                            else movement_spec(m).label)
    files = st.file_uploader("Videos", type=["mp4", "mov", "webm", "m4v"],
                             accept_multiple_files=True)
    c1, c2 = st.columns(2)
    run = c1.button("Analyse", type="primary", disabled=not files)
    sample = c2.button("Try a sample", help="Analyse the sample clips that come with lumbar-rom")
    if run and files:
        for f in files:
            if f.size > MAX_UPLOAD_MB * 1024 * 1024:
                st.error(f"{f.name} is larger than {MAX_UPLOAD_MB} MB; trim it to the movement "
                         "and try again.")
                continue
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / Path(f.name).name
                path.write_bytes(f.getvalue())
                _analyse_file(path, movement, f.name)
    if sample:
        names = sorted(p for p in SAMPLES.glob("*.mp4") if "restricted" not in p.stem)
        if not names:
            st.error("The sample videos are missing from this installation.")
        for p in names:
            _analyse_file(p, "auto", f"sample {p.stem}")
    if visit().trials:
        st.page_link(PAGES["results"], label="See your results", icon="📊")


# ---- Guided webcam test --------------------------------------------------------------------


def _speak(text: str) -> None:
    safe = json.dumps(text)
    st.iframe(f"""<script>
      try {{ const s = window.parent.speechSynthesis || window.speechSynthesis;
             s.cancel(); s.speak(new SpeechSynthesisUtterance({safe})); }} catch (e) {{}}
    </script>""", height=1)


def _picture(movement: str) -> bytes | None:
    name = {"flexion": "flexion", "extension": "extension"}.get(movement, movement)
    path = SAMPLES / f"{name}.mp4"
    if not path.exists():
        return None
    return charts.still_from_video(str(path), 0.5)


def guided_page() -> None:
    from lumbar_rom.app.webcam import live_panel

    st.title("Guided webcam test")
    if _need_screening():
        return
    v = visit()
    order = list(MOVEMENTS)
    if "guided_index" not in st.session_state:
        st.session_state["guided_index"] = 0
    i = st.session_state["guided_index"]
    done = [m for m in order if m in v.trials or m in v.pain_limited]
    st.progress(len(done) / len(order), text=f"{len(done)} of {len(order)} movements done")
    cols = st.columns(len(order))
    for c, m in zip(cols, order, strict=True):
        if c.button(movement_spec(m).label.split(" (")[0], key=f"pick_{m}",
                    type="primary" if order[i] == m else "secondary"):
            st.session_state["guided_index"] = order.index(m)
            st.rerun()
    movement = order[i]
    spec = movement_spec(movement)
    st.subheader(spec.label)
    c1, c2 = st.columns([1, 2])
    pic = _picture(movement)
    if pic is not None:
        c1.image(pic, caption=f"Camera: {spec.view} view", width=220)
    c2.markdown(f"**Camera:** {spec.camera}\n\n**Start:** {spec.start}\n\n**Then:** {spec.cue}")
    live_panel(movement, v)
    c1, c2, c3 = st.columns(3)
    if c1.button("Skip this movement") or c3.button("Next movement", type="primary",
                                                     disabled=movement not in v.trials):
        st.session_state["guided_index"] = (i + 1) % len(order)
        st.rerun()
    if c2.button("See results"):
        st.switch_page(PAGES["results"])


# ---- Results --------------------------------------------------------------------------------


def current_assessment() -> Assessment | None:
    v = visit()
    if v.gate is not None:
        return v.gate
    if not v.trials and not v.pain_limited:
        return None
    scr = v.screening
    screening = Screening(scr.red_flags, scr.pain_before, scr.pain_after,
                          tuple(sorted(v.pain_limited)), scr.factors, scr.checks)
    return assess(v.profile, screening, list(v.trials.values()))


def results_page() -> None:
    st.title("Your results")
    v = visit()
    if v.opened_session is not None:
        _stored_results(v.opened_session)
        return
    if _need_screening():
        return
    a = current_assessment()
    if a is None:
        st.info("No movement measured yet: use the guided test or upload videos.")
        return
    _render_assessment(a, v.trials, v.videos)
    st.divider()
    c1, c2, c3 = st.columns(3)
    pain_after = c1.slider("Pain now, after the test (0-10)", 0, 10,
                           int(v.screening.pain_before or 0), key="pain_after")
    notes = c2.text_input("Notes (optional)", key="notes")
    keep = c2.checkbox("Also keep the annotated replay videos on this computer",
                       value=False, key="keep_video",
                       help="Off by default: only angles and results are stored.")
    if c3.button("Save to my history", type="primary", disabled=v.saved_session is not None):
        _save(a, pain_after, notes, keep)
    if v.saved_session is not None:
        st.success(f"Saved as session {v.saved_session}. See it on the Progress page.")
    payload = {"assessment": a.to_dict(),
               "trials": [t.to_dict() for t in v.trials.values()]}
    st.download_button("Download results (JSON)", json.dumps(payload, indent=1),
                       "lumbar-rom-results.json", "application/json")
    st.download_button("Download results (CSV)", charts.results_csv(a), "lumbar-rom-results.csv",
                       "text/csv")


def _keep_videos(v) -> str | None:  # type: ignore[no-untyped-def]
    """Write this visit's replays to the user data folder (the opt-in); return the folder."""
    from platformdirs import user_data_dir

    if not v.videos:
        return None
    folder = Path(user_data_dir("lumbar-rom", appauthor=False)) / "videos" / (
        f"{v.person}-{v.started_at:%Y%m%d-%H%M%S}")
    folder.mkdir(parents=True, exist_ok=True)
    for movement, data in v.videos.items():
        (folder / f"{movement}.mp4").write_bytes(data)
    return str(folder)


def _save(a: Assessment, pain_after: int, notes: str, keep_video: bool = False) -> None:
    from dataclasses import replace

    from lumbar_rom.pose.model import FULL_MODEL_SHA256

    v = visit()
    scr = replace(v.screening, pain_after=pain_after, pain_limited=tuple(sorted(v.pain_limited)))
    final = assess(v.profile, scr, list(v.trials.values()))
    try:
        video_path = _keep_videos(v) if keep_video else None
        v.saved_session = store().save_session(v.person, v.profile, scr, list(v.trials.values()),
                                               final, started_at=v.started_at, notes=notes,
                                               model_sha256=FULL_MODEL_SHA256,
                                               video_path=video_path)
    except Exception as err:  # the database is outside our control: say so, lose nothing
        st.error(f"Your results could not be saved ({err}); download them with the buttons "
                 "below so nothing is lost.")


def _render_assessment(a: Assessment, trials: dict, videos: dict) -> None:
    if a.status != "complete":
        _show_gate(a)
        return
    for w in a.warnings:
        st.warning(w)
    st.subheader("Range of motion")
    for d in a.decisions:
        with st.container(border=True):
            st.markdown(f"### {STATUS_ICON.get(d.status, '')} {d.label}: **{d.status}**")
            if np.isfinite(d.value_deg):
                st.markdown(f"Measured **{d.value_deg:.0f}°** ± {d.uncertainty_deg:.0f}° "
                            f"(95 %) · normal {d.norm_deg:.0f}° · restricted below "
                            f"{d.threshold_deg:.0f}°")
                st.altair_chart(charts.gauge(d), width="stretch")
            st.write(d.explanation)
            t = trials.get(d.movement)
            if t is not None:
                for f in t.flags:
                    (st.error if f.blocking else st.warning)(f.message)
                if len(t.time_s):
                    st.altair_chart(charts.angle_curve(t), width="stretch")
                if d.movement in videos:
                    st.video(videos[d.movement], format="video/mp4")
            _sources(f"{d.norm_source}; {d.mdc_source}")
    for x in a.asymmetries:
        st.info(x.text)
    if a.muscles:
        st.subheader("Muscles that may limit the restricted motions")
        for m in a.muscles:
            side = "" if m.side == "both" else f"{m.side} "
            icon = "🎯" if m.status == "likely" else "✖️"
            st.markdown(f"{icon} **{side}{m.name}** ({movement_spec(m.movement).label.lower()}): "
                        f"{m.status}, {m.reason}")
        _sources("; ".join(m.source for m in a.muscles))
    st.subheader("Your stretch plan")
    if not a.plan:
        st.success("No stretching needed: no motion was found truly restricted. Stretching a "
                    "normal range brings no benefit and can make a joint too mobile.")
    for p in a.plan:
        with st.container(border=True):
            st.markdown(f"**{p.name}**" + (f" ({p.how})" if p.how else ""))
            st.write(p.cues)
            st.caption(f"Dose: {p.dose} · For: {', '.join(p.for_muscles)} · Caution: "
                       f"{p.contraindications}")
            _sources(p.source)
    for advice in a.general:
        st.markdown(f"- {advice.text}")
    if a.goals:
        st.subheader("Goals")
        for g in a.goals:
            ms = ", ".join(f"{val:g} by {day}" for day, val in g.milestones)
            unit = "/10" if g.kind == "pain" else "°"
            st.markdown(f"- **{g.movement}**: from {g.baseline:g}{unit}: {ms}")
            st.caption(f"{g.text} {g.evidence}")
    if a.factors:
        st.subheader("Contributing factors and posture")
        for f in a.factors:
            st.markdown(f"- {f.text}")
        _sources("; ".join(f.source for f in a.factors))
    st.caption(DISCLAIMER)


def _stored_results(session_id: int) -> None:
    v = visit()
    row = store().get_session(session_id)
    if st.button("← Back to the current test"):
        v.opened_session = None
        st.rerun()
    if row is None:
        st.error("That session no longer exists.")
        return
    st.subheader(f"Session {row.id} of {row.person.name}: {row.started_at:%Y-%m-%d %H:%M}")
    a = row.assessment
    for d in a.get("decisions", []):
        val = ("-" if d["value_deg"] is None
               else f"{d['value_deg']:.0f}° ± {d['uncertainty_deg']:.0f}")
        st.markdown(f"- {STATUS_ICON.get(d['status'], '')} **{d['label']}**: {val} "
                    f"(normal {d['norm_deg']:.0f}°) **{d['status']}**")
    for p in a.get("plan", []):
        st.markdown(f"- Stretch: **{p['name']}** {p['how']}")
    st.caption(row.notes or "")


# ---- Progress -------------------------------------------------------------------------------


def progress_page() -> None:
    from lumbar_rom.history.progress import (
        PainPoint,
        maintenance_reminders,
        motion_progress,
        pain_status,
        points_from_sessions,
        reminders_ics,
        stall_checklist,
    )

    st.title("Progress")
    s = store()
    people = [p.name for p in s.people()]
    if not people:
        st.info("No saved sessions yet. After a test, press \"Save to my history\" on the "
                "Results page.")
        return
    v = visit()
    default = people.index(v.person) if v.person in people else 0
    person = st.selectbox("Person", people, index=default)
    sessions = s.sessions(person)
    if not sessions:
        st.info(f"No sessions stored for {person}.")
    prof = s.profile(person)
    injury = prof.injury if prof else None
    maint = s.maintenance(person)
    st.caption("Compare measurements taken the same way and at the same time of day: range of "
               "motion changes through the day (S19, S20).")
    for m in MOVEMENTS:
        prog = motion_progress(m, points_from_sessions(sessions, m), injury=injury)
        if not prog.points:
            continue
        with st.container(border=True):
            st.markdown(f"**{movement_spec(m).label}**: {prog.status}")
            st.altair_chart(charts.progress_chart(prog), width="stretch")
            st.caption(prog.rule)
            if prog.stalled:
                st.warning("Behind after four weeks. The founding document's checklist:")
                tilt = [(x.started_at, t.result.get("posture", {}).get("pelvic_obliquity_deg"))
                        for x in sessions for t in x.trials]
                tilt = [(d, val) for d, val in tilt if val is not None]
                if tilt:
                    st.caption("Measured pelvic tilt (standing still, + = left hip higher): " +
                               ", ".join(f"{d:%Y-%m-%d} {val:+.1f}°" for d, val in tilt) +
                               " · more than 5° suggests a leg-length or foot check (S83).")
                with st.form(f"stall_{m}"):
                    answers = {item: st.checkbox(item, key=f"stall_{m}_{i}")
                               for i, item in enumerate(stall_checklist())}
                    if st.form_submit_button("Record my answers"):
                        s.record_stall_answers(person, m, answers)
                        st.success("Recorded.")
            if prog.status == "reached":
                since = maint.get(m)
                if since is None:
                    since = prog.points[-1].when
                    s.set_maintenance(person, m, since)
                st.success("Goal reached: keep doing what got you here (maintenance).")
                st.download_button("Reminders (.ics calendar)",
                                   reminders_ics(maintenance_reminders(m, since)),
                                   f"lumbar-rom-{m}-reminders.ics", "text/calendar",
                                   key=f"ics_{m}")
    pains = [PainPoint(x.started_at, x.pain_before) for x in sessions if x.pain_before is not None]
    if pains:
        chronic = injury is None or (datetime.now() - injury) > timedelta(days=84)
        status, _line = pain_status(pains, chronic)
        st.markdown(f"**Pain**: {status}")
    st.subheader("Sessions")
    for x in reversed(sessions):
        c1, c2, c3 = st.columns([3, 1, 1])
        vals = ", ".join(f"{t.movement} {t.value_deg:.0f}°" for t in x.trials
                         if t.value_deg is not None)
        c1.markdown(f"**{x.started_at:%Y-%m-%d %H:%M}** (#{x.id}) {vals}")
        if c2.button("Open", key=f"open_{x.id}"):
            v.opened_session = x.id
            st.switch_page(PAGES["results"])
        if c3.button("Delete", key=f"del_{x.id}"):
            st.session_state["confirm_delete"] = x.id
    target = st.session_state.get("confirm_delete")
    if target is not None:
        st.warning(f"Delete session #{target} for good?")
        c1, c2 = st.columns(2)
        if c1.button("Yes, delete it", key="confirm_yes"):
            s.delete_session(int(target))
            st.session_state["confirm_delete"] = None
            st.rerun()
        if c2.button("No, keep it", key="confirm_no"):
            st.session_state["confirm_delete"] = None
            st.rerun()
    st.download_button("Export all sessions (CSV)", s.export_csv(person),
                       f"lumbar-rom-{person}.csv", "text/csv")
    st.download_button("Export all sessions (JSON)", json.dumps(s.export_json(person), indent=1),
                       f"lumbar-rom-{person}.json", "application/json")
    with st.expander("Delete all my data"):
        confirm = st.text_input(f"Type {person!r} to confirm", key="confirm_all")
        if st.button("Delete everything for this person", disabled=confirm != person):
            s.delete_person(person)
            st.success("All data deleted.")
            st.rerun()


PAGES: dict[str, st.Page] = {}
PAGE_FILES = Path(__file__).resolve().parent / "page_files"


def build_pages() -> dict[str, st.Page]:
    """The app's pages, each a small file in ``page_files/`` calling a function here."""
    if not PAGES:
        spec = [("start", "Start", "🏠"), ("guided", "Guided test", "🎥"),
                ("upload", "Upload", "📁"), ("results", "Results", "📊"),
                ("progress", "Progress", "📈")]
        for key, title, icon in spec:
            PAGES[key] = st.Page(PAGE_FILES / f"{key}.py", title=title, icon=icon,
                                 url_path=key, default=key == "start")
    return PAGES
