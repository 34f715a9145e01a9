"""Cohort contract v1: the declarative schema and the loader built on it.

schema    files, columns, types, units, limits and cross-file rules as data
rules     the one engine applying them (vectorised) and grouping violations into findings
parse     raw text -> typed columns
readers   CSV / Parquet files -> raw text tables (CohortError when a file cannot be read at all)
frames    DataFrames -> raw text tables; ``cohort_from_frames`` (``Cohort.from_frames``)
text      typed values (Parquet, DataFrames) as the text a CSV would hold
checking  one table through the checks: FileReport, required columns, rules, one record per row
pipeline  the tables of one cohort in contract order -> Cohort (shared by folders and DataFrames)
derive    derived columns (bsa_m2, concentration_ng_ml, hours_after_dose, ...) and canonical dtypes
genotypes the genotypes (VCF via rashrisk.genotype, or the long table) and genotype QC
loader    ``load_cohort(path, *, build=None) -> Cohort``: a folder's files -> pipeline
model_inputs ``check_model_frame(X)``: the contract's rules on a model frame (predict_proba, pyfunc)
summary   the validation report as a JSON-ready dict (``rashrisk validate``)
docs      ``docs/data-contract.md`` generated from the schema
cohort    the ``Cohort`` / ``LoadReport`` dataclasses (``Finding`` / ``FileReport``: rashrisk.findings)
"""
