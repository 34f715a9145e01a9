"""Quality benchmark (issue 11 item 8): rashrisk against its peers on one large independent test cohort.

    .venv/bin/python bench/quality.py [--sizes 712 2000 20000] [--seeds 1 2 3 4 5 6] [--large-seeds 1 2]
        [--n-test 40000] [--test-seed 777] [--generators rashrisk foreign] [--variants default nonnegative]
    .venv/bin/python bench/quality.py --quick      # 712 patients, 2 seeds, 10,000 test patients

For each generator ('rashrisk': the project's simulator, pipelines/simulate-default.toml; 'foreign':
tests/models/foreign_cohort.py, its own PK truth, residual error, sampling times and effect shapes),
each training size and each seed, a training cohort is written to disk, loaded, and both stages are
trained through the real entry point (``rashrisk.models.train.train_stage``) with the bootstrap
validation switched off: it runs after the fit and only reports, so the fitted model is the same
(``--check-validate`` verifies that on the first cohort). Every model is scored on ONE independent
test cohort of the same generator (its own seed). Peers, fitted on the same training rows:

- genotype-only: the source study's analysis (``rashrisk.analysis.logistic.fit_logistic``, additive
  rs4129267 allele count, unpenalised maximum likelihood; a no-call gets the training mean count);
- plain LR: scikit-learn ``LogisticRegression()`` defaults on standardised raw columns (female, age,
  weight, start dose, rs4129267 count, mean-imputed; the tdm stage adds the log of the landmark
  sample's measured concentration, the raw TDM value);
- XGBoost: ``XGBClassifier()`` defaults on the same raw columns;
- true risk: the generator's own probability (simulator: ``true_risk`` of truth.csv, computed in
  ``simulate/outcomes.py``; the tdm stage conditions it on being rash-free at the landmark day). It
  uses each patient's true exposure, which no model observes: a ceiling, not a target.

Printed per generator, size and stage: mean +/- SD over seeds of AUROC, calibration slope and
intercept (logistic recalibration on the test cohort) and Brier score; then the per-seed AUROC
difference rashrisk - plain LR. Nothing is hard-coded: every figure is measured in this run.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "models"))

METRICS = ("auroc", "cal_slope", "cal_intercept", "brier")
RAW_COLUMNS = ["female", "age_years", "weight_kg", "start_dose_mg", "rs4129267_alt_count"]
# item 4: the sign constraint evaluated here (risk-allele count and exposure non-negative)
NONNEGATIVE = ("rs4129267", "apriori_trough_ng_ml", "map_trough_ng_ml", "trough_ratio_to_apriori")


def variant_config(name: str):
    """TrainingConfig of a named variant (the default configuration with one change)."""
    from rashrisk.models.config import TrainingConfig

    base = TrainingConfig()
    if name == "default":
        return base
    if name == "nonnegative":
        return base.with_overrides(logistic=dataclasses.replace(base.logistic, nonnegative=NONNEGATIVE))
    if name == "logistic-only":
        return base.with_overrides(candidates=("logistic",))
    if name == "C1":  # scikit-learn's default penalty only
        return base.with_overrides(logistic=dataclasses.replace(base.logistic, C=(1.0,)))
    if name == "C-wide":
        return base.with_overrides(logistic=dataclasses.replace(base.logistic, C=(0.1, 0.3, 1.0, 3.0, 10.0)))
    if name == "C-fine":  # a finer grid reaching lower C
        return base.with_overrides(logistic=dataclasses.replace(base.logistic, C=(0.03, 0.05, 0.1, 0.17, 0.3, 0.5, 1.0, 2.0)))
    if name == "C-mid":  # a finer grid within the default's range
        return base.with_overrides(logistic=dataclasses.replace(base.logistic, C=(0.1, 0.17, 0.3, 0.5, 1.0)))
    if name == "old-predictors":  # before issue 11: dose, weight and a priori trough together
        features = dataclasses.replace(base.features, continuous=("age_years", "weight_kg", "start_dose_mg",
                                                                   "apriori_trough_ng_ml"))
        return base.with_overrides(features=features)
    if name == "tdm-no-ratio":
        features = dataclasses.replace(base.features, tdm_continuous=("tdm_day", "map_trough_ng_ml"))
        return base.with_overrides(features=features)
    if name in ("cv10", "cv20"):  # more tuning folds: each training part holds 90% (95%) of the cohort
        return base.with_overrides(cv_splits=int(name[2:]))
    if name == "day-penalised":  # the default before: the landmark day penalised like every other coefficient
        return base.with_overrides(logistic=dataclasses.replace(base.logistic, unpenalised=()))
    if name == "soft-penalty":  # [logistic] soft_penalty = true (docs/training.md section 3)
        return base.with_overrides(logistic=dataclasses.replace(base.logistic, soft_penalty=True))
    if name == "cv10x5":
        return base.with_overrides(cv_splits=10, cv_repeats=5)
    raise SystemExit(f"--variants: unknown variant {name!r}; expected one of {', '.join(VARIANTS)}")


VARIANTS = ("default", "nonnegative", "logistic-only", "C1", "C-wide", "C-fine", "C-mid", "old-predictors", "tdm-no-ratio",
            "cv10", "cv20", "cv10x5", "day-penalised", "soft-penalty")


def write_cohort(generator: str, folder: Path, n: int, seed: int):
    """Write a cohort folder; return the generator's true risk per patient_id (start stage)."""
    import pandas as pd

    if generator == "foreign":
        from foreign_cohort import write_foreign_cohort

        return write_foreign_cohort(folder, n, seed).truth["true_risk"]
    from rashrisk.simulate.cohort import simulate_cohort
    from rashrisk.simulate.config import load_config
    from rashrisk.simulate.writer import write_cohort as write_simulated

    write_simulated(simulate_cohort(load_config(None), n, seed), folder)
    truth = pd.read_csv(folder / "truth.csv", dtype={"patient_id": str}).set_index("patient_id")
    return truth["true_risk"]


