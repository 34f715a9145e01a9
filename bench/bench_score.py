"""Benchmark scoring, explanations and reports with the embedded default models.

Prints:
- scoring + explaining 100,000 patients (risk, 95% interval, band, exact factor contributions, top
  three factors in words, warnings) from a built model frame, per stage (target < 15 s);
- additivity of the explanations (max |base + sum - served log-odds|) on 10,000 patients per stage;
- for a TDM model, the mean |contribution| of the sample day and of the early trough (5,000-patient cohort);
- one patient's score with explanation, in process after the model is loaded (target < 20 ms);
- one HTML clinician report (data + render; target < 1 s) and its PDF (no target).

The 100,000-patient frames repeat the rows of a simulated 5,000-patient cohort's frame under new ids
(building frames, i.e. PK a priori and MAP estimation, is benchmarked by the features/PK code).

``--xgboost`` adds an XGBoost TDM model (the embedded bundles are both logistic): trained here on
a simulated 2,000-patient cohort with the default XGBoost grid (100 trees, 30 bootstrap members
for the interval) and no validation, then benchmarked like the embedded models (label
``tdm-xgboost``; the reports stay those of the embedded models).

Run: .venv/bin/python bench/bench_score.py [--xgboost]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def tiled(frame, n: int):
    """A frame of ``n`` patients repeating ``frame``'s rows under new ids."""
    reps = int(np.ceil(n / len(frame.X)))
    index = pd.Index([f"B{i:06d}" for i in range(n)], name="patient_id")
    X = pd.concat([frame.X] * reps).iloc[:n].set_axis(index)
    provenance = pd.concat([frame.provenance] * reps).iloc[:n].set_axis(index)
    return type(frame)(stage=frame.stage, X=X, y=None, excluded=frame.excluded.iloc[:0], imputed=provenance != "measured",
                       provenance=provenance, landmark=frame.landmark)


def timed(fn, repeat: int = 1):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, times


def xgboost_tdm_model(folder: Path, n: int = 2000, seed: int = 2027):
    """An XGBoost TDM model trained on a simulated ``n``-patient cohort written to ``folder``
    (default grid, 30 bootstrap members; validation skipped: only its speed is measured)."""
    from rashrisk.models.config import TrainingConfig
    from rashrisk.models.train import train_stage
    from rashrisk.simulate.cohort import simulate_cohort
    from rashrisk.simulate.config import load_config
    from rashrisk.simulate.writer import write_cohort

    write_cohort(simulate_cohort(load_config(None), n, seed), folder)
    result, seconds = timed(lambda: train_stage(folder, "tdm", TrainingConfig(candidates=("xgboost",)), validate=False))
    model = result.model
    print(f"tdm-xgboost: trained on a simulated {n:,}-patient cohort in {seconds[0]:.1f} s "
          f"({getattr(model.estimator_, 'n_estimators', '?')} trees, {len(model.ensemble_)} bootstrap members)")
    return model


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Benchmark scoring, explanations and reports.")
    parser.add_argument("--xgboost", action="store_true",
                        help="also benchmark an XGBoost TDM model trained here on a simulated cohort")
    args = parser.parse_args(argv)

    from rashrisk.explanations.attributions import explain_log_odds
    from rashrisk.models.bundle import load_default_model
    from rashrisk.reports.patient import build_report_data
    from rashrisk.reports.render import render_report_html, write_pdf
    from rashrisk.scoring.inputs import load_scoring_input
    from rashrisk.scoring.score import build_frame, score_frame
    from rashrisk.simulate.cohort import simulate_cohort
    from rashrisk.simulate.config import load_config
    from rashrisk.simulate.writer import write_cohort

    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    models = {stage: load_default_model(stage) for stage in ("start", "tdm")}
    with tempfile.TemporaryDirectory() as tmp:
        if args.xgboost:
            models["tdm-xgboost"] = xgboost_tdm_model(Path(tmp) / "training-cohort")
        folder = Path(tmp) / "cohort"
        write_cohort(simulate_cohort(load_config(None), 5000, 2026), folder)
        scoring_input = load_scoring_input(folder)
        frames = {}
        for stage, model in models.items():
            (frames[stage], _), seconds = timed(lambda: build_frame(scoring_input.cohort, model.stage, model))
            print(f"{stage}: model frame of the 5,000-patient cohort built in {seconds[0]:.2f} s "
                  f"({len(frames[stage].X)} patients in the frame; {type(model.estimator_).__name__}, "
                  f"{len(model.ensemble_)} bootstrap members for the interval)")

        from rashrisk.explanations.local import explain_factors, top_factor_columns

        for stage, model in models.items():
            big = tiled(frames[stage], 100_000)
            table, seconds = timed(lambda: score_frame(model, big))
            assert len(table) == 100_000
            _, interval = timed(lambda: model.predict_interval(big.X))
            (parts, _), explain = timed(lambda: explain_factors(model, big.X))
            _, words = timed(lambda: top_factor_columns(model, big.X, parts, 3))
            print(f"{stage}: score + explain 100,000 patients: {seconds[0]:.2f} s (target < 15 s); separately: "
                  f"predict_interval (RiskModel bootstrap ensemble) {interval[0]:.2f} s, exact explanation "
                  f"{explain[0]:.2f} s, top-3 factors in words {words[0]:.2f} s")
            if model.stage == "tdm":  # docs/reports.md: why the sample day is not folded into the trough
                (parts, _), _ = timed(lambda: explain_factors(model, frames[stage].X))
                mean = parts.abs().mean()
                print(f"{stage}: mean |contribution| on the 5,000-patient cohort's frame: sample day (tdm_day) "
                      f"{mean.get('tdm_day', float('nan')):.2f}, early trough {mean.get('early_trough', float('nan')):.2f} "
                      "log-odds")
            ten = tiled(frames[stage], 10_000)
            attributions = explain_log_odds(model, ten.X)
            print(f"{stage}: additivity on 10,000 patients: max |base + sum - served log-odds| = "
                  f"{attributions.additivity_error:.2e} (target < 1e-6)")

        for stage, model in models.items():
            one = tiled(frames[stage], 1)
            score_frame(model, one)  # warm-up
            _, times = timed(lambda: score_frame(model, one), repeat=30)
            _, interval = timed(lambda: model.predict_interval(one.X), repeat=30)
            print(f"{stage}: one patient, score + explanation in process: median {1000 * statistics.median(times):.1f} ms, "
                  f"max {1000 * max(times):.1f} ms over 30 runs (target < 20 ms); of which predict_interval "
                  f"median {1000 * statistics.median(interval):.1f} ms")

        pid = str(frames["tdm"].X.index[0])
        for stage in ("start", "tdm"):
            def report():
                data = build_report_data(pid, scoring_input, stage, models[stage], start_model=models["start"])
                return render_report_html(data)

            report()  # warm-up (templates, imports)
            html, times = timed(report, repeat=5)
            print(f"{stage}: one HTML report (build data + render): median {statistics.median(times):.2f} s "
                  f"(target < 1 s)")
        _, seconds = timed(lambda: write_pdf(html, Path(tmp) / "report.pdf"))
        print(f"tdm: the same report as PDF (WeasyPrint): {seconds[0]:.2f} s")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
