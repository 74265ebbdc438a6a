"""Sources (issue 17): every cited key exists, every source is linked (or is the founding
document / an own measurement), kinds are known; one dose rule, rendered from the data."""

from __future__ import annotations

import re

import pytest

from lumbar_rom.clinical import knowledge as K
from lumbar_rom.clinical.engine import Profile, Screening, assess
from lumbar_rom.data import CLINICAL, DATA_FILES, load_toml
from tests.fixtures.clinical import restricted_set

SOURCES = load_toml("sources.toml", package=CLINICAL)["sources"]


def test_every_cited_key_exists_and_every_source_is_well_formed():
    assert K.check_all_sources() == []
    assert ("lumbar_rom.clinical", "endurance.toml") in DATA_FILES


@pytest.mark.parametrize("entry, problem", [
    ({"text": "A study", "url": "https://doi.org/10/x", "kind": "blog"}, "has kind 'blog'"),
    ({"text": "A page", "url": "https://example.org/x", "kind": "web page"}, "has kind 'web page'"),
    ({"text": "A study", "url": "", "kind": "primary study"}, "(primary study) has no url"),
    ({"text": "A study", "url": "www.example.org", "kind": "guideline"}, "not https"),
    ("a plain string", "is not a table with a text"),
])
def test_the_validator_catches_a_bad_source_entry(entry, problem):
    assert K.source_problems({"S1": {"text": "ok", "url": "https://x.org", "kind": "guideline"}},
                             {}) == []
    problems = K.source_problems({"S1": entry}, {})
    assert len(problems) == 1 and problem in problems[0]


@pytest.mark.parametrize("field, text, placeholder", [
    ("text", "(to identify) BMC Musculoskeletal Disorders 2007; 8:31", "to identify"),
    ("text", "(authors to fill) 2015. Reliability of three landmarking methods.", "to fill"),
    ("note", "Title confirmed; authors from memory.", "from memory"),
    ("note", "Not cited; identify or drop.", "identify or drop"),
    ("text", "(unidentified article, PMC10291378)", "unidentified"),
])
def test_the_validator_refuses_placeholder_source_text(field, text, placeholder):
    """Issue 27: a placeholder never reaches a printed citation; the knowledge base then does
    not build."""
    entry = {"text": "Lindell O et al. 2007. BMC Musculoskelet Disord 8:31.",
             "url": "https://doi.org/10.1186/1471-2474-8-31", "kind": "primary study",
             field: text}
    problems = K.source_problems({"S15": entry}, {})
    assert len(problems) == 1 and f"placeholder {placeholder!r}" in problems[0]
    assert "S15" in problems[0]
    # and the real file holds none
    assert not [k for k, e in SOURCES.items()
                for f in ("text", "note") if K.PLACEHOLDERS.search(str(e.get(f, "")))]


def test_the_knowledge_does_not_build_with_a_placeholder_source(monkeypatch):
    t = {name: K.raw(name) for name in K.FILES}
    bad = {**SOURCES, "S15": {**SOURCES["S15"], "text": "(to identify) BMC 2007; 8:31"}}
    monkeypatch.setattr(K, "_sources_table", lambda: bad)
    with pytest.raises(K.KnowledgeError, match="S15 text holds the placeholder 'to identify'"):
        K.build(t)


def test_sources_are_filed_as_what_they_are():
    kinds = {k: e["kind"] for k, e in SOURCES.items()}
    assert kinds["S76"] == "editorial"  # PEACE & LOVE, a BJSM editorial
    assert {kinds[k] for k in ("S60", "S61", "S61b", "S77")} == {"patient leaflet"}
    assert kinds["S15"] == "primary study" and "Lindell" in SOURCES["S15"]["text"]
    assert kinds["S98"] == kinds["S99"] == kinds["S97"] == "guideline"


def test_the_validator_catches_a_cited_key_that_does_not_exist():
    files = {"x.toml": {"a": {"value_deg": 1, "source": "S1, S999; seed"},
                        "b": [{"trunk_source": "LR7"}]}}
    problems = K.source_problems({"S1": SOURCES["S1"], "seed": SOURCES["seed"]}, files)
    assert problems == ["x.toml: a.source cites S999, which is not in sources.toml",
                        "x.toml: b[0].trunk_source cites LR7, which is not in sources.toml"]


def test_a_knowledge_file_citing_an_unknown_key_does_not_build():
    t = {name: K.raw(name) for name in K.FILES}
    goals = {**t["goals"], "rom": {**t["goals"]["rom"], "source": "S998"}}
    with pytest.raises(K.KnowledgeError, match="S998, which is not in sources.toml"):
        K.build({**t, "goals": goals})


def test_no_weak_page_and_no_internal_path_is_a_source():
    text = " ".join(f"{e['text']} {e['url']}" for e in SOURCES.values())
    for weak in ("bigkneepain.com", "cyberpt.com", "help.jtechmedical.com",
                 "shared/seed", "benchmarks/accuracy.py ("):
        assert weak not in text
    for pkg, name in DATA_FILES:
        cited = " ".join(t for _, t in K._cited(load_toml(name, package=pkg)))
        assert "benchmarks/accuracy.py" not in cited and "README" not in cited, name
    assert SOURCES["seed"]["kind"] == "founding document" and not SOURCES["seed"]["url"]
    assert SOURCES["LR1"]["kind"] == "own measurement"


def test_sources_for_gives_the_link_and_kind():
    s = K.sources_for("S73, S72; S28-S29; seed")
    assert [x.key for x in s] == ["S73", "S72", "S28", "S29", "seed"]
    assert s[0].url == "https://doi.org/10.2519/jospt.2020.9971" and s[0].kind == "guideline"
    assert s[-1].url == "" and s[-1].kind == "founding document"
    cam = load_toml("camera_error.toml")["flexion"]["source"]
    assert K.sources_for(cam)[0].kind == "own measurement"


def test_one_dose_rule_from_the_data():
    a = assess(Profile(age=40), Screening(), restricted_set())
    how = next(g for g in a.general if g.topic == "how_to_stretch")
    assert "Hold 10-30 s, 2-4 times, about 60 s in all" in how.text and "S70" in how.source
    for p in a.plan:
        assert re.fullmatch(r"Hold \d+(-\d+)? s, 2-4 times, about 60 s in all", p.dose), p
        assert "S70" in p.source
        assert p.dose == "Hold 30 s, 2-4 times, about 60 s in all" if \
            p.stretch == "hamstring_step" else p.dose.startswith("Hold 10-30 s")
    ham = next(p for p in a.plan if p.stretch == "hamstring_step")
    assert "S65" in ham.source
    older = assess(Profile(age=70), Screening(), restricted_set())
    assert {p.dose for p in older.plan} == {"Hold 30-60 s, 2-4 times, about 60 s in all"}
    assert "Hold 30-60 s" in next(g.text for g in older.general if g.topic == "how_to_stretch")
    assert "dose" not in K.raw("stretches")["stretches"]["knee_roll"]  # no second dose text
