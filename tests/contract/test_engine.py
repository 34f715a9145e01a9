"""The rule engine: a rule that cannot apply raises instead of silently skipping."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rashrisk.contract.rules import Context, RawTable, SchemaError, apply_rules, format_message
from rashrisk.contract.schema import OUTCOMES, Col, Rule


def _outcomes_table() -> RawTable:
    frame = pd.DataFrame({"patient_id": ["P1", "P2"], "rash_max_grade": ["3", "0"], "recurrent_grade2": ["", ""],
                          "rash_onset_day": ["20", ""], "followup_days": ["", "100"]})
    return RawTable("outcomes.csv", frame, np.array([2, 3]))


@pytest.mark.parametrize("rule", [
    Rule("x.missing_column", "outcomes", "rash_onset_day", "condition",
         params={"when": (("no_such_column", ">", 1),)}),
    Rule("x.missing_right", "outcomes", "rash_onset_day", "condition",
         params={"when": (("rash_onset_day", ">", Col("no_such_column")),)}),
    Rule("x.missing_context", "outcomes", "patient_id", "patient_known"),
    Rule("x.unknown_check", "outcomes", "patient_id", "no_such_check"),
    Rule("x.missing_raw", "outcomes", "patient_id", "unique", params={"on": ("patient_id", "nope")}),
])
def test_rule_that_cannot_apply_raises(rule):
    with pytest.raises(SchemaError):
        apply_rules(OUTCOMES, _outcomes_table(), Context(), rules=[rule])


def test_condition_ignores_missing_values_and_rejects_on_error():
    rule = Rule("x.onset_after_followup", "outcomes", "rash_onset_day", "condition",
                params={"when": (("rash_onset_day", ">", Col("followup_days")),)})
    result = apply_rules(OUTCOMES, _outcomes_table(), Context(), rules=[rule])
    assert result.findings == [] and not result.rejected.any()  # P1 has no followup, P2 no onset
    rule = Rule("x.grade3", "outcomes", "rash_max_grade", "condition", expected="not 3",
                params={"when": (("rash_max_grade", "==", 3),)})
    result = apply_rules(OUTCOMES, _outcomes_table(), Context(), rules=[rule])
    assert list(result.rejected) == [True, False]
    assert result.findings[0].message == "outcomes.csv, column rash_max_grade, line 2: '3' ... expected not 3"


def test_format_message_lists_unique_values():
    text = format_message("tdm.csv", "unit", [2, 3], 7, ["x", "x"], "one of ng/mL")
    assert text == "tdm.csv, column unit, lines 2, 3 and 5 more (7 rows): 'x' ... expected one of ng/mL"
