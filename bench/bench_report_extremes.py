"""Benchmark: a clinician report renders in well under a second whatever the TDM concentration.

    .venv/bin/python bench/bench_report_extremes.py [--repeats 20]

For each concentration (1,000 ng/mL, 1e15, 1e308 and 0), a one-patient JSON document is scored
with the embedded default models, its report data built (``build_report_data``, which runs the MAP
fit) and rendered to HTML (``render_report_html``); the median and the largest time of each step
over the repeats are printed, with the number of ticks on the trough chart. Before the charts
scaled to their data (one tick per 1,000 ng/mL), 1e15 ran until killed and 1e308 was still running
after 16 minutes. tests/reports/test_chart_bounds.py asserts the tick counts exactly.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
import warnings
from pathlib import Path

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
    print(f"{'concentration':>14} {'build median':>13} {'build max':>10} {'render median':>14} {'render max':>11} ticks")
    with tempfile.TemporaryDirectory() as tmp:
        for concentration in (1000.0, 1e15, 1e308, 0.0):
            path = Path(tmp) / "patient.json"
            path.write_text(json.dumps(document(concentration)))
            build, render = [], []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # the MAP fit overflows on absurd samples
                    data = build_report_data("BENCH-1", load_scoring_input(path), "tdm", models["tdm"],
                                             start_model=models["start"])
                t1 = time.perf_counter()
                html = render_report_html(data)
                t2 = time.perf_counter()
                build.append(t1 - t0)
                render.append(t2 - t1)
            chart = html[html.index('<svg class="trough-chart"'):]
            ticks = len(re.findall(r'y="134"', chart[:chart.index("</svg>")]))
            print(f"{concentration:>14.4g} {statistics.median(build):>12.3f}s {max(build):>9.3f}s "
                  f"{statistics.median(render):>13.4f}s {max(render):>10.4f}s {ticks:>5}")


if __name__ == "__main__":
    main()
