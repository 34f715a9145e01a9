"""HTML rendering: self-contained, escaped, every section present; PDF text; model report."""

import copy
import re

import pytest
from markupsafe import escape

from rashrisk.reports.model_card import NOT_AVAILABLE, build_model_report_data
from rashrisk.reports.render import render_model_report_html, render_report_html, write_pdf

SECTIONS = ("header", "disclaimer", "risk", "factors", "trough", "options", "inputs", "model")


def test_html_is_self_contained_with_every_section(report_pair):
    for data in report_pair:
        html = render_report_html(data)
        for section in SECTIONS:
            assert f'id="{section}"' in html
        assert ('id="change"' in html) == (data["stage"] == "tdm")
        assert not re.search(r"<(link|script|img)\b", html)  # inline CSS and SVG only
        assert "http://" not in html.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in html
        assert "@page" in html and "A4" in html
        assert "trained on simulated data" in html.lower() if data["model"]["simulated"] else True


def test_html_escapes_text_from_inputs(report_pair):
    data = copy.deepcopy(report_pair[0])
    data["patient_id"] = "<script>alert(1)</script>"
    data["factors"][0]["description"] = "weight <b>52</b> kg"
    html = render_report_html(data)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "weight &lt;b&gt;52&lt;/b&gt; kg" in html


def test_pdf_text(report_pair, tmp_path):
    from pypdf import PdfReader

    data = report_pair[1]
    path = write_pdf(render_report_html(data), tmp_path / "r.pdf")
    text = " ".join(page.extract_text() for page in PdfReader(path).pages)
    text = re.sub(r"\s+", " ", text)
    for expected in ("Severe skin rash risk on imatinib", data["patient_id"], "Options to consider",
                     "How the estimate moved since imatinib start", "efficacy threshold", "Inputs used",
                     f"{100 * data['risk']['risk']:.1f}%"):
        assert expected in text, expected
    if data["model"]["simulated"]:
        assert "Research use only" in text


def test_model_report_items_and_decision_curve(models, tmp_path):
    model = models["tdm"]
    data = build_model_report_data(model, source="test")
    ids = [i["id"] for i in data["items"]]
    assert ids == ["source_of_data", "participants", "outcome", "predictors", "sample_size", "missing_data", "model",
                   "validation", "discrimination", "calibration", "decision_curve", "subgroups", "limitations"]
    assert str(escape(NOT_AVAILABLE)) in render_model_report_html(data)
    validation = {"decision_curve": [{"threshold": t / 100, "net_benefit_model": 0.03 - t / 1000,
                                      "net_benefit_treat_all": 0.07 - t / 100, "net_benefit_treat_none": 0.0}
                                     for t in range(1, 31)],
                  "threshold_table": [{"threshold": 0.1, "share_flagged": 0.3, "sensitivity": 0.7, "specificity": 0.72,
                                       "ppv": 0.18, "npv": 0.97}],
                  "subgroups": [{"variable": "sex", "level": "F", "n": 300, "events": 30, "observed_risk": 0.1,
                                 "expected_risk": 0.09, "auroc": 0.7, "auroc_ci_low": 0.6, "auroc_ci_high": 0.8, "note": None}]}
    html = render_model_report_html(build_model_report_data(model, validation=validation, source="test"))
    assert html.count("<polyline") == 3 and "net benefit" in html
    assert "0.70 (0.60-0.80)" in html and str(escape(NOT_AVAILABLE)) not in html
    assert model.name in html and 'id="limitations"' in html


@pytest.mark.parametrize("stage", ["start", "tdm"])
def test_report_command_writes_html_pdf_and_json(models, cohort_dir, report_pair, tmp_path, monkeypatch, capsys, stage):
    import json
    import sys

    from rashrisk.cli.main import run

    start_bundle = models["start"].save(tmp_path / "start")
    bundle = models[stage].save(tmp_path / stage) if stage == "tdm" else start_bundle
    pid = report_pair[0]["patient_id"]
    args = ["rashrisk", "report", pid, "--cohort", str(cohort_dir), "--stage", stage, "--model", str(bundle),
            "--start-model", str(start_bundle), "--out", str(tmp_path / "r.html"), "--pdf", str(tmp_path / "r.pdf"),
            "--json", str(tmp_path / "r.json")]
    monkeypatch.setattr(sys, "argv", args)
    with pytest.raises(SystemExit) as exc:
        run()
    assert exc.value.code == 0
    assert (tmp_path / "r.pdf").read_bytes()[:5] == b"%PDF-"
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["patient_id"] == pid and data["stage"] == stage
    monkeypatch.setattr(sys, "argv", args[:2] + ["NOPE"] + args[3:])
    with pytest.raises(SystemExit) as exc:
        run()
    assert exc.value.code == 2 and "'NOPE' is not in" in capsys.readouterr().err
