"""Rejected input rows and training: refused by default, dropped on request and then recorded.

A cohort whose loader rejected rows (a bad age, an unknown unit, a duplicate patient) would train on
the accepted rows only, a different cohort from the one the user pointed at. Training therefore
refuses it (:func:`check_rejected_rows`) with the counts per file and rule, unless the caller passes
``drop_invalid=True`` (``rashrisk train --drop-invalid``); the card's ``trained_on.rejected`` and the
MLflow run then record what was dropped: counts per file and rule, never a row's id or value.
"""

from __future__ import annotations

from rashrisk.errors import RashriskError


def rejected_rows(cohort) -> dict:
    """What the loader rejected, as counts: ``{"rows": total rejected rows, "files": {file:
    {"rows_read", "rows_rejected"}}, "rules": {file: {rule id: rows}}}`` (empty dict when nothing
    was rejected). A row that broke two rules counts once per rule."""
    report = getattr(cohort, "report", None)
    if report is None:
        return {}
    files = {name: {"rows_read": int(f.rows_read), "rows_rejected": int(f.rows_rejected)}
             for name, f in sorted(report.files.items()) if f.rows_rejected}
    rules: dict[str, dict[str, int]] = {}
    for finding in report.errors:
        per_file = rules.setdefault(str(finding.file), {})
        rule = finding.rule or "other"
        per_file[rule] = per_file.get(rule, 0) + int(finding.count or len(finding.lines) or 1)
    for file in list(rules):
        if file not in files:  # a finding of a file with no rejected row (e.g. a file-level note)
            files[file] = {"rows_read": int(report.files[file].rows_read) if file in report.files else 0,
                           "rows_rejected": 0}
    total = sum(f["rows_rejected"] for f in files.values())
    if not total and not rules:
        return {}
    return {"rows": int(total), "files": files, "rules": {f: dict(sorted(r.items())) for f, r in sorted(rules.items())}}


def rejected_sentence(rejected: dict) -> str:
    """``"99 rows: patients.csv 60 of 500 (age_years.range 40, sex.allowed 20); tdm.csv 39 of 800 (...)"``."""
    parts = []
    for file, counts in (rejected.get("files") or {}).items():
        rules = ", ".join(f"{rule} {n}" for rule, n in (rejected.get("rules") or {}).get(file, {}).items())
        parts.append(f"{file} {counts['rows_rejected']} of {counts['rows_read']}" + (f" ({rules})" if rules else ""))
    return f"{rejected.get('rows', 0)} rows: " + "; ".join(parts)


def check_rejected_rows(cohort, *, drop_invalid: bool) -> dict:
    """The record of rejected rows (see :func:`rejected_rows`); raises :class:`RashriskError` when
    there are any and ``drop_invalid`` is false."""
    rejected = rejected_rows(cohort)
    if rejected and not drop_invalid:
        name = getattr(cohort, "name", "cohort")
        raise RashriskError(
            f"{name}: the loader rejected input rows, {rejected_sentence(rejected)} (rows per rule; a row can break "
            f"several rules). Training on the accepted rows alone would train on another cohort than the one given. "
            f"Fix the rows (`rashrisk validate {getattr(cohort, 'path', None) or name}` lists them), or pass "
            "--drop-invalid (Python: drop_invalid=True) to train on the accepted rows; the model card and the "
            "MLflow run then record what was dropped.")
    return rejected
