"""A cohort the project did not generate: an independent data-generating process written the way
another hospital would export its data (used by tests/models/test_foreign_cohort.py and
bench/bench_foreign_cohort.py).

Deliberately independent of ``rashrisk.simulate`` and ``rashrisk.pk``: plain NumPy/pandas, its own
PK formula and its own outcome model. Only the variant catalogue is read (for GRCh37 positions).

What differs from the project's simulator: "GIST-0001" identifiers, a mostly European cohort,
``female``/``male`` spelled out, columns in another order plus extra site columns, height and
albumin partly missing, a bgzipped GRCh37 VCF with ``chr1`` naming, ``GT:DP`` phased calls, some
``./.``, non-catalogue variants and one catalogue variant without an rsID (matched by position),
TDM samples in ng/mL, ug/mL and nmol/L at 12-30 h after the dose on days 5-60 (some after onset,
when the dose was interrupted), and some severe rashes before the first TDM sample.

Data-generating model (true, per patient):

- clearance  cl_l_h = 9.5 (weight_kg/70)^0.6 (albumin_g_l/40)^0.5 0.88^(ABCG2 rs2231142 T count) e^eta,
  eta ~ N(0, 0.35^2); volume v_l = 230 (weight_kg/70)^0.8 e^eta_v, eta_v ~ N(0, 0.2^2); ka 0.8 /h;
  one compartment, first-order absorption, steady state, once daily.
- severe rash  logit p = INTERCEPT + ln 2.0 x (rs4129267 T count) + ln 1.8 x female
  + 1.0 x ln(true trough / 1000 ng/mL) + 0.015 (age - 60): about 7.5% severe.
- onset day of a severe rash: floor(lognormal, median 16 d, log-sd 0.8); of a non-severe rash
  (25% of the others, grade 1 or non-recurrent grade 2): floor(lognormal, median 25 d, log-sd 0.9).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

from rashrisk.genotype.catalogue import load_catalogue

IMATINIB_G_PER_MOL = 493.6
KA_PER_H = 0.8
TAU_H = 24.0
RS4129267_OR = 2.0
FEMALE_OR = 1.8
LOG_TROUGH_COEF = 1.0
AGE_COEF_PER_YEAR = 0.015
INTERCEPT = -3.69  # gives ~7.5% severe rash in this population (solved once on a 100,000-patient draw)
SEVERE_ONSET = (np.log(16.0), 0.8)  # log-median (days), log-sd
OTHER_ONSET = (np.log(25.0), 0.9)
OTHER_RASH_SHARE = 0.25
TDM_ERROR_LOG_SD = 0.15  # measurement and model error of a TDM sample (log-normal)
ANCESTRY = {"EUR": 0.82, "AFR": 0.06, "EAS": 0.04, "SAS": 0.03, "": 0.05}  # "" = not recorded
RS4129267_T_FREQ = {"EUR": 0.376, "AFR": 0.137, "EAS": 0.380, "SAS": 0.40, "": 0.35}
ABCG2_T_FREQ = {"EUR": 0.09, "AFR": 0.03, "EAS": 0.29, "SAS": 0.10, "": 0.10}
EXTRA_VARIANTS = (  # non-catalogue variants another site's panel would carry (GRCh37)
    ("chr1", 11856378, "rs1801133", "G", "A", 0.33), ("chr5", 176422093, "rs7716492", "C", "T", 0.2),
    ("chr7", 55214348, "rs10228436", "A", "G", 0.45), ("chr17", 34202380, "rs4796120", "C", "T", 0.3),
    ("chr22", 42526694, ".", "G", "A", 0.25),
)


@dataclass
class ForeignCohort:
    """The tables as written plus the generator's truth (never written to the folder)."""

    patients: pd.DataFrame
    vcf_text: str
    tdm: pd.DataFrame
    outcomes: pd.DataFrame
    truth: pd.DataFrame  # indexed by patient_id: true_risk, true_trough_ng_ml, cl_l_h, severe, onset


def steady_state_conc_ng_ml(dose_mg, cl_l_h, v_l, hours_after_dose):
    """Steady-state concentration of a once-daily oral dose (one compartment, first-order absorption)."""
    k = cl_l_h / v_l
    scale = dose_mg * KA_PER_H / (v_l * (KA_PER_H - k))  # mg/L
    conc = scale * (np.exp(-k * hours_after_dose) / (1 - np.exp(-k * TAU_H))
                    - np.exp(-KA_PER_H * hours_after_dose) / (1 - np.exp(-KA_PER_H * TAU_H)))
    return conc * 1000.0


