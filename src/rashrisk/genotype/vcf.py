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

from rashrisk.contract.cohort import FileReport, Finding
from rashrisk.errors import CohortError, RashriskError
from rashrisk.genotype.alleles import COMPLEMENT
from rashrisk.genotype.catalogue import BUILDS, load_catalogue, position_column
from rashrisk.genotype.table import NO_CALL, build_long_table

GRCH37_MARKERS = ("grch37", "hg19", "b37", "hs37")
FIXED_COLUMNS = ("#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO")
MAX_LINES_IN_MESSAGE = 5

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
    findings: list[Finding] = field(default_factory=list)
    file_report: FileReport | None = None
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


def _gt_strings(samples: list[str], gt_index: int) -> list[str]:
    if gt_index == 0:
        return [s.partition(":")[0] for s in samples]
    out = []
    for s in samples:
        sub = s.split(":")
        out.append(sub[gt_index] if gt_index < len(sub) else ".")
    return out


class _Collector:
    """Warnings grouped by (rule, variant) so one finding carries the count."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.findings: list[Finding] = []
        self.rejected: dict[str, list[int]] = defaultdict(list)
        self.reject_examples: dict[str, str] = {}

    def warn(self, rule: str, column: str | None, message: str, count: int, lines=()) -> None:
        self.findings.append(
            Finding(level="warning", file=self.file, column=column, lines=list(lines)[:MAX_LINES_IN_MESSAGE],
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
            shown = ", ".join(str(n) for n in lines[:MAX_LINES_IN_MESSAGE])
            more = f" (and {len(lines) - MAX_LINES_IN_MESSAGE} more)" if len(lines) > MAX_LINES_IN_MESSAGE else ""
            self.findings.append(
                Finding(
                    level="error", file=self.file, column=None, lines=lines[:MAX_LINES_IN_MESSAGE],
                    message=f"{self.file}, line {shown}{more}: {texts[rule]}: "
                    f"{self.reject_examples[rule]}; line rejected",
                    rule=rule, count=len(lines),
                )
            )


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
    forced_build = _normalise_build(build)
    out = _Collector(path.name)
    report = FileReport(file=path.name)

    rsid_to_variant = {rsid: i for i, rsid in enumerate(catalogue["rsid"].astype(str))}
    chrom_of = catalogue["chrom"].astype(str).map(_normalise_chrom).to_list()
    cat_ref = catalogue["ref"].astype(str).str.upper().to_list()
    cat_alt = catalogue["alt"].astype(str).str.upper().to_list()

    header: list[str] | None = None
    header_build: str | None = None
    pos_to_variant: dict[tuple[str, int], int] = {}
    matched: dict[int, list[tuple[int, list[str]]]] = defaultdict(list)  # variant -> [(line, fields)]
    n_columns = 0
    line_no = 0
    for raw in _open_lines(path):
        line_no += 1
        line = raw.rstrip("\r\n")
        if header is None:
            if line.startswith("##"):
                if line.lower().startswith("##reference=") and any(
                    m in line.lower() for m in GRCH37_MARKERS
                ):
                    header_build = "GRCh37"
                continue
            if line.startswith("#CHROM"):
                header = line.split("\t")
                if len(header) < 8 or tuple(header[:8]) != FIXED_COLUMNS:
                    raise CohortError(
                        f"{path.name}, line {line_no}: the #CHROM header must be tab separated and start "
                        f"with {' '.join(FIXED_COLUMNS)}"
                    )
                if len(header) > 8 and header[8] != "FORMAT":
                    raise CohortError(
                        f"{path.name}, line {line_no}: column 9 of the #CHROM header is "
                        f"{header[8]!r}, expected FORMAT before the sample columns"
                    )
                samples = header[9:]
                if len(set(samples)) != len(samples):
                    raise CohortError(f"{path.name}, line {line_no}: duplicated sample column names")
                n_columns = len(header)
                used_build = forced_build or header_build or "GRCh38"
                pos_col = position_column(used_build)
                for i, pos in enumerate(catalogue[pos_col]):
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
        if line.count("\t") + 1 != n_columns:
            out.reject("vcf.columns", line_no, f"{line.count(chr(9)) + 1} columns, expected {n_columns}")
            continue
        head = line.split("\t", 8)
        pos_text = head[1]
        if not _is_uint(pos_text) or int(pos_text) < 1:
            out.reject("vcf.pos", line_no, f"{pos_text[:40]!r}, expected a positive integer")
            continue
        report.rows_accepted += 1
        variant = None
        for vid in head[2].split(";"):
            if vid in rsid_to_variant:
                variant = rsid_to_variant[vid]
                break
        if variant is None:
            variant = pos_to_variant.get((_normalise_chrom(head[0]), int(pos_text)))
        if variant is None:
            continue
        matched[variant].append((line_no, line.split("\t")))

    if header is None:
        raise CohortError(
            f"{path.name}: no '#CHROM' header line found: not a VCF file "
            "(expected '##' meta lines then '#CHROM POS ID REF ALT QUAL FILTER INFO FORMAT <samples>')"
        )
    out.flush_rejections()
    used_build = forced_build or header_build or "GRCh38"

    samples = header[9:]
    sample_index = {s: i for i, s in enumerate(samples)}
    patient_col = np.array([sample_index.get(p, -1) for p in patient_ids], dtype=np.int64)
    has_column = patient_col >= 0
    n_without = int((~has_column).sum())
    if n_without:
        example = ", ".join(p for p, ok in zip(patient_ids, has_column) if not ok)
        if n_without > MAX_LINES_IN_MESSAGE:
            example = ", ".join([p for p, ok in zip(patient_ids, has_column) if not ok][:MAX_LINES_IN_MESSAGE]) + ", ..."
        out.warn("vcf.patient_missing", None,
                 f"{path.name}: {n_without} patient(s) have no sample column ({example}): "
                 "no-call for every variant", n_without)
    patient_set = set(patient_ids)
    n_extra = sum(1 for s in samples if s not in patient_set)
    if n_extra:
        out.warn("vcf.sample_unknown", None,
                 f"{path.name}: {n_extra} sample column(s) are not patients of the cohort; ignored",
                 n_extra)

    n_patients, n_variants = len(patient_ids), len(catalogue)
    ref_counts = np.full((n_patients, n_variants), NO_CALL, dtype=np.int8)
    alt_counts = np.full((n_patients, n_variants), NO_CALL, dtype=np.int8)
    n_with = int(has_column.sum())
    rows_with = np.flatnonzero(has_column)
    cols_with = patient_col[has_column]

    for v in range(n_variants):
        rsid = str(catalogue["rsid"].iloc[v])
        lines = matched.get(v, [])
        usable = []
        for line_no_v, fields in lines:
            problem = _line_problem(fields, cat_ref[v], cat_alt[v])
            if problem is None:
                usable.append((line_no_v, fields))
            else:
                out.warn(problem[0], rsid,
                         f"{path.name}, line {line_no_v}, {rsid}: {problem[1]}; no-call for {n_with} "
                         "sample(s)", n_with, [line_no_v])
        if not lines:
            out.warn("vcf.variant_absent", rsid,
                     f"{path.name}: {rsid} ({catalogue['gene'].iloc[v]}) is not in the file "
                     f"(build {used_build}): no-call for {n_patients} patient(s), never the reference",
                     n_patients)
            continue
        if len(usable) > 1:
            out.warn("vcf.variant_duplicate", rsid,
                     f"{path.name}, lines {', '.join(str(n) for n, _ in usable[:5])}, {rsid}: the variant "
                     f"appears on {len(usable)} lines; no-call for {n_with} sample(s)",
                     n_with, [n for n, _ in usable])
            continue
        if not usable or n_with == 0:
            continue
        line_no_v, fields = usable[0]
        letters = [fields[3].upper()] + ([] if fields[4] == "." else [fields[4].upper()])
        format_keys = fields[8].split(":") if len(fields) > 8 else []
        if "GT" not in format_keys:
            out.warn("vcf.no_gt", rsid,
                     f"{path.name}, line {line_no_v}, {rsid}: FORMAT {fields[8] if len(fields) > 8 else ''!r} "
                     f"has no GT; no-call for {n_with} sample(s)", n_with, [line_no_v])
            continue
        gt_strings = _gt_strings([fields[9 + c] for c in cols_with], format_keys.index("GT"))
        codes, uniques = pd.factorize(pd.Index(gt_strings), sort=False)
        decoded = [_decode_gt(u) for u in uniques]
        status = np.array([d[0] for d in decoded], dtype=np.int8)
        idx1 = np.array([d[1] for d in decoded], dtype=np.int64)
        idx2 = np.array([d[2] for d in decoded], dtype=np.int64)
        out_of_range = (status == _OK) & ((idx1 >= len(letters)) | (idx2 >= len(letters)))
        status[out_of_range] = _INVALID
        letter_arr = np.array(letters + [""], dtype=object)
        a1 = letter_arr[np.where(status == _OK, idx1, len(letters))]
        a2 = letter_arr[np.where(status == _OK, idx2, len(letters))]
        u_ref = (a1 == cat_ref[v]).astype(np.int8) + (a2 == cat_ref[v]).astype(np.int8)
        u_alt = (a1 == cat_alt[v]).astype(np.int8) + (a2 == cat_alt[v]).astype(np.int8)
        u_ref[status != _OK] = NO_CALL
        u_alt[status != _OK] = NO_CALL
        ref_counts[rows_with, v] = u_ref[codes]
        alt_counts[rows_with, v] = u_alt[codes]
        sample_status = status[codes]
        for code, (rule, text) in _PROBLEM_TEXT.items():
            n_bad = int((sample_status == code).sum())
            if n_bad:
                shown = ", ".join(repr(u) for u, s in zip(uniques, status) if s == code)[:80]
                out.warn(rule, rsid,
                         f"{path.name}, line {line_no_v}, {rsid}: {text} ({shown}) in {n_bad} sample(s); "
                         "no-call", n_bad, [line_no_v])

    genotypes = build_long_table(patient_ids, catalogue, ref_counts, alt_counts)
    report.rows_rejected = report.rows_read - report.rows_accepted
    n_unused = report.rows_accepted - sum(len(v) for v in matched.values())
    return VcfReadResult(genotypes=genotypes, findings=out.findings, file_report=report,
                         build=used_build, n_lines_unused=n_unused)


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
