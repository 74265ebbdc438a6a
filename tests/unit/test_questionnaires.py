"""Questionnaire scoring against the published rules, with hand-computed examples (issue 30)."""

import math
import tomllib
from pathlib import Path

import pytest

from lumbar_rom.clinical import questionnaires as Q
from lumbar_rom.clinical.beyond_data import problems, sources

DATA = Path(Q.__file__).parent / "data"


def raw():
    return tomllib.loads((DATA / "questionnaires.toml").read_text())


def test_data_files_are_sourced_and_cite_known_keys():
    assert problems("questionnaires") == []
    new = tomllib.loads((DATA / "sources_beyond.toml").read_text())["sources"]
    for key, e in new.items():
        assert e["text"].strip() and e["kind"], key
        assert e["url"].startswith("https://") or e["kind"] == "own measurement", key
    assert {"S92", "S300", "LR30"} <= set(sources())


def test_rmdq_counts_ticks():
    ids = Q.item_ids("rmdq")
    assert len(ids) == 24
    ticked = {ids[i] for i in (0, 4, 9, 12, 23)}  # 5 sentences ticked
    s = Q.score(Q.Response("rmdq", {i: int(i in ticked) for i in ids}))
    assert s.value == 5.0
    all_ticked = Q.score(Q.Response("rmdq", dict.fromkeys(ids, 1)))
    assert all_ticked.value == 24.0


def test_rmdq_change_uses_5_points_or_30_percent():
    ids = Q.item_ids("rmdq")

    def sc(n):
        return Q.score(Q.Response("rmdq", {i: int(k < n) for k, i in enumerate(ids)}))

    # 20 -> 16: 4 points (< 5) and 20 % (< 30 %): not important
    c = Q.change(sc(20), sc(16))
    assert c.improvement == 4 and c.improvement_percent == pytest.approx(20.0)
    assert not c.important
    # 6 -> 4: 2 points but 33 % of the first score: important by the percent rule (S302)
    c = Q.change(sc(6), sc(4))
    assert c.improvement_percent == pytest.approx(100 * 2 / 6) and c.important
    # 12 -> 7: 5 points
    assert Q.change(sc(12), sc(7)).important
    # worse: negative improvement
    assert Q.change(sc(4), sc(9)).improvement == -5


def test_psfs_mean_and_important_change_is_max_of_mic_and_mdc():
    first = Q.score(Q.Response("psfs", {"walking": 3, "gardening": 2, "lifting the baby": 4}))
    assert first.value == pytest.approx((3 + 2 + 4) / 3)
    inst = Q.instrument("psfs")
    d = raw()["instruments"]["psfs"]
    assert inst.important_change == max(d["mic_points"], d["mdc_points"]) == 2.0
    # +1.67: above the MIC (1.3) but within the detectable change (2.0): not shown as important
    later = Q.score(Q.Response("psfs", {"walking": 5, "gardening": 4, "lifting the baby": 5}))
    c = Q.change(first, later)
    assert c.improvement == pytest.approx(5 / 3) and not c.important
    later = Q.score(Q.Response("psfs", {"walking": 6, "gardening": 4, "lifting the baby": 6}))
    assert Q.change(first, later).important


def test_peg_mean_with_borrowed_30_percent():
    first = Q.score(Q.Response("peg", {"peg_p": 6, "peg_e": 5, "peg_g": 7}))
    assert first.value == pytest.approx(6.0)
    inst = Q.instrument("peg")
    assert not inst.wording_bundled and all(not it.text and it.topic for it in inst.items)
    assert math.isnan(inst.mic_points) and inst.mic_percent == 30.0
    c = Q.change(first, Q.score(Q.Response("peg", {"peg_p": 4, "peg_e": 4, "peg_g": 4})))
    assert c.improvement_percent == pytest.approx(100 * 2 / 6) and c.important


def test_grc_single_item_has_no_mic():
    s = Q.score(Q.Response("grc", {"grc": 2}))
    assert s.value == 2.0
    assert math.isnan(Q.instrument("grc").important_change)
    with pytest.raises(Q.QuestionnaireError):
        Q.score(Q.Response("grc", {"grc": 4}))


def _sbst(agree: set[int], bother: int) -> Q.Response:
    a = {f"sbst{i}": int(i in agree) for i in range(1, 9)}
    a["sbst9"] = bother
    return Q.Response("start_back", a)


