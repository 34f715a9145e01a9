"""Fuzz: mutated VCF files give a clean result or a RashriskError, never another exception or a hang."""

import gzip
import signal
from contextlib import contextmanager
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rashrisk.errors import RashriskError
from rashrisk.genotype.catalogue import load_catalogue
from rashrisk.genotype.vcf import read_vcf

from .vcf_text import vcf_text

PATIENTS = ["p1", "p2", "p3"]
SEED = vcf_text(
    [
        "chr1 154453788 rs4129267 C T . PASS . GT:DP 0/1:3 1|1:4 ./.:0",
        "1 154454494 . A C . PASS . GT 0/0 0/1 1/1",
        "chr4 88131171 rs2231142 G T,A . PASS . GT 0/1 0/2 1",
        "7 87509329 rs1045642 A G . PASS . DP:GT 1:0/1 2:1/1 3:.",
        "7 99672916 rs776746 T C . PASS . GT 0/1 0/. 1/1",
        "2 100 rs1 A G . PASS . GT 0/0 0/0 0/0",
    ],
    ["p1", "p2", "x1"],
).encode()
N_VARIANTS = len(load_catalogue())
FUZZ_TOKENS = [b"\t", b"\n", b"/", b"|", b".", b":", b"chr", b"#CHROM", b"##reference=hg19\n", b"rs776746",
               b"-1", b"99999999999999999999", b"\x00", b"\xff\xfe", b"\r\n", b"GT", b",", b"\t\t", b"A", b"N"]


class Hang(Exception):
    pass


@contextmanager
def hard_timeout(seconds):
    """Abort a call that hangs (SIGALRM); Hypothesis' deadline reports slow ones."""

    def on_alarm(signum, frame):
        raise Hang(f"read_vcf did not return within {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


mutation = st.one_of(
    st.tuples(st.just("delete"), st.integers(0, len(SEED)), st.integers(1, 40)),
    st.tuples(st.just("insert"), st.integers(0, len(SEED)), st.sampled_from(FUZZ_TOKENS)),
    st.tuples(st.just("replace"), st.integers(0, len(SEED)), st.binary(min_size=1, max_size=4)),
    st.tuples(st.just("duplicate_line"), st.integers(0, 20), st.just(b"")),
)


def apply(data: bytes, mutations) -> bytes:
    for kind, at, payload in mutations:
        at = min(at, len(data))
        if kind == "delete":
            data = data[:at] + data[at + payload:]
        elif kind == "insert":
            data = data[:at] + payload + data[at:]
        elif kind == "replace":
            data = data[:at] + payload + data[at + len(payload):]
        else:
            lines = data.split(b"\n")
            if lines:
                i = at % len(lines)
                lines.insert(i, lines[i])
            data = b"\n".join(lines)
    return data


def check(path):
    with hard_timeout(20):
        try:
            result = read_vcf(path, PATIENTS)
        except RashriskError:
            return
    report = result.file_report
    # every rejected data line is counted in exactly one error finding
    assert report.rows_rejected == sum(f.count for f in result.findings if f.rule in ("vcf.columns", "vcf.pos"))
    assert len(result.genotypes) == len(PATIENTS) * N_VARIANTS
    called = result.genotypes[result.genotypes["called"]]
    assert ((called["ref_count"] + called["alt_count"]) == 2).all()
    assert result.genotypes.loc[~result.genotypes["called"], "alt_count"].isna().all()
    assert all(f.level in ("error", "warning") and f.message for f in result.findings)


FUZZ = settings(max_examples=150, deadline=timedelta(seconds=5),
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@FUZZ
@given(mutations=st.lists(mutation, min_size=1, max_size=6))
def test_mutated_plain_vcf(tmp_path, mutations):
    path = tmp_path / "genotypes.vcf"
    path.write_bytes(apply(SEED, mutations))
    check(path)


@FUZZ
@given(mutations=st.lists(mutation, min_size=0, max_size=4), corrupt=st.lists(st.tuples(st.integers(0, 400), st.binary(min_size=1, max_size=3)), max_size=3))
def test_mutated_bgzipped_vcf(tmp_path, mutations, corrupt):
    packed = gzip.compress(apply(SEED, mutations))
    for at, payload in corrupt:  # damage the compressed bytes too
        at = min(at, len(packed))
        packed = packed[:at] + payload + packed[at + len(payload):]
    path = tmp_path / "genotypes.vcf.gz"
    path.write_bytes(packed)
    check(path)
