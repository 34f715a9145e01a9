"""`pk apriori`/`pk fit` without --pk-model use default_pk_model(ancestry), as the cohort
feature frame does, and say which model (with its overrides) they used."""

from __future__ import annotations

import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from rashrisk.cli.main import app
from rashrisk.data import example_cohort_path
from rashrisk.pk.apriori import predict_trough
from rashrisk.pk.model import default_pk_model, load_pk_model

runner = CliRunner()
PATIENT = ["--sex", "M", "--age", "60", "--weight", "65", "--dose", "400", "--n-sim", "0"]


def typical(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("Typical steady-state trough:"))


def expected_typical(model) -> str:
    covariates = pd.DataFrame({"sex": ["M"], "age_years": [60.0], "weight_kg": [65.0]})
    row = predict_trough(covariates, 400.0, model=model, n_sim=0).iloc[0]
    return f"Typical steady-state trough: {row['trough_typical_ng_ml']:,.0f} ng/mL"


@pytest.mark.parametrize("ancestry", ["EAS", "eas", "EUR", None])
def test_apriori_default_is_default_pk_model_of_the_ancestry(ancestry):
    args = ["pk", "apriori", *PATIENT, *(["--ancestry", ancestry] if ancestry else [])]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    model = default_pk_model(ancestry)
    assert typical(result.output) == expected_typical(model)
    first = result.output.splitlines()[0]
    assert first.startswith(f"PK model: {model.name}")
    if ancestry and ancestry.upper() == "EAS":
        # jiang2023 with the widened IIV of CL/F: the override is named with its value
        assert model.name == "jiang2023" and model.overrides
        sd = dict(zip(model.iiv_parameters, model.iiv_sd))["cl_l_h"]
        published = dict(zip(load_pk_model("jiang2023").iiv_parameters, load_pk_model("jiang2023").iiv_sd))["cl_l_h"]
        assert f"IIV of cl_l_h (SD of log) {sd:g} instead of {published:g}" in first
        assert "(default for ancestry EAS)" in first and "Adapted: iiv_sd:" in result.output
    else:
        assert model.name == "widmer2006" and "Adapted" not in result.output
        assert first.endswith(f"(default for ancestry {ancestry})" if ancestry else "(default for unknown ancestry)")


