"""The variant catalogue: the pharmacogenetic variants rashrisk reads, shipped as package data.

One row per variant, in catalogue order. Alleles are GRCh38 forward-strand letters as they appear
in a VCF (``ref`` is the GRCh38 reference base); ``af_eas`` / ``af_eur`` are frequencies of
``alt``. A missing position or frequency means it could not be verified (see docs/genotypes.md):
such a variant is matched by rsID only, and QC makes no frequency comparison for it.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import pandas as pd

CATALOGUE_FILE = "variants.csv"

CATALOGUE_COLUMNS = (
    "rsid",
    "gene",
    "chrom",
    "pos_grch37",
    "pos_grch38",
    "ref",
    "alt",
    "af_eas",
    "af_eur",
    "af_source",
    "notes",
)

BUILDS = ("GRCh37", "GRCh38")


@lru_cache(maxsize=1)
def _read_catalogue() -> pd.DataFrame:
    text = resources.files("rashrisk.genotype").joinpath(CATALOGUE_FILE).read_text(encoding="utf-8")
    from io import StringIO

    table = pd.read_csv(
        StringIO(text),
        dtype={"rsid": str, "gene": str, "chrom": str, "ref": str, "alt": str, "af_source": str,
               "notes": str, "coordinates_verified": str},
        keep_default_na=False,
        na_values={"pos_grch37": [""], "pos_grch38": [""], "af_eas": [""], "af_eur": [""]},
    )
    for column in ("pos_grch37", "pos_grch38"):
        table[column] = table[column].astype("Int64")
    for column in ("af_eas", "af_eur"):
        table[column] = table[column].astype(float)
    return table


def load_catalogue() -> pd.DataFrame:
    """Return the variant catalogue (a fresh copy; callers may modify it)."""
    return _read_catalogue().copy()


# catalogue frequency columns: the ancestry group (the cohort contract's code) each one describes
FREQUENCY_COLUMNS = {"EAS": "af_eas", "EUR": "af_eur"}


def reference_allele_frequencies(rsids=None) -> dict:
    """{rsid: {"alt": ALT letter, "by_ancestry": {ancestry: ALT-allele frequency}, "source": text}} from the
    catalogue, for ``rsids`` (None: every variant); an ancestry without a shipped frequency is left out."""
    table = _read_catalogue()
    if rsids is not None:
        table = table[table["rsid"].isin(list(rsids))]
    out = {}
    for row in table.itertuples(index=False):
        found = {group: float(getattr(row, column)) for group, column in FREQUENCY_COLUMNS.items()
                 if not pd.isna(getattr(row, column))}
        out[row.rsid] = {"alt": row.alt, "by_ancestry": found, "source": row.af_source}
    return out


def position_column(build: str) -> str:
    """Catalogue column holding the 1-based position for ``build`` ('GRCh37' or 'GRCh38')."""
    if build not in BUILDS:
        raise ValueError(f"genome build {build!r}: expected one of {', '.join(BUILDS)}")
    return "pos_grch37" if build == "GRCh37" else "pos_grch38"
