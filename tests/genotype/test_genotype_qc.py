from math import exp, lgamma, log

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rashrisk.genotype.catalogue import load_catalogue
from rashrisk.genotype.qc import genotype_qc, hwe_exact_p
from rashrisk.genotype.table import complete_genotype_table

CATALOGUE = load_catalogue()


# hand-computed from the HWE het-count distribution P(het | n, n_rare)
@pytest.mark.parametrize(
    ("counts", "p"),
    [((1, 0, 1), 1 / 3), ((0, 2, 0), 1.0), ((2, 0, 1), 0.2), ((0, 0, 0), 1.0), ((7, 0, 0), 1.0), ((0, 1, 0), 1.0)],
)
def test_hwe_exact_known_values(counts, p):
    assert hwe_exact_p(*counts) == pytest.approx(p, rel=1e-12)


def test_hwe_is_symmetric_in_the_homozygotes_and_detects_deficits():
    assert hwe_exact_p(50, 20, 30) == pytest.approx(hwe_exact_p(30, 20, 50), rel=1e-12)
    assert hwe_exact_p(100, 0, 100) < 1e-50
    assert hwe_exact_p(25, 50, 25) > 0.5


def _brute_force_p(aa, ab, bb):
    """Direct enumeration of Levene's distribution (independent of the recurrence)."""
    n, na, nb = aa + ab + bb, 2 * aa + ab, 2 * bb + ab

    def log_prob(het):
        a, b = (na - het) // 2, (nb - het) // 2
        return (lgamma(n + 1) - lgamma(a + 1) - lgamma(het + 1) - lgamma(b + 1) + het * log(2)
                + lgamma(na + 1) + lgamma(nb + 1) - lgamma(2 * n + 1))

    probs = {h: exp(log_prob(h)) for h in range(min(na, nb) + 1) if (na - h) % 2 == 0}
    observed = probs[ab]
    return sum(p for p in probs.values() if p <= observed * (1 + 1e-9))


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 60), st.integers(0, 60), st.integers(0, 60))
def test_hwe_matches_full_enumeration(aa, ab, bb):
    if aa + ab + bb == 0:
        return
    assert hwe_exact_p(aa, ab, bb) == pytest.approx(_brute_force_p(aa, ab, bb), rel=1e-7, abs=1e-300)


def test_hwe_rejects_negative_counts():
    with pytest.raises(ValueError):
        hwe_exact_p(-1, 2, 3)


def cohort(genotypes_by_rsid, n_patients):
    """Long table from {rsid: list of (allele1, allele2) or None per patient}."""
    patients = [f"p{i}" for i in range(n_patients)]
    rows = [
        (p, rsid, g[0], g[1])
        for rsid, gts in genotypes_by_rsid.items()
        for p, g in zip(patients, gts)
        if g is not None
    ]
    calls = pd.DataFrame(rows, columns=["patient_id", "rsid", "allele1", "allele2"])
    return complete_genotype_table(calls, patients, CATALOGUE)


def qc_row(table, rsid):
    return table.set_index("rsid").loc[rsid]


def test_clean_variant_is_not_flagged_and_matches_reference():
    # rs4129267 EAS reference T = 0.38: 38 T alleles in 50 patients, roughly in HWE
    gts = [("C", "C")] * 19 + [("C", "T")] * 24 + [("T", "T")] * 7
    table, findings = genotype_qc(cohort({"rs4129267": gts}, 50), CATALOGUE, "EAS", file="genotypes.vcf")
    row = qc_row(table, "rs4129267")
    assert row.n_called == 50 and row.call_rate == 1.0
    assert row.alt_freq_observed == pytest.approx(38 / 100)
    assert row.alt_freq_reference == pytest.approx(0.38)
    assert not (row.af_flag or row.hwe_flag or row.call_rate_flag)
    assert not [f for f in findings if f.column == "rs4129267"]


