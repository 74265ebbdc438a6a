"""The clinical knowledge base: the TOML files in ``clinical/data``, read by the one loader
(:func:`lumbar_rom.data.load_toml`) into frozen dataclasses and validated at load (every
threshold, muscle, stretch, question and advice carries a source; every name it refers to exists).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from functools import cache
from types import MappingProxyType
from typing import Any

from lumbar_rom.assessment.protocol import MOVEMENTS
from lumbar_rom.data import CLINICAL, DataError, file_problems, load_toml, missing_sources

__all__ = ["FILES", "SOURCE_KINDS", "MotionError", "MotionNorm", "SlrNorm",
           "Knowledge", "KnowledgeError", "Source", "check_all_sources",
           "citations", "knowledge", "missing_sources", "raw", "source_problems", "sources_for",
           "validate"]

FILES = ("norms", "error", "muscles", "stretches", "safety", "factors", "goals")
Schedule = tuple[tuple[int, float], ...]  # (day, fraction)


class KnowledgeError(DataError):
    """A knowledge file is malformed (a developer error, caught by the tests)."""


class _ReadOnly:
    """Dict fields become read-only views (the knowledge is frozen all the way down)."""

    def __post_init__(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            if isinstance(v, dict):
                object.__setattr__(self, f.name, MappingProxyType(v))


# ---- norms.toml, error.toml ---------------------------------------------------------------------


@dataclass(frozen=True)
class MotionNorm:
    """The reference distribution of one motion for what the camera measures (norms.toml):
    normal, ``mean_deg`` +/- ``sd_deg`` between people for ages ``age_min``-``age_max``;
    ``lumbar_mean_deg`` is the lumbar component the age model lets fall with Troke's medians."""

    construct: str
    measured: str
    mean_deg: float
    sd_deg: float
    lumbar_mean_deg: float
    age_min: float
    age_max: float
    sex_specific: bool
    derived: bool
    method: str  # how a DERIVED value was made ("" for a primary one)
    source: str
    troke_young_deg: float
    troke_old_deg: float
    troke_source: str


@dataclass(frozen=True)
class SlrNorm:
    """The straight-leg raise's own reference (norms.toml ``[straight_leg_raise]``)."""

    construct: str
    measured: str
    mean_deg: float
    sd_deg: float
    derived: bool
    method: str
    source: str


@dataclass(frozen=True)
class Norms(_ReadOnly):
    young_age: float  # Troke's youngest band (its median taken at this age)
    old_age: float
    age_source: str
    age_method: str
    lower_centile: float
    upper_centile: float
    limits_source: str
    motions: Mapping[str, MotionNorm]
    straight_leg_raise: SlrNorm


@dataclass(frozen=True)
class MotionError:
    """An MDC95 for change, with what it is: ``mdc_type`` (inter-rater / test-retest),
    ``level`` (MDC95, or MDC90 converted) and ``construct`` (lumbar-only proxy or not)."""

    mdc_deg: float
    source: str
    mdc_type: str = ""
    level: str = ""
    construct: str = ""

    @property
    def kind(self) -> str:
        """The MDC's type in words, written beside it wherever it is shown."""
        return f"{self.level}; {self.mdc_type}; {self.construct}"


@dataclass(frozen=True)
class ErrorKnowledge(_ReadOnly):
    motions: Mapping[str, MotionError]
    pain_sdc_points: float  # the smallest real change of an NRS pain score
    pain_source: str
    camera_mdc_factor: float  # MDC95 = factor x the camera's error SD
    camera_mdc_source: str
    asymmetry_source: str  # why an asymmetry beyond the MDC is only "confirm it"


# ---- muscles.toml, stretches.toml ---------------------------------------------------------------


@dataclass(frozen=True)
class Muscle:
    id: str
    name: str
    region: str
    source: str


@dataclass(frozen=True)
class Limit:
    """A muscle that may limit a motion; ``side`` is the side of the body it is on."""

    muscle: str
    side: str  # "left" | "right" | "both"
    source: str
    standing_only: bool = False


