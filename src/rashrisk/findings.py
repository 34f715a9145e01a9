"""What reading an input file found: :class:`FileReport` (rows read, rejected, extra columns) and
:class:`Finding` (one error or warning, grouped by rule).

Both the cohort contract and the genotype readers (VCF, genotype QC) report with these, so they
live below both.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FileReport:
    """What happened to one input file: every row read is accepted or rejected."""

    file: str
    rows_read: int = 0
    rows_rejected: int = 0
    extra_columns: list[str] = field(default_factory=list)

    @property
    def rows_accepted(self) -> int:
        return self.rows_read - self.rows_rejected

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "rows_read": self.rows_read,
            "rows_accepted": self.rows_accepted,
            "rows_rejected": self.rows_rejected,
            "extra_columns": list(self.extra_columns),
        }


MAX_LINES_SHOWN = 5  # a finding names at most this many lines (its count says how many rows)


@dataclass
class Finding:
    """One error (row rejected or file unusable) or warning (row kept), grouped by rule."""

    level: str  # "error" | "warning"
    file: str
    column: str | None
    lines: list[int]  # 1-based file lines (header = line 1); may be empty for file-level findings
    message: str  # names file, column, up to five lines, the bad value and what was expected
    rule: str = ""  # the schema rule id that produced it
    count: int = 0  # how many rows it concerns (lines lists at most five of them)

    def to_dict(self) -> dict:
        return {
            "level": self.level,
            "file": self.file,
            "column": self.column,
            "lines": list(self.lines),
            "count": self.count,
            "rule": self.rule,
            "message": self.message,
        }
