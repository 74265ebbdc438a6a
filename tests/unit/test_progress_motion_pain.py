"""Each motion's stored pain answers summarised for Progress (history.progress.motion_pain) and
the strength lines (strength_summary / strength_text)."""

from datetime import datetime, timedelta
from types import SimpleNamespace as NS

from lumbar_rom.history.progress import (
    motion_pain,
    strength_summary,
    strength_text,
)

T0 = datetime(2026, 11, 1, 9)


def session(day, **pains):
    trials = [NS(movement=m, pain=p) for m, p in pains.items()]
    return NS(started_at=T0 + timedelta(days=day), trials=trials)


def test_motion_pain_counts_answers_and_reads_the_latest():
    sessions = [
        session(7, flexion={"hurt": False, "where": [], "limited_by": "stiffness",
                            "painful_arc": False}),
        session(0, flexion={"hurt": True, "where": ["leg"], "limited_by": "pain",
                            "painful_arc": True}),
        session(3, flexion=None, extension={"hurt": True, "where": [], "limited_by": None,
                                            "painful_arc": False}),
    ]
    mp = motion_pain(sessions, "flexion")
    assert (mp.asked, mp.hurt) == (2, 1)  # the unanswered trial is not counted as "no pain"
    assert mp.latest_at == T0 + timedelta(days=7) and not mp.pain_limits
    assert mp.text() == ("Pain with this motion: hurt in 1 of 2 measured session(s); latest "
                         "(2026-11-08): did not hurt; stiffness stopped it.")
    ext = motion_pain(sessions, "extension")
    assert "hurt (no region given)" in ext.text() and not ext.pain_limits
    assert motion_pain(sessions, "rotation-left").text() == ""


def test_pain_stopping_the_latest_motion_says_the_pain_goal_comes_first():
    mp = motion_pain([session(0, flexion={"hurt": True, "where": ["buttock"],
                                          "limited_by": "both", "painful_arc": False})],
                     "flexion")
    assert mp.pain_limits
    assert mp.text().endswith("pain, not stiffness, stops it: the pain goal comes first.")


def hold_row(test, seconds, day, reason="posture_dropped"):
    return NS(at=T0 + timedelta(days=day), test=test, seconds=seconds, uncertainty_s=1.5,
              end_reason=reason)


def test_strength_lines_per_test_in_battery_order():
    rows = [hold_row("flexor-hold", 100.0, 0), hold_row("extensor-hold", 60.0, 0),
            hold_row("extensor-hold", 120.0, 30), hold_row("side-plank-left", None, 2,
                                                           "never_in_position")]
    progs = strength_summary(rows, "male")
    assert [p.test for p in progs] == ["extensor-hold", "side-plank-left", "flexor-hold"]
    ext = strength_text(progs[0])
    # 60 -> 161 s norm; day 30: line 60 + 0.75 * 101 = 135.75; 120 + 1.5 below it: behind
    assert ext == ("Extensor hold (Biering-Sorensen): latest 120 s ± 1.5 on 2026-12-01 (first "
                   "60 s; goal line 136 s, norm 161 s): behind")
    assert strength_text(progs[1]).endswith("not timed yet (the position was never held): "
                                            "no goal")
    assert strength_summary(rows, None)[0].status == "no goal"  # no norm without a sex
    assert "no norm for this sex" in strength_text(strength_summary(rows, None)[0])
