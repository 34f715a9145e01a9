"""Write a table as CSV, Parquet or JSON, chosen by the file extension, atomically (:mod:`rashrisk.atomic`:
the previous file stays whole until the new one is complete; an OS error is one RashriskError)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from rashrisk.atomic import atomic_file, write_text, write_with
from rashrisk._json import json_safe
from rashrisk._records import frame_records
from rashrisk.errors import RashriskError

FORMATS = (".csv", ".parquet", ".json")


def check_output_path(path) -> Path:
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise RashriskError(f"--out {path}: unknown extension {path.suffix!r}; expected one of {', '.join(FORMATS)}")
    return path


def table_records(table: pd.DataFrame) -> list[dict]:
    """The rows of ``table`` as JSON-able records (what a .json output holds, and what the service returns)."""
    return [{k: json_safe(v) for k, v in row.items()} for row in frame_records(table)]


def write_table(table: pd.DataFrame, path) -> Path:
    path = check_output_path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        # full precision (shortest round-trip repr): risks, intervals and log-odds read back exactly
        with atomic_file(path, "w") as handle:
            table.to_csv(handle, index=False)
    elif suffix == ".parquet":
        write_with(path, lambda handle: table.to_parquet(handle, index=False))
    else:
        write_text(path, json.dumps(table_records(table), indent=1, ensure_ascii=False) + "\n")
    return path
