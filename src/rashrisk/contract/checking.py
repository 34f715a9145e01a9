"""One table, whatever its source (a CSV or Parquet file, a DataFrame), through the same checks.

:func:`raw_table` turns a text frame into a :class:`RawTable` (blank rows dropped, each row's
location kept); :func:`check_table` records the table's :class:`FileReport`, rejects every row when
a required column is missing, else applies every row rule of the schema, and returns a record of
every row read (:class:`InputRows`): where it was, its patient id as written, accepted or not and why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rashrisk.contract.cohort import LoadReport
from rashrisk.findings import FileReport, Finding
from rashrisk.contract.rules import Context, RawTable, RuleResult, apply_rules, format_message
from rashrisk.contract.schema import FileSchema, rules_for
from rashrisk.errors import CohortError

ROW_RECORD_COLUMNS = ("patient_id", "line", "where", "accepted", "reason")

# A table source: called once, in contract order; returns the raw table and the blank rows skipped.
ReadTable = Callable[[], tuple[RawTable, int]]


def raw_table(text: pd.DataFrame, schema: FileSchema, *, label: str, first_row: int,
              row_word: str) -> tuple[RawTable, int]:
    """``text`` (every cell a str) as a RawTable of its non-blank rows; rows are numbered from
    ``first_row`` (2 for a file: line 1 is the header; 0 for a DataFrame)."""
    if not len(text.columns):
        raise CohortError(f"{label}: no columns (expected {', '.join(schema.present_columns)})")
    blank = (text.to_numpy() == "").all(axis=1) if len(text) else np.zeros(0, dtype=bool)
    lines = np.arange(first_row, len(text) + first_row)[~blank]
    text = text.loc[~blank].reset_index(drop=True)
    extra = [c for c in text.columns if c not in schema.names]
    return RawTable(label, text, lines, extra, row_word, strip_ids(text)), int(blank.sum())


ID_COLUMNS = ("patient_id",)


def strip_ids(text: pd.DataFrame) -> dict[str, np.ndarray]:
    """Strip leading and trailing spaces from the id columns of ``text`` in place (an id is matched
    across files exactly, so ' P1' and 'P1' are one patient); returns, per id column that had such
    spaces, its cells as written (the ``.spaces`` rules flag those rows and show the value written)."""
    as_written = {}
    for column in ID_COLUMNS:
        if column not in text.columns:
            continue
        cells = text[column].to_numpy(object)
        stripped = text[column].str.strip()
        if (stripped.to_numpy(object) != cells).any():
            as_written[column] = cells
            text[column] = stripped.astype(object)
    return as_written


NO_POSITIONS = np.zeros(0, dtype=np.int64)


def positions_by_id(ids) -> dict[str, np.ndarray]:
    """id -> the positions of its rows (int64, in row order): one grouping, for asking of many ids
    without one scan of the table per id."""
    return {key: np.asarray(rows, dtype=np.int64)
            for key, rows in pd.DataFrame({"id": np.asarray(ids, dtype=object)}).groupby("id", sort=False).indices.items()}


@dataclass
class InputRows:
    """Every row read from one table: arrays with one entry per row (no copy of the table is made),
    and the reasons of the rejected rows only."""

    table: str  # as messages name it: 'patients.csv', 'patients (DataFrame)'
    row_word: str  # 'line' (a file line) or 'row' (a DataFrame row position)
    patient_id: np.ndarray  # as written ('' when empty or the column is absent)
    line: np.ndarray  # int64: the file line, or the DataFrame row position
    accepted: np.ndarray  # bool
    reasons: dict[int, str]  # row index -> the messages of every error rule the row broke, '; '-joined
    warnings: dict[int, list[str]] = field(default_factory=dict)  # accepted row -> its warning messages
    _by_patient: dict | None = field(default=None, init=False, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.line)

    def where(self, i: int) -> str:
        """Row ``i`` located as messages do, e.g. 'patients.csv line 5', 'patients (DataFrame) row 3'."""
        return f"{self.table} {self.row_word} {int(self.line[i])}"

    def reason(self, i: int) -> str:
        return self.reasons.get(i, "")

    def of_patient(self, patient_id: str) -> np.ndarray:
        """Indices of the rows whose (stripped) patient_id is ``patient_id`` (in row order; the
        index of every patient's rows is built on the first call, so that asking for each patient
        of a large table is not one scan of the table per patient)."""
        if self._by_patient is None:
            self._by_patient = positions_by_id(self.patient_id)
        return self._by_patient.get(patient_id, NO_POSITIONS)

    def to_frame(self) -> pd.DataFrame:
        """One row per input row: ROW_RECORD_COLUMNS ('reason' is '' for an accepted row)."""
        n = len(self)
        return pd.DataFrame({"patient_id": self.patient_id, "line": self.line,
                             "where": [self.where(i) for i in range(n)], "accepted": self.accepted,
                             "reason": [self.reasons.get(i, "") for i in range(n)]}, columns=list(ROW_RECORD_COLUMNS))


@dataclass
class CheckedTable:
    table: RawTable
    result: RuleResult | None  # None when the table is unusable (a required column missing)
    rows: InputRows

    @property
    def usable(self) -> bool:
        return self.result is not None


def check_table(schema: FileSchema, read: ReadTable, context: Context, report: LoadReport,
                derive_fn=None) -> CheckedTable:
    """Read one table and check it: FileReport and findings recorded in ``report``."""
    table, blank_rows = read()
    name = table.file_name
    file_report = FileReport(name, rows_read=len(table.frame), extra_columns=list(table.extra_columns))
    report.files[name] = file_report
    if blank_rows:
        what = "line(s) skipped (not rows)" if table.row_word == "line" else "row(s) skipped (every cell missing)"
        report.findings.append(Finding("warning", name, None, [], f"{name}: {blank_rows} blank {what}",
                                       "file.blank_lines", blank_rows))
    missing = [c for c in schema.present_columns if c not in table.frame.columns]
    if missing:
        finding = _missing_columns(schema, table, missing)
        report.findings.append(finding)
        file_report.rows_rejected = len(table.frame)
        rejected = np.ones(len(table.frame), dtype=bool)
        return CheckedTable(table, None, input_rows(table, rejected, dict.fromkeys(range(len(rejected)),
                                                                                   finding.message)))
    for column in schema.names:
        if column not in table.frame.columns:
            table.frame[column] = ""
    result = apply_rules(schema, table, context, derive_fn)
    report.findings.extend(result.findings)
    file_report.rows_rejected = int(result.rejected.sum())
    reasons = {i: MESSAGE_SEPARATOR.join(m) for i, m in _row_messages(schema, table, result, "error").items()}
    rows = input_rows(table, result.rejected, reasons)
    rows.warnings = _row_messages(schema, table, result, "warning", skip=result.rejected)
    return CheckedTable(table, result, rows)


def _missing_columns(schema: FileSchema, table: RawTable, missing: list[str]) -> Finding:
    name = table.file_name
    near = {c.lower().strip(): c for c in table.frame.columns}
    hints = [f" (found {near[m]!r}: names are exact and lower case)" for m in missing if m in near]
    header = ", line 1: missing from the header" if table.row_word == "line" else ": missing from the columns"
    return Finding(
        "error", name, missing[0], [1] if table.row_word == "line" else [],
        f"{name}, column {', '.join(missing)}{header}{''.join(hints)} ... expected the required column(s) "
        f"{', '.join(schema.present_columns)}; all {len(table.frame)} row(s) rejected", "file.required_columns",
        len(table.frame))


MESSAGE_SEPARATOR = "; "


def _row_messages(schema: FileSchema, table: RawTable, result: RuleResult, level: str,
                  skip: np.ndarray | None = None) -> dict[int, list[str]]:
    """Row -> the messages of the ``level`` rules it broke, each naming that row alone (rows of
    ``skip`` left out: a rejected row's warnings are not reported)."""
    reasons: dict[int, list[str]] = {}
    for rule in rules_for(schema.key):
        mask = result.flagged.get(rule.id)
        if mask is not None and skip is not None:
            mask = mask & ~skip
        if rule.level != level or mask is None or not mask.any():
            continue
        raw = table.shown(rule.column) if rule.column in table.frame else None
        for position in np.flatnonzero(mask):
            shown = [raw[position]] if raw is not None else []
            reasons.setdefault(int(position), []).append(format_message(
                table.file_name, rule.column, [int(table.lines[position])], 1, shown, rule.expected,
                row_word=table.row_word))
    return reasons


def input_rows(table: RawTable, rejected: np.ndarray, reasons: dict[int, str]) -> InputRows:
    n = len(table.frame)
    ids = table.frame["patient_id"].to_numpy(object) if "patient_id" in table.frame else np.full(n, "", dtype=object)
    return InputRows(table.file_name, table.row_word, ids, np.asarray(table.lines, dtype=np.int64),
                     ~np.asarray(rejected, dtype=bool), reasons)
