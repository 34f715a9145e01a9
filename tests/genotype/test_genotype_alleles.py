import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rashrisk.genotype.alleles import allele_counts, parse_genotype

ALLELE = st.sampled_from("ACGT")


@given(
    a=ALLELE,
    b=ALLELE,
    sep=st.sampled_from(["/", "|", "", " / "]),
    lower=st.booleans(),
    pad_left=st.sampled_from(["", " ", "\t", "  "]),
    pad_right=st.sampled_from(["", " ", "\n"]),
)
def test_two_alleles_round_trip_in_any_accepted_spelling(a, b, sep, lower, pad_left, pad_right):
    text = f"{a}{sep}{b}"
    text = text.lower() if lower else text
    assert parse_genotype(pad_left + text + pad_right) == (a, b)


@pytest.mark.parametrize("text", ["", "   ", "./.", ".", ".|.", "NC", "nc", None, math.nan, pd.NA])
def test_no_call_spellings_are_none(text):
    assert parse_genotype(text) is None


@pytest.mark.parametrize("text", ["C", "CTA", "C/T/A", "C/X", "1/0", "C/", "N/N", "CT?", "del/ins"])
def test_anything_else_is_a_value_error_naming_the_text(text):
    with pytest.raises(ValueError, match="genotype"):
        parse_genotype(text)


def test_non_text_genotype_is_a_value_error():
    with pytest.raises(ValueError):
        parse_genotype(12)


@pytest.mark.parametrize(
    ("alleles", "expected"),
    [(("C", "C"), (2, 0)), (("C", "T"), (1, 1)), (("T", "C"), (1, 1)), (("T", "T"), (0, 2)), (None, (None, None))],
)
def test_allele_counts(alleles, expected):
    assert allele_counts(alleles, "C", "T") == expected


def test_allele_counts_never_flips_the_other_strand():
    with pytest.raises(ValueError, match="other strand"):
        allele_counts(("G", "A"), "C", "T")
    with pytest.raises(ValueError, match="neither"):
        allele_counts(("C", "A"), "C", "G")


@given(a=ALLELE, b=ALLELE)
def test_counts_sum_to_two_or_raise(a, b):
    try:
        ref_count, alt_count = allele_counts((a, b), "A", "G")
    except ValueError:
        assert {a, b} - {"A", "G"}
    else:
        assert ref_count + alt_count == 2
        assert alt_count == (a == "G") + (b == "G")