@dataclass(frozen=True)
class Check:
    """A differential check (straight-leg raise, Thomas test) that narrows the candidates."""

    label: str
    question: str
    applies_to: tuple[str, ...]
    source: str
    margin_deg: float = float("nan")
    likely_if_limit: tuple[str, ...] = ()
    otherwise_likely: tuple[str, ...] = ()
    likely_if_yes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Muscles(_ReadOnly):
    muscles: Mapping[str, Muscle]
    limits: Mapping[str, tuple[Limit, ...]]
    straight_leg_raise: Check
    thomas_test: Check
    note: str = ""  # why candidates are only "possible" (shown with them)
    note_source: str = ""


@dataclass(frozen=True)
class Stretch:
    id: str
    name: str
    movements: tuple[str, ...]
    targets: tuple[str, ...]
    cues: str
    side_rule: str  # "both" | "away_from_tight" | "opposite_of_limited"
    contraindications: str
    source: str
    hold_s: tuple[float, float] | None = None  # its own cited hold (else the general one)
    hold_source: str = ""
    end_range_flexion: bool = False  # sustained end-range spinal flexion (not with bone risk)
    bone_alternative: bool = False  # planned only in place of an end-range flexion stretch


@dataclass(frozen=True)
class BoneHealth:
    """stretches.toml ``[bone_health]``: a yes to any ``risk`` answer (safety question id)
    removes the end-range flexion stretches and shows ``caution``."""

    risk: tuple[str, ...]
    caution: str
    source: str


@dataclass(frozen=True)
class Sourced:
    text: str
    source: str


@dataclass(frozen=True)
class StretchGeneral:
    intensity: str
    hold_s: tuple[float, float]  # (shortest, longest) hold, s
    older_hold_s: tuple[float, float]
    older_age: float  # from this age the older adults' hold applies
    reps: tuple[int, int]
    total_s: float  # about this long in all, per stretch
    frequency: str
    source: str
    stop_rules: str
    stop_source: str


@dataclass(frozen=True)
class Stretches(_ReadOnly):
    general: StretchGeneral
    stretches: Mapping[str, Stretch]
    advice: Mapping[str, Sourced]
    bone_health: BoneHealth

    def dose(self, stretch: str | None = None, age: float | None = None) -> tuple[str, str]:
        """(dose text, its source) of ``stretch`` (None: the general rule) for a person of
        ``age`` (None: both holds are said). The one place a dose is written."""
        g = self.general
        s = self.stretches[stretch] if stretch else None
        older = age is not None and age >= g.older_age
        own = s is not None and s.hold_s is not None and not older
        lo, hi = (s.hold_s if own and s is not None and s.hold_s else
                  g.older_hold_s if older else g.hold_s)
        hold = f"{lo:g} s" if lo == hi else f"{lo:g}-{hi:g} s"
        extra = (f" ({g.older_hold_s[0]:g}-{g.older_hold_s[1]:g} s at {g.older_age:g} or older)"
                 if age is None and not own else "")
        text = (f"Hold {hold}{extra}, {g.reps[0]}-{g.reps[1]} times, about {g.total_s:g} s in "
                "all")
        src = f"{s.hold_source}; {g.source}" if own and s is not None else g.source
        return text, src


# ---- safety.toml, factors.toml, goals.toml ------------------------------------------------------


CATEGORIES = ("emergency", "urgent", "inform")  # strongest first


@dataclass(frozen=True)
class RedFlag:
    """One screening question (one condition); a yes gives ``category``."""

    id: str
    question: str
    category: str  # one of CATEGORIES
    source: str
    advice: str = ""  # what to do for this sign, shown under a yes (optional)


@dataclass(frozen=True)
class ScreenRule:
    """A combination of answers / profile facts: holds when every id of ``all`` and at least
    one of ``any`` is true; then ``category`` applies."""

    id: str
    all: tuple[str, ...]
    any: tuple[str, ...]
    category: str
    text: str
    source: str


@dataclass(frozen=True)
class Severity:
    severe_nrs: float  # pain at or above this: no end-range test today
    message: str
    care: str
    source: str


@dataclass(frozen=True)
class Acute:
    hours: float  # no end-range test and no stretching before this
    message: str
    care: str
    source: str


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    source: str


