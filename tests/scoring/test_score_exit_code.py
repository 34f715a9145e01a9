"""`rashrisk score` exits 3 (EXIT_NONE_SCORED) when no patient could be scored, after writing the
table of not_scored rows; 0 when at least one patient was scored."""

import pandas as pd
import pytest

TDM_HEADER = "patient_id,sample_time,last_dose_time,dose_mg,concentration,unit,below_loq\n"


def test_score_exits_3_when_nobody_was_scored_and_still_writes_the_table(make_cohort, tmp_path, run_cli):
    from rashrisk.cli.score import EXIT_NONE_SCORED

    assert EXIT_NONE_SCORED == 3
    cohort = make_cohort(files={"tdm.csv": TDM_HEADER})  # no trough for anyone: nobody at the TDM stage
    out = tmp_path / "s.csv"
    code, stdout, err = run_cli("score", str(cohort), "--stage", "tdm", "--out", str(out))
    assert code == 3
    table = pd.read_csv(out)
    assert len(table) == 3 and set(table["status"]) == {"not_scored"} and table["reason"].notna().all()
    assert "0 scored, 3 not scored" in stdout
    lines = err.strip().splitlines()  # the informational model line, then the one error line
    assert lines[-1] == f"error: no patient could be scored (the reason column of {out} says why); exit status 3"
    assert len(lines) == 2 and lines[0].startswith("model: ")
    code, stdout, _ = run_cli("score", str(cohort), "--stage", "start", "--out", str(out))
    assert code in (0, None) and "3 scored" in stdout
