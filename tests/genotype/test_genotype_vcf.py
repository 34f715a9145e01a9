import pandas as pd
import pytest

from rashrisk.errors import CohortError, RashriskError
from rashrisk.genotype.catalogue import load_catalogue
from rashrisk.genotype.vcf import read_vcf

from .vcf_text import vcf_text, write_vcf

SAMPLES = ["p1", "p2", "p3"]
# rs4129267 C>T at GRCh38 chr1:154453788 / GRCh37 154426264
IL6R_38 = "chr1 154453788 . C T . PASS . GT {} {} {}"
IL6R_37 = "1 154426264 . C T . PASS . GT {} {} {}"


def counts(result, rsid):
    """{patient: (ref_count, alt_count)} with None for a no-call."""
    table = result.genotypes[result.genotypes["rsid"] == rsid]
    return {
        row.patient_id: (None, None) if not row.called else (int(row.ref_count), int(row.alt_count))
        for row in table.itertuples()
    }


def rules(result):
    return [f.rule for f in result.findings]


def read(tmp_path, rows, *, samples=SAMPLES, patients=SAMPLES, gz=False, meta=("##reference=GRCh38",), **kw):
    path = write_vcf(tmp_path / ("g.vcf.gz" if gz else "g.vcf"), vcf_text(rows, samples, meta=meta), gz=gz)
    return read_vcf(path, patients, **kw)


def test_plain_vcf_by_position_with_chr_prefix(tmp_path):
    result = read(tmp_path, [IL6R_38.format("0/0", "0/1", "1/1")])
    assert counts(result, "rs4129267") == {"p1": (2, 0), "p2": (1, 1), "p3": (0, 2)}
    assert result.file_report.rows_read == 1
    assert result.file_report.rows_accepted == 1
    assert result.build == "GRCh38"


def test_bgzipped_vcf_reads_the_same(tmp_path):
    plain = read(tmp_path, [IL6R_38.format("0/0", "0/1", "1/1")])
    packed = read(tmp_path, [IL6R_38.format("0/0", "0/1", "1/1")], gz=True)
    pd.testing.assert_frame_equal(plain.genotypes, packed.genotypes)


def test_long_table_has_every_patient_and_variant(tmp_path):
    result = read(tmp_path, [IL6R_38.format("0/0", "0/1", "1/1")])
    catalogue = load_catalogue()
    assert len(result.genotypes) == len(SAMPLES) * len(catalogue)
    assert list(result.genotypes["rsid"].iloc[: len(catalogue)]) == list(catalogue["rsid"])
    assert str(result.genotypes["alt_count"].dtype) == "Int8"


def test_grch37_header_uses_grch37_positions(tmp_path):
    result = read(tmp_path, [IL6R_37.format("0/1", "0/1", "0/0")], meta=("##reference=file:///ref/hs37d5.fa",))
    assert result.build == "GRCh37"
    assert counts(result, "rs4129267")["p1"] == (1, 1)
    # the same GRCh37 line read as GRCh38 matches nothing: no-call, never the reference
    result38 = read(tmp_path, [IL6R_37.format("0/1", "0/1", "0/0")], meta=())
    assert counts(result38, "rs4129267")["p3"] == (None, None)
    assert "vcf.variant_absent" in rules(result38)


def test_build_argument_overrides_header(tmp_path):
    result = read(tmp_path, [IL6R_37.format("1/1", "0/1", "0/0")], meta=(), build="GRCh37")
    assert counts(result, "rs4129267")["p1"] == (0, 2)
    with pytest.raises(RashriskError, match="genome build"):
        read(tmp_path, [IL6R_37.format("1/1", "0/1", "0/0")], build="hg17")


def test_grch37_line_with_swapped_reference_counts_by_letter(tmp_path):
    # rs776746: GRCh37 reference base is C (the GRCh38 alternate), so a GRCh37 VCF says REF=C ALT=T
    result = read(tmp_path, ["7 99270539 . C T . PASS . GT 0/0 0/1 1/1"], meta=("##reference=hg19",))
    assert counts(result, "rs776746") == {"p1": (0, 2), "p2": (1, 1), "p3": (2, 0)}


def test_rsid_match_wins_over_position(tmp_path):
    result = read(tmp_path, ["chr7 1 rs1045642 A G . PASS . GT 0/1 1/1 0/0"])
    assert counts(result, "rs1045642") == {"p1": (1, 1), "p2": (0, 2), "p3": (2, 0)}