@dataclass(frozen=True)
class Inflammatory:
    """The inflammatory back pain screen of NICE NG65 (safety.toml ``[inflammatory]``): every
    ``entry`` answer yes, then ``refer_at`` or more ``criteria`` -> ``refer``; exactly
    ``blood_test_at`` -> ``blood_test``; otherwise a yes to any ``watch`` -> ``watch_text``."""

    title: str
    questions: tuple[Question, ...]
    entry: tuple[str, ...]
    criteria: tuple[str, ...]
    refer_at: int
    blood_test_at: int
    watch: tuple[str, ...]
    refer: str  # a format string with ``{n}``, the number of criteria met
    blood_test: str
    watch_text: str
    basmi_context: str
    source: str


@dataclass(frozen=True)
class Safety(_ReadOnly):
    red_flags: tuple[RedFlag, ...]
    rules: tuple[ScreenRule, ...]
    facts: Mapping[str, str]  # profile fact id -> what it says ("you are 70 or older")
    older_age: float  # the age of the ``age_70_plus`` fact
    facts_source: str
    guidance: Mapping[str, str]  # category -> what to do
    guidance_source: str
    severity: Severity
    acute: Acute
    pain_scale: str
    pain_stop_rule: str
    pain_source: str
    inflammatory: Inflammatory


@dataclass(frozen=True)
class FactorQuestion:
    id: str
    question: str
    source: str
    advice_if_yes: str | None = None
    advice_if_no: str | None = None


@dataclass(frozen=True)
class MeasuredFactor:
    advice: str  # a format string with ``{value}``
    source: str
    threshold_deg: float | None = None  # advice only beyond it (None: always shown)


@dataclass(frozen=True)
class Factors(_ReadOnly):
    questions: tuple[FactorQuestion, ...]
    measured: Mapping[str, MeasuredFactor]
    stall_checklist: tuple[str, ...]
    stall_after_days: float  # behind this long after the start: stalled
    stall_source: str


@dataclass(frozen=True)
class Goals:
    rom_milestones: Schedule
    rom_text: str
    rom_evidence: str
    rom_source: str
    pain_chronic: Schedule
    pain_recent: Schedule
    pain_text: str
    pain_evidence: str
    pain_source: str
    recent_injury_days: float
    maintenance_text: str
    maintenance_reminder_days: tuple[int, ...]
    maintenance_source: str


@dataclass(frozen=True)
class Knowledge:
    norms: Norms
    error: ErrorKnowledge
    muscles: Muscles
    stretches: Stretches
    safety: Safety
    factors: Factors
    goals: Goals


# ---- building -----------------------------------------------------------------------------------


def raw(name: str) -> dict[str, Any]:
    """The parsed clinical file ``name`` ("norms", ...), as the TOML has it."""
    return load_toml(f"{name}.toml", package=CLINICAL)


def _schedule(rows: list[list[float]]) -> Schedule:
    return tuple((int(d), float(f)) for d, f in rows)


def _num(e: Mapping[str, Any], key: str) -> float:
    """A number of a data entry; NaN when it is missing (the validator names it)."""
    v = e.get(key)
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else float("nan")


def _norms(t: dict[str, Any]) -> Norms:
    a, lim, slr = t["age_model"], t["limits"], t.get("straight_leg_raise", {})
    return Norms(
        float(a["young_age"]), float(a["old_age"]), a["source"], str(a.get("method", "")),
        float(lim["lower_centile"]), float(lim["upper_centile"]), lim["source"], {
            m: MotionNorm(str(e.get("construct", "")), str(e.get("measured", "")),
                          _num(e, "mean_deg"), _num(e, "sd_deg"), _num(e, "lumbar_mean_deg"),
                          _num(e, "age_min"), _num(e, "age_max"),
                          bool(e.get("sex_specific", False)), bool(e.get("derived", False)),
                          str(e.get("method", "")), str(e.get("source", "")),
                          _num(e, "troke_young_deg"), _num(e, "troke_old_deg"),
                          str(e.get("troke_source", "")))
            for m, e in t["motions"].items()},
        SlrNorm(str(slr.get("construct", "")), str(slr.get("measured", "")),
                _num(slr, "mean_deg"), _num(slr, "sd_deg"), bool(slr.get("derived", False)),
                str(slr.get("method", "")), str(slr.get("source", ""))))


