"""Benchmark: a clinician report renders in well under a second whatever the TDM concentration.

    .venv/bin/python bench/bench_report_extremes.py [--repeats 20]

The loader now rejects a concentration above 20,000 ng/mL (a unit slip or a typing error), so an
absurd sample never reaches a report through the loader; the charts must still be bounded for any
value that does reach them. One report's data is built from a valid one-patient document (1,000
ng/mL, embedded default models); for each value (1,000 ng/mL, 1e15, 1e308 and 0) the measured
sample, the MAP trough and the upper end of the a priori interval are set to it and the report is
rendered (``render_report_html``); the median and largest render time over the repeats are printed,
with the number of ticks on the trough chart. The time to refuse the 1e15 document (loading and the
report's refusal) is printed too. Before the charts scaled to their data (one tick per 1,000
ng/mL), 1e15 ran until killed. tests/reports/test_chart_bounds.py asserts the tick counts exactly.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import statistics
import tempfile
import time
from pathlib import Path

from rashrisk.errors import RashriskError
from rashrisk.models.bundle import load_default_model
from rashrisk.reports.patient import build_report_data
from rashrisk.reports.render import render_report_html
from rashrisk.scoring.inputs import load_scoring_input


def document(concentration: float) -> dict:
    return {"patient_id": "BENCH-1", "sex": "F", "age_years": 61, "weight_kg": 52, "start_dose_mg": 400,
            "start_date": "2025-03-03", "genotypes": {"rs4129267": "T/T"},
            "tdm": [{"sample_time": "2025-03-17T08:00", "last_dose_time": "2025-03-16T08:10", "dose_mg": 400,
                     "concentration": concentration, "unit": "ng/mL"}]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    models = {s: load_default_model(s) for s in ("start", "tdm")}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "patient.json"
        path.write_text(json.dumps(document(1000.0)))
        t0 = time.perf_counter()
        base = build_report_data("BENCH-1", load_scoring_input(path), "tdm", models["tdm"], start_model=models["start"])
        print(f"report data of a valid document built in {time.perf_counter() - t0:.3f} s")
        path.write_text(json.dumps(document(1e15)))
        t0 = time.perf_counter()
        try:
            build_report_data("BENCH-1", load_scoring_input(path), "tdm", models["tdm"], start_model=models["start"])
            refused = "not refused"
        except RashriskError:
            refused = "refused"
        print(f"a 1e15 ng/mL document: {refused} in {time.perf_counter() - t0:.3f} s")
    print(f"{'trough value':>14} {'render median':>14} {'render max':>11} ticks")
    for value in (1000.0, 1e15, 1e308, 0.0):
        data = copy.deepcopy(base)
        data["trough"]["measured"]["concentration_ng_ml"] = value
        data["trough"]["map_ng_ml"] = value
        data["trough"]["apriori_p95_ng_ml"] = value
        render = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            html = render_report_html(data)
            render.append(time.perf_counter() - t0)
        chart = html[html.index('<svg class="trough-chart"'):]
        ticks = len(re.findall(r'y="134"', chart[:chart.index("</svg>")]))
        print(f"{value:>14.4g} {statistics.median(render):>13.4f}s {max(render):>10.4f}s {ticks:>5}")


if __name__ == "__main__":
    main()