def severe_logit(rs4129267_t, female, true_trough_ng_ml, age_years):
    return (INTERCEPT + np.log(RS4129267_OR) * rs4129267_t + np.log(FEMALE_OR) * female
            + LOG_TROUGH_COEF * np.log(true_trough_ng_ml / 1000.0) + AGE_COEF_PER_YEAR * (age_years - 60))


def _clearance_volume_draw(truth: pd.DataFrame, rng) -> tuple[np.ndarray, np.ndarray]:
    """One draw of every patient's clearance (L/h) and volume (L) from the generator's PK model."""
    t = truth
    cl = (9.5 * (t["weight_kg"] / 70) ** 0.6 * (t["albumin_g_l"] / 40) ** 0.5 * 0.88 ** t["rs2231142_t"]).to_numpy()
    v = (230 * (t["weight_kg"] / 70) ** 0.8).to_numpy()
    return cl * np.exp(rng.normal(0, 0.35, len(t))), v * np.exp(rng.normal(0, 0.2, len(t)))


def _risk_given_trough(truth: pd.DataFrame, trough_ng_ml: np.ndarray) -> np.ndarray:
    t = truth
    logit = severe_logit(t["rs4129267_t"].to_numpy(), t["female"].to_numpy(), trough_ng_ml, t["age_years"].to_numpy())
    return 1 / (1 + np.exp(-logit))


def covariate_risk(truth: pd.DataFrame, n_draws: int = 400, seed: int = 0) -> np.ndarray:
    """Risk given every covariate exactly (albumin and genotypes even where the files lack them),
    averaged over the unobservable clearance and volume deviations (Monte Carlo): the best any start-
    stage model could do on these patients, a ceiling closer to "what the data allow" than true_risk."""
    rng = np.random.default_rng(seed)
    dose = truth["start_dose_mg"].to_numpy()
    total = np.zeros(len(truth))
    for _ in range(n_draws):
        cl, v = _clearance_volume_draw(truth, rng)
        total += _risk_given_trough(truth, steady_state_conc_ng_ml(dose, cl, v, 24.0))
    return total / n_draws


def landmark_risk(truth: pd.DataFrame, conc_ng_ml, hours_after_dose, landmark_day, n_draws: int = 2000,
                  seed: int = 0) -> np.ndarray:
    """Risk of severe rash for a patient still rash-free (no onset of any grade) at the landmark
    sample, given every covariate exactly and that sample's measured concentration: the generator's
    posterior over clearance and volume (prior draws weighted by the likelihood of the measurement
    under its log-normal error and by the probability of being rash-free on that day). The best
    a tdm-stage model could do on these patients: the tdm counterpart of :func:`covariate_risk`.
    The landmark samples must be taken before any onset (the landmark rule), so they carry no
    post-onset dose reduction."""
    rng = np.random.default_rng(seed)
    dose = truth["start_dose_mg"].to_numpy()
    log_conc = np.log(np.asarray(conc_ng_ml, dtype=float))
    hours = np.asarray(hours_after_dose, dtype=float)
    free_if_severe, free_if_not = _rash_free_chances(landmark_day)
    severe_and_free, free = np.zeros(len(truth)), np.zeros(len(truth))
    top = np.full(len(truth), -np.inf)  # running maximum log-weight per patient: no underflow to 0/0
    for _ in range(n_draws):
        cl, v = _clearance_volume_draw(truth, rng)
        log_weight = -0.5 * ((log_conc - np.log(steady_state_conc_ng_ml(dose, cl, v, hours))) / TDM_ERROR_LOG_SD) ** 2
        new_top = np.maximum(top, log_weight)
        rescale, weight = np.exp(top - new_top), np.exp(log_weight - new_top)
        top = new_top
        p = _risk_given_trough(truth, steady_state_conc_ng_ml(dose, cl, v, 24.0))
        severe_and_free = severe_and_free * rescale + weight * p * free_if_severe
        free = free * rescale + weight * (p * free_if_severe + (1 - p) * free_if_not)
    return severe_and_free / free


