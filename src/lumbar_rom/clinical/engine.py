"""From measured trials to an assessment: decisions, muscles, stretch plan, safety, goals.

One entry point, :func:`assess`. Rules (sources in ``clinical/data``):

- Safety first (``safety.toml``, :func:`screen`): an emergency or urgent answer stops everything
  (guidance only); severe pain (NRS >= ``severity.severe_nrs``) and an injury more recent than
  ``acute.hours`` (72 h) block end-range results and all stretching; "inform" answers are shown
  as worth telling a doctor and never stop.
- Reference (``norms.toml``, :mod:`lumbar_rom.clinical.reference`): per motion, the distribution
  of what the camera measures (whole trunk; seated rotation) for the person's age, with a lower
  limit (the 5th centile) and an upper one (the 95th).
- Decision per motion with value ``v`` and the trial's own 95 % uncertainty ``u`` (the camera's
  error and the repetitions' spread; never an MDC): ``restricted`` when ``v + u`` is below the
  lower limit; ``borderline`` when the band straddles it; ``more than typical`` when ``v - u`` is
  above the upper limit and the reference is not DERIVED; otherwise ``normal``. Without an age:
  ``no decision`` (the reason says to add it). ``inconclusive`` when the trial could not be
  trusted. A motion stopped by pain, or that brought on leg symptoms, is ``pain-limited``: never
  stretched, gentle-movement advice and a suggestion to have it assessed.
- Asymmetry (side bends, rotations): only when ``|left - right| > MDC``; "confirm in a second
  session".
- Asymmetry and change use the MDC (error.toml, its type written beside it).
- Muscles: the candidates of each restricted motion (side-specific) are "possible" unless a
  differential check supports them: the straight-leg raise against its own reference with "did it
  bring on pain in the leg?", the knees-bent repeat of the forward bend, the Thomas test; the
  seated rotation test rules out the hip rotators.
- Plan: stretches only for the possible / likely muscles of restricted motions (never into leg
  symptoms).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal

import numpy as np

from lumbar_rom.assessment.protocol import MOVEMENTS, movement_spec
from lumbar_rom.assessment.trial import TrialResult
from lumbar_rom.clinical.knowledge import CATEGORIES, Limit, MeasuredFactor, Muscles, knowledge
from lumbar_rom.clinical.profile import Profile
from lumbar_rom.clinical.reference import centile_words, ordinal, reference_for, slr_reference
from lumbar_rom.inputs import check_pain
from lumbar_rom.serialize import from_mapping, json_safe

SCHEMA_VERSION = 1
FindingStatus = Literal["likely", "possible", "less likely", "ruled out"]
# "above normal" is no longer given (kept so that sessions stored before issue 26 still load)
DecisionStatus = Literal["normal", "restricted", "borderline", "more than typical",
                         "no decision", "inconclusive", "above normal", "pain-limited",
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
    leg_pain: tuple[str, ...] = ()  # movements that brought on leg symptoms: pain-limited too

    def stopped_by_pain(self, movement: str) -> bool:
        """Pain (alone or with stiffness) stopped ``movement``, or it brought on leg symptoms:
        either makes it pain-limited (issue 26)."""
        return movement in self.pain_limited or movement in self.leg_pain

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
    # the reference (issue 26): its spread, limits, the value's centile (NaN when there is none)
    sd_deg: float = float("nan")
    upper_deg: float = float("nan")
    centile: float = float("nan")
    centile_text: str = ""
    construct: str = ""
    derived: bool = False
    statistics: str = ""
    mdc_kind: str = ""


@dataclass(frozen=True)
class MuscleFinding:
    muscle: str
    name: str
    side: str
    movement: str
    status: FindingStatus
    reason: str
    source: str
    stretch: bool = True  # False: not stretched even if a candidate (e.g. leg symptoms)


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
    """The reference mean at ``age`` over the reference sample's own (1.0 without an age or
    within the sample's ages; clinical/reference.py)."""
    if age is None:
        return 1.0
    return reference_for(movement, age).mean_deg / knowledge().norms.motions[movement].mean_deg