def simulator_rash_free_risk(true_risk, landmark_day):
    """The simulator's P(severe rash | no rash of any grade before the landmark day), from its onset
    model (pipelines/simulate-default.toml [outcome.onset], rounded lognormal days clipped to the
    limits) and the landmark rule (a sample on day d is kept when onset >= floor(d) + 1)."""
    from scipy.stats import norm

    from rashrisk.simulate.config import load_config

    cfg = load_config(None)
    onset = cfg.get("outcome", "onset")
    lo, hi = cfg.pair("outcome", "onset", "onset_day_limits")
    k = np.floor(np.asarray(landmark_day, dtype=float)) + 1

    def still_free(median, sd_log):  # P(rint(clip(lognormal)) >= k)
        p = norm.sf((np.log(np.maximum(k - 0.5, 1e-9)) - np.log(median)) / sd_log)
        return np.where(k <= lo, 1.0, np.where(k > hi, 0.0, p))

    g3 = cfg.probability("outcome", "grade3_share_of_severe")
    free_severe = g3 * still_free(onset["grade3_median_day"], onset["grade3_sd_log"]) + (1 - g3) * still_free(
        onset["recurrent_grade2_median_day"], onset["recurrent_grade2_sd_log"])
    mild = cfg.probability("outcome", "mild", "grade1_probability") + cfg.probability("outcome", "mild",
                                                                                      "grade2_probability")
    free_other = 1 - mild + mild * still_free(onset["mild_median_day"], onset["mild_sd_log"])
    p = np.asarray(true_risk, dtype=float)
    return p * free_severe / (p * free_severe + (1 - p) * free_other)


def true_stage_risk(generator, stage, truth, X):
    p = truth.reindex(X.index).to_numpy(dtype=float)
    if stage == "start":
        return p
    if generator == "foreign":
        from foreign_cohort import rash_free_risk

        return rash_free_risk(p, X["tdm_day"])
    return simulator_rash_free_risk(p, X["tdm_day"])


def landmark_conc(cohort, frame):
    from rashrisk.features.landmark import select_landmark_samples

    samples, _ = select_landmark_samples(cohort.tdm, frame.X.index, cohort.outcomes, window=frame.landmark)
    return samples["concentration_ng_ml"].reindex(frame.X.index).to_numpy(dtype=float)