def _rash_free_chances(landmark_day) -> tuple[np.ndarray, np.ndarray]:
    """P(no onset yet on ``landmark_day``) for a patient who will have a severe rash, and for one who
    will not. The TDM landmark rule keeps a sample when floor(day) < onset day, i.e. onset >=
    floor(day) + 1."""
    first_allowed = np.floor(np.asarray(landmark_day, dtype=float)) + 1
    severe = norm.sf((np.log(first_allowed) - SEVERE_ONSET[0]) / SEVERE_ONSET[1])
    other = norm.sf((np.log(first_allowed) - OTHER_ONSET[0]) / OTHER_ONSET[1])
    return severe, 1 - OTHER_RASH_SHARE + OTHER_RASH_SHARE * other


def rash_free_risk(true_risk, landmark_day):
    """True risk of severe rash for a patient still rash-free (no onset of any grade) on ``landmark_day``."""
    free_if_severe, free_if_not = _rash_free_chances(landmark_day)
    p = np.asarray(true_risk, dtype=float)
    return p * free_if_severe / (p * free_if_severe + (1 - p) * free_if_not)


def _genotype(rng, freq):
    return (rng.random((len(freq), 2)) < np.asarray(freq)[:, None]).astype(int)  # haplotypes, 1 = alt


def generate_foreign_cohort(n_patients: int = 712, seed: int = 0) -> ForeignCohort:
    rng = np.random.default_rng(seed)
    n = n_patients
    ids = np.array([f"GIST-{i + 1:04d}" for i in range(n)])
    female = rng.random(n) < 0.45
    age = np.clip(rng.normal(61, 12, n), 21, 89).round()
    weight = np.clip(np.where(female, rng.normal(68, 13, n), rng.normal(82, 14, n)), 40, 145).round(1)
    height = np.clip(np.where(female, rng.normal(164, 6.5, n), rng.normal(177, 7, n)), 140, 205).round()
    albumin = np.clip(rng.normal(40, 4.5, n), 24, 52).round(1)
    codes = list(ANCESTRY)
    ancestry = rng.choice(codes, size=n, p=list(ANCESTRY.values()))
    setting = np.where(rng.random(n) < 0.6, "adjuvant", "advanced")
    dose = rng.choice([300, 400, 600, 800], size=n, p=[0.02, 0.85, 0.08, 0.05]).astype(float)
    start = pd.Timestamp("2014-01-06") + pd.to_timedelta(rng.integers(0, 2900, n), unit="D")

    il6r = _genotype(rng, [RS4129267_T_FREQ[a] for a in ancestry])
    abcg2 = _genotype(rng, [ABCG2_T_FREQ[a] for a in ancestry])
    covariates = pd.DataFrame({"weight_kg": weight, "albumin_g_l": albumin, "rs2231142_t": abcg2.sum(1),
                               "rs4129267_t": il6r.sum(1), "female": female, "age_years": age})
    cl, v = _clearance_volume_draw(covariates, rng)
    trough = steady_state_conc_ng_ml(dose, cl, v, 24.0)
    risk = _risk_given_trough(covariates, trough)
    severe = rng.random(n) < risk

    other = ~severe & (rng.random(n) < OTHER_RASH_SHARE)
    onset = np.full(n, np.nan)
    onset[severe] = np.floor(rng.lognormal(*SEVERE_ONSET, severe.sum()))
    onset[other] = np.floor(rng.lognormal(*OTHER_ONSET, other.sum()))
    grade = np.zeros(n, dtype=int)
    sev_kind = rng.random(n)
    grade[severe] = np.where(sev_kind[severe] < 0.68, 3, np.where(sev_kind[severe] < 0.72, 4, 2))
    grade[other] = np.where(rng.random(other.sum()) < 0.6, 1, 2)
    recurrent = np.full(n, "", dtype=object)
    recurrent[severe & (grade == 2)] = "yes"
    recurrent[other & (grade == 2)] = rng.choice(["no", "No", ""], size=(other & (grade == 2)).sum())
    followup = np.maximum(rng.integers(180, 1500, n), np.nan_to_num(onset, nan=0).astype(int) + 30)

    patients = pd.DataFrame({
        "patient_id": ids, "start_date": start.strftime("%Y-%m-%d"), "sex": np.where(female, "female", "male"),
        "age_years": age.astype(int), "weight_kg": weight, "height_cm": np.where(rng.random(n) < 0.3, np.nan, height),
        "albumin_g_l": np.where(rng.random(n) < 0.35, np.nan, albumin), "ancestry": ancestry, "setting": setting,
        "start_dose_mg": dose.astype(int), "site": rng.choice(["Lyon", "Leiden", "Milano"], size=n),
        "ecog": rng.choice([0, 1, 2], size=n, p=[0.6, 0.35, 0.05]),
    })
    outcomes = pd.DataFrame({
        "patient_id": ids, "rash_max_grade": grade, "recurrent_grade2": recurrent,
        "rash_onset_day": pd.array(np.where(np.isnan(onset), pd.NA, onset), dtype="Int64"), "followup_days": followup,
    })
    tdm = _tdm_samples(rng, ids, start, dose, cl, v, onset, grade)
    vcf = _vcf_text(rng, ids, il6r, abcg2, ancestry)
    truth = pd.DataFrame({"true_risk": risk, "true_trough_ng_ml": trough, "cl_l_h": cl, "severe": severe,
                          "onset_day": onset, "female": female, "age_years": age, "weight_kg": weight,
                          "albumin_g_l": albumin, "start_dose_mg": dose, "rs4129267_t": il6r.sum(1),
                          "rs2231142_t": abcg2.sum(1)}, index=pd.Index(ids, name="patient_id"))
    return ForeignCohort(patients, vcf, tdm, outcomes, truth)


