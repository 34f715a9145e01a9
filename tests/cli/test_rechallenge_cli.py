"""`rashrisk rechallenge`: JSON, HTML and PDF written; refusals and bad input are one message, exit 2, nothing written."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from rashrisk.reports.skin import RED_FLAGS

CLEAR = {"rash_grade": 1, "recurrent": False, **dict.fromkeys(RED_FLAGS, False)}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    from rashrisk.simulate.cohort import simulate_cohort
    from rashrisk.simulate.config import load_config
    from rashrisk.simulate.writer import write_cohort

    out = tmp_path_factory.mktemp("rechallenge-cli")
    write_cohort(simulate_cohort(load_config(None), 300, 7), out)
    return out


@pytest.fixture(scope="module")
def case(folder):
    truth = pd.read_csv(folder / "truth.csv")
    row = truth[truth["severe_rash"].astype(bool) & truth["resumed"].astype(bool) & (truth["final_dose_mg"] >= 300)].iloc[0]
    return str(row["patient_id"])


def _skin(tmp_path, **changes):
    path = tmp_path / "skin.json"
    path.write_text(json.dumps({**CLEAR, **changes}))
    return path


def test_json_html_pdf_and_an_update(run_cli, folder, case, tmp_path):
    from pypdf import PdfReader

    skin = _skin(tmp_path)
    taper = tmp_path / "taper.csv"
    taper.write_text("day,steroid,dose,note\n1,prednisone,30 mg/day,\n8,prednisone,20 mg/day,reduce if no new lesions\n")
    code, out, err = run_cli("rechallenge", case, "--cohort", folder, "--skin", skin, "--taper", taper,
                             "--out", tmp_path / "plan.json", "--prior", "published")
    assert code == 0, err
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert plan["patient_id"] == case and len(plan["steps"]) == 4
    assert [r["dose"] for r in plan["taper"]["rows"]] == ["30 mg/day", "20 mg/day"]
    assert "onset_trough_ng_ml" in plan and ("maintenance_dose_mg" in plan)
    assert str(plan["onset_trough_ng_ml"]) not in out  # no patient values on the console
    code, _, err = run_cli("rechallenge", case, "--cohort", folder, "--skin", skin, "--out", tmp_path / "plan.html",
                           "--pdf", tmp_path / "plan.pdf")
    assert code == 0, err
    html = (tmp_path / "plan.html").read_text()
    assert 'class="concentration-chart"' in html and case in html
    text = "".join(p.extract_text() for p in PdfReader(tmp_path / "plan.pdf").pages)
    assert "re-challenge" in text and "never chooses steroid doses" in text
    # an update: a new sample at the next dose, twice the predicted trough
    tdm = pd.read_csv(folder / "tdm.csv")
    last = tdm[tdm["patient_id"] == case].iloc[-1]
    new = last.copy()
    new["sample_time"] = (pd.Timestamp(last["sample_time"]) + pd.Timedelta(days=30)).isoformat(timespec="minutes")
    new["last_dose_time"] = (pd.Timestamp(last["last_dose_time"]) + pd.Timedelta(days=30)).isoformat(timespec="minutes")
    new["concentration"], new["unit"] = 3000, "ng/mL"
    pd.DataFrame([new]).to_csv(tmp_path / "new.csv", index=False)
    code, _, err = run_cli("rechallenge", case, "--cohort", folder, "--skin", skin, "--tdm", tmp_path / "new.csv",
                           "--out", tmp_path / "updated.json")
    assert code == 0, err
    updated = json.loads((tmp_path / "updated.json").read_text())
    assert updated["changes"]["n_new_samples"] == 1 and updated["changes"]["steps"][0]["change_pct"] > 0


@pytest.mark.parametrize("problem, expected", [
    ("red flag", "red flag of a severe cutaneous reaction present (fever)"),
    ("unrecorded", "red flags not recorded"),
    ("no skin", "no skin record"),
    ("absent patient", "'NOPE' is not in"),
    ("bad taper", "taper.csv, line 2, column day: 'first'"),
    ("bad new samples", "new.csv"),
    ("bad out", "expected a .json or .html file"),
])
def test_refusals_and_user_errors(run_cli, folder, case, tmp_path, problem, expected):
    changes = {"red flag": {"fever": True}, "unrecorded": {"lymphadenopathy": None}}.get(problem, {})
    skin = _skin(tmp_path, **changes)
    args = ["rechallenge", "NOPE" if problem == "absent patient" else case, "--cohort", folder,
            "--out", tmp_path / ("plan.txt" if problem == "bad out" else "plan.json")]
    if problem != "no skin":
        args += ["--skin", skin]
    if problem == "bad taper":
        (tmp_path / "taper.csv").write_text("day,steroid,dose\nfirst,prednisone,30 mg\n")
        args += ["--taper", tmp_path / "taper.csv"]
    if problem == "bad new samples":
        (tmp_path / "new.csv").write_text("patient_id,sample_time,last_dose_time,dose_mg,concentration,unit\n"
                                          f"{case},2030-01-02T08:00,2030-01-01T08:00,300,-5,ng/mL\n")
        args += ["--tdm", tmp_path / "new.csv"]
    code, out, err = run_cli(*args)
    assert code == 2 and "Traceback" not in err
    assert expected in " ".join(err.split()), err
    assert not (tmp_path / "plan.json").exists()
