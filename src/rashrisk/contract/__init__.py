"""Cohort contract v1: the declarative schema and the loader built on it.

schema    files, columns, types, units, limits and cross-file rules as data
rules     the one engine applying them (vectorised) and grouping violations into findings
parse     raw text -> typed columns
readers   CSV / Parquet -> raw text tables (CohortError when a file cannot be read at all)
derive    derived columns (bsa_m2, concentration_ng_ml, hours_after_dose, ...) and canonical dtypes
genotypes the genotype file (VCF via rashrisk.genotype, or genotypes.csv) and genotype QC
loader    ``load_cohort(path, *, build=None) -> Cohort``
summary   the validation report as a JSON-ready dict (``rashrisk validate``)
docs      ``docs/data-contract.md`` generated from the schema
cohort    the ``Cohort`` / ``LoadReport`` dataclasses (``Finding`` / ``FileReport``: rashrisk.findings)
"""