def _error(t: dict[str, Any]) -> ErrorKnowledge:
    return ErrorKnowledge(
        {m: MotionError(float(e["mdc_deg"]), e["source"], str(e.get("mdc_type", "")),
                        str(e.get("level", "")), str(e.get("construct", "")))
         for m, e in t["motions"].items()},
        float(t["pain"]["sdc_points"]), t["pain"]["source"],
        float(t["camera"]["mdc_factor"]), t["camera"]["source"], t["asymmetry"]["source"])


def _check(c: dict[str, Any]) -> Check:
    return Check(c["label"], c["question"], tuple(c["applies_to"]), c["source"],
                 float(c.get("margin_deg", float("nan"))), tuple(c.get("likely_if_limit", ())),
                 tuple(c.get("otherwise_likely", ())), tuple(c.get("likely_if_yes", ())))


def _muscles(t: dict[str, Any]) -> Muscles:
    return Muscles(
        {i: Muscle(i, m["name"], m["region"], m["source"]) for i, m in t["muscles"].items()},
        {m: tuple(Limit(e["muscle"], e["side"], e["source"], bool(e.get("standing_only", False)))
                  for e in entries) for m, entries in t["limits"].items()},
        _check(t["checks"]["straight_leg_raise"]), _check(t["checks"]["thomas_test"]),
        str(t.get("note", {}).get("text", "")), str(t.get("note", {}).get("source", "")))


def _stretches(t: dict[str, Any]) -> Stretches:
    g = t["general"]
    def pair(x: list[float]) -> tuple[float, float]:
        return float(x[0]), float(x[1])

    return Stretches(
        StretchGeneral(g["intensity"], pair(g["hold_s"]), pair(g["older_hold_s"]),
                       float(g["older_age"]), (int(g["reps"][0]), int(g["reps"][1])),
                       float(g["total_s"]), g["frequency"], g["source"], g["stop_rules"],
                       g["stop_source"]),
        {i: Stretch(i, s["name"], tuple(s["movements"]), tuple(s["targets"]), s["cues"],
                    s["side_rule"], s["contraindications"], s["source"],
                    pair(s["hold_s"]) if "hold_s" in s else None, s.get("hold_source", ""),
                    bool(s.get("end_range_flexion", False)),
                    bool(s.get("bone_alternative", False)))
         for i, s in t["stretches"].items()},
        {i: Sourced(a["text"], a["source"]) for i, a in t["advice"].items()},
        BoneHealth(tuple(t["bone_health"]["risk"]), t["bone_health"]["caution"],
                   t["bone_health"]["source"]))


def _safety(t: dict[str, Any]) -> Safety:
    g, a, p, f, v = t["guidance"], t["acute"], t["pain"], t["facts"], t["severity"]
    i = t["inflammatory"]
    inflammatory = Inflammatory(
        i["title"], tuple(Question(q["id"], q["question"], q["source"]) for q in i["questions"]),
        tuple(i["entry"]), tuple(i["criteria"]), int(i["refer_at"]), int(i["blood_test_at"]),
        tuple(i["watch"]), i["refer"], i["blood_test"], i["watch_text"], i["basmi_context"],
        i["source"])
    return Safety(
        tuple(RedFlag(q["id"], q["question"], q["category"], q["source"], q.get("advice", ""))
              for q in t["red_flags"]),
        tuple(ScreenRule(r["id"], tuple(r["all"]), tuple(r["any"]), r["category"], r["text"],
                         r["source"]) for r in t.get("rules", ())),
        {k: x for k, x in f.items() if isinstance(x, str) and k != "source"},
        float(f["older_age"]), f["source"],
        {k: x for k, x in g.items() if k != "source"}, g["source"],
        Severity(float(v["severe_nrs"]), v["message"], v["care"], v["source"]),
        Acute(float(a["hours"]), a["message"], a["care"], a["source"]),
        p["scale"], p["stop_rule"], p["source"], inflammatory)