def test_unknown_rsid_falls_back_to_position(tmp_path):
    result = read(tmp_path, ["chr4 88131171 rs999;foo G T . PASS . GT 0/1 1/1 0/0"])
    assert counts(result, "rs2231142")["p2"] == (0, 2)


def test_phased_and_unphased_calls(tmp_path):
    result = read(tmp_path, [IL6R_38.format("0|1", "1|0", "1|1")])
    assert counts(result, "rs4129267") == {"p1": (1, 1), "p2": (1, 1), "p3": (0, 2)}


@pytest.mark.parametrize("gt", ["./.", ".", ".|."])
def test_missing_gt_is_a_no_call(tmp_path, gt):
    result = read(tmp_path, [IL6R_38.format(gt, "0/0", "0/0")])
    assert counts(result, "rs4129267")["p1"] == (None, None)
    assert counts(result, "rs4129267")["p2"] == (2, 0)


def test_multiallelic_site_is_a_no_call_with_warning(tmp_path):
    result = read(tmp_path, ["chr1 154453788 rs4129267 C T,G . PASS . GT 0/1 0/0 0/2"])
    assert set(counts(result, "rs4129267").values()) == {(None, None)}
    finding = next(f for f in result.findings if f.rule == "vcf.multiallelic")
    assert finding.column == "rs4129267" and finding.count == 3 and "rs4129267" in finding.message


def test_haploid_call_is_a_no_call_with_warning(tmp_path):
    result = read(tmp_path, [IL6R_38.format("1", "0/1", "0")])
    assert counts(result, "rs4129267") == {"p1": (None, None), "p2": (1, 1), "p3": (None, None)}
    finding = next(f for f in result.findings if f.rule == "vcf.gt_haploid")
    assert finding.count == 2 and "rs4129267" in finding.message


def test_mismatched_alleles_are_no_calls_with_warning(tmp_path):
    result = read(tmp_path, ["chr1 154453788 . C A . PASS . GT 0/0 0/1 1/1"])
    assert set(counts(result, "rs4129267").values()) == {(None, None)}
    assert "vcf.allele_mismatch" in rules(result)


def test_other_strand_is_never_flipped(tmp_path):
    # catalogue G>T at chr4:88131171; C>A is the complementary strand
    result = read(tmp_path, ["chr4 88131171 rs2231142 C A . PASS . GT 0/0 0/1 1/1"])
    assert set(counts(result, "rs2231142").values()) == {(None, None)}
    finding = next(f for f in result.findings if f.rule == "vcf.strand")
    assert "rs2231142" in finding.message and finding.count == 3


def test_absent_variant_is_a_no_call_never_reference(tmp_path):
    result = read(tmp_path, [IL6R_38.format("0/0", "0/0", "0/0")])
    assert set(counts(result, "rs776746").values()) == {(None, None)}
    absent = [f for f in result.findings if f.rule == "vcf.variant_absent"]
    assert {f.column for f in absent} == set(load_catalogue()["rsid"]) - {"rs4129267"}


def test_patient_without_sample_column_gets_no_calls_and_one_warning(tmp_path):
    result = read(tmp_path, [IL6R_38.format("0/0", "0/1", "1/1")], patients=["p1", "p2", "p3", "p4"])
    assert counts(result, "rs4129267")["p4"] == (None, None)
    missing = [f for f in result.findings if f.rule == "vcf.patient_missing"]
    assert len(missing) == 1 and missing[0].count == 1


def test_samples_that_are_not_patients_are_counted(tmp_path):
    result = read(tmp_path, [IL6R_38.format("0/0", "0/1", "1/1")], patients=["p1"])
    finding = next(f for f in result.findings if f.rule == "vcf.sample_unknown")
    assert finding.count == 2
    assert list(result.genotypes["patient_id"].unique()) == ["p1"]


def test_format_with_gt_not_first(tmp_path):
    result = read(tmp_path, ["chr1 154453788 . C T . PASS . DP:GQ:GT 12:99:0/1 7:50:1|1 3:10:./."])
    assert counts(result, "rs4129267") == {"p1": (1, 1), "p2": (0, 2), "p3": (None, None)}


def test_format_without_gt_gives_no_calls(tmp_path):
    result = read(tmp_path, ["chr1 154453788 . C T . PASS . DP 12 7 3"])
    assert set(counts(result, "rs4129267").values()) == {(None, None)}
    assert "vcf.no_gt" in rules(result)


