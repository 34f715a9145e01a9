"""Read one cohort table (CSV or Parquet) as text, or raise CohortError naming the file.

Every cell comes back as a str ('' = missing) so that the rule engine sees exactly what the site
wrote; row ``i`` keeps its 1-based file line (header = line 1). Blank lines are not rows.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from rashrisk.contract.cohort import FileReport, Finding, LoadReport
from rashrisk.contract.rules import Context, RawTable, RuleResult, apply_rules
from rashrisk.contract.schema import FileSchema
from rashrisk.errors import CohortError


def find_table(folder: Path, stem: str) -> Path | None:
    """The CSV or Parquet file for ``stem``; CohortError when both exist (ambiguous)."""
    found = [folder / f"{stem}{ext}" for ext in (".csv", ".parquet") if (folder / f"{stem}{ext}").is_file()]
    if len(found) > 1:
        raise CohortError(f"{folder}: both {found[0].name} and {found[1].name} exist; keep only one of them")
    return found[0] if found else None


def read_table(path: Path, schema: FileSchema) -> tuple[RawTable, int]:
    """Read ``path``; returns the raw table and the number of blank lines skipped."""
    frame = _read_parquet(path) if path.suffix == ".parquet" else _read_csv(path)
    frame.columns = [str(c) for c in frame.columns]
    known = set(schema.names)
    if len(frame.columns) and not known.intersection(frame.columns):
        shown = ", ".join(repr(c) for c in list(frame.columns)[:5])
        raise CohortError(f"{path.name}: line 1 is not a header with the contract's column names "
                          f"(expected {', '.join(schema.present_columns)}; found {shown})")
    if not len(frame.columns):
        raise CohortError(f"{path.name}: no header row (expected {', '.join(schema.present_columns)})")
    blank = (frame.to_numpy() == "").all(axis=1) if len(frame) else np.zeros(0, dtype=bool)
    lines = np.arange(2, len(frame) + 2)[~blank]
    frame = frame.loc[~blank].reset_index(drop=True)
    extra = [c for c in frame.columns if c not in known]
    return RawTable(path.name, frame, lines, extra), int(blank.sum())


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, skip_blank_lines=False,
                                encoding="utf-8-sig", engine="c")
    except UnicodeDecodeError as exc:
        raise CohortError(f"{path.name}: not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV") from None
    except pd.errors.EmptyDataError:
        raise CohortError(f"{path.name}: the file is empty (expected a header row)") from None
    except (pd.errors.ParserError, csv.Error, ValueError, OverflowError, Warning) as exc:
        raise CohortError(f"{path.name}: not a readable CSV file ({_short(exc)})") from None
    _check_unique_header(path)
    return frame.fillna("").astype(str)


def _check_unique_header(path: Path) -> None:
    """pandas renames a repeated header name ('sex' -> 'sex.1') and would read the copy as an extra
    column; a column named twice is ambiguous, so it is an error naming the column."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), [])
    seen: set[str] = set()
    for name in header:
        if name in seen and name != "":
            raise CohortError(f"{path.name}, column {name}, line 1: the header names {name!r} "
                              f"{header.count(name)} times ... expected each column once")
        seen.add(name)


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError, TypeError) as exc:
        raise CohortError(f"{path.name}: not a readable Parquet file ({_short(exc)})") from None
    return pd.DataFrame({str(c): _as_text(frame[c]) for c in frame.columns}, index=range(len(frame)))


def _as_text(column: pd.Series) -> pd.Series:
    """A typed Parquet column as the text a CSV would hold ('' = missing)."""
    column = column.reset_index(drop=True)
    missing = column.isna().to_numpy()
    if pd.api.types.is_datetime64_any_dtype(column):
        text = column.map(lambda v: "" if pd.isna(v) else v.isoformat())
    elif pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        text = column.astype(object).astype(str)  # vectorised; bool -> 'True'/'False'
    else:
        text = column.map(lambda v: "" if v is None or v is pd.NA or v is pd.NaT
                          or (isinstance(v, float) and np.isnan(v)) else str(v))
    return text.where(~missing, "").astype(object)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def read_checked(schema: FileSchema, path: Path, report: LoadReport) -> RawTable | None:
    """Read a table and record its FileReport; None when a required column is missing (all rejected)."""
    table, blank_lines = read_table(path, schema)
    file_report = FileReport(path.name, rows_read=len(table.frame), extra_columns=list(table.extra_columns))
    report.files[path.name] = file_report
    if blank_lines:
        report.findings.append(Finding("warning", path.name, None, [], f"{path.name}: {blank_lines} blank "
                                       "line(s) skipped (not rows)", "file.blank_lines", blank_lines))
    missing = [c for c in schema.present_columns if c not in table.frame.columns]
    if missing:
        near = {c.lower().strip(): c for c in table.frame.columns}
        hints = [f" (found {near[m]!r}: names are exact and lower case)" for m in missing if m in near]
        report.findings.append(Finding(
            "error", path.name, missing[0], [1],
            f"{path.name}, column {', '.join(missing)}, line 1: missing from the header{''.join(hints)} ... "
            f"expected the required column(s) {', '.join(schema.present_columns)}; all "
            f"{len(table.frame)} row(s) rejected", "file.required_columns", len(table.frame)))
        file_report.rows_rejected = len(table.frame)
        return None
    for column in schema.names:
        if column not in table.frame.columns:
            table.frame[column] = ""
    return table


def read_and_check_rows(schema: FileSchema, path: Path, context: Context, report: LoadReport,
                        derive_fn=None) -> tuple[RawTable, RuleResult] | None:
    """:func:`read_checked`, then every row rule of ``schema``: findings recorded, rejected rows
    counted in the file's report. None when the file is unusable (every row rejected)."""
    table = read_checked(schema, path, report)
    if table is None:
        return None
    result = apply_rules(schema, table, context, derive_fn)
    report.findings.extend(result.findings)
    report.files[path.name].rows_rejected = int(result.rejected.sum())
    return table, result