def norm_for(movement: str, age: float | None) -> tuple[float, str, float]:
    """(the reference mean in deg at ``age``, its source text, the age factor). Without an age:
    the reference sample's mean (no decision is made on it)."""
    m = knowledge().norms.motions[movement]
    if age is None:
        return m.mean_deg, m.source, 1.0
    r = reference_for(movement, age)
    return r.mean_deg, r.source, r.mean_deg / m.mean_deg


def mdc_for(movement: str) -> tuple[float, str]:
    """The MDC95 for CHANGE (between sessions, left/right): the larger of the clinical figure
    (error.toml, its type written beside it) and the camera's own, 2.77 x its error
    (data/camera_error.toml: 1.96 * sqrt(2), ``error.toml``'s ``camera.mdc_factor``). Never a
    reference limit."""
    from lumbar_rom.data import load_toml

    k = knowledge().error
    err = k.motions[movement]
    cam = load_toml("camera_error.toml")[movement]
    camera_mdc = k.camera_mdc_factor * float(cam["sd_deg"])
    if camera_mdc > err.mdc_deg:
        return camera_mdc, (f"camera: {k.camera_mdc_factor:g} x {cam['sd_deg']} deg "
                            f"({cam['source']})")
    return err.mdc_deg, f"{err.source}; {err.kind}"


SEX_WORDS = {"female": "woman", "male": "man"}


def _no_decision_reason(profile: Profile) -> str:
    return ("No restriction decision: the typical range depends on age, and no age was given. "
            "Add your age (the start page, or --age in the command line) to have this motion "
            "compared with people of your age.")


def decide(trial: TrialResult | None, movement: str, profile: Profile,
           pain_limited: bool = False) -> Decision:
    """The decision for one motion against the reference for the person's age (module
    docstring; clinical/reference.py). The band is the trial's own 95 % uncertainty (the
    camera's error and the repetitions' spread), never an MDC."""
    label = movement_spec(movement).label
    nan = float("nan")
    mdc, mdc_src = mdc_for(movement)
    kind = knowledge().error.motions[movement].kind
    m = knowledge().norms.motions[movement]
    ref = reference_for(movement, profile.age) if profile.age is not None else None
    norm = ref.mean_deg if ref else m.mean_deg
    f = norm / m.mean_deg

    def d(status: DecisionStatus, text: str, v: float = nan, u: float = nan) -> Decision:
        if ref is None:
            return Decision(movement, label, status, v, u, norm, m.source, f, mdc, mdc_src, nan,
                            text, m.sd_deg, nan, nan, "", m.construct, m.derived, "", kind)
        c = ref.centile(v) if np.isfinite(v) else nan
        words = centile_words(c, ref.age, profile.sex) if np.isfinite(c) else ""
        return Decision(movement, label, status, v, u, ref.mean_deg, ref.source, f, mdc,
                        mdc_src, ref.lower_deg, text, ref.sd_deg, ref.upper_deg, c, words,
                        ref.construct, ref.derived, ref.statistics_text, kind)

    what = f"{label} — {m.construct}"
    if pain_limited:
        v = trial.value_deg if trial is not None and trial.status == "ok" else nan
        u = trial.uncertainty_deg if trial is not None and trial.status == "ok" else nan
        return d("pain-limited", f"{what}: pain stopped this movement (or brought on leg "
                 "symptoms). Pain, not stiffness, limited it, so it is not stretched: keep it "
                 "moving gently within what is comfortable, and have it assessed by a "
                 "physiotherapist or doctor if it does not settle (S3).", v, u)
    if trial is None:
        return d("not tested", f"{label} was not measured.")
    v, u = trial.value_deg, trial.uncertainty_deg
    if trial.status != "ok" or not np.isfinite(v):
        reasons = " ".join(trial.reasons) or "the trial could not be trusted."
        return d("inconclusive", f"{label}: the measurement could not be trusted: {reasons}",
                 v, u)
    meas = (f"{what}: {v:.0f}° ± {u:.0f}°. The band {v - u:.0f}-{v + u:.0f}° "
            "allows for the camera's error and for how much your repetitions differed. ")
    if ref is None:
        return d("no decision", meas + _no_decision_reason(profile), v, u)
    c = ref.centile(v)
    words = centile_words(c, ref.age, profile.sex)
    typical = (f"People of your age without back pain typically reach about "
               f"{ref.mean_deg:.0f}°; 90 in 100 of them reach between {ref.lower_deg:.0f} "
               f"and {ref.upper_deg:.0f}°. Your value is {words}"
               + (" (a reference worked out from related studies, so less certain)"
                  if ref.derived else "") + ". ")
    low = f"the {ordinal(ref.lower_centile)} centile ({ref.lower_deg:.0f}°)"
    if v + u < ref.lower_deg:
        return d("restricted", meas + typical + f"Your whole band lies below {low}: truly "
                 "restricted.", v, u)
    if v - u < ref.lower_deg:
        return d("borderline", meas + typical + f"Your band straddles {low}: borderline. "
                 "It is not called restricted; measure again another day at the same time of "
                 "day.", v, u)
    if v - u > ref.upper_deg and not ref.derived:
        return d("more than typical", meas + typical + "Your whole band lies above the "
                 f"{ordinal(ref.upper_centile)} centile ({ref.upper_deg:.0f}°): more than "
                 "typical. Do not stretch it: the founding document warns that stretching a "
                 "joint that already moves fully risks making it too mobile.", v, u)
    return d("normal", meas + typical + "Within the typical range for your age: no "
             "stretching needed for this motion.", v, u)


