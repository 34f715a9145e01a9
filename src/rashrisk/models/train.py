"""Training orchestration: model frame -> tuned candidates -> nested CV -> selected model refitted
on all patients -> calibration (Platt on out-of-fold log-odds for the families so configured) ->
bootstrap ensemble for intervals -> internal validation (bootstrap optimism of the procedure) ->
:class:`TrainingResult`.

The procedure validated by the optimism bootstrap refits the selected family with its chosen
hyperparameters fixed (tuning in 200+ resamples would not fit the time budget); a Platt
calibration is held fixed or, with ``validation_calibration_folds``, re-estimated in every resample
from cross-fitted log-odds. The nested CV, by contrast, re-tunes inside every outer fold.
Both are reported: see docs/training.md.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from rashrisk._version import __version__
from rashrisk.contract.loader import load_cohort
from rashrisk.contract.genotypes import check_predictor_call_rate
from rashrisk.errors import RashriskError
from rashrisk.features.frame import STAGES, build_model_frame
from rashrisk.models.bundle import RiskModel, risk_band
from rashrisk.models.calibration import apply_platt, calibrate, calibration_method, expit
from rashrisk.models.candidates import FittedCandidate, candidate_grid, fit_estimator
from rashrisk.models.card import BandThresholds, build_card
from rashrisk.models.classifier import RashriskClassifier
from rashrisk.models.config import TrainingConfig
from rashrisk.models.effects import factor_effects
from rashrisk.models.equation import logistic_equation
from rashrisk.models.metrics import performance_metrics
from rashrisk.models.rejected import check_rejected_rows
from rashrisk.models.result import TrainingResult
from rashrisk.models.selection import nested_cv
from rashrisk.models.validation import prediction_instability, validate_model
from rashrisk.pk.model import PopPKModel, default_pk_model
from rashrisk.stages import model_name

Progress = Callable[[str, int, int], None]  # progress(step, done, total)


def cohort_fingerprint(cohort) -> dict:
    """sha256 of every file in the cohort folder (names and hashes) and table row counts; no ids."""
    files = {}
    path = Path(getattr(cohort, "path", "") or "")
    if path.is_dir():
        for f in sorted(path.iterdir()):
            if f.is_file() and f.name != "truth.csv":
                files[f.name] = hashlib.sha256(f.read_bytes()).hexdigest()
    rows = {name: int(len(getattr(cohort, name))) for name in ("patients", "genotypes", "tdm", "outcomes")
            if getattr(cohort, name, None) is not None}
    return {"files": files, "rows": rows}


def _is_simulated(cohort) -> bool:
    """True when any training row is simulated: the simulator's ``data_origin`` column in
    patients.csv says so, or the folder holds the simulator's truth.csv."""
    path = Path(getattr(cohort, "path", "") or "")
    patients = getattr(cohort, "patients", None)
    if patients is not None and "data_origin" in patients.columns:
        if patients["data_origin"].astype(str).str.strip().str.lower().eq("simulated").any():
            return True
    return (path / "truth.csv").is_file()


def _fit_predict_factory(candidate, config: TrainingConfig, stage: str, calibration: tuple[float, float], seed: int):
    """The modelling procedure rerun in each optimism-bootstrap resample (hyperparameters fixed)."""
    from sklearn.model_selection import StratifiedKFold

    folds = config.validation_calibration_folds

    def fit_predict(X_train, y_train, X_eval):
        y_train = np.asarray(y_train, dtype=int)
        fitted = FittedCandidate(candidate, config, stage, seed=seed).fit(X_train, y_train)
        recalibrated = candidate.family in config.platt_families
        if recalibrated and folds >= 2 and min(y_train.sum(), len(y_train) - y_train.sum()) >= folds:
            matrix = fitted.transform(X_train)
            oof = np.zeros(len(y_train))
            splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
            for train_idx, test_idx in splitter.split(matrix, y_train):
                est, leaves = fit_estimator(candidate, config, matrix[train_idx], y_train[train_idx],
                                            fitted.feature_names_, fitted.factors_, seed=seed)
                oof[test_idx] = candidate.model_family.raw_logit(est, leaves, matrix[test_idx])
            intercept, slope = calibrate(candidate.family, config.platt_families, oof, y_train)
        else:
            intercept, slope = calibration
        return expit(apply_platt(fitted.raw_logit(X_eval), intercept, slope))

    return fit_predict


def _nested_metrics(y, proba: dict) -> dict:
    return {name: {k: (None if v is None or not np.isfinite(v) else float(v))
                   for k, v in performance_metrics(y, p).items()} for name, p in proba.items()}