def _factors(t: dict[str, Any]) -> Factors:
    s = t["stall_checklist"]
    return Factors(
        tuple(FactorQuestion(q["id"], q["question"], q["source"], q.get("advice_if_yes"),
                             q.get("advice_if_no")) for q in t["questions"]),
        {k: MeasuredFactor(m["advice"], m["source"],
                           float(m["threshold_deg"]) if "threshold_deg" in m else None)
         for k, m in t["measured"].items()},
        tuple(s["items"]), float(s["after_days"]), s["source"])


def _goals(t: dict[str, Any]) -> Goals:
    r, p, m = t["rom"], t["pain"], t["maintenance"]
    return Goals(
        _schedule(r["milestones"]), r["text"], r["evidence"], r["source"],
        _schedule(p["chronic"]), _schedule(p["recent"]), p["text"], p["evidence"], p["source"],
        float(t["chronic"]["recent_injury_days"]),
        m["text"], tuple(int(d) for d in m["reminder_days"]), m["source"])


BUILDERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "norms": _norms, "error": _error, "muscles": _muscles, "stretches": _stretches,
    "safety": _safety, "factors": _factors, "goals": _goals}


def build(tables: Mapping[str, dict[str, Any]]) -> Knowledge:
    """Parsed TOML tables (one per name in :data:`FILES`) -> validated :class:`Knowledge`.

    Raises :class:`KnowledgeError` listing every missing source, missing key and dangling name.
    """
    problems: list[str] = []
    for name in FILES:
        problems += file_problems(f"{name}.toml", tables[name])
    parts: dict[str, Any] = {}
    for name in FILES:
        try:
            parts[name] = BUILDERS[name](tables[name])
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(f"{name}.toml: missing or malformed entry {exc}")
    problems += source_problems(_sources_table(), {f"{n}.toml": tables[n] for n in FILES})
    if problems:
        raise KnowledgeError("; ".join(problems))
    k = Knowledge(**parts)
    validate(k)
    return k


def _norm_problems(name: str, construct: str, mean: float, sd: float, derived: bool,
                   method: str, source: str) -> list[str]:
    """What a reference value lacks: a construct, a mean, a spread, a source, or (DERIVED) its
    method."""
    problems = []
    if not construct.strip():
        problems.append(f"norms: {name} does not name the construct it measured")
    if not math.isfinite(mean) or mean <= 0:
        problems.append(f"norms: {name} has no mean")
    if not math.isfinite(sd) or sd <= 0:
        problems.append(f"norms: {name} has no spread (sd_deg): a norm without one cannot "
                        "give a reference limit")
    if not source.strip():
        problems.append(f"norms: {name} has no source")
    if derived and not method.strip():
        problems.append(f"norms: {name} is DERIVED but does not say how (method)")
    return problems


def _reference_problems(k: Knowledge) -> list[str]:
    """Every norm with its spread and construct (DERIVED ones with their method); every MDC with
    its type; centile limits that make sense."""
    n = k.norms
    problems: list[str] = []
    for m, e in n.motions.items():
        problems += _norm_problems(m, e.construct, e.mean_deg, e.sd_deg, e.derived, e.method,
                                   e.source)
        if not (math.isfinite(e.age_min) and math.isfinite(e.age_max) and e.age_min < e.age_max):
            problems.append(f"norms: {m} has no reference age range (age_min < age_max)")
        if not 0 <= e.lumbar_mean_deg <= e.mean_deg:
            problems.append(f"norms: {m} has no lumbar component within its mean")
        if not (e.troke_young_deg > 0 and e.troke_old_deg > 0):
            problems.append(f"norms: {m} has no Troke medians for the age model")
    s = n.straight_leg_raise
    problems += _norm_problems("straight_leg_raise", s.construct, s.mean_deg, s.sd_deg,
                               s.derived, s.method, s.source)
    if not 0 < n.lower_centile < 50 < n.upper_centile < 100:
        problems.append("norms: limits must be a lower centile below 50 and an upper above 50")
    for m, err in k.error.motions.items():
        if not err.mdc_type.strip():
            problems.append(f"error: the MDC of {m} does not say its type (inter-rater or "
                            "test-retest)")
        if not err.level.strip() or not any(x in err.level for x in ("MDC95", "MDC90")):
            problems.append(f"error: the MDC of {m} does not say whether it is an MDC95 or an "
                            "MDC90 (and how it was converted)")
        if not err.construct.strip():
            problems.append(f"error: the MDC of {m} does not say what it measured (a "
                            "lumbar-only figure is a proxy)")
    return problems


