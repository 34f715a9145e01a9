"""The loader on a correct "foreign" cohort (written here by hand, in the contract's format),
on Parquet, and on folders or files that cannot be read at all."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from rashrisk.contract.loader import load_cohort
from rashrisk.errors import CohortError, RashriskError

FOREIGN = {
    "patients.csv": (
        "patient_id,sex,age_years,weight_kg,height_cm,albumin_g_l,ancestry,setting,start_dose_mg,start_date,mrn_hash\n"
        "A-1,female,61,58,162,39,EAS,adjuvant,400,2022-05-02,x1\n"
        "A-2,M,70,81.5,,,EAS,advanced,400,2022-06-13,x2\n"
        "A-3,f,49,50.2,155,44,,,300,2022-07-04,x3\n"
        "A-4,Male,55,77,175,41,EUR,adjuvant,400,2022-08-01,x4\n"
    ),
    "genotypes.vcf": (
        "##fileformat=VCFv4.2\n##reference=GRCh38\n"
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA-4\tA-1\tA-2\n"
        "1\t154453788\trs4129267\tC\tT\t.\tPASS\t.\tGT\t0/0\t0|1\t./.\n"
        "4\t88131171\t.\tG\tT\t.\tPASS\t.\tGT\t0/1\t1/1\t0/0\n"
    ),
    "tdm.csv": (
        "patient_id,sample_time,last_dose_time,dose_mg,concentration,unit,below_loq\n"
        "A-1,2022-06-01T08:00,2022-05-31T14:00,400,1.5,ug/mL,\n"
        "A-1,2022-07-01T11:00,2022-06-30T08:00,400,2000,nmol/L,no\n"
        "A-2,2022-07-13T08:00:00,2022-07-12T08:00:00,400,980,ng/mL,FALSE\n"
        "A-4,2022-09-01T08:00,2022-08-31T08:00,400,0.9,µmol/L,\n"
    ),
    "outcomes.csv": (
        "patient_id,rash_max_grade,recurrent_grade2,rash_onset_day,followup_days\n"
        "A-1,3,,21,\n"
        "A-2,0,,,200\n"
        "A-3,2,true,35,180\n"
        "A-4,2,0,40,150\n"
    ),
}


@pytest.fixture
def foreign(tmp_path):
    folder = tmp_path / "site_b"
    folder.mkdir()
    for name, text in FOREIGN.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_foreign_cohort_loads_with_exact_counts_and_canonical_values(foreign):
    cohort = load_cohort(foreign)
    files = {k: (v.rows_read, v.rows_accepted, v.rows_rejected) for k, v in cohort.report.files.items()}
    assert files == {"patients.csv": (4, 4, 0), "genotypes.vcf": (2, 2, 0), "tdm.csv": (4, 4, 0),
                     "outcomes.csv": (4, 4, 0)}
    assert cohort.report.errors == []
    assert cohort.name == "site_b" and cohort.n_patients == 4 and cohort.ancestry == "EAS"
    assert cohort.report.files["patients.csv"].extra_columns == ["mrn_hash"]
    p = cohort.patients.set_index("patient_id")
    assert list(p["sex"]) == ["F", "M", "F", "M"]
    assert p.loc["A-1", "bsa_m2"] == pytest.approx(np.sqrt(162 * 58 / 3600))
    assert np.isnan(p.loc["A-2", "bsa_m2"]) and np.isnan(p.loc["A-2", "albumin_g_l"])
    assert p.loc["A-3", "ancestry"] is None
    assert p["start_date"].dtype == "datetime64[ns]"
    t = cohort.tdm
    assert list(t["concentration_ng_ml"]) == pytest.approx([1500.0, 987.2, 980.0, 444.24])
    assert list(t["hours_after_dose"]) == pytest.approx([18.0, 27.0, 24.0, 24.0])
    assert t["day_on_treatment"].iloc[0] == pytest.approx(30 + 8 / 24)
    assert t["below_loq"].isna().iloc[0] and not t["below_loq"].iloc[1]
    o = cohort.outcomes.set_index("patient_id")
    assert list(o["severe_rash"]) == [True, False, True, False]
    assert o["rash_max_grade"].dtype == "Int64" and pd.isna(o.loc["A-1", "followup_days"])
    g = cohort.genotypes.set_index(["patient_id", "rsid"])
    assert len(cohort.genotypes) == 4 * 6
    assert pd.isna(g.loc[("A-2", "rs4129267"), "alt_count"])  # ./. is a no-call
    assert not g.loc[("A-3", "rs4129267"), "called"]  # no sample column: no-call, never reference
    assert g.loc[("A-1", "rs2231142"), "alt_count"] == 2  # matched by position and alleles
    assert g.loc[("A-1", "rs4129267"), "alt_count"] == 1
    off_trough = [f for f in cohort.report.warnings if f.rule == "tdm.last_dose_time.max_interval"]
    assert off_trough == []  # 18 h and 27 h are within the 30 h limit


def test_parquet_gives_the_same_tables(foreign, tmp_path):
    csv_cohort = load_cohort(foreign)
    for stem in ("patients", "tdm", "outcomes"):
        table = pd.read_csv(foreign / f"{stem}.csv", dtype=str, keep_default_na=False)
        if stem == "outcomes":
            table["rash_max_grade"] = table["rash_max_grade"].astype(int)
        table.to_parquet(foreign / f"{stem}.parquet")
        (foreign / f"{stem}.csv").unlink()
    pq_cohort = load_cohort(foreign)
    pd.testing.assert_frame_equal(csv_cohort.patients, pq_cohort.patients)
    pd.testing.assert_frame_equal(csv_cohort.tdm, pq_cohort.tdm)
    pd.testing.assert_frame_equal(csv_cohort.outcomes, pq_cohort.outcomes)
    assert "patients.parquet" in pq_cohort.report.files


def test_bgzipped_vcf_and_build_option(foreign):
    text = (foreign / "genotypes.vcf").read_bytes()
    (foreign / "genotypes.vcf").unlink()
    (foreign / "genotypes.vcf.gz").write_bytes(gzip.compress(text))
    cohort = load_cohort(foreign)
    assert cohort.report.files["genotypes.vcf.gz"].rows_read == 2
    with pytest.raises(CohortError, match="GRCh36"):
        load_cohort(foreign, build="GRCh36")


def test_missing_folder_raises_cohort_error(tmp_path):
    with pytest.raises(CohortError, match="does not exist"):
        load_cohort(tmp_path / "nope")


def test_missing_patients_file_raises(foreign):
    (foreign / "patients.csv").unlink()
    with pytest.raises(CohortError, match="patients"):
        load_cohort(foreign)


def test_missing_genotype_file_is_an_error_finding_with_no_calls(foreign):
    (foreign / "genotypes.vcf").unlink()
    cohort = load_cohort(foreign)
    assert [f.rule for f in cohort.report.errors] == ["file.genotypes_missing"]
    assert not cohort.genotypes["called"].any() and len(cohort.genotypes) == 4 * 6


def test_two_genotype_files_are_ambiguous(foreign):
    (foreign / "genotypes.csv").write_text("patient_id,rsid,genotype\n", encoding="utf-8")
    with pytest.raises(CohortError, match="more than one genotype file"):
        load_cohort(foreign)


def test_csv_and_parquet_of_same_stem_are_ambiguous(foreign):
    pd.DataFrame({"patient_id": ["A-1"]}).to_parquet(foreign / "tdm.parquet")
    with pytest.raises(CohortError, match="tdm.csv and tdm.parquet"):
        load_cohort(foreign)


@pytest.mark.parametrize("content, match", [
    (b"", "empty"),
    (b"\xff\xfe\x00p\x00a\x00t\x00", "UTF-8"),
    (b"A-1,F,61,58\nA-2,M,70,81\n", "not a header"),
    (b'patient_id,sex\n"A-1,F\n', "readable CSV"),
])
def test_unreadable_file_raises_cohort_error_naming_it(foreign, content, match):
    (foreign / "tdm.csv").write_bytes(content)
    with pytest.raises(CohortError, match=match) as info:
        load_cohort(foreign)
    assert "tdm.csv" in str(info.value) and isinstance(info.value, RashriskError)


def test_a_column_named_twice_in_the_header_is_an_error(foreign):
    # pandas would silently read the second 'sex' as an extra column 'sex.1'
    text = FOREIGN["patients.csv"].replace("patient_id,sex,", "patient_id,sex,sex,", 1)
    text = text.replace(",female,", ",female,M,", 1)
    (foreign / "patients.csv").write_text(text, encoding="utf-8")
    with pytest.raises(CohortError, match=r"patients.csv, column sex, line 1: the header names 'sex' 2 times"):
        load_cohort(foreign)


def test_not_parquet_raises(foreign):
    (foreign / "outcomes.csv").unlink()
    (foreign / "outcomes.parquet").write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(CohortError, match="outcomes.parquet"):
        load_cohort(foreign)


def test_missing_required_column_rejects_every_row(foreign):
    text = FOREIGN["tdm.csv"].replace("dose_mg,", "Dose_MG,", 1)
    (foreign / "tdm.csv").write_text(text, encoding="utf-8")
    cohort = load_cohort(foreign)
    report = cohort.report.files["tdm.csv"]
    assert (report.rows_read, report.rows_rejected) == (4, 4)
    finding = next(f for f in cohort.report.errors if f.rule == "file.required_columns")
    assert finding.column == "dose_mg" and "'Dose_MG'" in finding.message and finding.lines == [1]
    assert cohort.tdm.empty and "concentration_ng_ml" in cohort.tdm


def test_blank_lines_are_skipped_and_line_numbers_kept(foreign):
    text = FOREIGN["outcomes.csv"].replace("A-2,0,,,200\n", "\nA-2,0,,,-5\n")
    (foreign / "outcomes.csv").write_text(text, encoding="utf-8")
    cohort = load_cohort(foreign)
    assert cohort.report.files["outcomes.csv"].rows_read == 4
    bad = next(f for f in cohort.report.errors if f.rule == "outcomes.followup_days.hard_range")
    assert bad.lines == [4]
    assert any(f.rule == "file.blank_lines" for f in cohort.report.warnings)


def test_genotypes_csv_counts_and_no_calls(foreign):
    (foreign / "genotypes.vcf").unlink()
    (foreign / "genotypes.csv").write_text(
        "patient_id,rsid,genotype\nA-1,rs4129267,CT\nA-2,rs4129267,./.\nA-3,rs4129267,NC\nA-4,rs4129267,T/T\n"
        "A-1,rs2231142,G|T\nA-2,rs2231142,\nA-3,rs2231142,A/C\nA-4,rs999,CC\n", encoding="utf-8")
    cohort = load_cohort(foreign)
    assert cohort.report.errors == []
    assert {f.rule for f in cohort.report.warnings} >= {"genotypes.genotype.alleles", "genotypes.rsid.catalogue"}
    g = cohort.genotypes.set_index(["patient_id", "rsid"])
    assert g.loc[("A-1", "rs4129267"), "alt_count"] == 1 and g.loc[("A-4", "rs4129267"), "alt_count"] == 2
    for key in [("A-2", "rs4129267"), ("A-3", "rs4129267"), ("A-2", "rs2231142"), ("A-3", "rs2231142")]:
        assert not g.loc[key, "called"] and pd.isna(g.loc[key, "ref_count"])
    assert cohort.report.files["genotypes.csv"].rows_accepted == 8
    assert cohort.report.genotype_qc is not None and len(cohort.report.genotype_qc) == 6
    # QC warnings (4 patients: every variant's call rate is low) name the file they are about
    qc = [f for f in cohort.report.warnings if f.rule.startswith("genotype.")]
    assert qc and {f.file for f in qc} == {"genotypes.csv"} and qc[0].message.startswith("genotypes.csv, rs")


def test_majority_ancestry_ties_follow_contract_order():
    from rashrisk.contract.loader import majority_ancestry

    assert majority_ancestry(pd.Series(["EUR", "EAS", None], dtype=object)) == "EAS"
    assert majority_ancestry(pd.Series([None, None], dtype=object)) is None
    assert majority_ancestry(pd.Series(["EUR", "EUR", "EAS"], dtype=object)) == "EUR"


def test_times_with_utc_offsets_are_converted_consistently(foreign):
    """A file whose every time has a UTC offset is converted to UTC (naive UTC datetimes)."""
    lines = FOREIGN["tdm.csv"].splitlines()
    body = [",".join(c + ("+08:00" if j in (1, 2) else "") for j, c in enumerate(line.split(","))) for line in lines[1:]]
    body[0] = body[0].replace("2022-06-01T08:00+08:00,2022-05-31T14:00+08:00", "2022-06-01T08:00+08:00,2022-05-31T14:00Z")
    (foreign / "tdm.csv").write_text("\n".join([lines[0], *body]) + "\n", encoding="utf-8")
    cohort = load_cohort(foreign)
    assert cohort.report.errors == []
    assert cohort.tdm["hours_after_dose"].iloc[0] == pytest.approx(10.0)  # 00:00 UTC minus 14:00 UTC
    assert cohort.tdm["sample_time"].iloc[1] == pd.Timestamp("2022-07-01T03:00")  # 11:00+08:00
    assert cohort.tdm["sample_time"].dtype == "datetime64[ns]"


def test_one_utc_offset_among_naive_times_is_rejected_and_shifts_nothing(foreign):
    """pandas' ISO parser applies an offset it met to the naive times after it; the loader parses the
    two kinds apart, keeps every naive time as written and rejects the row with the offset."""
    text = FOREIGN["tdm.csv"].replace("2022-06-01T08:00,", "2022-06-01T08:00+02:00,")
    (foreign / "tdm.csv").write_text(text, encoding="utf-8")
    cohort = load_cohort(foreign)
    finding = next(f for f in cohort.report.errors if f.rule == "tdm.sample_time.utc_offset")
    assert finding.lines == [2] and "'2022-06-01T08:00+02:00'" in finding.message
    assert "mixes times with a UTC offset" in finding.message
    assert list(cohort.tdm["sample_time"]) == [pd.Timestamp("2022-07-01T11:00"), pd.Timestamp("2022-07-13T08:00"),
                                               pd.Timestamp("2022-09-01T08:00")]
    assert cohort.input_rows["tdm"].reason(0).startswith("tdm.csv, column sample_time, line 2: '2022-06-01T08:00+02:00'")


def test_header_only_patients_file_is_an_error(foreign):
    (foreign / "patients.csv").write_text(FOREIGN["patients.csv"].splitlines()[0] + "\n", encoding="utf-8")
    cohort = load_cohort(foreign)
    assert cohort.n_patients == 0
    assert "file.no_patients" in {f.rule for f in cohort.report.errors}
    assert cohort.report.files["tdm.csv"].rows_rejected == 4  # every sample's patient is unknown


def test_typed_parquet_columns_are_read_like_their_csv_text(foreign):
    patients = pd.read_csv(foreign / "patients.csv", dtype=str, keep_default_na=False)
    typed = patients.assign(age_years=patients["age_years"].astype(float),
                            height_cm=pd.to_numeric(patients["height_cm"]).astype("Int64"),
                            start_date=pd.to_datetime(patients["start_date"]))
    typed.to_parquet(foreign / "patients.parquet")
    (foreign / "patients.csv").unlink()
    tdm = pd.read_csv(foreign / "tdm.csv", dtype=str, keep_default_na=False)
    tdm = tdm.assign(sample_time=pd.to_datetime(tdm["sample_time"], format="ISO8601"), concentration=tdm["concentration"].astype(float),
                     below_loq=pd.array([None, False, False, None], dtype="boolean"))
    tdm.to_parquet(foreign / "tdm.parquet")
    (foreign / "tdm.csv").unlink()
    cohort = load_cohort(foreign)
    assert cohort.report.errors == []
    assert cohort.patients["height_cm"].isna().tolist() == [False, True, False, False]
    assert list(cohort.tdm["hours_after_dose"]) == pytest.approx([18.0, 27.0, 24.0, 24.0])
    assert cohort.tdm["below_loq"].isna().tolist() == [True, False, False, True]