def train_frame(frame, config: TrainingConfig | None = None, *, cohort_name: str = "cohort",
                simulated: bool = False, fingerprint: dict | None = None, progress: Progress | None = None,
                validate: bool = True, rejected: dict | None = None) -> TrainingResult:
    """Train one stage from a :class:`~rashrisk.features.frame.ModelFrame` with outcomes. The PK model
    that built the frame (``frame.pk_model``) is recorded in full in the card, so that scoring builds
    the same features. ``rejected``: the input rows dropped before training
    (:func:`rashrisk.models.rejected.rejected_rows`), recorded in the card."""
    if not isinstance(frame.pk_model, PopPKModel):
        raise RashriskError("the model frame does not say which PK model built it; build it with "
                            "rashrisk.features.frame.build_model_frame")
    with threadpool_limits(limits=1):  # many small fits: BLAS threads only contend on shared cores
        return _train_frame(frame, config or TrainingConfig(), pk_model=frame.pk_model, cohort_name=cohort_name,
                            simulated=simulated, fingerprint=fingerprint or {}, progress=progress, validate=validate,
                            rejected=rejected or {})


def _train_frame(frame, config, *, pk_model, cohort_name, simulated, fingerprint, progress, validate, rejected):
    stage = frame.stage
    seconds: dict[str, float] = {}
    if frame.y is None:
        raise RashriskError(f"{cohort_name}: no outcomes.csv, so the {stage} model cannot be trained; "
                            "training needs rash_max_grade per patient")
    y = frame.y.to_numpy(dtype=int)
    X = frame.X
    events = int(y.sum())
    if events < config.min_events or len(y) - events < config.min_events:
        raise RashriskError(f"{cohort_name}: {events} severe-rash events among {len(y)} eligible patients for the "
                            f"{stage} model; expected at least {config.min_events} events and non-events")

    def step(name):
        return (lambda done, total: progress(name, done, total)) if progress else None

    t0 = time.perf_counter()
    classifier = RashriskClassifier.from_config(config, stage).fit(X, y)
    seconds["fit"] = time.perf_counter() - t0
    chosen = classifier.candidate_
    intercept, slope = classifier.calibration_intercept_, classifier.calibration_slope_
    oof_proba = expit(apply_platt(classifier.oof_raw_logit_, intercept, slope))
    rows = [dict(row) for row in classifier.cv_results_]

    t0 = time.perf_counter()
    nested = nested_cv(candidate_grid(config), config, stage, X, y, seed=config.seed, progress=step("nested CV"))
    nested_metrics = _nested_metrics(y, nested["proba"])
    nested_summary = {"selection": nested_metrics["selection"], "chosen_per_fold": nested["chosen"]}
    for row in rows:
        row["nested_cv"] = nested_metrics.get(row["name"])
    seconds["nested_cv"] = time.perf_counter() - t0

    matrix = classifier.feature_matrix(X)
    validation = {}
    if validate:
        t0 = time.perf_counter()
        fit_predict = _fit_predict_factory(chosen, config, stage, (intercept, slope), config.seed)
        validation = validate_model(fit_predict, X, frame.y.astype(bool), oof_proba=oof_proba,
                                    n_parameters=matrix.shape[1], n_boot=config.validation_bootstrap,
                                    seed=config.seed, progress=step("validation"),
                                    min_subgroup_patients=config.min_subgroup_patients,
                                    min_subgroup_events=config.min_subgroup_events)
        validation["instability"] = prediction_instability(
            expit(classifier.decision_function_matrix(matrix)), classifier.ensemble_risks_from_matrix(matrix),
            lambda risk: risk_band(risk, config.low_below, config.high_from))
        seconds["validation"] = time.perf_counter() - t0

    digest = hashlib.sha256(repr((sorted(fingerprint.get("files", {}).items()), config.to_dict(), stage,
                                  pk_model.content_sha256)).encode())
    version = f"{__version__}+{digest.hexdigest()[:10]}"
    factors = list(dict.fromkeys(classifier.feature_factor_.values()))
    excluded = frame.excluded["reason"].value_counts().to_dict() if len(frame.excluded) else {}
    equation = logistic_equation(classifier.preprocess_, classifier.estimator_, (intercept, slope),
                                 classifier.feature_factor_)
    effects = factor_effects(classifier, X, config.features)
    card = build_card(stage=stage, name=model_name(stage), version=version, cohort_name=cohort_name,
                      simulated=simulated, n=len(y), events=events, fingerprint=fingerprint, factors=factors,
                      family=chosen.family, params=chosen.param_dict, calibration=(intercept, slope),
                      calibration_method=calibration_method(chosen.family, config.platt_families),
                      landmark=frame.landmark or config.landmark,
                      band_thresholds=BandThresholds(low_below=config.low_below, high_from=config.high_from),
                      validation=validation, nested_cv=nested_summary, excluded=excluded, candidates=rows,
                      pk_model=pk_model, features=config.features, input_summary=classifier.input_summary_,
                      equation=equation, rejected=rejected, effects=effects)
    model = RiskModel(classifier, card)
    return TrainingResult(stage=stage, model=model, frame=frame, candidates=rows, selected=chosen.family,
                          oof_proba=oof_proba, y=y, validation=validation, fingerprint=fingerprint,
                          config=config.to_dict(), seconds=seconds, nested_cv=nested_summary)


