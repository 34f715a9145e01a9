"""Training on a cohort with rejected rows: refused by default with the counts per file and rule;
``drop_invalid`` / ``--drop-invalid`` trains on the accepted rows and the card and run record the counts."""

from __future__ import annotations

import csv
import dataclasses
import json
import shutil

import pytest
from typer.testing import CliRunner

import rashrisk
from rashrisk.cli.main import app
from rashrisk.contract.loader import load_cohort
from rashrisk.errors import RashriskError
from rashrisk.models.card import ModelCard, card_markdown
from rashrisk.models.rejected import rejected_rows
from rashrisk.tracking.runs import rejected_params

EXPECTED_RULES = {"patients.csv": {"patients.age_years.hard_range": 3, "patients.sex.allowed": 1},
                  "tdm.csv": {"tdm.unit.allowed": 2}}


def _rows(path) -> list[dict]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _edit(path, edits):
    rows = _rows(path)
    for index, column, value in edits:
        rows[index][column] = value
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def bad_cohort(simulated_cohort, tmp_path_factory):
    """The simulated cohort with three impossible ages, one unknown sex and two unknown TDM units."""
    folder = tmp_path_factory.mktemp("bad") / "bad_cohort"
    shutil.copytree(simulated_cohort.path, folder)
    _edit(folder / "patients.csv", [(0, "age_years", "-5"), (1, "age_years", "-5"), (2, "age_years", "-5"),
                                    (3, "sex", "X")])
    tdm = _rows(folder / "tdm.csv")
    patients = {r["patient_id"] for r in _rows(folder / "patients.csv")[:4]}
    clean = [i for i, r in enumerate(tdm) if r["patient_id"] not in patients][:2]  # rows of accepted patients
    _edit(folder / "tdm.csv", [(i, "unit", "mg") for i in clean])
    return folder


def test_rejected_rows_are_counted_per_file_and_rule(bad_cohort):
    rejected = rejected_rows(load_cohort(bad_cohort))
    for file, rules in EXPECTED_RULES.items():
        assert {k: v for k, v in rejected["rules"][file].items() if not k.endswith("patient_id.accepted")} == rules
    assert rejected["files"]["patients.csv"] == {"rows_read": 1500, "rows_rejected": 4}
    assert rejected["files"]["tdm.csv"]["rows_rejected"] == 2 + rejected["rules"]["tdm.csv"]["tdm.patient_id.accepted"]
    assert rejected["rows"] == sum(f["rows_rejected"] for f in rejected["files"].values())


@pytest.mark.parametrize("call", ["train", "train_stage"])
def test_training_refuses_a_cohort_with_rejected_rows(bad_cohort, fast, call):
    from rashrisk.models.train import train_stage

    with pytest.raises(RashriskError) as refused:
        if call == "train":
            rashrisk.train(bad_cohort, "both", config=fast())
        else:
            train_stage(load_cohort(bad_cohort), "tdm", fast())
    message = str(refused.value)
    assert message.startswith("bad_cohort: the loader rejected input rows, ")
    assert "patients.csv 4 of 1500 (patients.age_years.hard_range 3, patients.sex.allowed 1)" in message
    assert "tdm.unit.allowed 2" in message and "--drop-invalid" in message and "drop_invalid=True" in message


def test_the_cli_refuses_before_training_with_a_user_error(bad_cohort):
    result = CliRunner().invoke(app, ["train", str(bad_cohort), "--stage", "start", "--no-track"])
    # rashrisk.cli.main.run prints a RashriskError without traceback and exits with its exit_code (2)
    assert isinstance(result.exception, RashriskError) and result.exception.exit_code == 2
    assert "patients.sex.allowed 1" in str(result.exception)
    assert "AUROC" not in result.output


def test_drop_invalid_trains_and_the_card_and_run_record_the_counts(bad_cohort, fast, tmp_path):
    cohort = load_cohort(bad_cohort)
    result = rashrisk.train(cohort, "start", config=fast(validation_bootstrap=2, interval_bootstrap=2),
                            drop_invalid=True)["start"]
    card = result.model.card
    assert card.trained_on.rejected == rejected_rows(cohort) and card.trained_on.rejected["rows"] >= 6
    assert card.trained_on.n == len(result.y) <= 1500 - 4
    assert "Rejected input rows, dropped before training (--drop-invalid): " in card_markdown(card)
    saved = result.model.save(tmp_path / "bundle")
    again = ModelCard.from_dict(json.loads((saved / "card.json").read_text()))
    assert again.trained_on.rejected == card.trained_on.rejected
    params = rejected_params(dataclasses.asdict(card.trained_on))
    assert params["data.rejected.rows"] == card.trained_on.rejected["rows"]
    assert params["data.rejected.patients.csv.patients.sex.allowed"] == 1
    assert params["data.rejected.tdm.csv.tdm.unit.allowed"] == 2
    # the record is counts only: no patient id of a rejected row
    rejected_ids = [r["patient_id"] for r in _rows(bad_cohort / "patients.csv")[:4]]
    text = repr(card.trained_on.rejected) + repr(params) + card_markdown(card)
    assert not [pid for pid in rejected_ids if pid in text]


def test_a_clean_cohort_records_no_rejected_rows_and_old_cards_still_load(simulated_cohort):
    assert rejected_rows(simulated_cohort) == {}
    assert rejected_params({"rejected": {}}) == {"data.rejected.rows": 0}
    from rashrisk.models.bundle import load_default_model

    data = load_default_model("start").card.to_dict()
    data["trained_on"].pop("rejected", None)  # a card written before the field existed
    assert ModelCard.from_dict(data).trained_on.rejected == {}



def test_the_cli_with_drop_invalid_trains_and_says_what_it_dropped(bad_cohort, tmp_path):
    from rashrisk.models.bundle import RiskModel

    config = tmp_path / "fast.toml"
    config.write_text("[training]\ncv_splits = 3\ncv_repeats = 1\nnested_outer_splits = 2\nnested_inner_splits = 2\n"
                      "interval_bootstrap = 2\nvalidation_bootstrap = 2\ncandidates = ['logistic']\n[logistic]\nC = [0.1]\n")
    result = CliRunner().invoke(app, ["train", str(bad_cohort), "--stage", "start", "--no-track", "--drop-invalid",
                                      "--config", str(config), "--save", str(tmp_path / "bundles")])
    assert result.exit_code == 0, result.output
    assert "--drop-invalid: training on the accepted rows" in result.output
    card = RiskModel.load(tmp_path / "bundles" / "start").card
    assert card.trained_on.rejected == rejected_rows(load_cohort(bad_cohort))
