"""Fuzz: mutated cohort CSV files give a clean load (every row accounted for) or a RashriskError,
never another exception and never a hang (each example runs under a SIGALRM time budget).
The VCF fuzz test is tests/genotype/test_vcf_fuzz.py."""

from __future__ import annotations

import signal
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rashrisk.contract.loader import load_cohort
from rashrisk.errors import RashriskError

SECONDS_PER_EXAMPLE = 30  # generous: the machine is shared; a hang is minutes, not seconds

NASTY = ["", " ", "nan", "NaN", "inf", "-inf", "1e400", "-0", "1_000", "0x1F", "1,5", "NaT", "9999-99-99",
         "2262-04-12", "1677-09-21", "0001-01-01T00:00", "2023-02-10T08:00+05:00", "2023-02-10T08:00Z",
         "3000-01-01", '"', '""', "\x00", "ü", "µ", "\u03bcg/mL", "C/T/A", "./.", "rs", "rs1e3", "TRUE", "x" * 300,
         "12:00", "P1", "P1 ", "-1", "0", "1e-320", "\t", "\r"]


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang(f"load_cohort took more than {SECONDS_PER_EXAMPLE} s")


def mutate(text: str, data) -> bytes:
    kind = data.draw(st.sampled_from(["byte", "insert", "truncate", "field", "shift", "duplicate", "header"]))
    raw = text.encode("utf-8")
    if kind == "byte":
        i = data.draw(st.integers(0, len(raw) - 1))
        return raw[:i] + bytes([data.draw(st.integers(0, 255))]) + raw[i + 1:]
    if kind == "insert":
        i = data.draw(st.integers(0, len(raw)))
        return raw[:i] + data.draw(st.binary(min_size=1, max_size=8)) + raw[i:]
    if kind == "truncate":
        return raw[:data.draw(st.integers(0, len(raw)))]
    lines = text.split("\n")
    n = data.draw(st.integers(0, len(lines) - 2))
    fields = lines[n].split(",")
    if kind == "field":
        j = data.draw(st.integers(0, len(fields) - 1))
        fields[j] = data.draw(st.sampled_from(NASTY) | st.text(max_size=6))
    elif kind == "shift":
        j = data.draw(st.integers(0, len(fields) - 1))
        if data.draw(st.booleans()):
            del fields[j]
        else:
            fields.insert(j, data.draw(st.sampled_from(NASTY)))
    elif kind == "duplicate":
        lines.insert(n, lines[n])
    else:
        lines[0] = ",".join(reversed(lines[0].split(",")))
    lines[n] = ",".join(fields) if kind in ("field", "shift") else lines[n]
    return "\n".join(lines).encode("utf-8", errors="surrogatepass")


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_csv_loads_cleanly_or_raises_rashrisk_error(base_cohort_texts, data):
    targets = data.draw(st.lists(st.sampled_from(sorted(base_cohort_texts)), min_size=1, max_size=2, unique=True))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, text in base_cohort_texts.items():
            content = mutate(text, data) if name in targets else text.encode("utf-8")
            (folder / name).write_bytes(content)
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(SECONDS_PER_EXAMPLE)
        try:
            cohort = load_cohort(folder)
        except RashriskError as exc:
            assert str(exc)
            return
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
    for name, report in cohort.report.files.items():  # every rejected row has an error saying why
        assert report.rows_rejected == 0 or any(f.level == "error" and f.file == name
                                                for f in cohort.report.findings), name
    assert len(cohort.patients) == cohort.report.files["patients.csv"].rows_accepted
    assert len(cohort.tdm) == cohort.report.files["tdm.csv"].rows_accepted
    assert len(cohort.genotypes) == cohort.n_patients * 6
    for finding in cohort.report.findings:
        assert finding.level in ("error", "warning") and finding.message
