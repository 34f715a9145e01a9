"""Genotype quality control: call rate, allele frequency against a reference, Hardy-Weinberg.

Problems are flagged as warning findings (file = the genotype file, column = the rsID), never
fixed: a flagged variant keeps its calls. The Hardy-Weinberg test is the exact test of
Wigginton, Cutler and Abecasis (Am J Hum Genet 2005;76:887-893), the same algorithm PLINK uses,
without the mid-p adjustment.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from rashrisk._records import frame_records
from rashrisk.findings import Finding

HWE_P_THRESHOLD = 1e-4
CALL_RATE_THRESHOLD = 0.95  # below: a QC warning for any catalogue variant
# A pre-specified predictor (a model's genotype) called in fewer of the cohort's patients than this is
# an error for training and a loud warning for scoring: the genotype file probably did not load for
# most patients (sample names not matching patient_id, wrong build), and imputing the rest is a guess.
MIN_PREDICTOR_CALL_RATE = 0.8
AF_DIFF_THRESHOLD = 0.10
AF_TEST_P_THRESHOLD = 0.01
REFERENCE_POPULATIONS = {"EAS": "af_eas", "EUR": "af_eur"}
_QC_CATALOGUE_COLUMNS = ("rsid", "gene", "alt", "af_source", *REFERENCE_POPULATIONS.values())


def hwe_exact_p(n_hom_ref: int, n_het: int, n_hom_alt: int) -> float:
    """Exact Hardy-Weinberg p-value for genotype counts (Wigginton et al. 2005).

    The p-value is the summed probability, under HWE given the allele counts, of every
    heterozygote count no more likely than the observed one. 1.0 when nothing is called.
    """
    counts = (n_hom_ref, n_het, n_hom_alt)
    if any(int(c) != c or c < 0 for c in counts):
        raise ValueError(f"genotype counts {counts}: expected non-negative integers")
    n_hom_ref, n_het, n_hom_alt = (int(c) for c in counts)
    n = n_hom_ref + n_het + n_hom_alt
    if n == 0:
        return 1.0
    n_hom_rare = min(n_hom_ref, n_hom_alt)
    rare = 2 * n_hom_rare + n_het  # copies of the rarer allele
    # Probabilities (up to a constant) of every heterozygote count with the parity of `rare`, by
    # the paper's recurrence between neighbouring counts h and h + 2, starting at the mode `mid`.
    hets = np.arange(rare % 2, rare + 1, 2, dtype=float)
    mid = int(rare * (2 * n - rare) / (2 * n))
    if (mid % 2) != (rare % 2):
        mid += 1
    i_mid = (mid - rare % 2) // 2
    hom_r = (rare - hets) / 2
    hom_c = n - hets - hom_r
    # ratio P(h + 2) / P(h) for each h but the last
    up = 4.0 * hom_r[:-1] * hom_c[:-1] / ((hets[:-1] + 2.0) * (hets[:-1] + 1.0))
    probs = np.empty_like(hets)
    probs[i_mid] = 1.0
    probs[i_mid + 1:] = np.cumprod(up[i_mid:])
    probs[:i_mid] = np.cumprod(1.0 / up[:i_mid][::-1])[::-1]
    probs /= probs.sum()
    observed = probs[(n_het - rare % 2) // 2]
    p = float(probs[probs <= observed * (1 + 1e-9)].sum())
    return min(1.0, p)


def _reference(catalogue_row, ancestry: str | None) -> tuple[float, str]:
    """(reference alt frequency or NaN, why there is no comparison or the population used)."""
    if ancestry is None or (isinstance(ancestry, float) and math.isnan(ancestry)):
        return math.nan, "no comparison: cohort ancestry unknown"
    key = str(ancestry).strip().upper()
    if key not in REFERENCE_POPULATIONS:
        return math.nan, f"no comparison: no reference frequency for ancestry {key!r} (only EAS, EUR)"
    value = catalogue_row.get(REFERENCE_POPULATIONS[key])
    if value is None or pd.isna(value):
        return math.nan, f"no comparison: catalogue has no verified {key} frequency for this variant"
    return float(value), f"compared with {key} reference ({catalogue_row.get('af_source', '')})"


def genotype_qc(
    genotypes: pd.DataFrame,
    catalogue: pd.DataFrame,
    ancestry: str | None,
    *,
    file: str = "genotypes",
    hwe_p_threshold: float = HWE_P_THRESHOLD,
    call_rate_threshold: float = CALL_RATE_THRESHOLD,
    af_diff_threshold: float = AF_DIFF_THRESHOLD,
) -> tuple[pd.DataFrame, list[Finding]]:
    """One QC row per catalogue variant and the warnings for flagged variants.

    ``genotypes`` is the long table (patient_id, rsid, ref_count, alt_count, called). The allele
    frequency is flagged when |observed - reference| > ``af_diff_threshold`` and a two-sided
    binomial test of the observed alt-allele count against the reference gives p < 0.01.
    """
    from scipy.stats import binomtest

    rows = []
    findings: list[Finding] = []
    rsid_codes = pd.Index(catalogue["rsid"].astype(str)).get_indexer(genotypes["rsid"].astype(str))
    is_called = genotypes["called"].to_numpy(dtype=bool)
    alt_all = genotypes["alt_count"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    # rows as dicts of the columns used (the positions are nullable Int64, which frame_records leaves to pandas)
    variants = frame_records(catalogue[[c for c in _QC_CATALOGUE_COLUMNS if c in catalogue.columns]])
    for v, variant in enumerate(variants):
        rsid = variant["rsid"]
        of_variant = rsid_codes == v
        n_patients = int(of_variant.sum())
        alt = alt_all[of_variant & is_called].astype(int)
        n_called = len(alt)
        n_hom_ref, n_het, n_hom_alt = int((alt == 0).sum()), int((alt == 1).sum()), int((alt == 2).sum())
        call_rate = n_called / n_patients if n_patients else math.nan
        alt_freq = (n_het + 2 * n_hom_alt) / (2 * n_called) if n_called else math.nan
        ref_freq, comparison = _reference(variant, ancestry)
        diff = alt_freq - ref_freq if not (math.isnan(alt_freq) or math.isnan(ref_freq)) else math.nan
        af_p = math.nan
        if not math.isnan(diff):
            af_p = binomtest(n_het + 2 * n_hom_alt, 2 * n_called, ref_freq).pvalue
        elif n_called == 0 and not math.isnan(ref_freq):
            comparison = "no comparison: no called genotypes"
        af_flag = bool(not math.isnan(diff) and abs(diff) > af_diff_threshold and af_p < AF_TEST_P_THRESHOLD)
        hwe_p = hwe_exact_p(n_hom_ref, n_het, n_hom_alt) if n_called else math.nan
        hwe_flag = bool(n_called and hwe_p < hwe_p_threshold)
        call_rate_flag = bool(n_patients and call_rate < call_rate_threshold)
        rows.append({
            "rsid": rsid, "gene": variant["gene"], "n_patients": n_patients, "n_called": n_called,
            "call_rate": call_rate, "n_hom_ref": n_hom_ref, "n_het": n_het, "n_hom_alt": n_hom_alt,
            "alt_freq_observed": alt_freq, "alt_freq_reference": ref_freq, "alt_freq_diff": diff,
            "af_test_p": af_p, "af_comparison": comparison, "af_flag": af_flag,
            "hwe_p": hwe_p, "hwe_flag": hwe_flag, "call_rate_flag": call_rate_flag,
        })
        def warn(rule: str, count: int, message: str) -> None:
            findings.append(Finding(level="warning", file=file, column=rsid, lines=[], rule=rule, count=count,
                                    message=f"{file}, {rsid}: {message}"))

        if call_rate_flag:
            warn("genotype.call_rate", n_patients - n_called,
                 f"call rate {call_rate:.3f} ({n_called}/{n_patients}) is below {call_rate_threshold:.2f}; "
                 "no-calls kept as missing")
        if af_flag:
            warn("genotype.allele_frequency", n_called,
                 f"{variant['alt']} allele frequency {alt_freq:.3f} differs from the {str(ancestry).upper()} "
                 f"reference {ref_freq:.3f} by {diff:+.3f} (binomial p = {af_p:.2g}); check strand, build and "
                 "sample identity")
        if hwe_flag:
            warn("genotype.hwe", n_called,
                 f"Hardy-Weinberg exact p = {hwe_p:.2g} < {hwe_p_threshold:g} (genotypes "
                 f"{n_hom_ref}/{n_het}/{n_hom_alt} hom-ref/het/hom-alt); check genotyping")
    return pd.DataFrame(rows), findings


class LowCallRateWarning(UserWarning):
    """A model's genotype predictor was called in too few of the scored cohort's patients."""


def call_rates(genotypes: pd.DataFrame, rsids) -> dict[str, tuple[int, int]]:
    """rsid -> (patients called, patients) in the long genotype table (absent rsid: (0, 0))."""
    out = {}
    ids = genotypes["rsid"].astype(str).to_numpy()
    called = genotypes["called"].to_numpy(dtype=bool)
    for rsid in rsids:
        of = ids == str(rsid)
        out[str(rsid)] = (int(called[of].sum()), int(of.sum()))
    return out