def test_allele_index_out_of_range_is_a_no_call(tmp_path):
    result = read(tmp_path, [IL6R_38.format("0/2", "0/1", "x/y")])
    assert counts(result, "rs4129267") == {"p1": (None, None), "p2": (1, 1), "p3": (None, None)}
    assert next(f for f in result.findings if f.rule == "vcf.gt_invalid").count == 2


def test_monomorphic_site_calls_reference_only_when_genotyped(tmp_path):
    result = read(tmp_path, ["chr1 154453788 . C . . PASS . GT 0/0 ./. 0/0"])
    assert counts(result, "rs4129267") == {"p1": (2, 0), "p2": (None, None), "p3": (2, 0)}


def test_duplicate_lines_for_a_variant_are_no_calls(tmp_path):
    result = read(tmp_path, [IL6R_38.format("0/0", "0/1", "1/1"), IL6R_38.format("0/1", "0/1", "1/1")])
    assert set(counts(result, "rs4129267").values()) == {(None, None)}
    assert "vcf.variant_duplicate" in rules(result)


def test_malformed_lines_are_rejected_with_file_and_line(tmp_path):
    rows = [
        IL6R_38.format("0/0", "0/1", "1/1"),
        "chr1 12x . C T . PASS . GT 0/0 0/1 1/1",
        "chr1 100 . C T . PASS . GT 0/0 0/1",
        "chr2 200 rs5 A G . PASS . GT 0/0 0/1 1/1",
    ]
    result = read(tmp_path, rows)
    report = result.file_report
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (4, 2, 2)
    errors = {f.rule: f for f in result.findings if f.level == "error"}
    assert errors["vcf.pos"].lines == [5] and "g.vcf" in errors["vcf.pos"].message
    assert errors["vcf.columns"].lines == [6] and "line 6" in errors["vcf.columns"].message
    assert result.n_lines_unused == 1
    assert counts(result, "rs4129267")["p2"] == (1, 1)


@pytest.mark.parametrize(
    "text",
    ["", "hello world\n", "chr1\t1\t.\tC\tT\n", "##fileformat=VCFv4.2\n", "#CHROM\tPOS\n",
     "##x\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tp1\n"],
)
def test_not_a_vcf_is_a_cohort_error_naming_the_file(tmp_path, text):
    path = tmp_path / "genotypes.vcf"
    path.write_text(text)
    with pytest.raises(CohortError, match="genotypes.vcf"):
        read_vcf(path, SAMPLES)


def test_corrupt_gzip_is_a_cohort_error(tmp_path):
    path = tmp_path / "genotypes.vcf.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage-not-deflate")
    with pytest.raises(CohortError, match="genotypes.vcf.gz"):
        read_vcf(path, SAMPLES)


def test_missing_file_is_a_cohort_error(tmp_path):
    with pytest.raises(CohortError, match="nope.vcf"):
        read_vcf(tmp_path / "nope.vcf", SAMPLES)


def test_vcf_without_samples_gives_all_no_calls(tmp_path):
    path = write_vcf(tmp_path / "g.vcf", vcf_text(["chr1 154453788 . C T . PASS ."], []))
    result = read_vcf(path, SAMPLES)
    assert not result.genotypes["called"].any()
    assert next(f for f in result.findings if f.rule == "vcf.patient_missing").count == 3


def test_multi_member_gzip_like_bgzf_blocks(tmp_path):
    import gzip

    text = vcf_text([IL6R_38.format("0/0", "0/1", "1/1"), "7 99672916 rs776746 T C . PASS . GT 1/1 0/1 0/0"], SAMPLES)
    cut = text.index("7\t99672916")
    path = tmp_path / "genotypes.vcf.gz"
    path.write_bytes(gzip.compress(text[:cut].encode()) + gzip.compress(text[cut:].encode()))
    result = read_vcf(path, SAMPLES)
    assert counts(result, "rs4129267")["p3"] == (0, 2)
    assert counts(result, "rs776746")["p1"] == (0, 2)


def test_windows_line_endings(tmp_path):
    text = vcf_text([IL6R_38.format("0/0", "0/1", "1/1")], SAMPLES).replace("\n", "\r\n")
    path = tmp_path / "g.vcf"
    path.write_bytes(text.encode())
    result = read_vcf(path, SAMPLES)
    assert counts(result, "rs4129267") == {"p1": (2, 0), "p2": (1, 1), "p3": (0, 2)}
    assert result.file_report.rows_rejected == 0