def raw_design(X, conc=None, means=None):
    """The raw columns (mean-imputed); the tdm stage adds log(measured landmark concentration)."""
    columns = [(X["sex"] == "F").astype(float).to_numpy()] + [X[c].to_numpy(dtype=float) for c in RAW_COLUMNS[1:]]
    if conc is not None:
        columns.append(np.log(np.maximum(conc, 1.0)))
    design = np.column_stack(columns).astype(float)
    means = np.nanmean(design, axis=0) if means is None else means
    return np.where(np.isnan(design), means, design), means


def peers(train_X, y_train, test_X, train_conc, test_conc):
    """Peer predictions on the test rows, each fitted on the training rows."""
    from scipy.special import expit
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from xgboost import XGBClassifier

    from rashrisk.analysis.logistic import fit_logistic

    out = {}
    g_train = train_X["rs4129267_alt_count"].to_numpy(dtype=float)
    g_mean = np.nanmean(g_train)
    fit = fit_logistic(np.where(np.isnan(g_train), g_mean, g_train), y_train, ["rs4129267"])
    g_test = test_X["rs4129267_alt_count"].to_numpy(dtype=float)
    out["genotype-only (source study)"] = expit(fit.coef[0] + fit.coef[1] * np.where(np.isnan(g_test), g_mean, g_test))
    d_train, means = raw_design(train_X, train_conc)
    d_test, _ = raw_design(test_X, test_conc, means)
    plain = make_pipeline(StandardScaler(), LogisticRegression()).fit(d_train, y_train)
    out["plain LR"] = plain.predict_proba(d_test)[:, 1]
    xgb = XGBClassifier(n_jobs=1, verbosity=0).fit(d_train, y_train)
    out["XGBoost (defaults)"] = xgb.predict_proba(d_test)[:, 1]
    return out


def scores(y, p) -> dict:
    from rashrisk.models.metrics import auroc, brier_scores, calibration_intercept_slope

    intercept, slope = calibration_intercept_slope(y, p)
    return {"auroc": auroc(y, p), "cal_slope": slope, "cal_intercept": intercept, "brier": brier_scores(y, p)[0]}


def check_validate(cohort, stage, config, X_test) -> float:
    """Largest |difference| in test predictions between training with and without the bootstrap validation."""
    from rashrisk.models.train import train_stage

    slim = config.with_overrides(validation_bootstrap=5)
    a = train_stage(cohort, stage, slim, validate=True).model.predict_proba(X_test)[:, 1]
    b = train_stage(cohort, stage, slim, validate=False).model.predict_proba(X_test)[:, 1]
    return float(np.max(np.abs(a - b)))


