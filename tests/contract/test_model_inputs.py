"""``check_model_frame``: a model frame meets the contract's rules and messages before a model reads it.

One case per rule (a coverage test fails when a rule has none), then the cases the issue names:
sex 'm', 'male', 'X' and empty; age -5; weight -10; an allele count of 7 and 1.5; an infinite trough.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rashrisk.contract.model_inputs import (
    MAX_PROBLEMS_SHOWN,
    MODEL_CHECKS,
    MODEL_SCHEMA,
    PATIENT_COLUMNS,
    ModelInputError,
    check_model_frame,
)
from rashrisk.contract.schema import column_rules, rules_for
from rashrisk.errors import CohortError, RashriskError

GOOD = {"sex": "F", "age_years": 61.0, "weight_kg": 52.0, "height_cm": 158.0, "bsa_m2": 1.51,
        "albumin_g_l": 39.0, "ancestry": "EAS", "setting": "adjuvant", "start_dose_mg": 400.0,
        "rs4129267_alt_count": 2.0, "rs2231142_alt_count": np.nan, "apriori_trough_ng_ml": 1210.0,
        "tdm_day": 14.0, "map_trough_ng_ml": 2150.0, "trough_ratio_to_apriori": 1.6}


def _frame(n: int = 3, **columns) -> pd.DataFrame:
    X = pd.DataFrame({k: [v] * n for k, v in GOOD.items()}, index=pd.Index([f"P{i}" for i in range(1, n + 1)],
                                                                            name="patient_id"))
    for name, values in columns.items():
        X[name] = values
    return X


# rule id -> (column, values for P1..P3 (P2 breaks the rule), the message of that problem)
CASES = {
    "patients.sex.required": ("sex", ["F", "", "M"], "column sex, patient P2: empty ... expected a value (required column)"),
    "patients.sex.allowed": ("sex", ["F", "X", "M"], "column sex, patient P2: 'X' ... expected one of F, M (case-insensitive)"),
    "patients.age_years.required": ("age_years", [50.0, np.nan, 60.0],
                                    "column age_years, patient P2: empty ... expected a value (required column)"),
    "patients.age_years.type": ("age_years", ["50", "fifty", "60"],
                                "column age_years, patient P2: 'fifty' ... expected a number"),
    "patients.age_years.hard_range": ("age_years", [50, -5, 60],
                                      "column age_years, patient P2: '-5' ... expected >= 0 and <= 120"),
    "patients.weight_kg.required": ("weight_kg", [50.0, None, 60.0],
                                    "column weight_kg, patient P2: empty ... expected a value (required column)"),
    "patients.weight_kg.type": ("weight_kg", [50.0, np.inf, 60.0], "column weight_kg, patient P2: 'inf' ... expected a number"),
    "patients.weight_kg.hard_range": ("weight_kg", [50.0, -10.0, 60.0],
                                      "column weight_kg, patient P2: '-10.0' ... expected >= 20 and <= 400 (an adult weight in kg; below 20 is a unit slip, e.g. 0.065 for 65 kg)"),
    "patients.height_cm.type": ("height_cm", [150.0, -np.inf, 160.0],
                                "column height_cm, patient P2: '-inf' ... expected a number"),
    "patients.height_cm.hard_range": ("height_cm", [150.0, 0.0, np.nan],
                                      "column height_cm, patient P2: '0.0' ... expected >= 100 and <= 250 (an adult height in cm; 1.0-2.5 looks like metres, 39-99 like inches)"),
    "patients.albumin_g_l.type": ("albumin_g_l", ["40", "n/a", ""], "column albumin_g_l, patient P2: 'n/a' ... expected a number"),
    "patients.albumin_g_l.hard_range": ("albumin_g_l", [40.0, 120.0, np.nan],
                                        "column albumin_g_l, patient P2: '120.0' ... expected >= 0 and <= 100"),
    "patients.ancestry.allowed": ("ancestry", ["EAS", "ASIAN", None],
                                  "column ancestry, patient P2: 'ASIAN' ... expected one of EAS, EUR, AFR, SAS, AMR, OTH "
                                  "(case-insensitive)"),
    "patients.setting.allowed": ("setting", ["adjuvant", "palliative", np.nan],
                                 "column setting, patient P2: 'palliative' ... expected one of adjuvant, advanced "
                                 "(case-insensitive)"),
    "patients.start_dose_mg.required": ("start_dose_mg", [400.0, np.nan, 400.0],
                                        "column start_dose_mg, patient P2: empty ... expected a value (required column)"),
    "patients.start_dose_mg.type": ("start_dose_mg", [400, True, 400],
                                    "column start_dose_mg, patient P2: 'True' ... expected a number"),
    "patients.start_dose_mg.hard_range": ("start_dose_mg", [400, 0, 400],
                                          "column start_dose_mg, patient P2: '0' ... expected > 0 and <= 1000"),
    "model.bsa_m2.type": ("bsa_m2", [1.5, np.inf, np.nan], "column bsa_m2, patient P2: 'inf' ... expected a number"),
    "model.bsa_m2.hard_range": ("bsa_m2", [1.5, 6.0, np.nan], "column bsa_m2, patient P2: '6.0' ... expected > 0 and <= 5.28"),
    "model.apriori_trough_ng_ml.type": ("apriori_trough_ng_ml", [900.0, np.inf, 1000.0],
                                        "column apriori_trough_ng_ml, patient P2: 'inf' ... expected a number"),
    "model.apriori_trough_ng_ml.hard_range": ("apriori_trough_ng_ml", [900.0, -1.0, 1000.0],
                                              "column apriori_trough_ng_ml, patient P2: '-1.0' ... expected >= 0"),
    "model.tdm_day.type": ("tdm_day", [14.0, np.inf, np.nan], "column tdm_day, patient P2: 'inf' ... expected a number"),
    "model.tdm_day.hard_range": ("tdm_day", [14.0, -2.0, np.nan], "column tdm_day, patient P2: '-2.0' ... expected >= 0"),
    "model.map_trough_ng_ml.type": ("map_trough_ng_ml", [900.0, np.inf, np.nan],
                                    "column map_trough_ng_ml, patient P2: 'inf' ... expected a number"),
    "model.map_trough_ng_ml.hard_range": ("map_trough_ng_ml", [900.0, -5.0, np.nan],
                                          "column map_trough_ng_ml, patient P2: '-5.0' ... expected >= 0"),
    "model.trough_ratio_to_apriori.type": ("trough_ratio_to_apriori", [1.0, np.nan, np.inf],
                                           "column trough_ratio_to_apriori, patient P3: 'inf' ... expected a number"),
    "model.trough_ratio_to_apriori.hard_range": ("trough_ratio_to_apriori", [1.0, -0.5, np.nan],
                                                 "column trough_ratio_to_apriori, patient P2: '-0.5' ... expected >= 0"),
    "model.rs4129267_alt_count.type": ("rs4129267_alt_count", [0.0, 1.5, np.nan],
                                       "column rs4129267_alt_count, patient P2: '1.5' ... expected a whole number"),
    "model.rs4129267_alt_count.hard_range": ("rs4129267_alt_count", [0.0, 7.0, np.nan],
                                             "column rs4129267_alt_count, patient P2: '7.0' ... expected >= 0 and <= 2"),
}


def _applicable_rule_ids() -> set[str]:
    contract = {r.id for r in rules_for("patients")
                if r.column in PATIENT_COLUMNS and r.check in MODEL_CHECKS and r.level == "error"}
    model = {r.id for r in column_rules(MODEL_SCHEMA) if r.check in MODEL_CHECKS and r.level == "error"}
    return contract | model | {"model.rs4129267_alt_count.type", "model.rs4129267_alt_count.hard_range"}


def test_every_rule_has_a_case():
    assert set(CASES) == _applicable_rule_ids()


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_each_rule_rejects_its_bad_value_with_the_contract_message(rule_id):
    column, values, message = CASES[rule_id]
    with pytest.raises(ModelInputError) as info:
        check_model_frame(_frame(**{column: values}))
    assert info.value.problems == [f"model input, {message}"]
    assert str(info.value) == f"model input, {message}"
    assert isinstance(info.value, CohortError) and isinstance(info.value, RashriskError)


def test_a_valid_frame_passes_in_canonical_form():
    X = _frame(sex=["f", "male", "M"], ancestry=["eas", None, "EUR"], setting=["Adjuvant", "advanced", np.nan],
               age_years=[61, 130 - 35, 18], albumin_g_l=[3.8, np.nan, 40.0], start_dose_mg=[450, 400, 400],
               rs4129267_alt_count=pd.array([0, 2, None], dtype="Int64"), extra_note=["a", "b", None])
    out = check_model_frame(X)
    assert list(out.columns) == list(X.columns) and out.index.equals(X.index)
    assert list(out["sex"]) == ["F", "M", "M"]
    assert list(out["ancestry"]) == ["EAS", None, "EUR"] and list(out["setting"]) == ["adjuvant", "advanced", None]
    # soft limits are warnings in the loader, not errors here (age 95, albumin 3.8 g/dL-like, dose 450)
    assert list(out["age_years"]) == [61.0, 95.0, 18.0] and out["age_years"].dtype == float
    assert out["rs4129267_alt_count"].dtype == float and np.isnan(out.loc["P3", "rs4129267_alt_count"])
    assert list(out["extra_note"]) == ["a", "b", None]  # not declared: passed through
    pd.testing.assert_series_equal(out["map_trough_ng_ml"], X["map_trough_ng_ml"])


@pytest.mark.parametrize("spelling, canonical", [("m", "M"), ("male", "M"), ("MALE", "M"), ("f", "F"),
                                                 ("Female", "F")])
def test_sex_spellings_the_loader_accepts_are_normalised(spelling, canonical):
    assert check_model_frame(_frame(1, sex=[spelling]))["sex"].tolist() == [canonical]


@pytest.mark.parametrize("bad, shown, expected", [
    ("X", "'X'", "one of F, M (case-insensitive)"),
    ("", "empty", "a value (required column)"),
    (None, "empty", "a value (required column)"),
    (np.nan, "empty", "a value (required column)"),
    (" M", "' M'", "one of F, M (case-insensitive)"),  # the loader does not strip either
])
def test_other_sex_values_are_rejected_not_scored_as_female(bad, shown, expected):
    with pytest.raises(ModelInputError) as info:
        check_model_frame(_frame(1, sex=[bad]))
    assert info.value.problems == [f"model input, column sex, patient P1: {shown} ... expected {expected}"]


def test_missing_values_are_allowed_where_the_model_imputes_them():
    optional = ["height_cm", "bsa_m2", "albumin_g_l", "ancestry", "setting", "rs4129267_alt_count",
                "apriori_trough_ng_ml", "tdm_day", "map_trough_ng_ml", "trough_ratio_to_apriori"]
    out = check_model_frame(_frame(**{c: [np.nan] * 3 for c in optional}))
    assert out[optional].isna().all().all()


def test_several_problems_are_listed_in_one_error():
    X = _frame(7, sex=["m", "male", "X", "", "F", "F", "F"], age_years=[-5, 50, 60, 70, 80, 90, 100],
               weight_kg=[-10, 60, 60, 60, np.inf, 60, 60], rs4129267_alt_count=[7, 1.5, np.nan, 0, 2, 1, 1],
               map_trough_ng_ml=[np.inf, 1, 2, 3, np.nan, 4, 5])
    with pytest.raises(ModelInputError) as info:
        check_model_frame(X, source="pyfunc input")
    problems = info.value.problems
    assert problems == [
        "pyfunc input, column sex, patient P4: empty ... expected a value (required column)",
        "pyfunc input, column sex, patient P3: 'X' ... expected one of F, M (case-insensitive)",
        "pyfunc input, column age_years, patient P1: '-5' ... expected >= 0 and <= 120",
        "pyfunc input, column weight_kg, patient P5: 'inf' ... expected a number",
        "pyfunc input, column weight_kg, patient P1: '-10.0' ... expected >= 20 and <= 400 (an adult weight in kg; below 20 is a unit slip, e.g. 0.065 for 65 kg)",
        "pyfunc input, column rs4129267_alt_count, patient P2: '1.5' ... expected a whole number",
        "pyfunc input, column rs4129267_alt_count, patient P1: '7.0' ... expected >= 0 and <= 2",
        "pyfunc input, column map_trough_ng_ml, patient P1: 'inf' ... expected a number",
    ]
    assert str(info.value) == "\n".join(["pyfunc input: 8 problems"] + [f"- {p}" for p in problems])


def test_many_patients_and_many_problems_are_capped_with_counts():
    X = _frame(7, age_years=[-1, -2, -3, -4, -5, -6, 50])
    with pytest.raises(ModelInputError) as info:
        check_model_frame(X)
    assert info.value.problems == ["model input, column age_years, patients P1, P2, P3, P4, P5 and 1 more (6 rows): "
                                   "'-1', '-2', '-3', '-4', '-5' ... expected >= 0 and <= 120"]
    columns = {f"rs{i}_alt_count": [0.0, 3.0, 0.0] for i in range(MAX_PROBLEMS_SHOWN + 2)}
    with pytest.raises(ModelInputError) as info:
        check_model_frame(_frame(**columns))
    text = str(info.value)
    assert len(info.value.problems) == MAX_PROBLEMS_SHOWN + 2
    assert text.startswith(f"model input: {MAX_PROBLEMS_SHOWN + 2} problems\n")
    assert text.count("\n- model input") == MAX_PROBLEMS_SHOWN and text.endswith("\n- ... and 2 more")


def test_not_a_frame_or_a_repeated_column_is_a_user_error():
    with pytest.raises(CohortError, match="model input: expected a pandas DataFrame .* got ndarray"):
        check_model_frame(np.zeros((2, 3)))
    X = pd.concat([_frame(), _frame()[["sex"]]], axis=1)
    with pytest.raises(CohortError, match="model input, column sex: named more than once"):
        check_model_frame(X)


def test_an_empty_frame_passes():
    out = check_model_frame(_frame(0))
    assert out.empty and list(out.columns) == list(GOOD)