def test_low_call_rate_is_flagged_not_fixed():
    gts = [("C", "T")] * 90 + [None] * 10
    table, findings = genotype_qc(cohort({"rs4129267": gts}, 100), CATALOGUE, "EUR", file="genotypes.vcf")
    row = qc_row(table, "rs4129267")
    assert row.call_rate == pytest.approx(0.9) and row.call_rate_flag
    finding = next(f for f in findings if f.rule == "genotype.call_rate" and f.column == "rs4129267")
    assert finding.level == "warning" and finding.file == "genotypes.vcf" and finding.count == 10
    assert row.n_called == 90  # kept


def test_hwe_deviation_is_flagged():
    gts = [("C", "C")] * 50 + [("T", "T")] * 50
    table, findings = genotype_qc(cohort({"rs4129267": gts}, 100), CATALOGUE, None)
    assert qc_row(table, "rs4129267").hwe_flag
    assert any(f.rule == "genotype.hwe" and f.column == "rs4129267" for f in findings)


def test_hwe_threshold_is_configurable():
    gts = [("C", "C")] * 30 + [("C", "T")] * 10 + [("T", "T")] * 10
    p = hwe_exact_p(30, 10, 10)
    strict, _ = genotype_qc(cohort({"rs4129267": gts}, 50), CATALOGUE, None, hwe_p_threshold=p * 2)
    loose, _ = genotype_qc(cohort({"rs4129267": gts}, 50), CATALOGUE, None, hwe_p_threshold=p / 2)
    assert qc_row(strict, "rs4129267").hwe_flag and not qc_row(loose, "rs4129267").hwe_flag


def test_allele_frequency_far_from_reference_is_flagged():
    # ABCG2 rs2231142 EUR reference T = 0.09; observed 0.5
    gts = [("G", "G")] * 50 + [("G", "T")] * 100 + [("T", "T")] * 50
    table, findings = genotype_qc(cohort({"rs2231142": gts}, 200), CATALOGUE, "eur")
    row = qc_row(table, "rs2231142")
    assert row.af_flag and row.alt_freq_diff == pytest.approx(0.41)
    assert any(f.rule == "genotype.allele_frequency" and f.column == "rs2231142" for f in findings)


def test_small_cohort_difference_is_not_flagged_without_evidence():
    gts = [("G", "T")] * 2 + [("G", "G")] * 3  # observed 0.2 vs 0.09 in 5 patients
    table, _ = genotype_qc(cohort({"rs2231142": gts}, 5), CATALOGUE, "EUR")
    assert not qc_row(table, "rs2231142").af_flag


@pytest.mark.parametrize(
    ("ancestry", "why"),
    [(None, "ancestry unknown"), ("AFR", "no reference frequency for ancestry 'AFR'"), ("OTH", "only EAS, EUR")],
)
def test_no_frequency_comparison_says_why(ancestry, why):
    gts = [("C", "T")] * 10
    table, findings = genotype_qc(cohort({"rs4129267": gts}, 10), CATALOGUE, ancestry)
    row = qc_row(table, "rs4129267")
    assert pd.isna(row.alt_freq_reference) and not row.af_flag
    assert why in row.af_comparison
    assert not any(f.rule == "genotype.allele_frequency" for f in findings)


def test_unverified_reference_frequency_is_not_compared():
    table, _ = genotype_qc(cohort({"rs2228145": [("A", "C")] * 10}, 10), CATALOGUE, "EAS")
    assert "no verified EAS frequency" in qc_row(table, "rs2228145").af_comparison


def test_variant_without_calls_has_no_frequency_and_a_call_rate_flag():
    table, findings = genotype_qc(cohort({}, 4), CATALOGUE, "EAS")
    row = qc_row(table, "rs776746")
    assert row.n_called == 0 and row.call_rate == 0 and row.call_rate_flag
    assert pd.isna(row.hwe_p) and pd.isna(row.alt_freq_observed)
    assert len(table) == len(CATALOGUE)