def run(args) -> None:
    from rashrisk.contract.loader import load_cohort
    from rashrisk.features.frame import build_model_frame
    from rashrisk.models.train import train_stage

    workdir = Path(tempfile.mkdtemp(prefix="bench_quality_"))
    configs = {name: variant_config(name) for name in args.variants}
    for generator in args.generators:
        t0 = time.perf_counter()
        test_truth = write_cohort(generator, workdir / f"{generator}-test", args.n_test, args.test_seed)
        test_cohort = load_cohort(workdir / f"{generator}-test")
        tests = {stage: build_model_frame(test_cohort, stage) for stage in ("start", "tdm")}
        test_conc = landmark_conc(test_cohort, tests["tdm"])
        print(f"\n## generator {generator}: test cohort {args.n_test} patients (seed {args.test_seed}); start "
              f"{tests['start'].n} patients / {tests['start'].events} events, tdm {tests['tdm'].n} / "
              f"{tests['tdm'].events}; built in {time.perf_counter() - t0:.0f} s", flush=True)
        for size in args.sizes:
            seeds = args.seeds if size < args.large_from else args.large_seeds
            rows: dict[tuple[str, str], list[dict]] = {}
            selected = {stage: [] for stage in tests}
            t_size = time.perf_counter()
            for seed in seeds:
                folder = workdir / f"{generator}-{size}-{seed}"
                write_cohort(generator, folder, size, seed)
                cohort = load_cohort(folder)
                t1 = time.perf_counter()
                for stage, test in tests.items():
                    y_test = test.y.to_numpy(dtype=int)
                    train = None
                    for name, config in configs.items():
                        result = train_stage(cohort, stage, config, validate=False)
                        train = result.frame
                        label = "rashrisk" if name == "default" else f"rashrisk ({name})"
                        selected[stage].append(f"{name}:{result.model.family}")
                        rows.setdefault((stage, label), []).append(scores(y_test, result.model.predict_proba(test.X)[:, 1]))
                        if args.check_validate and seed == seeds[0] and size == args.sizes[0] and name == "default":
                            print(f"  check: {stage} max |p(validate) - p(no validate)| on the test cohort = "
                                  f"{check_validate(cohort, stage, config, test.X):.2e}", flush=True)
                    y_train = train.y.to_numpy(dtype=int)
                    train_conc = landmark_conc(cohort, train) if stage == "tdm" else None
                    predictions = peers(train.X, y_train, test.X, train_conc, test_conc if stage == "tdm" else None)
                    predictions["true risk"] = true_stage_risk(generator, stage, test_truth, test.X)
                    for label, p in predictions.items():
                        rows.setdefault((stage, label), []).append(scores(y_test, p))
                print(f"  {generator} n={size} seed {seed}: trained in {time.perf_counter() - t1:.0f} s; start AUROC "
                      f"{rows[('start', 'rashrisk')][-1]['auroc']:.3f} (plain LR {rows[('start', 'plain LR')][-1]['auroc']:.3f})"
                      f", tdm {rows[('tdm', 'rashrisk')][-1]['auroc']:.3f} (plain LR "
                      f"{rows[('tdm', 'plain LR')][-1]['auroc']:.3f})", flush=True)
            print(f"\n### {generator}, training n = {size}, {len(seeds)} seeds {list(seeds)} "
                  f"({time.perf_counter() - t_size:.0f} s); mean +/- SD over seeds, test n = {args.n_test}")
            print("| stage | model | AUROC | calibration slope | calibration intercept | Brier |")
            print("|---|---|---|---|---|---|")
            for (stage, label), values in sorted(rows.items(), key=lambda kv: kv[0][0] != "start"):
                cells = []
                for metric in METRICS:
                    v = np.array([r[metric] for r in values], dtype=float)
                    sd = v.std(ddof=1) if len(v) > 1 else 0.0
                    cells.append(f"{np.nanmean(v):.3f} +/- {sd:.3f}")
                print(f"| {stage} | {label} | " + " | ".join(cells) + " |")
            for stage in tests:
                for label in [k[1] for k in rows if k[0] == stage and k[1].startswith("rashrisk")]:
                    diff = [a["auroc"] - b["auroc"] for a, b in zip(rows[(stage, label)], rows[(stage, "plain LR")])]
                    print(f"{stage}: AUROC {label} - plain LR per seed {np.round(diff, 3).tolist()} "
                          f"(below in {sum(d < 0 for d in diff)} of {len(diff)})")
                print(f"{stage}: selected families {selected[stage]}")
            sys.stdout.flush()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[712, 2000, 20000])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6],
                        help="training seeds for sizes below --large-from")
    parser.add_argument("--large-seeds", type=int, nargs="+", default=[1, 2],
                        help="training seeds for sizes at or above --large-from (fewer: each fit is slow)")
    parser.add_argument("--large-from", type=int, default=10_000)
    parser.add_argument("--n-test", type=int, default=40_000)
    parser.add_argument("--test-seed", type=int, default=777)
    parser.add_argument("--generators", nargs="+", choices=["rashrisk", "foreign"], default=["rashrisk", "foreign"])
    parser.add_argument("--variants", nargs="+", default=["default"], choices=VARIANTS,
                        help="rashrisk configurations to train (each a one-change variant of the default)")
    parser.add_argument("--check-validate", action="store_true",
                        help="on the first cohort, check that switching the bootstrap validation off leaves the model unchanged")
    parser.add_argument("--quick", action="store_true", help="fast check: 712 patients, 2 seeds, 10,000 test patients")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.seeds, args.n_test = [712], args.seeds[:2], min(args.n_test, 10_000)
    if min(args.sizes) < 100:
        raise SystemExit(f"--sizes: {min(args.sizes)} patients is too few to train; expected at least 100")
    import platform
    import os

    print(f"bench/quality.py {' '.join(sys.argv[1:])}\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    t0 = time.perf_counter()
    run(args)
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