def test_apriori_pk_model_is_the_published_model():
    result = runner.invoke(app, ["pk", "apriori", *PATIENT, "--ancestry", "EAS", "--pk-model", "jiang2023"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "PK model: jiang2023 (--pk-model)"
    assert "Adapted" not in result.output
    assert typical(result.output) == expected_typical(load_pk_model("jiang2023"))


def test_apriori_default_matches_the_feature_frame_of_a_cohort():
    """The a priori trough a cohort's model frame (scoring, training) gets for a patient is the
    one `pk apriori --ancestry <cohort ancestry>` prints for that patient."""
    from rashrisk.contract.loader import load_cohort
    from rashrisk.features.frame import build_model_frame

    from rashrisk.genotype.table import allele_count_wide

    cohort = load_cohort(example_cohort_path())
    frame = build_model_frame(cohort, "start")
    patients = cohort.patients.set_index(cohort.patients["patient_id"].astype(str))
    counts = allele_count_wide(cohort.genotypes, allele="alt")
    counts.index = counts.index.astype(str)
    options = {"albumin_g_l": "--albumin", "rbc_10e12_l": "--rbc", "agp_g_l": "--agp"}
    checked = 0
    for pid in frame.X.index[:4]:
        p = patients.loc[pid]
        args = ["pk", "apriori", "--sex", str(p["sex"]), "--age", str(p["age_years"]), "--weight", str(p["weight_kg"]),
                "--dose", str(p["start_dose_mg"]), "--ancestry", cohort.ancestry, "--n-sim", "0"]
        args += [arg for column, option in options.items() if pd.notna(p.get(column))
                 for arg in (option, str(p[column]))]
        if pd.notna(counts["rs2231142_alt_count"].get(pid)):
            args += ["--abcg2", str(int(counts.loc[pid, "rs2231142_alt_count"]))]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        trough = frame.X.loc[pid, "apriori_trough_ng_ml"]
        assert typical(result.output) == f"Typical steady-state trough: {trough:,.0f} ng/mL", pid
        checked += 1
    assert cohort.ancestry == "EAS" and checked == 4


def test_fit_default_names_the_model_and_its_overrides():
    result = runner.invoke(app, ["pk", "fit", str(example_cohort_path())], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("PK model: jiang2023, IIV of cl_l_h") and first.endswith("(default for ancestry EAS)")


def test_unknown_ancestry_is_a_user_error_without_traceback(monkeypatch, capsys):
    from rashrisk.cli.main import run

    monkeypatch.setattr(sys, "argv", ["rashrisk", "pk", "apriori", *PATIENT, "--ancestry", "ESA"])
    with pytest.raises(SystemExit) as info:
        run()
    out = capsys.readouterr()
    assert info.value.code == 2 and "Traceback" not in out.out + out.err
    assert "--ancestry 'ESA'" in out.err and "EAS" in out.err


def test_fit_prior_is_published_below_the_minimum_and_on_request():
    from rashrisk.contract.loader import load_cohort
    from rashrisk.pk.cohort_prior import settings

    n = load_cohort(example_cohort_path()).tdm["patient_id"].nunique()
    assert n < settings()["min_patients"]
    result = runner.invoke(app, ["pk", "fit", str(example_cohort_path())], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert f"Prior: published jiang2023 (not re-estimated: {n} patient(s) with samples, fewer than the" in result.output
    result = runner.invoke(app, ["pk", "fit", str(example_cohort_path()), "--prior", "published"], env={"COLUMNS": "80"})
    assert "Prior: published jiang2023 (--prior published)" in result.output
    result = runner.invoke(app, ["pk", "fit", str(example_cohort_path()), "--prior", "mine"])
    assert result.exit_code != 0 and "--prior 'mine': expected 'cohort' or 'published'" in str(result.exception)


def test_fit_re_estimates_the_prior_on_a_large_cohort(tmp_path):
    from rashrisk.cli.pk import _covariates
    from rashrisk.contract.loader import load_cohort
    from rashrisk.pk.cohort_prior import adapt_to_cohort
    from rashrisk.pk.map import map_estimate

    folder = tmp_path / "cohort"
    assert runner.invoke(app, ["simulate", "--n", "400", "--seed", "3", "--out", str(folder)]).exit_code == 0
    out = tmp_path / "fit.csv"
    result = runner.invoke(app, ["pk", "fit", str(folder), "--out", str(out)], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    loaded = load_cohort(folder)
    samples = loaded.tdm[["patient_id", "concentration_ng_ml", "hours_after_dose", "dose_mg", "day_on_treatment", "below_loq"]]
    adapted = adapt_to_cohort(default_pk_model(loaded.ancestry), _covariates(loaded), samples)
    assert adapted.re_estimated and f"Prior: {adapted.describe()}" in result.output
    expected = map_estimate(_covariates(loaded), samples, model=adapted.model)
    expected = expected[expected["n_samples"] > 0].set_index("patient_id")["trough_ng_ml"]
    written = pd.read_csv(out, dtype={"patient_id": str}).set_index("patient_id")["trough_ng_ml"]
    pd.testing.assert_series_equal(written, expected.loc[written.index], check_names=False, rtol=1e-9)


def test_fit_accounts_for_every_patient_and_sample(tmp_path):
    import shutil

    folder = tmp_path / "cohort"
    shutil.copytree(example_cohort_path(), folder)
    tdm = (folder / "tdm.csv").read_text().splitlines()
    assert tdm[2].startswith("GIST-002,") and ",1.05," in tdm[2]
    tdm[2] = tdm[2].replace(",1.05,", ",abc,")
    tdm.append("GIST-999,2023-04-12T07:50,2023-04-11T08:10,400,1.05,ug/mL,false")
    (folder / "tdm.csv").write_text("\n".join(tdm) + "\n")
    result = runner.invoke(app, ["pk", "fit", str(folder), "--prior", "published"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "Not fitted, patient GIST-002: tdm.csv, column concentration, line 3: 'abc' ... expected a number" in result.output
    assert "Not fitted, patient GIST-007: no TDM sample in the cohort" in result.output
    assert f"Sample not used, tdm.csv line {len(tdm)}: tdm.csv, column patient_id, line {len(tdm)}: 'GIST-999'" in result.output
