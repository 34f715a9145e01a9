"""The simulated cohort as the loader would return it (``Cohort`` tables in canonical form),
without writing and re-reading files: for repeated simulations (power, validation) only.

The written files remain the reference; a test checks that the analysis gives the same result on
these tables and on the loaded folder.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rashrisk.simulate.cohort import SimulatedCohort


def as_cohort_tables(sim: SimulatedCohort) -> dict[str, pd.DataFrame]:
    """``patients``, ``genotypes`` (long), ``tdm`` and ``outcomes`` with the loader's columns."""
    from rashrisk.genotype.catalogue import load_catalogue
    from rashrisk.simulate.writer import observed_outcomes, observed_patients, vcf_variants

    patients = observed_patients(sim)
    patients["start_date"] = pd.to_datetime(patients["start_date"])
    ids = patients["patient_id"].to_numpy()
    cat = load_catalogue()
    written = set(vcf_variants(sim.observed_genotypes.keys())["rsid"])
    parts = []
    for row in cat.itertuples(index=False):
        if row.rsid in written:
            alt = sim.observed_genotypes[row.rsid].astype(float)
            alt[alt < 0] = np.nan
        else:
            alt = np.full(len(ids), np.nan)
        alt_count = pd.array(alt, dtype="Float64").astype("Int8")
        parts.append(pd.DataFrame({
            "patient_id": ids, "rsid": row.rsid, "gene": row.gene, "ref": row.ref, "alt": row.alt,
            "ref_count": (2 - alt_count).astype("Int8"), "alt_count": alt_count, "called": ~np.isnan(alt),
        }))
    genotypes = pd.concat(parts, ignore_index=True).sort_values(["patient_id"], kind="stable").reset_index(drop=True)

    t = sim.tdm
    start = sim.patients["start_date"].to_numpy().astype("datetime64[m]")[t["patient_index"].to_numpy()]
    tdm = pd.DataFrame({
        "patient_id": t["patient_id"].to_numpy(),
        "sample_time": t["sample_time"].to_numpy(),
        "last_dose_time": t["last_dose_time"].to_numpy(),
        "dose_mg": t["dose_mg"].to_numpy(dtype=float),
        "concentration_ng_ml": _to_ng_ml(t["concentration"].to_numpy(), t["unit"].to_numpy()),
        "hours_after_dose": (t["sample_time"] - t["last_dose_time"]).dt.total_seconds().to_numpy() / 3600.0,
        "day_on_treatment": (t["sample_time"].to_numpy() - start).astype("timedelta64[s]").astype(float) / 86400.0,
    })
    outcomes = observed_outcomes(sim)
    outcomes["rash_onset_day"] = outcomes["rash_onset_day"].astype(float)
    outcomes["severe_rash"] = (outcomes["rash_max_grade"] >= 3) | ((outcomes["rash_max_grade"] == 2) & outcomes["recurrent_grade2"])
    return {"patients": patients, "genotypes": genotypes, "tdm": tdm, "outcomes": outcomes}


def _to_ng_ml(values: np.ndarray, units: np.ndarray) -> np.ndarray:
    from rashrisk.units import to_ng_per_ml

    out = np.asarray(values, dtype=float).copy()
    for unit in np.unique(units):
        sel = units == unit
        out[sel] = to_ng_per_ml(out[sel], unit)
    return out