def _tdm_samples(rng, ids, start, dose, cl, v, onset, grade) -> pd.DataFrame:
    rows = []
    n_samples = rng.choice([0, 1, 2, 3], size=len(ids), p=[0.12, 0.45, 0.3, 0.13])
    for i in range(len(ids)):
        day = rng.uniform(5, 35)
        for _ in range(n_samples[i]):
            if day > 60:
                break
            hours = float(np.clip(rng.normal(23.5, 3.0), 12, 30))
            sample_time = start[i] + pd.Timedelta(days=int(day)) + pd.Timedelta(hours=float(rng.uniform(7.5, 12)))
            conc = steady_state_conc_ng_ml(dose[i], cl[i], v[i], hours) * np.exp(rng.normal(0, TDM_ERROR_LOG_SD))
            if not np.isnan(onset[i]) and int(day) >= onset[i] and grade[i] >= 2:
                conc *= 0.45  # interrupted / reduced after the rash: a post-onset sample is low
            unit = rng.choice(["ng/mL", "ug/mL", "nmol/L"], p=[0.55, 0.3, 0.15])
            value = {"ng/mL": round(conc), "ug/mL": round(conc / 1000, 3),
                     "nmol/L": round(conc / IMATINIB_G_PER_MOL * 1000, 1)}[unit]
            rows.append((ids[i], sample_time.strftime("%Y-%m-%dT%H:%M"),
                         (sample_time - pd.Timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M"),
                         int(dose[i]), value, unit))
            day += rng.uniform(14, 30)
    return pd.DataFrame(rows, columns=["patient_id", "sample_time", "last_dose_time", "dose_mg", "concentration", "unit"])


def _gt_column(rng, haplotypes, no_call_rate=0.03) -> list[str]:
    depth = rng.integers(8, 80, len(haplotypes))
    calls = [f"{a}|{b}:{d}" for (a, b), d in zip(haplotypes, depth)]
    for j in np.flatnonzero(rng.random(len(calls)) < no_call_rate):
        calls[j] = f"./.:{rng.integers(0, 5)}"
    return calls


def _vcf_text(rng, ids, il6r, abcg2, ancestry) -> str:
    catalogue = load_catalogue().set_index("rsid")
    lines = []  # (chrom number, pos, text)

    def add(chrom, pos, rsid, ref, alt, haplotypes):
        calls = _gt_column(rng, haplotypes)
        lines.append((int(chrom.removeprefix("chr")), pos,
                      "\t".join([chrom, str(pos), rsid, ref, alt, "50", "PASS", ".", "GT:DP", *calls])))

    def catalogue_line(rsid, haplotypes_alt, write_id=True):
        row = catalogue.loc[rsid]
        add(f"chr{row['chrom']}", int(row["pos_grch37"]), rsid if write_id else ".", row["ref"], row["alt"],
            haplotypes_alt)

    n = len(ids)
    catalogue_line("rs4129267", il6r)
    catalogue_line("rs2231142", abcg2, write_id=False)  # this site's panel has no rsID here: matched by position
    catalogue_line("rs2228145", np.where(rng.random((n, 2)) < 0.95, il6r, 1 - il6r))  # strong LD with rs4129267
    catalogue_line("rs1045642", _genotype(rng, np.full(n, 0.45)))
    # rs776746: the GRCh37 reference base is C (the catalogue's GRCh38 alt), so the line reads REF=C ALT=T
    row = catalogue.loc["rs776746"]
    t_star1 = _genotype(rng, np.where(ancestry == "EUR", 1 - row["af_eur"], 0.3))
    add(f"chr{row['chrom']}", int(row["pos_grch37"]), "rs776746", "C", "T", t_star1)
    for chrom, pos, rsid, ref, alt, freq in EXTRA_VARIANTS:
        add(chrom, pos, rsid, ref, alt, _genotype(rng, np.full(n, freq)))
    header = [
        "##fileformat=VCFv4.2", "##fileDate=20240611", "##source=site-genotyping-pipeline v2.3",
        "##reference=GRCh37", "##contig=<ID=chr1,length=249250621>", "##contig=<ID=chr4,length=191154276>",
        "##contig=<ID=chr5,length=180915260>", "##contig=<ID=chr7,length=159138663>",
        "##contig=<ID=chr17,length=81195210>", "##contig=<ID=chr22,length=51304566>",
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">',
        "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *ids]),
    ]
    return "\n".join(header + [text for _, _, text in sorted(lines)]) + "\n"


def bgzf_compress(data: bytes) -> bytes:
    """BGZF (blocked gzip, as written by bgzip): gzip members of <= 64 KiB with the BC extra field."""
    out = bytearray()
    for start in range(0, max(len(data), 1), 0xFF00):
        chunk = data[start:start + 0xFF00]
        compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
        body = compressor.compress(chunk) + compressor.flush()
        out += struct.pack("<4BI2BH2BHH", 0x1F, 0x8B, 8, 4, 0, 0, 0xFF, 6, ord("B"), ord("C"), 2,
                           len(body) + 25)
        out += body + struct.pack("<II", zlib.crc32(chunk), len(chunk))
    out += bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")  # BGZF end-of-file block
    return bytes(out)


def write_foreign_cohort(folder, n_patients: int = 712, seed: int = 0) -> ForeignCohort:
    """Write the cohort folder (no truth file: to rashrisk this is real data) and return the tables."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    cohort = generate_foreign_cohort(n_patients, seed)
    cohort.patients.to_csv(folder / "patients.csv", index=False)
    cohort.tdm.to_csv(folder / "tdm.csv", index=False)
    cohort.outcomes.to_csv(folder / "outcomes.csv", index=False)
    (folder / "genotypes.vcf.gz").write_bytes(bgzf_compress(cohort.vcf_text.encode("utf-8")))
    return cohort


PLAIN_COLUMNS = ["female", "age_years", "weight_kg", "start_dose_mg", "rs4129267_alt_count"]


def mean_imputed(design: np.ndarray, means=None) -> tuple[np.ndarray, np.ndarray]:
    """Missing values replaced by the column means (learned on the training design when ``means`` is None)."""
    means = np.nanmean(design, axis=0) if means is None else means
    return np.where(np.isnan(design), means, design), means


def plain_design(X: pd.DataFrame, stage: str, landmark_conc=None, means=None) -> tuple[np.ndarray, np.ndarray]:
    """The analysis a clinical study would run: sex, age, weight, start dose and rs4129267 allele count
    (mean-imputed); the tdm stage adds the log of the landmark sample's measured concentration (ng/mL)."""
    frame = X.assign(female=(X["sex"] == "F").astype(float))
    columns = list(PLAIN_COLUMNS)
    if stage == "tdm":
        frame = frame.assign(log_conc=np.log(np.maximum(landmark_conc.reindex(X.index).to_numpy(float), 1.0)))
        columns.append("log_conc")
    return mean_imputed(frame[columns].to_numpy(dtype=float), means)
