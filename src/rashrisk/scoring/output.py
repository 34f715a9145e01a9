"""Write a table as CSV, Parquet or JSON, chosen by the file extension."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from rashrisk._json import json_safe
from rashrisk.errors import RashriskError

FORMATS = (".csv", ".parquet", ".json")


def check_output_path(path) -> Path:
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise RashriskError(f"--out {path}: unknown extension {path.suffix!r}; expected one of {', '.join(FORMATS)}")
    return path


def write_table(table: pd.DataFrame, path) -> Path:
    path = check_output_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        # full precision (shortest round-trip repr): risks, intervals and log-odds read back exactly
        table.to_csv(path, index=False)
    elif suffix == ".parquet":
        table.to_parquet(path, index=False)
    else:
        records = [{k: json_safe(v) for k, v in row.items()} for row in table.to_dict(orient="records")]
        path.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