def _motion_problems(k: Knowledge) -> list[str]:
    problems: list[str] = _reference_problems(k)
    for m in MOVEMENTS:
        if m not in k.norms.motions:
            problems.append(f"norms: no norm for {m}")
        if m not in k.error.motions:
            problems.append(f"error: no MDC for {m}")
        for entry in k.muscles.limits.get(m, ()):
            if entry.muscle not in k.muscles.muscles:
                problems.append(f"muscles: {m} names unknown muscle {entry.muscle}")
            if entry.side not in ("left", "right", "both"):
                problems.append(f"muscles: {m} {entry.muscle} has side {entry.side!r}")
    return problems


def _stretch_problems(k: Knowledge) -> list[str]:
    problems = [f"stretches: {sid} targets unknown muscle {t}"
                for sid, s in k.stretches.stretches.items() for t in s.targets
                if t not in k.muscles.muscles]
    covered = {(m, t) for s in k.stretches.stretches.values() for t in s.targets
               for m in s.movements if not s.bone_alternative}
    asked = {q.id for q in k.safety.red_flags}
    problems += [f"stretches: bone_health names unknown safety question {x}"
                 for x in k.stretches.bone_health.risk if x not in asked]
    problems += [f"stretches: no stretch for {e.muscle} limiting {motion}"
                 for motion, entries in k.muscles.limits.items() for e in entries
                 if (motion, e.muscle) not in covered and not e.standing_only]
    return problems


def _safety_problems(k: Knowledge) -> list[str]:
    s = k.safety
    problems = [f"safety: red flag {q.id} has category {q.category!r} without guidance"
                for q in s.red_flags if q.category not in s.guidance
                or q.category not in CATEGORIES]
    names = {q.id for q in s.red_flags} | set(s.facts)
    for r in s.rules:
        if r.category not in CATEGORIES:
            problems.append(f"safety: rule {r.id} has category {r.category!r}")
        problems += [f"safety: rule {r.id} names unknown answer {x}"
                     for x in (*r.all, *r.any) if x not in names]
    i = s.inflammatory
    asked = [q.id for q in i.questions]
    problems += [f"safety: inflammatory names unknown question {x}"
                 for x in (*i.entry, *i.criteria, *i.watch) if x not in asked]
    problems += [f"safety: question id {x} is used twice"
                 for x in set(asked) | names if (asked + [q.id for q in s.red_flags]).count(x) > 1]
    if not 0 < i.blood_test_at < i.refer_at <= len(i.criteria):
        problems.append("safety: inflammatory thresholds must be 0 < blood_test_at < refer_at "
                        "<= the number of criteria")
    return problems


def validate(k: Knowledge) -> None:
    """Raise :class:`KnowledgeError` listing every cross-reference problem found."""
    problems = _motion_problems(k) + _stretch_problems(k) + _safety_problems(k)
    if problems:
        raise KnowledgeError("; ".join(problems))


@cache
def knowledge() -> Knowledge:
    """The validated knowledge base (cached)."""
    return build({name: raw(name) for name in FILES})


# A secondary web page is not a kind: every source is a study, a review, a guideline or a
# standard textbook (anatomy, examination technique), with its link; the founding document and
# this product's own measurements are the only entries without one.
SOURCE_KINDS = ("primary study", "systematic review", "narrative review", "guideline",
                "patient leaflet", "editorial", "regulatory notice", "textbook",
                "founding document", "own measurement")
# Placeholder wording a printed citation (or its note) may not hold (issue 27): a source is
# identified, or it is not cited.
PLACEHOLDERS = re.compile(r"to identify|to fill|from memory|identify or drop|to verify|"
                          r"unidentified|title still unknown|TODO|TBD|\?\?", re.I)
