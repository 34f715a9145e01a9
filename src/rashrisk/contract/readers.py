"""Read one cohort table file (CSV or Parquet) as text, or raise CohortError naming the file.

Every cell comes back as a str ('' = missing) so that the rule engine sees exactly what the site
wrote; row ``i`` keeps its 1-based file line (header = line 1). Blank lines are not rows. The
checks that follow are the same for every source (:mod:`rashrisk.contract.checking`).
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import pandas as pd

from rashrisk.contract.checking import raw_table
from rashrisk.contract.rules import RawTable
from rashrisk.contract.schema import FileSchema
from rashrisk.contract.text import frame_as_text
from rashrisk.errors import CohortError


def find_table(folder: Path, stem: str) -> Path | None:
    """The CSV or Parquet file for ``stem``; CohortError when both exist (ambiguous)."""
    found = [folder / f"{stem}{ext}" for ext in (".csv", ".parquet") if (folder / f"{stem}{ext}").is_file()]
    if len(found) > 1:
        raise CohortError(f"{folder}: both {found[0].name} and {found[1].name} exist; keep only one of them")
    return found[0] if found else None


def read_table(path: Path, schema: FileSchema, *, label: str | None = None) -> tuple[RawTable, int]:
    """Read ``path``; returns the raw table and the number of blank lines skipped. Messages about its
    rows name the file as ``label`` (default: the file's name)."""
    label = label or path.name
    frame = _read_parquet(path, label) if path.suffix == ".parquet" else _read_csv(path, label)
    frame.columns = [str(c) for c in frame.columns]
    if len(frame.columns) and not set(schema.names).intersection(frame.columns):
        shown = ", ".join(repr(c) for c in list(frame.columns)[:5])
        raise CohortError(f"{label}: line 1 is not a header with the contract's column names "
                          f"(expected {', '.join(schema.present_columns)}; found {shown})")
    if not len(frame.columns):
        raise CohortError(f"{label}: no header row (expected {', '.join(schema.present_columns)})")
    return raw_table(frame, schema, label=label, first_row=2, row_word="line")


def _read_csv(path: Path, label: str) -> pd.DataFrame:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, skip_blank_lines=False,
                                encoding="utf-8-sig", engine="c")
    except UnicodeDecodeError as exc:
        raise CohortError(f"{label}: not UTF-8 text (byte {exc.start}); save it as UTF-8 CSV") from None
    except pd.errors.EmptyDataError:
        raise CohortError(f"{label}: the file is empty (expected a header row)") from None
    except (pd.errors.ParserError, csv.Error, ValueError, OverflowError, Warning) as exc:
        raise CohortError(f"{label}: not a readable CSV file ({_short(exc)})") from None
    _check_unique_header(path, label)
    return frame.fillna("").astype(str)


def _check_unique_header(path: Path, label: str) -> None:
    """pandas renames a repeated header name ('sex' -> 'sex.1') and would read the copy as an extra
    column; a column named twice is ambiguous, so it is an error naming the column."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), [])
    seen: set[str] = set()
    for name in header:
        if name in seen and name != "":
            raise CohortError(f"{label}, column {name}, line 1: the header names {name!r} "
                              f"{header.count(name)} times ... expected each column once")
        seen.add(name)


def _read_parquet(path: Path, label: str) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError, TypeError) as exc:
        raise CohortError(f"{label}: not a readable Parquet file ({_short(exc)})") from None
    return frame_as_text(frame)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
