import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rashrisk.genotype.catalogue import load_catalogue
from rashrisk.genotype.table import allele_count_wide, complete_genotype_table, genotype_label
from rashrisk.genotype.vcf import read_vcf

from .vcf_text import vcf_text, write_vcf

CATALOGUE = load_catalogue()


def test_catalogue_has_the_required_variants_and_forward_strand_alleles():
    required = {"rs4129267", "rs2228145", "rs7529229", "rs2231142", "rs1045642", "rs776746"}
    assert required <= set(CATALOGUE["rsid"])
    assert set(CATALOGUE["ref"]) | set(CATALOGUE["alt"]) <= set("ACGT")
    assert not CATALOGUE["chrom"].str.startswith("chr").any()
    row = CATALOGUE.set_index("rsid")
    assert (row.loc["rs776746", "ref"], row.loc["rs776746", "alt"]) == ("T", "C")
    assert (row.loc["rs1045642", "ref"], row.loc["rs1045642", "alt"]) == ("A", "G")
    assert int(row.loc["rs2231142", "pos_grch38"]) == 88131171
    for column in ("af_eas", "af_eur"):
        values = CATALOGUE[column].dropna()
        assert ((values >= 0) & (values <= 1)).all()


def test_load_catalogue_returns_a_copy():
    first = load_catalogue()
    first.loc[0, "ref"] = "X"
    assert load_catalogue().loc[0, "ref"] != "X"


def calls_frame(rows):
    return pd.DataFrame(rows, columns=["patient_id", "rsid", "allele1", "allele2"])


def test_complete_table_fills_absent_pairs_with_no_calls():
    calls = calls_frame([("a", "rs4129267", "C", "T"), ("b", "rs776746", "c", "c"), ("a", "rs776746", None, None)])
    table = complete_genotype_table(calls, ["a", "b"], CATALOGUE)
    assert len(table) == 2 * len(CATALOGUE)
    indexed = table.set_index(["patient_id", "rsid"])
    assert indexed.loc[("a", "rs4129267"), "alt_count"] == 1
    assert indexed.loc[("b", "rs776746"), "ref_count"] == 0
    assert indexed.loc[("b", "rs776746"), "alt_count"] == 2
    assert indexed.loc[("a", "rs776746"), "alt_count"] is pd.NA
    assert not indexed.loc[("b", "rs4129267"), "called"]
    assert str(table["ref_count"].dtype) == "Int8"


def test_half_missing_call_is_a_no_call():
    table = complete_genotype_table(calls_frame([("a", "rs4129267", "C", None)]), ["a"], CATALOGUE)
    assert not table["called"].any()


def test_complete_table_rejects_duplicates_and_foreign_alleles():
    with pytest.raises(ValueError, match="more than one row"):
        complete_genotype_table(
            calls_frame([("a", "rs4129267", "C", "T"), ("a", "rs4129267", "C", "C")]), ["a"], CATALOGUE
        )
    with pytest.raises(ValueError, match="neither ref nor alt"):
        complete_genotype_table(calls_frame([("a", "rs4129267", "G", "A")]), ["a"], CATALOGUE)


def test_wide_counts_are_float_with_nan_for_no_calls():
    calls = calls_frame([("a", "rs4129267", "T", "T"), ("b", "rs4129267", "C", "T")])
    wide = allele_count_wide(complete_genotype_table(calls, ["a", "b", "c"], CATALOGUE))
    assert list(wide.index) == ["a", "b", "c"]
    assert list(wide.columns) == [f"{r}_alt_count" for r in CATALOGUE["rsid"]]
    assert wide.loc["a", "rs4129267_alt_count"] == 2.0
    assert math.isnan(wide.loc["c", "rs4129267_alt_count"])
    assert wide.dtypes.eq(float).all()
    ref = allele_count_wide(complete_genotype_table(calls, ["a", "b"], CATALOGUE), allele="ref")
    assert ref.loc["b", "rs4129267_ref_count"] == 1.0
    with pytest.raises(ValueError):
        allele_count_wide(complete_genotype_table(calls, ["a"], CATALOGUE), allele="risk")


@pytest.mark.parametrize(
    ("ref_count", "alt_count", "label"), [(2, 0, "C/C"), (1, 1, "C/T"), (0, 2, "T/T"), (pd.NA, pd.NA, "no call")]
)
def test_genotype_label(ref_count, alt_count, label):
    assert genotype_label(ref_count, alt_count, "C", "T") == label


def test_genotype_label_rejects_impossible_counts():
    with pytest.raises(ValueError):
        genotype_label(2, 1, "C", "T")


# --- the no-call invariant: a no-call is never counted as the reference, anywhere -----------------

GENOTYPE = st.one_of(st.none(), st.tuples(st.sampled_from("CT"), st.sampled_from("CT")))


@settings(max_examples=60, deadline=None)
@given(genotypes=st.lists(GENOTYPE, min_size=1, max_size=12))
def test_no_call_never_becomes_reference_in_tables(genotypes):
    patients = [f"p{i}" for i in range(len(genotypes))]
    rows = [(p, "rs4129267", g[0], g[1]) for p, g in zip(patients, genotypes) if g is not None]
    table = complete_genotype_table(calls_frame(rows), patients, CATALOGUE)
    wide = allele_count_wide(table)
    for p, g in zip(patients, genotypes):
        row = table[(table.patient_id == p) & (table.rsid == "rs4129267")].iloc[0]
        if g is None:
            assert not row.called and row.ref_count is pd.NA
            assert np.isnan(wide.loc[p, "rs4129267_alt_count"])
        else:
            assert row.ref_count == g.count("C") and row.alt_count == g.count("T")
    # every other variant had no call at all
    assert not table[table.rsid != "rs4129267"]["called"].any()


VCF_GT = st.sampled_from(["0/0", "0/1", "1|1", "./.", ".", ".|.", "0", "./1", "0/2", "1/1/1"])


@settings(max_examples=40, deadline=None)
@given(gts=st.lists(VCF_GT, min_size=1, max_size=8), drop_line=st.booleans())
def test_no_call_never_becomes_reference_from_vcf(tmp_path_factory, gts, drop_line):
    patients = [f"s{i}" for i in range(len(gts))]
    rows = [] if drop_line else ["chr1 154453788 . C T . PASS . " + " ".join(["GT", *gts])]
    path = write_vcf(tmp_path_factory.mktemp("nc") / "g.vcf", vcf_text(rows, patients))
    table = read_vcf(path, patients).genotypes
    got = table[table.rsid == "rs4129267"].set_index("patient_id")
    for p, gt in zip(patients, gts):
        expected_called = not drop_line and gt in ("0/0", "0/1", "1|1")
        assert bool(got.loc[p, "called"]) == expected_called
        if not expected_called:
            assert got.loc[p, "ref_count"] is pd.NA and got.loc[p, "alt_count"] is pd.NA
