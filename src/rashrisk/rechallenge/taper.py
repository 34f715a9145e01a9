"""The clinician's steroid taper, shown as entered (rashrisk never chooses steroid doses).

A CSV with a header and the columns ``day`` (plan day, an integer >= 1), ``steroid`` (text) and
``dose`` (text, as the clinician writes it, e.g. "30 mg/day"), optionally ``note``; or a .json list
of objects with the same keys. Every row is kept in its order; a bad row is an error naming the file,
column, line, value and what was expected.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from rashrisk.errors import RashriskError

REQUIRED = ("day", "steroid", "dose")
ALLOWED = (*REQUIRED, "note")


def check_taper(rows, source: str = "taper", *, first_line: int = 2, row_word: str = "line", lines=None) -> list[dict]:
    """The taper rows checked (``day`` an integer >= 1; ``steroid`` and ``dose`` non-empty text)."""
    if not isinstance(rows, list):
        raise RashriskError(f"{source}: expected a list of rows with {', '.join(REQUIRED)}")
    out = []
    for i, row in enumerate(rows):
        where = f"{source}, {row_word} {lines[i] if lines else i + first_line}"
        if not isinstance(row, dict):
            raise RashriskError(f"{where}: expected an object with {', '.join(REQUIRED)}")
        unknown = sorted(set(row) - set(ALLOWED))
        if unknown:
            raise RashriskError(f"{where}: unknown column(s) {unknown}; expected {', '.join(ALLOWED)}")
        for key in REQUIRED:
            if key not in row or row[key] is None or str(row[key]).strip() == "":
                raise RashriskError(f"{where}, column {key}: empty; expected a value")
        day = str(row["day"]).strip()
        if not day.isdigit() or int(day) < 1:
            raise RashriskError(f"{where}, column day: {row['day']!r}; expected the plan day, an integer >= 1")
        out.append({"day": int(day), "steroid": str(row["steroid"]).strip(), "dose": str(row["dose"]).strip(),
                    "note": str(row.get("note") or "").strip()})
    return out


def read_taper(path) -> list[dict]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RashriskError(f"--taper {path}: file not found; expected a CSV (day, steroid, dose) or a JSON list") from None
    if path.suffix.lower() == ".json":
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RashriskError(f"--taper {path.name}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
        return check_taper(rows, path.name, first_line=0, row_word="item")
    reader = csv.DictReader(text.splitlines())
    if reader.fieldnames is None or not set(REQUIRED) <= set(reader.fieldnames):
        raise RashriskError(f"--taper {path.name}: line 1 must be a header with {', '.join(REQUIRED)} (found {reader.fieldnames})")
    rows, lines = [], []
    for r in reader:
        rows.append({k: v for k, v in r.items() if k is not None})
        lines.append(reader.line_num)
    return check_taper(rows, path.name, lines=lines)
