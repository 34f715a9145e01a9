"""The MAP fit's sample arrays built with numpy on the columns equal those of the previous
implementation (a frame copied, columns assigned, sorted; kept here as the reference): the same
padded arrays, counts, current doses, sample table and error messages, on fuzzed sample tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rashrisk.errors import ModelError
from rashrisk.pk.map import STEADY_STATE_AFTER_DAYS, _layout, _pad, _REQUIRED, _sample_arrays


def reference_sample_arrays(samples: pd.DataFrame, patient_ids: list, default_loq_ng_ml: float):
    """Pad samples into (n_patients, max_samples) arrays."""
    missing = [c for c in _REQUIRED if c not in samples.columns]
    if missing:
        raise ModelError(f"map_estimate: samples lack column(s) {', '.join(missing)}; expected {', '.join(_REQUIRED)}")
    s = samples.copy()
    s["patient_id"] = s["patient_id"].astype(str)
    unknown = sorted(set(s["patient_id"]) - set(patient_ids))
    if unknown:
        raise ModelError(f"map_estimate: samples for patient_id {', '.join(unknown[:5])} that have no covariate row")
    for col in ("concentration_ng_ml", "hours_after_dose", "dose_mg"):
        s[col] = pd.to_numeric(s[col], errors="coerce")
    bad = s[s["hours_after_dose"].isna() | (s["hours_after_dose"] < 0) | s["dose_mg"].isna() | (s["dose_mg"] <= 0) | (s["concentration_ng_ml"] < 0)]
    if len(bad):
        row = bad.iloc[0]
        raise ModelError(
            f"map_estimate: sample of patient {row['patient_id']} has hours_after_dose={row['hours_after_dose']:g}, "
            f"dose_mg={row['dose_mg']:g}, concentration_ng_ml={row['concentration_ng_ml']:g}; expected hours_after_dose >= 0, "
            "dose_mg > 0 and concentration_ng_ml >= 0"
        )
    s = s[s["concentration_ng_ml"].notna()]
    conc = s["concentration_ng_ml"].to_numpy(dtype=float)
    flagged = s["below_loq"].astype(object).eq(True).to_numpy(dtype=bool) if "below_loq" in s.columns else False
    blq = (conc == 0) | flagged
    s["log_y"] = np.log(np.where(blq, np.where(conc > 0, conc, default_loq_ng_ml), conc))
    s["censored"] = blq
    day = pd.to_numeric(s["day_on_treatment"], errors="coerce").to_numpy(dtype=float) if "day_on_treatment" in s.columns else np.full(len(s), np.nan)
    t = s["hours_after_dose"].to_numpy(dtype=float)
    early = np.isfinite(day) & (day < STEADY_STATE_AFTER_DAYS)
    s["n_doses"] = np.where(early, np.maximum(1.0, np.floor((24.0 * np.where(early, day, 0.0) - t) / 24.0) + 1.0), np.inf)
    s["order"] = np.where(np.isfinite(day), day, 0.0)
    pos = {pid: i for i, pid in enumerate(patient_ids)}
    s["row"] = s["patient_id"].map(pos)
    s = s.sort_values(["row", "order"], kind="stable")
    rows = s["row"].to_numpy(dtype=int)
    counts, col, shape = _layout(rows, len(patient_ids))
    t_start = pd.to_numeric(s["hours_from_start"], errors="coerce").to_numpy(dtype=float) if "hours_from_start" in s.columns else np.nan
    arrays = {
        "log_y": _pad(s["log_y"].to_numpy(), rows, col, shape),
        "censored": _pad(s["censored"].to_numpy(dtype=bool), rows, col, shape, False),
        "t": _pad(s["hours_after_dose"].to_numpy(dtype=float), rows, col, shape, 24.0),
        "dose": _pad(s["dose_mg"].to_numpy(dtype=float), rows, col, shape, 1.0),
        "n_doses": _pad(s["n_doses"].to_numpy(dtype=float), rows, col, shape, np.inf),
        "t_start": _pad(t_start, rows, col, shape, np.nan),
    }
    mask = _pad(True, rows, col, shape, False)
    last_dose = np.full(len(patient_ids), np.nan)
    has = counts > 0
    last_dose[has] = s["dose_mg"].to_numpy(dtype=float)[(np.cumsum(counts) - 1)[has]]  # latest sample per patient
    meta = pd.DataFrame({"patient_id": s["patient_id"].to_numpy(), "concentration_ng_ml": s["concentration_ng_ml"].to_numpy(dtype=float),
                         "below_loq": s["censored"].to_numpy(dtype=bool), "hours_after_dose": s["hours_after_dose"].to_numpy(dtype=float),
                         "row": rows, "col": col})
    return arrays, mask, counts, last_dose, meta


IDS = ["P1", "P2", "P3"]
NUMBER = st.sampled_from([np.nan, 0.0, -1.0, 0.5, 2.0, 24.0, 400.0, 2150.0, 1e-3])


@st.composite
def sample_tables(draw):
    n = draw(st.integers(0, 5))
    table = {"patient_id": [draw(st.sampled_from(IDS)) for _ in range(n)],
             "concentration_ng_ml": [draw(NUMBER) for _ in range(n)],
             "hours_after_dose": [draw(NUMBER) for _ in range(n)],
             "dose_mg": [draw(st.sampled_from([400.0, 600.0, np.nan, 0.0])) for _ in range(n)]}
    if draw(st.booleans()):
        table["day_on_treatment"] = [draw(st.sampled_from([np.nan, 1.0, 4.9, 5.0, 14.0, 14.0, 30.2])) for _ in range(n)]
    if draw(st.booleans()):
        table["below_loq"] = pd.array([draw(st.sampled_from([True, False, None])) for _ in range(n)], dtype="boolean")
    if draw(st.booleans()):
        table["hours_from_start"] = [draw(st.sampled_from([0.0, 24.0, 336.0])) for _ in range(n)]
    frame = pd.DataFrame(table)
    if draw(st.booleans()):  # numbers as text, as a caller may pass them
        frame["dose_mg"] = frame["dose_mg"].astype(object)
    return frame


def _run(function, samples):
    try:
        return function(samples, IDS, 10.0)
    except ModelError as exc:
        return str(exc)


def assert_same(a, b) -> None:
    if isinstance(a, str) or isinstance(b, str):
        assert a == b
        return
    arrays_a, mask_a, counts_a, dose_a, meta_a = a
    arrays_b, mask_b, counts_b, dose_b, meta_b = b
    assert list(arrays_a) == list(arrays_b)
    for key in arrays_a:
        assert arrays_a[key].dtype == arrays_b[key].dtype, key
        np.testing.assert_array_equal(arrays_a[key], arrays_b[key], err_msg=key)
    np.testing.assert_array_equal(mask_a, mask_b)
    np.testing.assert_array_equal(counts_a, counts_b)
    np.testing.assert_array_equal(dose_a, dose_b)
    pd.testing.assert_frame_equal(meta_a, meta_b, check_exact=True)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(samples=sample_tables())
def test_sample_arrays_equal_the_previous_implementation(samples):
    with np.errstate(divide="ignore", invalid="ignore"):
        assert_same(_run(_sample_arrays, samples), _run(reference_sample_arrays, samples))


def test_the_comparison_sees_a_changed_order():
    samples = pd.DataFrame({"patient_id": ["P2", "P1"], "concentration_ng_ml": [1000.0, 2000.0],
                            "hours_after_dose": [24.0, 24.0], "dose_mg": [400.0, 400.0]})
    result = _run(_sample_arrays, samples)
    assert_same(result, _run(reference_sample_arrays, samples))
    changed = _run(_sample_arrays, samples.iloc[::-1].reset_index(drop=True).assign(patient_id=["P2", "P1"]))
    try:
        assert_same(result, changed)
    except AssertionError:
        return
    raise AssertionError("a different sample order was not seen")
