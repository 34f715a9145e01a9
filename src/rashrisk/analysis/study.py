"""The source study's analysis on any cohort, built once as a plain dict (JSON-ready).

Source: Oncologist 2025 (doi 10.1093/oncolo/oyaf176): incidence of severe rash by grade; IL6R
rs4129267 genotype counts and per-allele odds ratio (the abstract names neither the risk allele nor
the genetic model, so both are parameters); onset of grade 3 vs recurrent grade 2; troughs at onset
vs after desensitisation; Hardy-Weinberg equilibrium in controls.
"""

from __future__ import annotations

from rashrisk._json import json_safe
from rashrisk.analysis.association import association, genotype_counts, hwe_in_controls
from rashrisk.analysis.course import (
    final_dose_by_grade,
    onset_and_reescalation_samples,
    onset_by_grade,
    troughs_onset_vs_reescalation,
)
from rashrisk.analysis.incidence import _require_outcomes, incidence_table
from rashrisk.genotype.coding import risk_allele_counts

DEFAULT_RSID = "rs4129267"


def analyze_tables(patients, genotypes, tdm, outcomes, *, rsid: str = DEFAULT_RSID, risk_allele: str | None = None,
                   models=("additive", "dominant")) -> dict:
    """The full analysis from the Cohort tables (pure function; no I/O)."""
    outcomes = _require_outcomes(outcomes)
    outcomes = outcomes[outcomes["patient_id"].isin(patients["patient_id"])]
    counts, alleles = risk_allele_counts(genotypes, rsid, risk_allele)
    samples = onset_and_reescalation_samples(outcomes, tdm)
    return json_safe({
        "incidence": incidence_table(outcomes),
        "variant": alleles,
        "genotype_counts": genotype_counts(counts, alleles, outcomes),
        "association": [association(counts, outcomes, m) for m in models],
        "hwe_controls": hwe_in_controls(counts, outcomes),
        "onset_day_by_grade": onset_by_grade(outcomes),
        "final_dose_by_grade": final_dose_by_grade(samples),
        "troughs_onset_vs_reescalation": troughs_onset_vs_reescalation(samples),
    })


def analyze_cohort(cohort, **kwargs) -> dict:
    """:func:`analyze_tables` on a loaded :class:`rashrisk.contract.cohort.Cohort`."""
    result = analyze_tables(cohort.patients, cohort.genotypes, cohort.tdm, cohort.outcomes, **kwargs)
    result["cohort"] = {"name": cohort.name, "n_patients": cohort.n_patients}
    return result