def train_stage(cohort, stage: str, config: TrainingConfig | None = None, *, progress: Progress | None = None,
                pk_model=None, validate: bool = True, drop_invalid: bool = False) -> TrainingResult:
    """Train the ``stage`` model ('start' | 'tdm') on a loaded cohort (or a cohort folder path).

    A cohort whose loader rejected rows is refused (:class:`RashriskError` with the counts per file
    and rule) unless ``drop_invalid=True``, which trains on the accepted rows and records the
    rejected counts in the card (``trained_on.rejected``)."""
    if stage not in STAGES:
        raise RashriskError(f"stage {stage!r}; expected one of {', '.join(STAGES)}")
    config = config or TrainingConfig()
    if isinstance(cohort, (str, Path)):
        cohort = load_cohort(cohort)
    check_predictor_call_rate(cohort, config.features.genotypes)  # genotypes that did not load: no model
    rejected = check_rejected_rows(cohort, drop_invalid=drop_invalid)
    if pk_model is None:
        pk_model = default_pk_model(getattr(cohort, "ancestry", None))
    t0 = time.perf_counter()
    with threadpool_limits(limits=1):  # many small fits: BLAS threads only contend on shared cores
        frame = build_model_frame(cohort, stage, pk_model=pk_model, landmark=config.landmark)
        frame_seconds = time.perf_counter() - t0
        result = train_frame(frame, config, cohort_name=cohort.name,
                             simulated=_is_simulated(cohort), fingerprint=cohort_fingerprint(cohort),
                             progress=progress, validate=validate, rejected=rejected)
    result.seconds = {"model_frame": frame_seconds, **result.seconds}
    return result


def train(cohort, stage: str = "both", *, config=None, seed: int | None = None, progress: Progress | None = None,
          validate: bool = True, drop_invalid: bool = False):
    """Friendly entry point: ``rashrisk.train("cohort_dir", "tdm")``.

    ``cohort``: a folder path or a loaded Cohort. ``config``: None (defaults), a TOML path, a dict
    shaped like the TOML, or a :class:`TrainingConfig`. ``drop_invalid``: train on the accepted rows of
    a cohort whose loader rejected rows (refused otherwise; see :func:`train_stage`).
    Always a mapping stage -> TrainingResult:
    ``{"start": ..., "tdm": ...}`` for ``stage='both'``, ``{"tdm": ...}`` for one stage.
    """
    if config is None:
        settings = TrainingConfig()
    elif isinstance(config, TrainingConfig):
        settings = config
    elif isinstance(config, dict):
        settings = TrainingConfig.from_dict(config)
    else:
        settings = TrainingConfig.from_toml(config)
    if seed is not None:
        settings = settings.with_overrides(seed=int(seed))
    if isinstance(cohort, (str, Path)):

        cohort = load_cohort(cohort)
    stages = STAGES if stage == "both" else (stage,)
    check_rejected_rows(cohort, drop_invalid=drop_invalid)  # before the first stage, not after it
    return {s: train_stage(cohort, s, settings, progress=progress, validate=validate, drop_invalid=drop_invalid)
            for s in stages}


def _train_stage_worker(cohort, stage: str, config: TrainingConfig, validate: bool,
                        drop_invalid: bool = False) -> TrainingResult:
    return train_stage(cohort, stage, config, validate=validate, drop_invalid=drop_invalid)


def _exit_with_parent(parent_pid: int, poll_s: float = 0.5) -> None:
    """Worker initializer: the worker ends itself as soon as its parent is gone (a killed ``train
    --jobs 2`` must not leave workers computing, and holding memory, for nobody)."""
    import os
    import threading

    def watch():
        while True:
            if os.getppid() != parent_pid:
                os._exit(1)
            time.sleep(poll_s)

    if os.getppid() != parent_pid:  # the parent died before this worker started
        os._exit(1)
    threading.Thread(target=watch, name="rashrisk-parent-watch", daemon=True).start()


def train_stages(cohort, stages, config: TrainingConfig | None = None, *, n_jobs: int = 1,
                 progress: Progress | None = None, validate: bool = True,
                 drop_invalid: bool = False) -> list[TrainingResult]:
    """Train several stages; with ``n_jobs > 1`` each stage runs in its own process (spawned, so
    that no thread pool is forked), in which case ``progress`` only reports each stage's end. A
    worker exits within half a second when its parent process dies."""
    config = config or TrainingConfig()
    stages = list(stages)
    if n_jobs <= 1 or len(stages) <= 1:
        return [train_stage(cohort, s, config, progress=progress, validate=validate, drop_invalid=drop_invalid)
                for s in stages]
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    if isinstance(cohort, (str, Path)):

        cohort = load_cohort(cohort)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(n_jobs, len(stages)), mp_context=context,
                             initializer=_exit_with_parent, initargs=(os.getpid(),)) as pool:
        futures = [pool.submit(_train_stage_worker, cohort, s, config, validate, drop_invalid) for s in stages]
        results = []
        for s, future in zip(stages, futures):
            results.append(future.result())
            if progress:
                progress("trained", 1, 1)
    return results
