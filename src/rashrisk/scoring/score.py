"""Score patients: risk, interval, band, top factors and warnings; every input patient appears.

``score_frame`` works on an already built model frame (fast path for many patients, and for the
API); ``score_input`` adds loading and the model frame, and lists loader rejections and landmark
exclusions as ``not_scored`` with their reason.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd

from rashrisk.errors import RashriskError
from rashrisk.explanations.local import explain_factors, top_factor_columns
from rashrisk.features.frame import DERIVED_FROM, build_model_frame
from rashrisk.models.calibration import expit
from rashrisk.contract.checking import NO_POSITIONS, positions_by_id
from rashrisk.contract.genotypes import low_call_rate_messages, predictor_call_rates
from rashrisk.features.landmark import NO_SAMPLE_IN_WINDOW
from rashrisk.genotype.qc import MIN_PREDICTOR_CALL_RATE, LowCallRateWarning
from rashrisk.explanations.no_call import apply_averages
from rashrisk.scoring.inputs import tdm_row_problems, tdm_row_warnings
from rashrisk.scoring.warnings import patient_warnings, pk_domain_warnings, pk_sample_warnings

OUTPUT_COLUMNS = ["patient_id", "status", "reason", "risk", "risk_low", "risk_high", "band", "baseline_risk",
                  "factor_1", "factor_2", "factor_3", "warnings", "model", "simulated_data"]
WARNING_SEPARATOR = "; "
MIN_PATIENTS_FOR_CALL_RATE = 10  # a cohort call rate is judged from this many patients on


def model_label(model) -> str:
    """Name, version and bundle hash of the model that scored (the output's ``model`` column)."""
    return model.label


def is_simulated(model) -> bool:
    return bool(model.card.simulated)


def pk_model_for(model):
    """The PK model the risk model was trained with, exactly as the card records it (never a default)."""
    return model.card.pk_model.model()


def used_inputs(model, columns) -> list[str]:
    """The clinical input columns that reach at least one model feature, directly or through a
    derived input (the tdm model reads the a priori trough through the trough ratio)."""

    factors = set(getattr(model, "feature_factor_", {}).values())
    model_columns = getattr(model, "input_columns_", None) or list(columns)
    direct = [c for c in model_columns if c in factors or c.removesuffix("_alt_count") in factors]
    upstream = [s for c in direct for s in DERIVED_FROM.get(c, ()) if s not in direct and s in list(columns)]
    return direct + list(dict.fromkeys(upstream))


def build_frame(cohort, stage: str, model, *, pk_model=None):
    """The model frame of ``cohort`` for scoring (outcomes ignored; the card's PK model and landmark)."""

    cohort = dataclasses.replace(cohort, outcomes=None)
    pk_model = pk_model or pk_model_for(model)
    kwargs = {"landmark": model.card.landmark_days} if stage == "tdm" else {}
    return build_model_frame(cohort, stage, pk_model=pk_model, **kwargs), pk_model


def served_risk(model, X: pd.DataFrame, attributions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(risk, interval low, interval high) of the patients of ``X`` from their explanation
    (:func:`rashrisk.explanations.local.explain_factors`): the same served log-odds as ``predict_proba``,
    and the interval from the matrix already preprocessed for the explanation when the model can. A
    patient with a genotype no-call gets the risk averaged over the genotypes and the interval from the
    smallest to the largest genotype-specific bound (:mod:`rashrisk.explanations.no_call`)."""

    risk = expit(attributions.model_logit)  # = predict_proba: the same served log-odds, transformed once
    from_matrix = getattr(model, "interval_from_matrix", None)
    if attributions.matrix is not None and from_matrix is not None:
        low, high = from_matrix(attributions.matrix, attributions.model_logit)  # no second preprocessing
    else:
        low, high = model.predict_interval(X)
    return apply_averages(attributions.no_calls, risk, low, high)


def score_frame(model, frame, *, extra_warnings: list[list[str]] | None = None) -> pd.DataFrame:
    """Scored rows (one per patient of ``frame.X``) with the output columns."""

    X = frame.X
    n = len(X)
    statements = [np.full(n, "", dtype=object) for _ in range(3)]
    if n:
        contributions, attributions = explain_factors(model, X)
        found = top_factor_columns(model, X, contributions, 3)
        statements[: len(found)] = found
        risk, low, high = served_risk(model, X, attributions)
    else:
        risk = low = high = np.zeros(0)
    used = used_inputs(model, X.columns)
    checks = patient_warnings(frame.provenance.reindex(X.index), X, model, used)
    extra = extra_warnings or [[] for _ in range(n)]
    baseline = model.card.baseline_risk
    out = pd.DataFrame({
        "patient_id": X.index.astype(str), "status": np.full(n, "scored", dtype=object),
        "reason": np.full(n, "", dtype=object), "risk": risk, "risk_low": low, "risk_high": high,
        "band": model.band(risk) if n else np.array([], dtype=object),
        "baseline_risk": np.full(n, np.nan if baseline is None else float(baseline)),
        "factor_1": statements[0], "factor_2": statements[1], "factor_3": statements[2],
        "warnings": [WARNING_SEPARATOR.join(a + b) for a, b in zip(extra, checks)],
        "model": np.full(n, model_label(model), dtype=object),
        "simulated_data": np.full(n, is_simulated(model), dtype=bool),
    }, columns=OUTPUT_COLUMNS)
    return out[OUTPUT_COLUMNS]


def loader_warnings(scoring_input, frame, stage: str) -> list[list[str]]:
    """Per patient of ``frame.X``: the cohort loader's warnings on the patient's own rows (patients
    row; at the tdm stage also the TDM row of the landmark sample), each naming file, line, value, rule."""
    index = frame.X.index
    sample_warnings = tdm_row_warnings(scoring_input.cohort, frame.landmark_samples) if stage == "tdm" else {}
    return [[f"input warning: {m}" for m in scoring_input.warnings.get(pid, []) + sample_warnings.get(pid, [])]
            for pid in index.astype(str)]


@dataclasses.dataclass(frozen=True)
class CohortCallRates:
    """Call rates of the genotype predictors over a whole cohort when the patients being scored are one
    part of it (a partition, :mod:`rashrisk.scale`): ``rates`` is a
    :func:`~rashrisk.contract.genotypes.predictor_call_rates` table, ``n_patients`` the cohort's accepted
    patients and ``name`` its name (the warnings then read as for the cohort scored in one piece)."""

    name: str
    n_patients: int
    rates: pd.DataFrame


def call_rate_warnings(cohort, frame, model, *, minimum: float = MIN_PREDICTOR_CALL_RATE,
                       cohort_rates: CohortCallRates | None = None) -> list[list[str]]:
    """Per patient of ``frame.X``: when a genotype predictor of the model is called in fewer than
    ``minimum`` of the cohort's patients (a cohort of at least :data:`MIN_PATIENTS_FOR_CALL_RATE`), a loud warning (:class:`LowCallRateWarning`) and, for each
    patient with that genotype missing, a reason naming the cohort's call rate. ``cohort_rates``: the
    rates of the whole cohort ``cohort`` is a part of (default: ``cohort``'s own)."""
    out = [[] for _ in range(len(frame.X))]
    n_patients = cohort.n_patients if cohort_rates is None else cohort_rates.n_patients
    if n_patients < MIN_PATIENTS_FOR_CALL_RATE:  # one patient's no-call is warned as a no-call
        return out
    rsids = list(model.card.genotype_coding.genotypes)
    if not rsids:
        return out
    rates = predictor_call_rates(cohort, rsids) if cohort_rates is None else cohort_rates.rates
    name = None if cohort_rates is None else cohort_rates.name
    for row in rates.itertuples(index=False):
        rsid, n, rate = row.rsid, row.n_patients, row.call_rate
        if n and rate >= minimum:
            continue
        message = low_call_rate_messages(cohort, [rsid], minimum=minimum, rates=rates[rates["rsid"] == rsid],
                                         name=name)[0]
        warnings.warn(message + "; the model imputes this genotype for every patient without a call",
                      LowCallRateWarning, stacklevel=3)
        column = f"{rsid}_alt_count"
        if column not in frame.X.columns:
            continue
        shown = f"{rate:.2f}" if n else "no patient"
        for i in np.flatnonzero(frame.X[column].isna().to_numpy()):
            out[i].append(f"genotype {rsid} imputed: not called for this patient, and called in too few of the "
                          f"cohort's patients ({shown} < {minimum:.2f}): the genotypes probably did not load")
    return out


def exclusion_reason(cohort, pid: str, reason: str, landmark, *, tdm_rows: dict | None = None) -> str:
    """A landmark exclusion with this patient's own evidence: without a sample in the window, which of
    the patient's TDM rows were rejected and for what, and the days of its accepted samples.
    ``tdm_rows``: ``positions_by_id`` of ``cohort.tdm``'s patient ids, when asking for many patients."""
    if reason != NO_SAMPLE_IN_WINDOW:
        return reason
    parts = [reason + (f" (days {landmark[0]:g}-{landmark[1]:g} of treatment)" if landmark else "")]
    problems = tdm_row_problems(cohort, pid)
    if problems:
        parts.append(f"{len(problems)} TDM row(s) of this patient rejected: " + "; ".join(problems))
    if tdm_rows is None:
        tdm_rows = positions_by_id(cohort.tdm["patient_id"].astype(str))
    days = cohort.tdm["day_on_treatment"].to_numpy()[tdm_rows.get(pid, NO_POSITIONS)]
    if len(days):
        parts.append("accepted sample(s) on day(s) " + ", ".join(f"{d:.1f}" for d in days) + ", outside the window")
    elif not problems:
        parts.append("no TDM row for this patient")
    return "; ".join(parts)


def not_scored_rows(model, reasons: dict[str, str]) -> pd.DataFrame:
    n = len(reasons)
    columns = {"patient_id": list(reasons), "status": np.full(n, "not_scored", dtype=object),
               "reason": list(reasons.values())}
    for column in OUTPUT_COLUMNS:  # typed arrays: an empty table keeps the columns' dtypes
        if column not in columns:
            columns[column] = (np.full(n, np.nan) if column in ("risk", "risk_low", "risk_high", "baseline_risk")
                               else np.full(n, "", dtype=object))
    columns["model"] = np.full(n, model_label(model), dtype=object)
    columns["simulated_data"] = np.full(n, is_simulated(model), dtype=bool)
    return pd.DataFrame(columns, columns=OUTPUT_COLUMNS)  # one frame, not one insertion per column


def not_scored_reasons(scoring_input, frame) -> dict[str, str]:
    """Patient id -> why it is not in ``frame.X`` (its model frame), for every input patient that is not:
    the loader's rejection, the landmark exclusion with the patient's own evidence, or 'not in the model
    frame'. Used by ``score_input`` and by the explanation endpoint of the service."""
    cohort = scoring_input.cohort
    in_frame = set(frame.X.index.astype(str))
    reasons = dict(scoring_input.rejected)
    tdm_rows = positions_by_id(cohort.tdm["patient_id"].astype(str)) if len(frame.excluded) else None
    for pid, reason in frame.excluded[["patient_id", "reason"]].itertuples(index=False, name=None):
        reasons.setdefault(str(pid), "excluded: " + exclusion_reason(cohort, str(pid), reason, frame.landmark,
                                                                      tdm_rows=tdm_rows))
    for pid in scoring_input.patient_ids:
        if pid not in reasons and pid not in in_frame:
            reasons[pid] = "not in the model frame"
    return {k: v for k, v in reasons.items() if k not in in_frame}


def score_input(scoring_input, stage: str, model, *, cohort_rates: CohortCallRates | None = None) -> pd.DataFrame:
    """Score every patient of a :class:`~rashrisk.scoring.inputs.ScoringInput`, in input order.
    ``cohort_rates``: see :func:`call_rate_warnings` (a partition of a larger cohort)."""

    if model.stage != stage:
        raise RashriskError(f"--stage {stage} but the model is {model.name} (stage {model.stage})")
    cohort = scoring_input.cohort
    frame, pk_model = build_frame(cohort, stage, model)
    domain = pk_domain_warnings(cohort, frame.X.index, pk_model)
    loaded = loader_warnings(scoring_input, frame, stage)
    call_rate = call_rate_warnings(cohort, frame, model, cohort_rates=cohort_rates)
    samples = pk_sample_warnings(frame)
    extra = [a + b + c + d for a, b, c, d in zip(loaded, call_rate, domain, samples)]
    scored = score_frame(model, frame, extra_warnings=extra)
    reasons = not_scored_reasons(scoring_input, frame)
    if not reasons and scored["patient_id"].tolist() == list(scoring_input.patient_ids):
        return scored.reset_index(drop=True)  # every patient scored, in input order: nothing to merge or sort
    return in_input_order(pd.concat([scored, not_scored_rows(model, reasons)], ignore_index=True),
                          scoring_input.patient_ids)


def in_input_order(rows: pd.DataFrame, patient_ids: list[str]) -> pd.DataFrame:
    """Output rows sorted as the input listed the patients (stable; an unknown id last)."""
    order = {pid: i for i, pid in enumerate(patient_ids)}
    rows = rows.assign(_order=rows["patient_id"].map(order).fillna(len(order)))
    return rows.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)
