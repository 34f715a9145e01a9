"""The runnable example of docs/api.md runs as written (in a temporary folder)."""

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"


def example_code() -> str:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("\n## Example\n"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_api_example_runs(tmp_path, monkeypatch):
    from rashrisk.simulate.cohort import simulate_cohort
    from rashrisk.simulate.config import load_config
    from rashrisk.simulate.writer import write_cohort

    write_cohort(simulate_cohort(load_config(None), 400, 1), tmp_path / "simulated-cohort")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(example_code(), str(DOC), "exec"), namespace)
    assert (tmp_path / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    scores, classifier = namespace["scores"], namespace["classifier"]
    from rashrisk.contract.loader import load_cohort
    from rashrisk.data import example_cohort_path

    accepted = load_cohort(example_cohort_path()).n_patients
    assert len(scores) == 16 and 0 < accepted and (scores["status"] == "scored").sum() == accepted
    assert classifier.predict_proba(namespace["frame"].X).shape == (len(namespace["frame"].X), 2)
