"""Read the catalogue variants for the cohort's patients from a VCF (plain or gzip/bgzip).

Rules (the cohort contract, genotypes.vcf):

- GRCh38 unless ``##reference=`` names GRCh37/hg19/b37 or ``build="GRCh37"`` is passed.
- ``chr1`` and ``1`` are the same chromosome.
- A line is matched to a catalogue variant by an rsID in its ID column, else by chromosome and
  position for the build; its REF/ALT letters must then be the catalogue's two alleles (in either
  order; counting is by letter, so a GRCh37 line whose reference base is the GRCh38 alternate
  still counts correctly).
- ``./.``, ``.``, a variant absent from the file, a patient without a sample column: no-call.
  Multi-allelic sites, haploid or polyploid calls, partly missing calls, alleles that do not match
  the catalogue (including the other strand: never flipped): no-call with a warning naming the
  variant and the sample count. A no-call is never the reference genotype.
- A malformed data line (wrong number of columns, non-integer POS) is rejected with an error
  finding naming the file and line; a file without a ``#CHROM`` header is a ``CohortError``.

Only the GT sub-field is read. Each matched line is split once; GT strings are factorised so that
each distinct GT spelling is decoded once, whatever the number of samples.
"""

from __future__ import annotations

import gzip
import zlib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from rashrisk.errors import CohortError, RashriskError
from rashrisk.findings import MAX_LINES_SHOWN, FileReport, Finding
from rashrisk.genotype.alleles import COMPLEMENT
from rashrisk.genotype.catalogue import BUILDS, load_catalogue, position_column
from rashrisk.genotype.table import NO_CALL, build_long_table

GRCH37_MARKERS = ("grch37", "hg19", "b37", "hs37")
FIXED_COLUMNS = ("#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO")

# per-sample GT outcome codes
_OK, _MISSING, _HAPLOID, _PARTIAL, _POLYPLOID, _INVALID = range(6)
_PROBLEM_TEXT = {
    _HAPLOID: ("vcf.gt_haploid", "haploid call on an autosome"),
    _PARTIAL: ("vcf.gt_partial", "partly missing call"),
    _POLYPLOID: ("vcf.gt_polyploid", "more than two alleles in the call"),
    _INVALID: ("vcf.gt_invalid", "unreadable GT value"),
}


def _is_uint(text: str) -> bool:
    """A non-negative decimal integer small enough for an allele index or a position."""
    return text.isascii() and text.isdigit() and len(text) <= 12


@dataclass
class VcfReadResult:
    """What ``read_vcf`` found.

    genotypes        long table, one row per patient x catalogue variant (see rashrisk.genotype.table)
    findings         errors (rejected lines) and warnings (no-calls with a reason, sample mismatches)
    file_report      rows read / accepted / rejected (data lines)
    build            the genome build used for position matching
    n_lines_unused   accepted data lines that are not catalogue variants
    """

    genotypes: pd.DataFrame
    file_report: FileReport
    findings: list[Finding] = field(default_factory=list)
    build: str = "GRCh38"
    n_lines_unused: int = 0


def _normalise_build(build: str | None) -> str | None:
    if build is None:
        return None
    text = str(build).strip().lower()
    if text in ("grch37", "hg19", "b37"):
        return "GRCh37"
    if text in ("grch38", "hg38", "b38"):
        return "GRCh38"
    raise RashriskError(f"genome build {build!r}: expected one of {', '.join(BUILDS)}")


def _normalise_chrom(chrom: str) -> str:
    return chrom[3:] if chrom[:3].lower() == "chr" else chrom


def _open_lines(path: Path) -> Iterator[str]:
    """Yield text lines of a plain or gzip/bgzip file; I/O problems become CohortError."""
    try:
        with open(path, "rb") as handle:
            magic = handle.read(2)
    except OSError as exc:
        raise CohortError(f"{path.name}: cannot be read ({exc.strerror or exc})") from exc
    opener = gzip.open if magic == b"\x1f\x8b" else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as handle:
            yield from handle
    except (OSError, EOFError, zlib.error) as exc:
        raise CohortError(f"{path.name}: not a readable gzip/bgzip file ({exc})") from exc