NO_URL_KINDS = ("founding document", "own measurement")  # the only kinds without a link


@dataclass(frozen=True)
class Source:
    """One cited source: its key (``S13``), the citation text, a link (DOI / PubMed / the
    guideline's page; empty only for the founding document and the product's own measurements)
    and its kind (one of :data:`SOURCE_KINDS`)."""

    key: str
    text: str
    url: str = ""
    kind: str = ""


_KEY = re.compile(r"\b(?:S(\d+)-S(\d+)|(S\d+[a-z]?|LR\d+|seed))\b")


def _source_keys(source_text: str) -> list[str]:
    """The source keys named in ``source_text``, in order, each once ("S28-S30" names S28, S29
    and S30)."""
    keys: list[str] = []
    for a, b, single in _KEY.findall(source_text):
        keys += [single] if single else [f"S{i}" for i in range(int(a), int(b) + 1)]
    return list(dict.fromkeys(keys))


def _sources_table() -> Mapping[str, Any]:
    return load_toml("sources.toml", package=CLINICAL)["sources"]


def sources_for(source_text: str) -> list[Source]:
    """The sources named in ``source_text`` ("S11, S49-S51; seed ..."), in order, each once.
    Renderers (app, PDF) show ``text`` linked to ``url`` (no link when ``url`` is empty)."""
    table = _sources_table()
    return [Source(k, table[k]["text"], table[k].get("url", ""), table[k].get("kind", ""))
            for k in _source_keys(source_text) if k in table]


def citations(source_text: str) -> list[tuple[str, str]]:
    """``(key, citation text)`` of the sources named in ``source_text`` (:func:`sources_for`)."""
    return [(s.key, s.text) for s in sources_for(source_text)]


def _cited(node: Any, path: str = "") -> list[tuple[str, str]]:
    """(path, source text) of every ``source`` / ``*_source`` string in a parsed data file."""
    out: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for k, v in node.items():
            here = f"{path}.{k}" if path else k
            if isinstance(v, str) and (k == "source" or k.endswith("_source")):
                out.append((here, v))
            else:
                out += _cited(v, here)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _cited(v, f"{path}[{i}]")
    return out


def _entry_problems(key: str, e: Any) -> list[str]:
    if not isinstance(e, dict) or not str(e.get("text", "")).strip():
        return [f"sources.toml: {key} is not a table with a text"]
    kind, url = e.get("kind", ""), str(e.get("url", "")).strip()
    for field in ("text", "note"):
        found = PLACEHOLDERS.search(str(e.get(field, "")))
        if found:
            return [f"sources.toml: {key} {field} holds the placeholder {found.group(0)!r}; "
                    "identify the source or stop citing it"]
    if kind not in SOURCE_KINDS:
        return [f"sources.toml: {key} has kind {kind!r}, not one of {', '.join(SOURCE_KINDS)}"]
    if not url and kind not in NO_URL_KINDS:
        return [f"sources.toml: {key} ({kind}) has no url"]
    if url and not url.startswith("https://"):
        return [f"sources.toml: {key} has a url that is not https: {url}"]
    return []


def source_problems(sources: Mapping[str, Any], files: Mapping[str, Any]) -> list[str]:
    """Every problem of the source table ``sources`` (each key a table with text, url, kind) and
    of the citations in the parsed data ``files`` (name -> table): placeholder text
    (:data:`PLACEHOLDERS`), a bad kind, a missing url, a cited key that is not in the table."""
    problems = [p for key, e in sources.items() for p in _entry_problems(key, e)]
    for name, table in files.items():
        for where, text in _cited(table):
            problems += [f"{name}: {where} cites {k}, which is not in sources.toml"
                         for k in _source_keys(text) if k not in sources]
    return problems


def check_all_sources() -> list[str]:
    """:func:`source_problems` of sources.toml over every data file of
    :data:`lumbar_rom.data.DATA_FILES` (empty when all is well)."""
    from lumbar_rom.data import DATA_FILES

    files = {name: load_toml(name, package=pkg) for pkg, name in DATA_FILES}
    return source_problems(_sources_table(), files)