@pytest.mark.parametrize(("agree", "bother", "total", "sub", "risk"), [
    # Hill 2008: total 0-3 low; subscale (items 5-9) >= 4 high; otherwise medium
    (set(), 0, 0, 0, "low"),
    ({1, 2, 3}, 2, 3, 0, "low"),                   # "moderately" scores 0
    ({1, 2, 3}, 3, 4, 1, "medium"),                # "very much" scores 1 -> total 4
    ({1, 2, 5, 6, 7}, 1, 5, 3, "medium"),
    ({5, 6, 7, 8}, 0, 4, 4, "high"),
    ({1, 5, 6, 7}, 4, 5, 4, "high"),               # "extremely" scores 1
    ({1, 2, 3, 4, 5, 6, 7, 8}, 4, 9, 5, "high"),
    ({6, 7, 8}, 4, 4, 4, "high"),
])
def test_start_back_scoring_and_groups(agree, bother, total, sub, risk):
    s = Q.score(_sbst(agree, bother))
    assert (s.value, s.subscale, s.risk) == (total, sub, risk)


def test_start_back_thresholds_come_from_the_data():
    d = raw()["instruments"]["start_back"]
    assert d["low_max_total"] == 3 and d["high_min_subscale"] == 4
    assert d["psychosocial_items"] == ["sbst5", "sbst6", "sbst7", "sbst8", "sbst9"]
    inst = Q.instrument("start_back")
    assert "Keele University" in inst.notice and inst.licence_status == "non-commercial"
    for risk in ("low", "medium", "high"):
        adv = Q.risk_advice(risk)
        assert adv.advice and "NG59" in adv.clinician and "S309" in adv.source


@pytest.mark.parametrize(("response", "words"), [
    (Q.Response("rmdq", {}), "unanswered"),
    (Q.Response("rmdq", {"rmdq01": 1}), "23 of the 24"),
    (Q.Response("start_back", {**{f"sbst{i}": 0 for i in range(1, 9)}, "sbst9": 7}), "0 to 4"),
    (Q.Response("peg", {"peg_p": 3, "peg_e": 2, "peg_x": 1}), "no question"),
    (Q.Response("psfs", {}), "activities"),
    (Q.Response("psfs", {f"a{i}": 5 for i in range(6)}), "activities"),
    (Q.Response("psfs", {"walking": 11}), "0 to 10"),
    (Q.Response("nope", {}), "Unknown questionnaire"),
])
def test_incomplete_or_bad_answers_are_refused_in_one_sentence(response, words):
    with pytest.raises(Q.QuestionnaireError) as e:
        Q.score(response)
    msg = str(e.value)
    assert words in msg and msg.endswith(".") and msg.count(". ") == 0


def test_licences_and_rejections_are_stated():
    insts = Q.instruments()
    assert {i.role for i in insts.values()} == set(Q.ROLES)
    for i in insts.values():
        assert i.licence_text and i.licence_url.startswith("https://")
        if i.licence_status == "not-bundled":
            assert not i.wording_bundled
    rej = {r.id: r for r in Q.rejected()}
    assert {"odi", "promis_pain_interference", "orebro_short"} <= set(rej)
    assert "Mapi" in rej["odi"].note and "permission" in rej["promis_pain_interference"].note


def test_command_line_forms():
    assert Q.score(Q.parse_answers("rmdq", "1, 5,24")).value == 3
    assert Q.score(Q.parse_answers("rmdq", "none")).value == 0
    s = Q.score(Q.parse_answers("start_back", "1,0,0,1,1,1,1,0,3"))
    assert (s.value, s.subscale, s.risk) == (6, 4, "high")
    assert Q.score(Q.parse_answers("psfs", "walking=4; gardening = 6")).value == 5
    assert Q.score(Q.parse_answers("grc", "-2")).value == -2


@pytest.mark.parametrize(("inst", "text", "words"), [
    ("rmdq", "0,25", "numbered 1 to 24"),
    ("rmdq", "a,b", "Could not read"),
    ("peg", "5,4", "needs 3 answers"),
    ("psfs", "walking:4", "Could not read"),
    ("start_back", "1,0,0,1,1,1,1,0,9", "0 to 4"),
])
def test_command_line_errors_are_one_sentence(inst, text, words):
    with pytest.raises(Q.QuestionnaireError) as e:
        Q.score(Q.parse_answers(inst, text))
    assert words in str(e.value) and str(e.value).endswith(".")