def _decode_gt(gt: str) -> tuple[int, int, int]:
    """(code, allele index 1, allele index 2) for one GT string."""
    gt = gt.strip()
    if gt in ("", ".", "./.", ".|."):
        return _MISSING, -1, -1
    parts = gt.replace("|", "/").split("/")
    if len(parts) == 1:
        return (_HAPLOID if _is_uint(parts[0]) else _INVALID), -1, -1
    if len(parts) > 2:
        return _POLYPLOID, -1, -1
    if all(p == "." for p in parts):
        return _MISSING, -1, -1
    if any(p == "." for p in parts):
        return (_PARTIAL if all(p == "." or _is_uint(p) for p in parts) else _INVALID), -1, -1
    if not all(_is_uint(p) for p in parts):
        return _INVALID, -1, -1
    return _OK, int(parts[0]), int(parts[1])


def _gt_field(sample: str, gt_index: int) -> str:
    if gt_index == 0:
        return sample.partition(":")[0]
    sub = sample.split(":")
    return sub[gt_index] if gt_index < len(sub) else "."


class _Collector:
    """Warnings grouped by (rule, variant) so one finding carries the count."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.findings: list[Finding] = []
        self.rejected: dict[str, list[int]] = defaultdict(list)
        self.reject_examples: dict[str, str] = {}

    def warn(self, rule: str, column: str | None, message: str, count: int, lines=()) -> None:
        self.findings.append(
            Finding(level="warning", file=self.file, column=column, lines=list(lines)[:MAX_LINES_SHOWN],
                    message=message, rule=rule, count=count)
        )

    def reject(self, rule: str, line_no: int, example: str) -> None:
        self.rejected[rule].append(line_no)
        self.reject_examples.setdefault(rule, example)

    def flush_rejections(self) -> None:
        texts = {
            "vcf.columns": "wrong number of columns",
            "vcf.pos": "POS is not a positive integer",
        }
        for rule, lines in self.rejected.items():
            shown = ", ".join(str(n) for n in lines[:MAX_LINES_SHOWN])
            more = f" (and {len(lines) - MAX_LINES_SHOWN} more)" if len(lines) > MAX_LINES_SHOWN else ""
            self.findings.append(
                Finding(
                    level="error", file=self.file, column=None, lines=lines[:MAX_LINES_SHOWN],
                    message=f"{self.file}, line {shown}{more}: {texts[rule]}: "
                    f"{self.reject_examples[rule]}; line rejected",
                    rule=rule, count=len(lines),
                )
            )


@dataclass
class _Scan:
    """What one pass over the file found."""

    samples: list[str]
    build: str
    matched: dict[int, list[tuple[int, list[str]]]]  # variant index -> [(line number, fields)]


def _check_header(header: list[str], name: str, line_no: int) -> None:
    if len(header) < 8 or tuple(header[:8]) != FIXED_COLUMNS:
        raise CohortError(
            f"{name}, line {line_no}: the #CHROM header must be tab separated and start "
            f"with {' '.join(FIXED_COLUMNS)}"
        )
    if len(header) > 8 and header[8] != "FORMAT":
        raise CohortError(
            f"{name}, line {line_no}: column 9 of the #CHROM header is {header[8]!r}, "
            "expected FORMAT before the sample columns"
        )
    samples = header[9:]
    if len(set(samples)) != len(samples):
        raise CohortError(f"{name}, line {line_no}: duplicated sample column names")


def _scan(path: Path, catalogue: pd.DataFrame, forced_build: str | None, out: _Collector,
          report: FileReport) -> _Scan:
    """Read the file once: header, build, malformed lines, and the lines of catalogue variants."""
    rsid_to_variant = {rsid: i for i, rsid in enumerate(catalogue["rsid"].astype(str))}
    chrom_of = catalogue["chrom"].astype(str).map(_normalise_chrom).to_list()
    header: list[str] | None = None
    build = forced_build or "GRCh38"
    pos_to_variant: dict[tuple[str, int], int] = {}
    matched: dict[int, list[tuple[int, list[str]]]] = defaultdict(list)
    line_no = 0
    for raw in _open_lines(path):
        line_no += 1
        line = raw.rstrip("\r\n")
        if header is None:
            if line.startswith("##"):
                lowered = line.lower()
                if forced_build is None and lowered.startswith("##reference=") and any(
                    m in lowered for m in GRCH37_MARKERS
                ):
                    build = "GRCh37"
                continue
            if line.startswith("#CHROM"):
                header = line.split("\t")
                _check_header(header, path.name, line_no)
                for i, pos in enumerate(catalogue[position_column(build)]):
                    if not pd.isna(pos):
                        pos_to_variant[(chrom_of[i], int(pos))] = i
                continue
            if not line.strip():
                continue
            raise CohortError(
                f"{path.name}, line {line_no}: data before the #CHROM header line: "
                "not a VCF file (expected '##' meta lines then a '#CHROM POS ID REF ALT ...' header)"
            )
        if not line.strip():
            continue
        report.rows_read += 1
        n_fields = line.count("\t") + 1
        if n_fields != len(header):
            out.reject("vcf.columns", line_no, f"{n_fields} columns, expected {len(header)}")
            report.rows_rejected += 1
            continue
        head = line.split("\t", 8)
        if not _is_uint(head[1]) or int(head[1]) < 1:
            out.reject("vcf.pos", line_no, f"{head[1][:40]!r}, expected a positive integer")
            report.rows_rejected += 1
            continue
        variant = next((rsid_to_variant[v] for v in head[2].split(";") if v in rsid_to_variant), None)
        if variant is None:
            variant = pos_to_variant.get((_normalise_chrom(head[0]), int(head[1])))
        if variant is not None:
            matched[variant].append((line_no, line.split("\t")))
    if header is None:
        raise CohortError(
            f"{path.name}: no '#CHROM' header line found: not a VCF file "
            "(expected '##' meta lines then '#CHROM POS ID REF ALT QUAL FILTER INFO FORMAT <samples>')"
        )
    return _Scan(samples=header[9:], build=build, matched=matched)


def _warn_sample_mismatch(samples: list[str], patient_ids: list[str], has_column: np.ndarray,
                          out: _Collector) -> None:
    missing = [p for p, ok in zip(patient_ids, has_column) if not ok]
    if missing:
        shown = ", ".join(missing[:MAX_LINES_SHOWN]) + (", ..." if len(missing) > MAX_LINES_SHOWN else "")
        out.warn("vcf.patient_missing", None,
                 f"{out.file}: {len(missing)} patient(s) have no sample column ({shown}): "
                 "no-call for every variant", len(missing))
    patient_set = set(patient_ids)
    n_extra = sum(1 for s in samples if s not in patient_set)
    if n_extra:
        out.warn("vcf.sample_unknown", None,
                 f"{out.file}: {n_extra} sample column(s) are not patients of the cohort; ignored", n_extra)


def _counts_from_line(fields: list[str], sample_cols: list[int] | None, ref: str, alt: str,
                      ) -> tuple[np.ndarray, np.ndarray, dict[int, tuple[int, str]]]:
    """(ref counts, alt counts, {problem code: (n samples, GT spellings)}) for one usable line.

    ``sample_cols`` are the sample positions of the patients (None: all samples, in order). The
    line has GT in FORMAT and REF/ALT letters within {ref, alt}; counts are -1 for no-calls.
    Distinct sample strings are decoded once (a dict lookup per sample, no per-sample parsing).
    """
    letters = [fields[3].upper()] + ([] if fields[4] == "." else [fields[4].upper()])
    gt_index = fields[8].split(":").index("GT")
    values = fields[9:]
    if sample_cols is not None:
        values = [values[c] for c in sample_cols]
    seen: dict[str, int] = {}
    codes = np.fromiter((seen.setdefault(v, len(seen)) for v in values), dtype=np.int64, count=len(values))
    uniques = [_gt_field(v, gt_index) for v in seen]
    decoded = [_decode_gt(u) for u in uniques]
    status = np.array([d[0] for d in decoded], dtype=np.int8)
    idx1 = np.array([d[1] for d in decoded], dtype=np.int64)
    idx2 = np.array([d[2] for d in decoded], dtype=np.int64)
    status[(status == _OK) & ((idx1 >= len(letters)) | (idx2 >= len(letters)))] = _INVALID
    letter_arr = np.array(letters + [""], dtype=object)
    a1 = letter_arr[np.where(status == _OK, idx1, len(letters))]
    a2 = letter_arr[np.where(status == _OK, idx2, len(letters))]
    u_ref = (a1 == ref).astype(np.int8) + (a2 == ref).astype(np.int8)
    u_alt = (a1 == alt).astype(np.int8) + (a2 == alt).astype(np.int8)
    u_ref[status != _OK] = NO_CALL
    u_alt[status != _OK] = NO_CALL
    sample_status = status[codes]
    problems = {}
    for code in _PROBLEM_TEXT:
        n_bad = int((sample_status == code).sum())
        if n_bad:
            spellings = dict.fromkeys(u for u, s in zip(uniques, status) if s == code)
            problems[code] = (n_bad, ", ".join(repr(u) for u in spellings)[:80])
    return u_ref[codes], u_alt[codes], problems


def read_vcf(
    path: str | Path,
    patient_ids: Sequence[str],
    *,
    build: str | None = None,
    catalogue: pd.DataFrame | None = None,
) -> VcfReadResult:
    """Genotypes of ``patient_ids`` at the catalogue variants, with findings and a file report."""
    path = Path(path)
    catalogue = load_catalogue() if catalogue is None else catalogue.reset_index(drop=True)
    patient_ids = [str(p) for p in patient_ids]
    out = _Collector(path.name)
    report = FileReport(file=path.name)
    scan = _scan(path, catalogue, _normalise_build(build), out, report)
    out.flush_rejections()

    sample_index = {s: i for i, s in enumerate(scan.samples)}
    patient_col = np.array([sample_index.get(p, -1) for p in patient_ids], dtype=np.int64)
    has_column = patient_col >= 0
    _warn_sample_mismatch(scan.samples, patient_ids, has_column, out)
    rows_with = np.flatnonzero(has_column)
    cols_with = patient_col[has_column].tolist()
    if cols_with == list(range(len(scan.samples))):
        cols_with = None  # every sample is a patient, in order
    n_with = len(rows_with)

    n_patients, n_variants = len(patient_ids), len(catalogue)
    ref_counts = np.full((n_patients, n_variants), NO_CALL, dtype=np.int8)
    alt_counts = np.full((n_patients, n_variants), NO_CALL, dtype=np.int8)
    name = path.name
    for v, variant in enumerate(catalogue.itertuples(index=False)):
        rsid, ref, alt = str(variant.rsid), str(variant.ref).upper(), str(variant.alt).upper()
        lines = scan.matched.get(v, [])
        if not lines:
            out.warn("vcf.variant_absent", rsid,
                     f"{name}: {rsid} ({variant.gene}) is not in the file (build {scan.build}): "
                     f"no-call for {n_patients} patient(s), never the reference", n_patients)
            continue
        usable = []
        for line_no, fields in lines:
            problem = _line_problem(fields, ref, alt)
            if problem is None:
                usable.append((line_no, fields))
            else:
                out.warn(problem[0], rsid, f"{name}, line {line_no}, {rsid}: {problem[1]}; "
                         f"no-call for {n_with} sample(s)", n_with, [line_no])
        if len(usable) > 1:
            out.warn("vcf.variant_duplicate", rsid,
                     f"{name}, lines {', '.join(str(n) for n, _ in usable[:5])}, {rsid}: the variant "
                     f"appears on {len(usable)} lines; no-call for {n_with} sample(s)",
                     n_with, [n for n, _ in usable])
            continue
        if not usable or n_with == 0:
            continue
        line_no, fields = usable[0]
        if "GT" not in fields[8].split(":"):
            out.warn("vcf.no_gt", rsid, f"{name}, line {line_no}, {rsid}: FORMAT {fields[8][:40]!r} has no "
                     f"GT; no-call for {n_with} sample(s)", n_with, [line_no])
            continue
        line_ref, line_alt, problems = _counts_from_line(fields, cols_with, ref, alt)
        ref_counts[rows_with, v] = line_ref
        alt_counts[rows_with, v] = line_alt
        for code, (n_bad, shown) in problems.items():
            rule, text = _PROBLEM_TEXT[code]
            out.warn(rule, rsid, f"{name}, line {line_no}, {rsid}: {text} ({shown}) in {n_bad} "
                     "sample(s); no-call", n_bad, [line_no])

    genotypes = build_long_table(patient_ids, catalogue, ref_counts, alt_counts)
    n_unused = report.rows_accepted - sum(len(v) for v in scan.matched.values())
    return VcfReadResult(genotypes=genotypes, findings=out.findings, file_report=report,
                         build=scan.build, n_lines_unused=n_unused)


def _line_problem(fields: list[str], ref: str, alt: str) -> tuple[str, str] | None:
    """Why a matched line cannot give calls (rule, text), or None when usable."""
    line_ref = fields[3].upper()
    alts = [] if fields[4] == "." else fields[4].upper().split(",")
    if len(alts) > 1:
        return "vcf.multiallelic", f"multi-allelic site (REF {fields[3]!r}, ALT {fields[4]!r})"
    letters = [line_ref] + alts
    expected = {ref, alt}
    if all(a in expected for a in letters) and len(set(letters)) == len(letters):
        return None
    if all(a in COMPLEMENT and COMPLEMENT[a] in expected for a in letters):
        return ("vcf.strand",
                f"REF/ALT {fields[3]}/{fields[4]} are the other strand of the catalogue alleles "
                f"{ref}/{alt} (GRCh38 forward strand); not flipped")
    return ("vcf.allele_mismatch",
            f"REF/ALT {fields[3][:20]}/{fields[4][:20]} do not match the catalogue alleles {ref}/{alt}")
