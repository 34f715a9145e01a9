"""The simulated cohort as the loader would return it (``Cohort`` tables in canonical form),
without writing and re-reading files: for repeated simulations (power, validation) only.

The written files remain the reference; a test checks that the analysis gives the same result on
these tables and on the loaded folder.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rashrisk.contract import derive
from rashrisk.contract.schema import TDM
from rashrisk.genotype.catalogue import load_catalogue
from rashrisk.simulate.cohort import SimulatedCohort
from rashrisk.simulate.writer import observed_outcomes, observed_patients, vcf_variants

# the loader's tdm columns these tables carry (derived ones computed as the loader does)
_TDM_COLUMNS = ("patient_id", "sample_time", "last_dose_time", "dose_mg", "concentration_ng_ml", "hours_after_dose",
                "day_on_treatment")


def as_cohort_tables(sim: SimulatedCohort) -> dict[str, pd.DataFrame]:
    """``patients``, ``genotypes`` (long), ``tdm`` and ``outcomes`` with the loader's columns."""
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

    tdm = tdm_table(sim)
    outcomes = observed_outcomes(sim)
    outcomes["rash_onset_day"] = outcomes["rash_onset_day"].astype(float)
    outcomes = derive.outcomes(outcomes)
    return {"patients": patients, "genotypes": genotypes, "tdm": tdm, "outcomes": outcomes}


def tdm_table(sim: SimulatedCohort) -> pd.DataFrame:
    """The ``tdm`` table alone (what the loader returns for tdm.csv, without the unit columns)."""
    t = sim.tdm
    return derive.tdm(pd.DataFrame({
        "patient_id": t["patient_id"].to_numpy(),
        "sample_time": t["sample_time"].to_numpy(),
        "last_dose_time": t["last_dose_time"].to_numpy(),
        "dose_mg": t["dose_mg"].to_numpy(dtype=float),
        "concentration": t["concentration"].to_numpy(),
        # the unit as the loader spells it (the configuration may use any accepted spelling)
        "unit": t["unit"].str.lower().map(TDM.column("unit").spellings()).to_numpy(),
    }), sim.patients.set_index("patient_id")["start_date"])[list(_TDM_COLUMNS)]
