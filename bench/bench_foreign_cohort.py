"""Benchmark: issue 4 "Done when" on a cohort the project did not generate; prints the figures.

    .venv/bin/python bench/bench_foreign_cohort.py [--seeds 1 2 3 4 5] [--n-train 712] [--n-test 20000]
    .venv/bin/python bench/bench_foreign_cohort.py --ablation   # start stage: which predictors cost AUROC
    .venv/bin/python bench/bench_foreign_cohort.py --calibration --seeds $(seq 1 30) [--generator rashrisk]
                                          # both stages: penalty grid and Platt step against calibration

For each seed, a 712-patient training cohort from the independent generator in
tests/models/foreign_cohort.py (its own PK formula and outcome model; not rashrisk.simulate) is
written, and both stages are trained with the default configuration (full validation, sequential).
Every model is then scored on one independently generated 20,000-patient test cohort (seed 999):

- rashrisk: the trained bundle (``rashrisk train`` default configuration);
- plain LR: unpenalised logistic regression on the raw columns (female, age, weight, start dose,
  rs4129267 allele count, mean-imputed; the tdm stage adds the log of the landmark sample's measured
  concentration in ng/mL, as a clinical study would), fitted on the same training patients;
- LR on the generator's terms: an unpenalised logistic regression on the terms of the generator's
  own outcome and PK models (see ``generator_terms_design``), fitted on the same training patients:
  what a correctly specified model reaches from 712 patients, i.e. what these data allow;
- covariate ceiling: the generator's risk given every covariate exactly (albumin and genotypes even
  where the files lack them) averaged over the unobserved clearance (start stage), or over its
  posterior given the measured landmark sample and being rash-free on that day (tdm stage): the
  best a model of that stage could reach, close to "what the data allow";
- true risk: the generator's own probability (the tdm stage: its probability of severe rash given
  rash-free at the landmark day). It uses the patient's true clearance, which no model observes, so
  it is a ceiling above "what the data allow".

Held-out AUROC, Brier, calibration intercept (calibration-in-the-large) and slope, averaged over
seeds (SD across seeds in brackets); the distance of the calibration slope from 1 per seed (mean
absolute, root mean square, range), since a mean slope near 1 can hide large errors both ways; and
the training wall time of both stages.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "models"))

from foreign_cohort import mean_imputed, plain_design  # noqa: E402  (the analysis a clinical study would run)

METRICS = ("auroc", "brier", "cal_intercept", "cal_slope")


def generator_terms_design(X, stage, samples, means=None):
    """The foreign generator's own terms, which no analyst would know (mean-imputed). start: female,
    age, rs4129267 and rs2231142 allele counts, log dose, log weight, log albumin (the clearance
    covariates); tdm: female, age, rs4129267 count, log measured concentration and its hours after
    the dose (together they pin the 24-h trough), and the landmark day (how much of the early risk
    has already passed)."""
    import numpy as np

    columns = [(X["sex"] == "F").astype(float), X["age_years"], X["rs4129267_alt_count"]]
    if stage == "start":
        columns += [X["rs2231142_alt_count"], np.log(X["start_dose_mg"]), np.log(X["weight_kg"]), np.log(X["albumin_g_l"])]
    else:
        columns += [np.log(np.maximum(samples["concentration_ng_ml"].reindex(X.index).to_numpy(float), 1.0)),
                    samples["hours_after_dose"].reindex(X.index).to_numpy(float), X["tdm_day"]]
    return mean_imputed(np.column_stack(columns).astype(float), means)


def landmark_samples(cohort, frame):
    from rashrisk.features.landmark import select_landmark_samples

    samples, _ = select_landmark_samples(cohort.tdm, frame.X.index, cohort.outcomes, window=frame.landmark)
    return samples


def scores(y, p) -> dict:
    from rashrisk.models.metrics import auroc, brier_scores, calibration_intercept_slope

    intercept, slope = calibration_intercept_slope(y, p)
    return {"auroc": auroc(y, p), "brier": brier_scores(y, p)[0], "cal_intercept": intercept, "cal_slope": slope}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--n-train", type=int, default=712)
    parser.add_argument("--n-test", type=int, default=20_000)
    parser.add_argument("--test-seed", type=int, default=999)
    parser.add_argument("--ablation", action="store_true",
                        help="only the start stage, logistic candidate, with smaller predictor sets (no validation)")
    parser.add_argument("--calibration", action="store_true",
                        help="both stages, logistic candidate: calibration of the penalty grid and Platt choices")
    parser.add_argument("--generator", choices=["foreign", "rashrisk"], default="foreign",
                        help="--calibration only: the independent generator (default) or rashrisk's own simulator")
    args = parser.parse_args()
    if args.ablation:
        ablation(args)
        return
    if args.calibration:
        calibration(args)
        return

    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    from foreign_cohort import covariate_risk, landmark_risk, rash_free_risk, write_foreign_cohort
    from rashrisk.contract.loader import load_cohort
    from rashrisk.features.frame import build_model_frame
    from rashrisk.models.config import TrainingConfig
    from rashrisk.models.train import train_stage

    config = TrainingConfig()
    workdir = Path(tempfile.mkdtemp(prefix="bench_foreign_"))
    t0 = time.perf_counter()
    written = write_foreign_cohort(workdir / "test", args.n_test, args.test_seed)
    test_cohort = load_cohort(workdir / "test")
    tests = {stage: build_model_frame(test_cohort, stage) for stage in ("start", "tdm")}
    truth = written.truth["true_risk"]
    ceiling_start = pd.Series(covariate_risk(written.truth), index=written.truth.index)
    true_p = {"start": truth.reindex(tests["start"].X.index).to_numpy(),
              "tdm": rash_free_risk(truth.reindex(tests["tdm"].X.index).to_numpy(), tests["tdm"].X["tdm_day"])}
    test_samples = landmark_samples(test_cohort, tests["tdm"])
    test_conc = test_samples["concentration_ng_ml"]
    tdm_ids = tests["tdm"].X.index
    ceiling_tdm = landmark_risk(written.truth.reindex(tdm_ids), test_samples["concentration_ng_ml"].reindex(tdm_ids),
                                test_samples["hours_after_dose"].reindex(tdm_ids), tests["tdm"].X["tdm_day"])
    print(f"test cohort: {args.n_test} patients (seed {args.test_seed}); start {tests['start'].n} patients / "
          f"{tests['start'].events} events, tdm {tests['tdm'].n} / {tests['tdm'].events}; "
          f"generated, loaded and framed in {time.perf_counter() - t0:.1f} s")

    rows: dict[tuple[str, str], list[dict]] = {}
    walls, selected = [], {"start": [], "tdm": []}
    for seed in args.seeds:
        folder = workdir / f"train{seed}"
        write_foreign_cohort(folder, args.n_train, seed)
        cohort = load_cohort(folder)
        wall0 = time.perf_counter()
        results = {stage: train_stage(cohort, stage, config) for stage in ("start", "tdm")}
        walls.append(time.perf_counter() - wall0)
        line = [f"seed {seed}: both stages {walls[-1]:.1f} s"]
        for stage, result in results.items():
            test, y_test = tests[stage], tests[stage].y.to_numpy(dtype=int)
            train = result.frame
            y_train = train.y.to_numpy(dtype=int)
            selected[stage].append(result.model.family)
            samples = landmark_samples(cohort, train) if stage == "tdm" else None
            d_train, means = plain_design(train.X, stage, None if samples is None else samples["concentration_ng_ml"])
            d_test, _ = plain_design(test.X, stage, test_conc, means)
            plain = LogisticRegression(C=1e12, max_iter=10_000).fit(d_train, y_train)  # unpenalised
            g_train, means = generator_terms_design(train.X, stage, samples)
            g_test, _ = generator_terms_design(test.X, stage, test_samples, means)
            oracle = LogisticRegression(C=1e12, max_iter=10_000).fit(g_train, y_train)
            predictions = {
                "rashrisk": result.model.predict_proba(test.X)[:, 1],
                "plain LR": plain.predict_proba(d_test)[:, 1],
                "LR on the generator's terms": oracle.predict_proba(g_test)[:, 1],
                "true risk": true_p[stage],
            }
            predictions["covariate ceiling"] = (ceiling_start.reindex(test.X.index).to_numpy() if stage == "start"
                                                else ceiling_tdm)
            for name, p in predictions.items():
                rows.setdefault((stage, name), []).append(scores(y_test, p))
            line.append(f"{stage} {train.n} pts / {train.events} ev, selected {result.model.family}, "
                        f"AUROC {rows[(stage, 'rashrisk')][-1]['auroc']:.3f} vs plain "
                        f"{rows[(stage, 'plain LR')][-1]['auroc']:.3f}")
        print("; ".join(line), flush=True)

    print(f"\nheld-out on {args.n_test} patients, mean (SD) over seeds {args.seeds}, training n={args.n_train}")
    print("| stage | model | AUROC | Brier | calibration intercept | calibration slope |")
    print("|---|---|---|---|---|---|")
    for (stage, name), values in rows.items():
        cells = []
        for metric in METRICS:
            v = np.array([r[metric] for r in values])
            cells.append(f"{v.mean():.3f} ({v.std(ddof=1) if len(v) > 1 else 0:.3f})")
        print(f"| {stage} | {name} | " + " | ".join(cells) + " |")
    for stage in ("start", "tdm"):
        diff = np.array([a["auroc"] - b["auroc"] for a, b in zip(rows[(stage, "rashrisk")], rows[(stage, "plain LR")])])
        print(f"{stage}: AUROC rashrisk - plain LR per seed {np.round(diff, 3).tolist()}; "
              f"selected {selected[stage]}")
        for name in ("rashrisk", "plain LR"):
            error = np.array([r["cal_slope"] for r in rows[(stage, name)]]) - 1.0
            print(f"{stage}: {name} calibration slope - 1: mean absolute {np.abs(error).mean():.3f}, "
                  f"root mean square {np.sqrt(np.mean(error ** 2)):.3f}, range {error.min() + 1:.2f}-{error.max() + 1:.2f}")
    print(f"training wall time, both stages, full validation, sequential: mean {np.mean(walls):.1f} s "
          f"(min {np.min(walls):.1f}, max {np.max(walls):.1f})")


ABLATION = {  # name -> [features] overrides of the start stage
    "default predictors": {},
    "without ancestry, setting": {"categorical": ("sex",)},
    "without ancestry, setting, albumin": {"categorical": ("sex",),
                                           "continuous": ("age_years", "weight_kg", "start_dose_mg", "apriori_trough_ng_ml")},
    "plain LR's predictors": {"categorical": ("sex",), "continuous": ("age_years", "weight_kg", "start_dose_mg")},
}


def ablation(args) -> None:
    """Start stage, logistic candidate only: held-out AUROC with smaller pre-specified predictor sets."""
    import dataclasses

    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from foreign_cohort import write_foreign_cohort
    from rashrisk.contract.loader import load_cohort
    from rashrisk.features.frame import build_model_frame
    from rashrisk.models.config import TrainingConfig
    from rashrisk.models.metrics import auroc
    from rashrisk.models.train import train_frame

    workdir = Path(tempfile.mkdtemp(prefix="bench_foreign_ablation_"))
    write_foreign_cohort(workdir / "test", args.n_test, args.test_seed)
    test = build_model_frame(load_cohort(workdir / "test"), "start")
    y_test = test.y.to_numpy(dtype=int)
    base = TrainingConfig().with_overrides(candidates=("logistic",))
    results: dict[str, list[float]] = {name: [] for name in [*ABLATION, "plain LR"]}
    for seed in args.seeds:
        write_foreign_cohort(workdir / f"train{seed}", args.n_train, seed)
        train = build_model_frame(load_cohort(workdir / f"train{seed}"), "start")
        for name, overrides in ABLATION.items():
            config = base.with_overrides(features=dataclasses.replace(base.features, **overrides))
            model = train_frame(train, config, validate=False).model
            results[name].append(auroc(y_test, model.predict_proba(test.X)[:, 1]))
        d_train, means = plain_design(train.X, "start", None)
        d_test, _ = plain_design(test.X, "start", None, means)
        plain = LogisticRegression(C=1e12, max_iter=10_000).fit(d_train, train.y.to_numpy(dtype=int))
        results["plain LR"].append(auroc(y_test, plain.predict_proba(d_test)[:, 1]))
    print(f"start stage, logistic candidate, held-out AUROC on {args.n_test} patients, mean (SD) over seeds {args.seeds}")
    print("| predictors | AUROC |")
    print("|---|---|")
    for name, values in results.items():
        print(f"| {name} | {np.mean(values):.3f} ({np.std(values, ddof=1) if len(values) > 1 else 0:.3f}) |")


CALIBRATION_PROCEDURES = {  # name -> (logistic C grid, families recalibrated by Platt)
    "C 0.03-1, Platt (before)": ((0.03, 0.1, 0.3, 1.0), ("logistic", "xgboost")),
    "C 0.03-1, as fitted": ((0.03, 0.1, 0.3, 1.0), ("xgboost",)),
    "C 0.1-1, Platt": ((0.1, 0.3, 1.0), ("logistic", "xgboost")),
    "C 0.1-1, as fitted (default)": ((0.1, 0.3, 1.0), ("xgboost",)),
}


def _write_cohort(generator: str, folder: Path, n: int, seed: int) -> None:
    if generator == "foreign":
        from foreign_cohort import write_foreign_cohort

        write_foreign_cohort(folder, n, seed)
        return
    from rashrisk.simulate.cohort import simulate_cohort
    from rashrisk.simulate.config import load_config
    from rashrisk.simulate.writer import write_cohort

    write_cohort(simulate_cohort(load_config(None), n, seed), folder)


def calibration(args) -> None:
    """Both stages, logistic candidate (the family the defaults select): held-out calibration slope
    of each (penalty grid, Platt) procedure against the plain regression, over many training seeds."""
    import dataclasses

    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from rashrisk.contract.loader import load_cohort
    from rashrisk.features.frame import build_model_frame
    from rashrisk.models.config import TrainingConfig
    from rashrisk.models.train import train_frame

    workdir = Path(tempfile.mkdtemp(prefix="bench_calibration_"))
    _write_cohort(args.generator, workdir / "test", args.n_test, args.test_seed)
    test_cohort = load_cohort(workdir / "test")
    tests = {stage: build_model_frame(test_cohort, stage) for stage in ("start", "tdm")}
    test_conc = landmark_samples(test_cohort, tests["tdm"])["concentration_ng_ml"]
    base = TrainingConfig().with_overrides(candidates=("logistic",))
    rows: dict[tuple[str, str], list[dict]] = {}
    for seed in args.seeds:
        _write_cohort(args.generator, workdir / f"train{seed}", args.n_train, seed)
        cohort = load_cohort(workdir / f"train{seed}")
        for stage, test in tests.items():
            train = build_model_frame(cohort, stage)
            y_train, y_test = train.y.to_numpy(dtype=int), test.y.to_numpy(dtype=int)
            for name, (grid, platt) in CALIBRATION_PROCEDURES.items():
                config = base.with_overrides(logistic=dataclasses.replace(base.logistic, C=grid), platt_families=platt)
                model = train_frame(train, config, validate=False).model
                rows.setdefault((stage, name), []).append(scores(y_test, model.predict_proba(test.X)[:, 1]))
            conc = landmark_samples(cohort, train)["concentration_ng_ml"] if stage == "tdm" else None
            d_train, means = plain_design(train.X, stage, conc)
            d_test, _ = plain_design(test.X, stage, test_conc, means)
            plain = LogisticRegression(C=1e12, max_iter=10_000).fit(d_train, y_train)
            rows.setdefault((stage, "plain LR"), []).append(scores(y_test, plain.predict_proba(d_test)[:, 1]))
        print(f"seed {seed} done", flush=True)
    print(f"\n{args.generator} generator: held-out on {args.n_test} patients (seed {args.test_seed}), "
          f"{len(args.seeds)} training cohorts of {args.n_train}, logistic candidate")
    print("| stage | procedure | AUROC | calibration slope, mean (SD) | mean abs(slope - 1) | RMS(slope - 1) | "
          "slope range | slope not estimable |")
    print("|---|---|---|---|---|---|---|---|")
    for (stage, name), values in rows.items():
        auc = np.array([r["auroc"] for r in values])
        all_slopes = np.array([r["cal_slope"] for r in values])
        slope = all_slopes[np.isfinite(all_slopes)]  # NaN: the recalibration fit on the test cohort failed
        print(f"| {stage} | {name} | {auc.mean():.3f} | {slope.mean():.2f} ({slope.std(ddof=1):.2f}) | "
              f"{np.abs(slope - 1).mean():.3f} | {np.sqrt(np.mean((slope - 1) ** 2)):.3f} | "
              f"{slope.min():.2f} to {slope.max():.2f} | {len(all_slopes) - len(slope)} of {len(all_slopes)} |")


if __name__ == "__main__":
    main()
