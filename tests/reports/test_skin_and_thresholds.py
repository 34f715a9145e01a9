"""The severe-cutaneous-reaction screen, rash-management options, CTCAE grades, configurable trough
thresholds and the PK-population warning (issue 11, items 2 and 3)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from rashrisk.errors import RashriskError
from rashrisk.reports.options import options_for
from rashrisk.reports.pk_populations import population_check
from rashrisk.reports.skin import RED_FLAGS, severity, skin_block
from rashrisk.reports.thresholds import THRESHOLDS, setting_mismatch, trough_threshold, verdict
from rashrisk.scoring.patient_json import check_skin_record

ABSENT = dict.fromkeys(RED_FLAGS, False)


def record(grade, recurrent=None, **flags):
    return check_skin_record({"rash_grade": grade, "recurrent": recurrent, **flags})


def kinds(skin):
    return [o.get("kind") for o in options_for("high", stage="tdm", trough_verdict="cannot tell", skin=skin)]


@pytest.mark.parametrize("skin, expected", [(None, "unknown"), ({"rash_grade": None}, "unknown"),
                                            ({"rash_grade": 0}, "none"), ({"rash_grade": 1}, "mild"),
                                            ({"rash_grade": 2}, "mild"), ({"rash_grade": 2, "recurrent": False}, "mild"),
                                            ({"rash_grade": 2, "recurrent": True}, "severe"),
                                            ({"rash_grade": 3}, "severe"), ({"rash_grade": 4}, "severe")])
def test_severity_classes(skin, expected):
    assert severity(None if skin is None else check_skin_record(skin)) == expected


@pytest.mark.parametrize("skin", [{"rash_grade": 3, **ABSENT}, {"rash_grade": 2, "recurrent": True, **ABSENT}])
def test_a_severe_rash_with_every_flag_recorded_absent_is_offered_desensitisation(skin):
    block = skin_block(check_skin_record(skin))
    assert block["pathway"] == "desensitisation" and block["screen_complete"]
    options = options_for("high", stage="tdm", skin=check_skin_record(skin))
    offer = [o for o in options if o.get("kind") == "desensitisation"]
    assert len(offer) == 1 and "corticosteroids" in offer[0]["option"] and "TDM-guided" in offer[0]["option"]
    assert "92.6%" in offer[0]["basis"] and offer[0]["reference"] == "source_study"
    assert "stop" not in kinds(check_skin_record(skin))


@pytest.mark.parametrize("flag", RED_FLAGS)
@pytest.mark.parametrize("grade", [0, 1, 2, 3, 4, None])
def test_any_red_flag_present_at_any_grade_leaves_only_stop_and_urgent_review(flag, grade):
    skin = record(grade, **{**ABSENT, flag: True})
    options = options_for("low", stage="start", skin=skin)
    skin_options = [o for o in options if o.get("kind")]
    assert [o["kind"] for o in skin_options] == ["stop"]
    assert "stopping imatinib" in skin_options[0]["option"] and "urgent dermatology review" in skin_options[0]["option"]
    assert "desensitisation and re-challenge do not apply" in skin_options[0]["option"]
    assert all(s in skin_options[0]["basis"] for s in ("Stevens-Johnson", "DRESS", "bullous"))
    assert skin_options[0]["reference"] == "label_scar"
    assert not any("92.6%" in o["basis"] or "corticosteroid" in o["option"] for o in options)


@pytest.mark.parametrize("flag", RED_FLAGS)
@pytest.mark.parametrize("how", ["null", "omitted"])
@pytest.mark.parametrize("grade, recurrent", [(3, None), (4, False), (2, True)])
def test_a_severe_rash_with_any_flag_not_recorded_leaves_only_stop(flag, how, grade, recurrent):
    flags = {**ABSENT, flag: None} if how == "null" else {k: v for k, v in ABSENT.items() if k != flag}
    skin = record(grade, recurrent, **flags)
    block = skin_block(skin)
    assert block["pathway"] == "stop" and not block["desensitisation_applicable"]
    assert [f["state"] for f in block["red_flags"] if f["key"] == flag] == ["not recorded"]
    assert [k for k in kinds(skin) if k] == ["stop"]


def test_without_a_skin_record_the_report_data_has_the_checklist_and_no_desensitisation():
    block = skin_block(None)
    assert not block["recorded"] and block["severity"] == "unknown" and block["pathway"] == "screen"
    assert [f["state"] for f in block["red_flags"]] == ["not recorded"] * 6
    assert [k for k in kinds(None) if k] == ["screen"]
    assert not block["desensitisation_applicable"]


@pytest.mark.parametrize("grade", [1, 2])
def test_grade_1_2_options_with_their_sources(grade):
    skin = record(grade, False, **ABSENT)
    options = [o for o in options_for("intermediate", stage="start", skin=skin) if o.get("kind")]
    assert {o["kind"] for o in options} == {"grade_1_2"}
    text = " ".join(o["option"] for o in options)
    for care in ("continuing imatinib", "emollients", "topical corticosteroid", "oral antihistamine", "with food"):
        assert care in text
    assert all(o["basis"] and o["reference"] in ("rash_care", "source_study") for o in options)
    # flags not recorded for a mild rash: the options stay, with the screen to complete
    partial = record(grade, False, fever=False)
    assert [o.get("kind") for o in options_for("low", stage="start", skin=partial)][-1] == "screen"


def test_ctcae_definitions_are_in_the_data():
    grades = {g["grade"]: g["definition"] for g in skin_block(None)["ctcae"]}
    assert "less than 10%" in grades[1] and "10-30%" in grades[2] and "more than 30%" in grades[3]
    assert "self-care" in grades[3] and "instrumental" in grades[2]
    assert "CTCAE" in skin_block(None)["ctcae_source"] and "v5.0" in skin_block(None)["ctcae_source"]


@pytest.mark.parametrize("bad, words", [
    ({"fever": True}, "'rash_grade' is missing"),
    ({"rash_grade": 5}, "'rash_grade' is 5; expected an integer CTCAE grade 0-4"),
    ({"rash_grade": "3"}, "'rash_grade' is '3'"),
    ({"rash_grade": True}, "'rash_grade' is True"),
    ({"rash_grade": 2, "fever": "yes"}, "'fever' is 'yes'; expected true, false or null"),
    ({"rash_grade": 2, "itch": True}, "unknown fields ['itch']"),
    ([1, 2], "expected a JSON object"),
])
def test_bad_skin_records_are_user_errors_naming_field_value_and_expectation(bad, words):
    from rashrisk.errors import CohortError

    with pytest.raises(CohortError) as caught:
        check_skin_record(bad, "p.json: field 'skin'")
    assert words in str(caught.value) and "p.json" in str(caught.value)


def test_the_patient_document_carries_the_skin_record():
    from rashrisk.errors import CohortError
    from rashrisk.scoring.patient_json import check_patient_document

    doc = check_patient_document({"patient_id": "P1", "skin": {"rash_grade": 3, "fever": False}}, "p.json")
    assert doc["skin"]["fever"] is False and doc["skin"]["mucosal_involvement"] is None
    with pytest.raises(CohortError, match="p.json: field 'skin': field 'rash_grade' is -1"):
        check_patient_document({"patient_id": "P1", "skin": {"rash_grade": -1}}, "p.json")


@pytest.mark.parametrize("value", [1100, 760])
def test_thresholds_are_records_with_source_day_and_setting(value):
    t = trough_threshold(value)
    assert t.value_ng_ml == value and t.setting == "advanced" and t.source and t.day
    assert ("Demetri" in t.source and "day 29" in t.day) if value == 1100 else "Bouchet" in t.source
    assert trough_threshold(str(value)) is t
    assert setting_mismatch("adjuvant", t) and "advanced GIST" in setting_mismatch("adjuvant", t)
    assert setting_mismatch("advanced", t) is None and setting_mismatch(None, t) is None


@pytest.mark.parametrize("bad", [1000, "abc", 1100.5])
def test_an_unknown_threshold_is_a_user_error(bad):
    with pytest.raises(RashriskError, match="expected one of 1100, 760"):
        trough_threshold(bad)


@pytest.mark.parametrize("value", sorted(THRESHOLDS))
def test_cannot_tell_when_the_interval_spans_either_threshold(value):
    assert verdict(value - 100, value + 100, value) == "cannot tell"
    assert verdict(value - 300, value - 1, value) == "below"
    assert verdict(value, value + 500, value) == "at or above"


def test_pk_population_check_flags_ancestry_setting_weight_and_age():
    inside = population_check("widmer2006", {"ancestry": "EUR", "age_years": 60, "weight_kg": 70})
    assert inside["outside"] == [] and inside["description"].startswith("59 adult")
    out = population_check("widmer2006", {"ancestry": "EAS", "age_years": 91, "weight_kg": 130})
    assert len(out["outside"]) == 3 and any("East Asian" in w for w in out["outside"])
    jiang = population_check("jiang2023", {"ancestry": "EAS", "setting": "advanced", "weight_kg": 95})
    assert any("setting advanced" in w for w in jiang["outside"]) and any("weight 95" in w for w in jiang["outside"])
    assert any("approximate" in a or "mean +/- 2 SD" in a for a in jiang["approximate"])
    assert population_check("widmer2006", {"ancestry": None, "age_years": float("nan")})["outside"] == []


def _document(**extra):
    return {"patient_id": "SKIN-1", "sex": "F", "age_years": 47, "weight_kg": 58, "start_dose_mg": 400,
            "start_date": "2025-05-05", "ancestry": "EUR", "setting": "adjuvant", "genotypes": {"rs4129267": "C/T"},
            "tdm": [{"sample_time": "2025-05-19T07:55", "last_dose_time": "2025-05-18T08:00", "dose_mg": 400,
                     "concentration": 1.1, "unit": "ug/mL"}], **extra}


@pytest.mark.parametrize("threshold", [1100, 760])
def test_api_report_with_skin_threshold_and_setting_warning(models, threshold):
    import rashrisk

    skin = {"rash_grade": 3, "recurrent": False, **ABSENT}
    data = rashrisk.report("SKIN-1", _document(skin=skin), "tdm", model=models["tdm"], start_model=models["start"],
                           trough_threshold=threshold)
    assert data["skin"]["pathway"] == "desensitisation"
    assert [o["kind"] for o in data["options"] if o.get("kind")] == ["desensitisation"]
    trough = data["trough"]
    assert trough["threshold_ng_ml"] == threshold and f"{threshold:,} ng/mL" in trough["statement"]
    low, high = trough["map_low_ng_ml"], trough["map_high_ng_ml"]
    assert trough["threshold_verdict"] == verdict(low, high, threshold)
    if low < threshold <= high:
        assert "cannot tell" in trough["statement"]
    assert trough["setting_warning"] and trough["setting_warning"] in data["warnings"]
    with pytest.raises(RashriskError, match="give the skin record once"):
        rashrisk.report("SKIN-1", _document(skin=skin), "tdm", model=models["tdm"], start_model=models["start"],
                        skin=skin)


def test_a_patient_outside_the_pk_population_is_warned_about(models):
    import rashrisk

    data = rashrisk.report("SKIN-1", _document(weight_kg=135, setting="advanced"), "start", model=models["start"])
    check = data["trough"]["pk_population_check"]
    assert check["model"] == data["trough"]["pk_model"] and check["description"]
    assert any("weight 135" in w for w in check["outside"])
    assert any("outside its population" in w and "weight 135" in w for w in data["warnings"])
    assert data["trough"]["setting_warning"] is None  # advanced patient, advanced-GIST threshold


def test_cli_report_with_skin_file_and_threshold(tmp_path):
    (tmp_path / "p.json").write_text(json.dumps(_document()))
    (tmp_path / "skin.json").write_text(json.dumps({"rash_grade": 2, "recurrent": True, "fever": True}))
    run = lambda *a: subprocess.run([sys.executable, "-m", "rashrisk.cli.main", "report", "SKIN-1", "--cohort",  # noqa: E731
                                     "p.json", "--stage", "start", "--out", "r.html", *a], cwd=tmp_path,
                                    capture_output=True, text=True)
    result = run("--skin", "skin.json", "--trough-threshold", "760", "--json", "r.json")
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["skin"]["pathway"] == "stop" and data["trough"]["threshold_ng_ml"] == 760
    html = (tmp_path / "r.html").read_text()
    assert "Red flag present: fever" in html and "Bouchet" in html
    (tmp_path / "skin.json").write_text(json.dumps({"rash_grade": 7}))
    bad = run("--skin", "skin.json")
    assert bad.returncode != 0 and "'rash_grade' is 7" in bad.stderr and "Traceback" not in bad.stderr
    bad = run("--trough-threshold", "900")
    assert bad.returncode != 0 and "expected one of 1100, 760" in bad.stderr and "Traceback" not in bad.stderr


def test_threshold_context_names_the_sampling_day_once():
    from rashrisk.reports.thresholds import THRESHOLDS

    for t in THRESHOLDS.values():
        context = t.context()
        assert t.day in context and "sampled troughs" not in context and "sampled sampling" not in context