def asymmetries(decisions: dict[str, Decision]) -> list[Advice]:
    out = []
    why = knowledge().error.asymmetry_source
    for a, b, name in (("side-bend-left", "side-bend-right", "side bending"),
                       ("rotation-left", "rotation-right", "rotation")):
        da, db = decisions.get(a), decisions.get(b)
        if not da or not db or not np.isfinite(da.value_deg) or not np.isfinite(db.value_deg) \
                or {"inconclusive", "pain-limited"} & {da.status, db.status}:
            continue
        diff = da.value_deg - db.value_deg
        mdc = max(da.mdc_deg, db.mdc_deg)
        if abs(diff) > mdc:
            side = "left" if diff < 0 else "right"
            out.append(Advice("asymmetry", f"{name.capitalize()} to the {side} is "
                              f"{abs(diff):.0f} deg less than to the other side, more than the "
                              f"smallest real difference ({mdc:.1f} deg, MDC for change: "
                              f"{da.mdc_kind or 'see its source'}). Confirm it in a second "
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
        # the hamstrings are not stretched into leg symptoms, nor while the straight-leg raise
        # was done but "did it bring on pain in the leg?" is unanswered
        slr_done = isinstance(screening.checks.get("straight_leg_raise_deg"), int | float)
        leg = screening.checks.get(SLR_LEG_PAIN)
        into_symptoms = (entry.muscle in k.straight_leg_raise.likely_if_limit
                         and movement in k.straight_leg_raise.applies_to
                         and (leg is True or (slr_done and leg is None)))
        findings.append(MuscleFinding(entry.muscle, k.muscles[entry.muscle].name, entry.side,
                                      movement, status, reason, source, not into_symptoms))
    return findings


Finding = tuple[FindingStatus, str, str]  # status, reason, source
CANDIDATE = ("it can limit this motion, but nothing measured here singles it out (range is "
             "often limited by pain, guarding or the joints instead)")
SLR_LEG_PAIN = "slr_leg_pain"  # Screening.checks key: did the SLR bring on pain in the leg?
KNEES_BENT_GAIN_DEG = "knees_bent_gain_deg"  # Screening.checks key (see _knees_bent_gain)


def _narrowed(movement: str, entry: Limit, trial: TrialResult | None, screening: Screening,
              k: Muscles) -> Finding:
    """One candidate muscle of a restricted motion: "possible" unless a differential check
    supports it ("likely") or speaks against it ("less likely"); never "ruled out" except the
    hip rotators in the seated rotation test."""
    if entry.standing_only:
        return "ruled out", ("the rotation test is done seated, which keeps the pelvis and hips "
                             "still"), entry.source
    if movement in k.straight_leg_raise.applies_to and entry.muscle in \
            k.straight_leg_raise.likely_if_limit:
        return _hamstrings(entry, trial, screening, k)
    if movement in k.thomas_test.applies_to:
        return _thomas_test(entry, screening, k)
    return "possible", CANDIDATE, entry.source


def _knees_bent_gain(trial: TrialResult | None, screening: Screening) -> float:
    """How much further the forward bend went with the knees slightly bent (deg): the repeat's
    value minus the straight-knee trial's, when the repeat was measured (NaN otherwise)."""
    gain = screening.checks.get(KNEES_BENT_GAIN_DEG)
    return float(gain) if isinstance(gain, int | float) and not isinstance(gain, bool) \
        else float("nan")


def _hamstrings(entry: Limit, trial: TrialResult | None, screening: Screening, k: Muscles
                ) -> Finding:
    """The hamstrings as a candidate of a restricted forward bend, read from the straight-leg
    raise against ITS OWN reference (norms.toml ``[straight_leg_raise]``) and the answer to
    "did it bring on pain in the leg?", and from the knees-bent repeat when it was done
    (a gain of more than ``muscles.toml checks.knees_bent.gain_deg`` supports the hamstrings)."""
    c = k.straight_leg_raise
    ref = slr_reference()
    source = f"{entry.source}; {c.source}; {ref.source}"
    slr = screening.checks.get("straight_leg_raise_deg")
    leg_pain = screening.checks.get(SLR_LEG_PAIN)
    gain = _knees_bent_gain(trial, screening)
    gain_min = mdc_for("flexion")[0]  # a real change within the person (MDC for change)
    parts: list[str] = []
    status: FindingStatus = "possible"
    if np.isfinite(gain):
        if gain > gain_min:
            status = "likely"
            parts.append(f"bending the knees slightly let you bend {gain:.0f}° further "
                         f"(more than {gain_min:.0f}°), which points to the hamstrings")
        else:
            parts.append(f"bending the knees slightly changed the bend by only {gain:.0f}°")
    if isinstance(slr, int | float) and not isinstance(slr, bool):
        low = slr < ref.lower_deg
        parts.append(f"your straight-leg raise ({slr:.0f}°) is "
                     + (f"below the usual range (under {ref.lower_deg:.0f}°, the "
                        f"{ordinal(ref.lower_centile)} centile)" if low else
                        f"within the usual range (typical {ref.mean_deg:.0f}°)"))
        if leg_pain is True:
            return "possible", ("; ".join(parts) + ". It brought on pain in your leg: that "
                                "can mean the nerves of the leg are sensitive rather than the "
                                "hamstrings tight, so the hamstrings are not stretched into those "
                                "symptoms; have it assessed"), source
        if leg_pain is None:
            parts.append("did the straight-leg raise bring on pain in your leg? Say so before "
                         "stretching the hamstrings (in the command line: --slr-leg-pain or "
                         "--slr-no-leg-pain)")
        elif low and status == "possible":
            status = "likely"
        elif not low and status == "possible":
            status = "less likely"
    else:
        parts.append("do the straight-leg raise (and say whether it brought on pain in the leg) "
                     "to tell the hamstrings from the back muscles")
    return status, "; ".join(parts), source


def _thomas_test(entry: Limit, screening: Screening, k: Muscles) -> Finding:
    """An extension candidate narrowed by the Thomas test (muscles.toml ``checks``): a negative
    test makes the hip flexors less likely, never ruled out."""
    c = k.thomas_test
    thomas = screening.checks.get("thomas_test_positive")
    if entry.muscle not in c.likely_if_yes:
        return "possible", CANDIDATE, entry.source
    if not isinstance(thomas, bool):
        return "possible", CANDIDATE + " (not narrowed: do the Thomas test to check the hip " \
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
    likely = [f for f in findings if f.status in ("likely", "possible") and f.stretch]
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
        # the target is the lower reference limit for the person's age (no longer restricted),
        # not the median: "100 %" of the founding document's schedule is "back in the typical
        # range", which the lower limit marks
        target = d.threshold_deg if np.isfinite(d.threshold_deg) else d.norm_deg
        gap = target - d.value_deg
        ms = tuple(((today + timedelta(days=int(day))).isoformat(),
                    round(d.value_deg + frac * gap, 1)) for day, frac in g.rom_milestones)
        out.append(Goal("rom", d.movement, round(d.value_deg, 1), round(target, 1), ms,
                        g.rom_text, g.rom_evidence, g.rom_source))
    if screening.pain_before is not None and screening.pain_before > 0:
        sched = g.pain_chronic if chronic else g.pain_recent
        p0 = float(screening.pain_before)
        ms = pain_milestones(p0, [(today + timedelta(days=int(day))).isoformat()
                                   for day, _ in sched], [frac for _, frac in sched])
        out.append(Goal("pain", "pain", p0, min(v for _, v in ms), ms, g.pain_text,
                        g.pain_evidence, g.pain_source))
    return out


def pain_milestones(p0: float, days: list[str], fracs: list[float]
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
    screening, trials = _knees_bent_repeat(screening, trials)
    by_move: dict[str, TrialResult] = {}
    for t in trials:
        if t.movement in MOVEMENTS:
            prev = by_move.get(t.movement)
            if prev is None or (prev.status != "ok" and t.status == "ok"):
                by_move[t.movement] = t
    decisions = [decide(by_move.get(m), m, profile, screening.stopped_by_pain(m))
                 for m in MOVEMENTS if m in by_move or screening.stopped_by_pain(m)]
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
    if findings and knowledge().muscles.note:
        general.insert(0, Advice("why_possible", knowledge().muscles.note,
                                 knowledge().muscles.note_source))
    general = _pain_limited_advice(decisions) + general
    chronic = is_chronic(profile, now)
    return Assessment(
        "complete", tuple(decisions), tuple(asymmetries(dmap)), tuple(findings), tuple(plan),
        tuple(general) if plan else tuple(a for a in general
                                          if a.topic not in ("how_to_stretch", "stop_rules")),
        tuple(_goals(decisions, screening, chronic, now.date())),
        tuple(_factors(screening, list(by_move.values()))), informs(screening, profile),
        tuple(_pain_warnings(screening)), None, chronic)


def _knees_bent_repeat(screening: Screening, trials: list[TrialResult]
                       ) -> tuple[Screening, list[TrialResult]]:
    """The hamstring differential from the trials themselves: when a forward bend was measured
    both with straight knees and repeated with the knees bent (the trial's ``knees_bent`` flag,
    its knee bend beyond protocol.toml ``knee_bend_max_deg``), the repeat's gain goes to
    ``checks[knees_bent_gain_deg]`` (unless given) and only the straight-knee trials are
    decided on."""
    flex = [t for t in trials if t.movement == "flexion" and t.status == "ok"
            and np.isfinite(t.value_deg)]
    bent = [t for t in flex if any(f.code == "knees_bent" for f in t.flags)]
    straight = [t for t in flex if t not in bent]
    if not bent or not straight:
        return screening, trials
    gain = max(t.value_deg for t in bent) - max(t.value_deg for t in straight)
    checks = {KNEES_BENT_GAIN_DEG: float(gain), **screening.checks}
    kept = [t for t in trials if t not in bent]
    return replace(screening, checks=checks), kept


def _pain_limited_advice(decisions: list[Decision]) -> list[Advice]:
    """Gentle movement and a suggestion to have it assessed, once, when pain stopped a motion
    (or it brought on leg symptoms)."""
    stopped = [d.label.lower() for d in decisions if d.status == "pain-limited"]
    if not stopped:
        return []
    return [Advice("pain_limited", "Pain stopped " + ", ".join(stopped) + ": do not stretch "
                   "into that pain. Keep moving gently within what is comfortable (walking, "
                   "easy movement through the pain-free range), and have it assessed by a "
                   "physiotherapist or doctor, sooner if pain spreads down a leg or does not "
                   "settle.", "S3; seed (pain is protective; gentle range-of-motion exercise)")]


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
