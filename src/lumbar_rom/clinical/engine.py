"""From measured trials to an assessment: decisions, muscles, stretch plan, safety, goals.

One entry point, :func:`assess`. Rules (sources in ``clinical/data``):

- Safety first (``safety.toml``, :func:`screen`): an emergency or urgent answer stops everything
  (guidance only); severe pain (NRS >= ``severity.severe_nrs``) and an injury more recent than
  ``acute.hours`` (72 h) block end-range results and all stretching; "inform" answers are shown
  as worth telling a doctor and never stop.
- Norm: the whole-trunk norm, age-adjusted by the Troke ratio (see ``norms.toml``).
- Decision per motion with value ``v`` and 95 % uncertainty ``u``; ``T = norm - MDC``:
  ``restricted`` when ``v + u < T``; ``inconclusive`` when the band straddles ``T`` or the trial
  itself was inconclusive; ``above normal`` when ``v - u > norm + MDC`` (hypermobile: never
  stretched); otherwise ``normal``. A motion stopped by pain is ``pain-limited`` (not stretched).
- Asymmetry (side bends, rotations): only when ``|left - right| > MDC``; "confirm in a second
  session".
- Muscles: the candidates of each restricted motion (side-specific), narrowed by the differential
  checks when they were done (straight-leg raise for flexion, Thomas test for extension); the
  seated rotation test rules out the hip rotators.
- Plan: stretches only for the likely muscles of restricted motions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

import numpy as np

from lumbar_rom.assessment.protocol import MOVEMENTS, movement_spec
from lumbar_rom.assessment.trial import TrialResult
from lumbar_rom.clinical.knowledge import CATEGORIES, Limit, MeasuredFactor, Muscles, knowledge
from lumbar_rom.clinical.profile import Profile
from lumbar_rom.inputs import check_pain
from lumbar_rom.serialize import from_mapping, json_safe

SCHEMA_VERSION = 1
FindingStatus = Literal["likely", "less likely", "ruled out"]
DecisionStatus = Literal["normal", "restricted", "inconclusive", "above normal", "pain-limited",
                         "not tested"]


@dataclass(frozen=True)
class Screening:
    """Answers before (and after) the test.

    red_flags: question id -> yes/no; pain_before / pain_after: NRS 0-10; pain_limited: movements
    stopped because they hurt; factors: contributing-factor question id -> yes/no; checks:
    ``straight_leg_raise_deg`` (float) and ``thomas_test_positive`` (bool), when done.
    """

    red_flags: dict[str, bool] = field(default_factory=dict)
    pain_before: int | None = None
    pain_after: int | None = None
    pain_limited: tuple[str, ...] = ()
    factors: dict[str, bool] = field(default_factory=dict)
    checks: dict[str, float | bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("pain_before", "pain_after"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, check_pain(value))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Screening:
        """The Screening a stored session kept (``json_safe(asdict(screening))``)."""
        return from_mapping(cls, d)


@dataclass(frozen=True)
class Decision:
    movement: str
    label: str
    status: DecisionStatus
    value_deg: float
    uncertainty_deg: float
    norm_deg: float
    norm_source: str
    age_factor: float
    mdc_deg: float
    mdc_source: str
    threshold_deg: float
    explanation: str


@dataclass(frozen=True)
class MuscleFinding:
    muscle: str
    name: str
    side: str
    movement: str
    status: FindingStatus
    reason: str
    source: str


@dataclass(frozen=True)
class PlanItem:
    stretch: str
    name: str
    for_muscles: tuple[str, ...]
    for_movements: tuple[str, ...]
    how: str
    cues: str
    dose: str
    contraindications: str
    source: str


@dataclass(frozen=True)
class Goal:
    kind: Literal["rom", "pain", "strength"]
    movement: str
    baseline: float
    target: float
    milestones: tuple[tuple[str, float], ...]  # (ISO date, value)
    text: str
    evidence: str
    source: str


@dataclass(frozen=True)
class Advice:
    topic: str
    text: str
    source: str


@dataclass(frozen=True)
class Assessment:
    """Everything the person and their physiotherapist see. ``status``: "complete",
    "stopped-red-flag", "severe-pain" or "acute-injury". ``safety``: the gate's texts when
    stopped; when complete, the "worth telling your doctor" answers (may be empty)."""

    status: str
    decisions: tuple[Decision, ...] = ()
    asymmetries: tuple[Advice, ...] = ()
    muscles: tuple[MuscleFinding, ...] = ()
    plan: tuple[PlanItem, ...] = ()
    general: tuple[Advice, ...] = ()
    goals: tuple[Goal, ...] = ()
    factors: tuple[Advice, ...] = ()
    safety: tuple[Advice, ...] = ()
    warnings: tuple[str, ...] = ()
    retest_after: str | None = None
    chronic: bool | None = None
    headline: str = ""  # a stopped or deferred session in one line (see :func:`screen`)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["schema_version"] = SCHEMA_VERSION
        return json_safe(d, ndigits=3)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Assessment:
        """The Assessment that :meth:`to_dict` wrote (a stored session's ``assessment``): nulls
        back to NaN, lists back to tuples. A dict without ``schema_version`` is version 1 (rows
        stored before it was written); a newer version than this code knows is an error."""
        version = int(d.get("schema_version") or 1)
        if version > SCHEMA_VERSION:
            raise ValueError(f"This assessment was stored by a newer lumbar-rom (schema {version}, "
                             f"this one reads up to {SCHEMA_VERSION}); update lumbar-rom.")
        return from_mapping(cls, {"status": "complete", **d})


# ---- norms and decisions ------------------------------------------------------------------------


def age_factor(movement: str, age: float | None) -> float:
    """Troke ratio for ``age`` (1.0 at the youngest band or without an age)."""
    k = knowledge().norms
    m = k.motions[movement]
    if age is None:
        return 1.0
    y0, y1 = m.troke_young_deg, m.troke_old_deg
    return float(np.interp(age, [k.young_age, k.old_age], [y0, y1]) / y0)


def norm_for(movement: str, age: float | None) -> tuple[float, str, float]:
    """(age-adjusted whole-trunk norm in deg, its source text, the age factor)."""
    m = knowledge().norms.motions[movement]
    f = age_factor(movement, age)
    src = m.trunk_source + ("" if f == 1.0 else f"; age-adjusted by {m.troke_source} (DERIVED)")
    return m.trunk_deg * f, src, f


def mdc_for(movement: str) -> tuple[float, str]:
    """The MDC95 a decision uses: the larger of the clinical method's between-session figure
    (error.toml) and the camera's own, 2.77 x its error (data/camera_error.toml: 1.96 * sqrt(2),
    ``error.toml``'s ``camera.mdc_factor``)."""
    from lumbar_rom.data import load_toml

    k = knowledge().error
    err = k.motions[movement]
    cam = load_toml("camera_error.toml")[movement]
    camera_mdc = k.camera_mdc_factor * float(cam["sd_deg"])
    if camera_mdc > err.mdc_deg:
        return camera_mdc, (f"camera: {k.camera_mdc_factor:g} x {cam['sd_deg']} deg "
                            f"({cam['source']})")
    return err.mdc_deg, err.source


def decide(trial: TrialResult | None, movement: str, profile: Profile,
           pain_limited: bool = False) -> Decision:
    """The decision for one motion (see the module docstring for the rule)."""
    label = movement_spec(movement).label
    norm, norm_src, f = norm_for(movement, profile.age)
    mdc, mdc_src = mdc_for(movement)
    low, high = norm - mdc, norm + mdc
    nan = float("nan")

    def d(status: DecisionStatus, text: str, v: float = nan, u: float = nan) -> Decision:
        return Decision(movement, label, status, v, u, norm, norm_src, f, mdc, mdc_src, low, text)

    age_txt = f" for age {profile.age:.0f}" if profile.age is not None and f != 1.0 else ""
    rule = (f"The normal whole-trunk range is {norm:.0f} deg{age_txt} ({norm_src}). A motion "
            f"counts as restricted only when it is more than the measurement error "
            f"({mdc:.1f} deg, {mdc_src}) below the norm, that is below {low:.0f} deg.")
    if pain_limited:
        return d("pain-limited", f"{label} was stopped because it hurt. Pain, not stiffness, "
                 "limited it: it is not stretched. Recorded as pain-limited (S3).")
    if trial is None:
        return d("not tested", f"{label} was not measured.")
    v, u = trial.value_deg, trial.uncertainty_deg
    if trial.status != "ok" or not np.isfinite(v):
        reasons = " ".join(trial.reasons) or "the trial could not be trusted."
        return d("inconclusive", f"{label}: the measurement could not be trusted: {reasons}",
                 v, u)
    meas = f"{label} measured {v:.0f} deg \u00b1 {u:.0f} (95 %, {v - u:.0f}-{v + u:.0f}). "
    if v + u < low:
        return d("restricted", meas + rule + " Your whole uncertainty band lies below it: "
                 "restricted.", v, u)
    if v - u < low:
        return d("inconclusive", meas + rule + " Your uncertainty band straddles that threshold, "
                 "so lumbar-rom cannot tell: measure again (same time of day).", v, u)
    if v - u > high:
        return d("above normal", meas + rule + f" It is more than the measurement error above the "
                 f"norm (over {high:.0f} deg): above normal. Do not stretch it: the founding "
                 "document warns that stretching a joint with normal or more range risks "
                 "making it hypermobile.", v, u)
    return d("normal", meas + rule + " It is within the normal range: no stretching needed "
             "for this motion.", v, u)


def asymmetries(decisions: dict[str, Decision]) -> list[Advice]:
    out = []
    why = knowledge().error.asymmetry_source
    for a, b, name in (("side-bend-left", "side-bend-right", "side bending"),
                       ("rotation-left", "rotation-right", "rotation")):
        da, db = decisions.get(a), decisions.get(b)
        if not da or not db or not np.isfinite(da.value_deg) or not np.isfinite(db.value_deg) \
                or "inconclusive" in (da.status, db.status):
            continue
        diff = da.value_deg - db.value_deg
        mdc = max(da.mdc_deg, db.mdc_deg)
        if abs(diff) > mdc:
            side = "left" if diff < 0 else "right"
            out.append(Advice("asymmetry", f"{name.capitalize()} to the {side} is "
                              f"{abs(diff):.0f} deg less than to the other side, more than the "
                              f"measurement error ({mdc:.1f} deg). Confirm it in a second "
                              "session before acting on it.",
                              f"{da.mdc_source}; {why}"))
    return out


# ---- muscles, plan ------------------------------------------------------------------------------


def _muscle_findings(movement: str, trial: TrialResult | None, screening: Screening
                     ) -> list[MuscleFinding]:
    k = knowledge().muscles
    findings = []
    for entry in k.limits[movement]:
        status, reason, source = _narrowed(movement, entry, trial, screening, k)
        findings.append(MuscleFinding(entry.muscle, k.muscles[entry.muscle].name, entry.side,
                                      movement, status, reason, source))
    return findings


Finding = tuple[FindingStatus, str, str]  # status, reason, source
CANDIDATE = "a candidate for this restricted motion"


def _narrowed(movement: str, entry: Limit, trial: TrialResult | None, screening: Screening,
              k: Muscles) -> Finding:
    """One candidate muscle of a restricted motion, narrowed by the check that applies."""
    if entry.standing_only:
        return "ruled out", ("the rotation test is done seated, which keeps the pelvis and hips "
                             "still"), entry.source
    if movement in k.straight_leg_raise.applies_to:
        return _straight_leg_raise(entry, trial, screening, k)
    if movement in k.thomas_test.applies_to:
        return _thomas_test(entry, screening, k)
    return "likely", CANDIDATE, entry.source


def _hip_used(trial: TrialResult | None) -> float:
    """The hip (pelvic) part of a forward bend: whole trunk minus the lumbar estimate (NaN
    without it)."""
    if trial is None:
        return float("nan")
    return trial.value_deg - trial.extras.get("lumbar_estimate_deg", float("nan"))


def _straight_leg_raise(entry: Limit, trial: TrialResult | None, screening: Screening,
                        k: Muscles) -> Finding:
    """A flexion candidate narrowed by the straight-leg raise, used as S39's validity rule
    (muscles.toml ``checks``): never "ruled out"."""
    c = k.straight_leg_raise
    slr = screening.checks.get("straight_leg_raise_deg")
    hip = _hip_used(trial)
    if not isinstance(slr, int | float) or not np.isfinite(hip):
        return "likely", CANDIDATE + (" (not narrowed: do the straight-leg raise check to tell "
                                      "hamstrings from back muscles)"), entry.source
    at_limit = slr - hip <= c.margin_deg
    source = f"{entry.source}; {c.source}"
    compare = (f"your straight-leg raise ({slr:.0f} deg) is within {c.margin_deg:.0f} deg of "
               f"the hip motion used in bending ({hip:.0f} deg, an estimate)" if at_limit else
               f"your straight-leg raise ({slr:.0f} deg) is more than {c.margin_deg:.0f} deg "
               f"beyond the hip motion used in bending ({hip:.0f} deg, an estimate)")
    if entry.muscle in c.likely_if_limit:
        if not at_limit:
            return "less likely", (compare + ": your hips did not bend as far as your "
                                   "hamstrings allow, so the hamstrings are less likely what "
                                   "stops you. The AMA rule reads this as a bend that was not a "
                                   "full effort or was stopped above the hips: measure again "
                                   "with a full effort"), source
        reason = compare + ": the hamstrings may be what stops the hip part of the bend"
        if trial is not None and any(f.code == "knees_bent" for f in trial.flags):
            reason += "; your knees bent while bending forward, which tight hamstrings cause"
        return "likely", reason, source
    if entry.muscle in c.otherwise_likely:
        return "likely", (compare + (": the lower-back muscles are the more likely limit"
                                     if not at_limit else ": a candidate; the hamstrings may "
                                     "limit the bend too")), source
    return "likely", CANDIDATE, source


def _thomas_test(entry: Limit, screening: Screening, k: Muscles) -> Finding:
    """An extension candidate narrowed by the Thomas test (muscles.toml ``checks``): a negative
    test makes the hip flexors less likely, never ruled out."""
    c = k.thomas_test
    thomas = screening.checks.get("thomas_test_positive")
    if entry.muscle not in c.likely_if_yes:
        return "likely", CANDIDATE, entry.source
    if not isinstance(thomas, bool):
        return "likely", CANDIDATE + " (not narrowed: do the Thomas test to check the hip " \
            "flexors)", entry.source
    source = f"{entry.source}; {c.source}"
    if thomas:
        return "likely", "your Thomas test was positive (the thigh lifted)", source
    return "less likely", ("your Thomas test was negative (the thigh stayed down); the test "
                           "is not exact unless the pelvis is kept still, so this only makes "
                           "the hip flexors less likely"), source


def _join_sources(*texts: str) -> str:
    """Source texts joined with "; ", a text already contained in an earlier one left out."""
    out: list[str] = []
    for t in texts:
        if t and not any(t in o for o in out):
            out.append(t)
    return "; ".join(out)


def _side_text(side: str) -> str:
    return "" if side == "both" else f"{side} "


def bone_risk(screening: Screening) -> bool:
    """Whether a bone-health answer (stretches.toml ``[bone_health]``: osteoporosis, a past
    vertebral fracture, long-term steroids) is yes: no sustained end-range flexion stretch."""
    return any(screening.red_flags.get(x) for x in knowledge().stretches.bone_health.risk)


def _plan(findings: list[MuscleFinding], age: float | None = None, bones: bool = False
          ) -> list[PlanItem]:
    """Stretches for the likely muscles of restricted motions. With ``bones`` (a bone-health
    risk, :func:`bone_risk`), the sustained end-range flexion stretches are left out and the
    spine-sparing alternatives planned in their place; without it, the alternatives never
    are."""
    k = knowledge().stretches
    likely = [f for f in findings if f.status == "likely"]
    items: list[PlanItem] = []
    for sid, s in k.stretches.items():
        if (bones and s.end_range_flexion) or (not bones and s.bone_alternative):
            continue
        hits = [f for f in likely if f.muscle in s.targets and f.movement in s.movements]
        if not hits:
            continue
        moves = tuple(dict.fromkeys(f.movement for f in hits))
        how = ""
        if s.side_rule == "away_from_tight":
            tight = sorted({f.side for f in hits if f.side != "both"})
            how = "; ".join(f"bend to the {'left' if t == 'right' else 'right'} to stretch the "
                            f"{t} side" for t in tight)
        elif s.side_rule == "opposite_of_limited":
            how = "; ".join(f"roll the knees to the {'right' if m.endswith('left') else 'left'} "
                            f"(limited {movement_spec(m).label.lower()})" for m in moves
                            if m.startswith("rotation")) or "both sides"
        names = tuple(dict.fromkeys(f"{_side_text(f.side)}{f.name}" for f in hits))
        dose, dose_source = k.dose(sid, age)
        items.append(PlanItem(sid, s.name, names, moves, how, s.cues, dose,
                              s.contraindications, _join_sources(s.source, dose_source)))
    return items


# ---- factors, goals -----------------------------------------------------------------------------


def _factors(screening: Screening, trials: list[TrialResult]) -> list[Advice]:
    k = knowledge().factors
    out = []
    for q in k.questions:
        ans = screening.factors.get(q.id)
        if ans is True and q.advice_if_yes is not None:
            out.append(Advice(q.id, q.advice_if_yes, q.source))
        if ans is False and q.advice_if_no is not None:
            out.append(Advice(q.id, q.advice_if_no, q.source))
    front = [t for t in trials if t.view.view == "front" and
             np.isfinite(t.posture.pelvic_obliquity_deg)]
    side = [t for t in trials if t.view.view == "side" and
            np.isfinite(t.posture.forward_head_deg)]
    if front:
        obl = float(np.median([t.posture.pelvic_obliquity_deg for t in front]))
        sh = float(np.median([t.posture.shoulder_obliquity_deg for t in front]))
        out += _measured(k.measured["pelvic_obliquity"], "pelvic_obliquity", abs(obl))
        out += _measured(k.measured["shoulder_obliquity"], "shoulder_obliquity", abs(sh))
    if side:
        fh = float(np.median([t.posture.forward_head_deg for t in side]))
        out += _measured(k.measured["forward_head"], "forward_head", fh)
    return out


def _measured(m: MeasuredFactor, topic: str, value: float) -> list[Advice]:
    """The advice of a measured factor: always, or only beyond its threshold when it has one."""
    if m.threshold_deg is not None and not abs(value) > m.threshold_deg:
        return []
    return [Advice(topic, m.advice.format(value=value), m.source)]


def is_chronic(profile: Profile, now: datetime) -> bool:
    days = knowledge().goals.recent_injury_days
    return profile.injury is None or (now - profile.injury) > timedelta(days=days)


def _goals(decisions: list[Decision], screening: Screening, chronic: bool, today: date
           ) -> list[Goal]:
    g = knowledge().goals
    out = []
    for d in decisions:
        if d.status != "restricted":
            continue
        gap = d.norm_deg - d.value_deg
        ms = tuple(((today + timedelta(days=int(day))).isoformat(),
                    round(d.value_deg + frac * gap, 1)) for day, frac in g.rom_milestones)
        out.append(Goal("rom", d.movement, round(d.value_deg, 1), round(d.norm_deg, 1), ms,
                        g.rom_text, g.rom_evidence, g.rom_source))
    if screening.pain_before is not None and screening.pain_before > 0:
        sched = g.pain_chronic if chronic else g.pain_recent
        p0 = float(screening.pain_before)
        ms = _pain_milestones(p0, [(today + timedelta(days=int(day))).isoformat()
                                   for day, _ in sched], [frac for _, frac in sched])
        out.append(Goal("pain", "pain", p0, min(v for _, v in ms), ms, g.pain_text,
                        g.pain_evidence, g.pain_source))
    return out


def _pain_milestones(p0: float, days: list[str], fracs: list[float]
                     ) -> tuple[tuple[str, float], ...]:
    """The pain milestones in whole NRS points (a person scores whole numbers; half up), never
    rising, and the last one at least a clinically important fall from ``p0``: 2 points or
    30 % (the smaller fall that meets either, S79 Farrar 2001), when the schedule asks for
    less."""
    vals = [float(math.floor(p0 * (1 - f) + 0.5)) for f in fracs]
    important = max(0.0, max(p0 - 2, float(math.floor(p0 * 0.7))))
    vals[-1] = min(vals[-1], important)
    for i in range(len(vals) - 2, -1, -1):
        vals[i] = max(vals[i], vals[i + 1])
    for i in range(1, len(vals)):
        vals[i] = min(vals[i], vals[i - 1])
    return tuple(zip(days, vals, strict=True))


def strength_goals(first_holds: Mapping[str, float], sex: str | None, today: date,
                   age: float | None = None) -> list[Goal]:
    """One goal per endurance test from its first timed hold (seconds, keyed by test) toward
    the norm mean of ``sex`` on ``endurance.toml``'s schedule (the founding document's
    range-of-motion schedule, marked as such); none without a norm for ``sex``, when the
    first hold already reaches the norm, or when ``age`` is beyond the age group the norms
    come from (``[norms_population] max_age``: a goal is never beyond the data for that
    age)."""
    from lumbar_rom.assessment.hold import endurance_knowledge

    k = endurance_knowledge()
    g = k["goals"]
    if age is not None and age > float(k["norms_population"]["max_age"]):
        return []
    out = []
    for test, held in first_holds.items():
        norm = k["norms"].get(test, {}).get(sex or "")
        if norm is None or not math.isfinite(held) or held >= norm["mean_s"]:
            continue
        gap = float(norm["mean_s"]) - held
        ms = tuple(((today + timedelta(days=int(day))).isoformat(), round(held + frac * gap, 1))
                   for day, frac in g["milestones"])
        out.append(Goal("strength", test, round(held, 1), float(norm["mean_s"]), ms, g["text"],
                        g["evidence"], g["source"]))
    return out


def hold_readiness() -> tuple[tuple[tuple[str, str], ...], Advice, Advice]:
    """The readiness check before any endurance hold (endurance.toml ``[readiness]``): its
    (id, question) pairs, the "skip the holds today" advice for any yes, and the stop-at-symptoms
    advice shown with every hold."""
    from lumbar_rom.assessment.hold import endurance_knowledge

    r = endurance_knowledge()["readiness"]
    return (tuple((str(i), str(q)) for i, q in r["questions"]),
            Advice("hold_not_ready", r["not_ready"], r["source"]),
            Advice("hold_stop", r["stop"], r["source"]))


def hold_ready(answers: Mapping[str, bool | None]) -> bool | None:
    """True when every readiness question is answered No; False when any is Yes; None while
    one is unanswered (a hold is timed only on True)."""
    questions, _, _ = hold_readiness()
    values = [answers.get(i) for i, _ in questions]
    if any(v is True for v in values):
        return False
    return None if any(v is None for v in values) else True


# ---- the entry point ----------------------------------------------------------------------------


# facts the screening rules read from the profile instead of asking (safety.toml [facts])
_FACTS: dict[str, Callable[[Profile, float], bool]] = {
    "recent_injury": lambda p, _: p.injury is not None,
    "age_70_plus": lambda p, older: p.age is not None and p.age >= older,
}


def screening_facts(screening: Screening, profile: Profile) -> dict[str, bool]:
    """Every yes/no the screening rules read: the answers, then the profile facts."""
    s = knowledge().safety
    facts = {q.id: bool(screening.red_flags.get(q.id)) for q in s.red_flags}
    facts.update({f: _FACTS[f](profile, s.older_age) for f in s.facts})
    return facts


def screening_findings(screening: Screening, profile: Profile) -> list[tuple[str, Advice]]:
    """(category, what it means) of every yes-answer and every rule that holds (safety.toml:
    categories are data; the strongest one decides, see :func:`screen`)."""
    s = knowledge().safety
    facts = screening_facts(screening, profile)
    out = [(q.category, Advice(q.id, f"You answered yes to: {q.question}"
                               + (f" {q.advice}" if q.advice else ""), q.source))
           for q in s.red_flags if facts[q.id]]
    out += [(r.category, Advice(r.id, r.text, r.source)) for r in s.rules
            if all(facts.get(x) for x in r.all) and any(facts.get(x) for x in r.any)]
    return out


def inflammatory_screen(screening: Screening) -> tuple[Advice, ...]:
    """The NICE NG65 inflammatory back pain screen (safety.toml ``[inflammatory]``), its
    referral rule as written: when every entry answer is yes (started before 45, more than 3
    months), ``refer_at`` (4) or more of the 9 criteria give the rheumatology referral advice,
    exactly ``blood_test_at`` (3) the HLA-B27 blood-test advice; otherwise a yes to psoriasis,
    inflammatory bowel disease or uveitis gives the "seek a new assessment if new signs appear"
    advice. Never stops the test. The answers are in ``screening.red_flags`` by question id."""
    i = knowledge().safety.inflammatory
    yes = {k for k, v in screening.red_flags.items() if v is True}
    n = sum(c in yes for c in i.criteria)
    if all(e in yes for e in i.entry):
        if n >= i.refer_at:
            return (Advice("inflammatory_refer", i.refer.format(n=n), i.source),
                    Advice("basmi_context", i.basmi_context, i.source))
        if n == i.blood_test_at:
            return (Advice("inflammatory_blood_test", i.blood_test, i.source),
                    Advice("basmi_context", i.basmi_context, i.source))
    if any(w in yes for w in i.watch):
        return (Advice("inflammatory_watch", i.watch_text, i.source),)
    return ()


def informs(screening: Screening, profile: Profile) -> tuple[Advice, ...]:
    """The "worth telling your doctor" answers (category inform) that do not stop the test,
    then the inflammatory back pain screen's advice (:func:`inflammatory_screen`)."""
    s = knowledge().safety
    found = [a for c, a in screening_findings(screening, profile) if c == "inform"]
    head = (Advice("inform", s.guidance["inform"], s.guidance_source),) if found else ()
    return (*head, *found, *inflammatory_screen(screening))


def _stopped(category: str, found: list[tuple[str, Advice]]) -> Assessment:
    s = knowledge().safety
    msgs = [Advice(category, s.guidance[category], s.guidance_source)]
    msgs += [a for c, a in found if c != "inform"] + [a for c, a in found if c == "inform"]
    what = {"emergency": "go to an emergency department now",
            "urgent": "see a doctor before testing or stretching"}.get(category, category)
    return Assessment("stopped-red-flag", safety=tuple(msgs),
                      warnings=("No measurement or stretching advice is given.",),
                      headline=f"No measurement: stopped by the safety questions ({what}).")


def screen(screening: Screening, profile: Profile, now: datetime) -> Assessment | None:
    """The safety gate alone: an Assessment that stops the test, or None to go on.

    In order: an emergency or urgent answer or rule (safety.toml) stops with its guidance
    ("stopped-red-flag"); pain at or above ``severity.severe_nrs`` stops end-range testing
    ("severe-pain"); an injury under ``acute.hours`` old blocks it until then ("acute-injury").
    Answers of category inform never stop (:func:`informs`)."""
    s = knowledge().safety
    found = screening_findings(screening, profile)
    stops = [c for c in CATEGORIES if c != "inform" and any(c == f for f, _ in found)]
    if stops:
        return _stopped(stops[0], found)
    v = s.severity
    if screening.pain_before is not None and screening.pain_before >= v.severe_nrs:
        return Assessment("severe-pain", safety=(
            Advice("severe_pain", v.message, v.source), Advice("severe_pain_care", v.care,
                                                                 v.source),
            *informs(screening, profile)),
            warnings=(f"No end-range test and no stretching while your pain is "
                      f"{v.severe_nrs:g}/10 or more.",),
            headline=f"No measurement: severe pain {screening.pain_before}/10.")
    acute = s.acute
    if profile.injury is not None and now - profile.injury < timedelta(hours=acute.hours):
        retest = profile.injury + timedelta(hours=acute.hours)
        return Assessment("acute-injury", safety=(
            Advice("acute", acute.message, acute.source),
            Advice("acute_care", acute.care, acute.source), *informs(screening, profile)),
            warnings=(f"No end-range test and no stretching until {acute.hours:g} hours after "
                      "the injury.",),
            retest_after=retest.isoformat(timespec="minutes"), chronic=False,
            headline=f"Deferred: injury under {acute.hours:g} hours, re-test after "
                     f"{retest:%Y-%m-%d %H:%M}.")
    return None


def assess(profile: Profile, screening: Screening, trials: list[TrialResult],
           now: datetime | None = None) -> Assessment:
    """Profile + screening answers + trial results -> :class:`Assessment` (JSON via
    ``to_dict()``). Never gives stretching advice after a red flag or within the acute hours
    (safety.toml, 72 h) of an injury."""
    now = now or datetime.now()
    gate = screen(screening, profile, now)
    if gate is not None:
        return gate
    by_move: dict[str, TrialResult] = {}
    for t in trials:
        if t.movement in MOVEMENTS:
            prev = by_move.get(t.movement)
            if prev is None or (prev.status != "ok" and t.status == "ok"):
                by_move[t.movement] = t
    decisions = [decide(by_move.get(m), m, profile, m in screening.pain_limited)
                 for m in MOVEMENTS if m in by_move or m in screening.pain_limited]
    dmap = {d.movement: d for d in decisions}
    findings: list[MuscleFinding] = []
    for d in decisions:
        if d.status == "restricted":
            findings += _muscle_findings(d.movement, by_move.get(d.movement), screening)
    bones = bone_risk(screening)
    plan = _plan(findings, profile.age, bones)
    general = _general_advice(profile.age)
    if bones and plan:
        b = knowledge().stretches.bone_health
        general = [*general[:2], Advice("bone_health", b.caution, b.source), *general[2:]]
    chronic = is_chronic(profile, now)
    return Assessment(
        "complete", tuple(decisions), tuple(asymmetries(dmap)), tuple(findings), tuple(plan),
        tuple(general) if plan else tuple(general[2:]),
        tuple(_goals(decisions, screening, chronic, now.date())),
        tuple(_factors(screening, list(by_move.values()))), informs(screening, profile),
        tuple(_pain_warnings(screening)), None, chronic)


def _general_advice(age: float | None) -> list[Advice]:
    """How to stretch (the dose rule of stretches.toml, the same text each stretch shows), the
    stop rules, then the other advice."""
    st = knowledge().stretches
    g = st.general
    dose, dose_source = st.dose(None, age)
    general = [Advice("how_to_stretch", f"{g.intensity} {dose}. {g.frequency}", dose_source),
               Advice("stop_rules", g.stop_rules, g.stop_source)]
    return general + [Advice(key, a.text, a.source) for key, a in st.advice.items()]


def _pain_warnings(screening: Screening) -> list[str]:
    sdc = knowledge().error.pain_sdc_points
    if screening.pain_after is not None and screening.pain_before is not None and \
            screening.pain_after - screening.pain_before >= sdc:
        return [f"Your pain rose from {screening.pain_before} to {screening.pain_after} during "
                f"the test (a real change: {sdc:g} points or more). Go gently; seek care if it "
                "does not settle."]
    return []
