"""The rule engine's row-wise evaluators, for small tables (a one-patient request: one patients row,
a few genotype rows, a few samples).

The same declared :class:`~rashrisk.contract.schema.Rule` objects and check names as the vectorised
evaluators of :mod:`rashrisk.contract.rules`, the same parsers' results (a column's typed values and
its failed cells) and the same masks, computed on the cells as Python values and numpy arrays
instead of a few pandas operations per column and rule: on a table of one row those operations cost
tens of microseconds each, the values themselves nothing. :func:`rashrisk.contract.rules.apply_rules`
uses these up to :data:`SMALL_TABLE_ROWS` rows; findings, messages and the canonical tables are
made by the same code either way. tests/contract/test_row_rules.py fuzzes both on the same tables
and requires identical results.

Parsers and checks whose vectorised form is already numpy or Arrow on the cells (ranges, regular
expressions, UTC offsets) are not duplicated: they are called as they are; numbers go through the
vectorised parser's Arrow conversion; plain local dates and times (``2025-03-17``, ``2025-03-17T08:00``)
are read directly, any other time text by pandas' ISO 8601 parser as in the vectorised engine.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from rashrisk.contract.parse import _to_float, parse_column
from rashrisk.contract.schema import BOOLEAN_SPELLINGS, TODAY, Col, Column
from rashrisk.genotype.alleles import allele_counts, parse_genotype

SMALL_TABLE_ROWS = 32  # up to this many rows, the row-wise evaluators (a one-patient request's tables)


def parse_cells(raw: pd.Series, column: Column) -> tuple[pd.Series | np.ndarray, np.ndarray]:
    """``parse_column`` of one small raw column: (typed values, failed cells), the same values."""
    cells = raw.to_numpy(object)
    if column.allowed:
        spellings = column.spellings()
        values = np.empty(len(cells), dtype=object)
        values[:] = [spellings.get(c.lower()) for c in cells]
        return values, np.zeros(len(cells), dtype=bool)
    if column.type in ("date", "datetime"):
        values = plain_times(cells)
        if values is None:  # anything but plain local times: pandas' ISO 8601 parser, as the vectorised engine
            return parse_column(raw, column)
        return values, np.zeros(len(cells), dtype=bool)
    return _ROW_PARSERS[column.type](cells)


# a plain local ISO 8601 date or date and time, as the clinics write them (no offset, no fraction)
_PLAIN_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?", re.ASCII)
_NS_YEARS = (1678, 2261)  # well inside datetime64[ns] (1677-09-21 .. 2262-04-11)


def plain_times(cells: np.ndarray) -> np.ndarray | None:
    """datetime64[ns] of cells that are all plain local dates or times ('' = NaT), exactly as pandas
    reads them; None when any cell is something else (an offset, a fraction, spaces, another form,
    an impossible date, a year near the ends of the datetime64[ns] range)."""
    out = np.full(len(cells), np.datetime64("NaT"), dtype="datetime64[ns]")
    for i, cell in enumerate(cells):
        if cell == "":
            continue
        match = _PLAIN_TIME.fullmatch(cell)
        if match is None:
            return None
        year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
        if not _NS_YEARS[0] <= year <= _NS_YEARS[1]:
            return None
        try:
            out[i] = np.datetime64(dt.datetime(year, month, day, hour, minute, second), "ns")
        except ValueError:  # 2025-02-30, 25:00: pandas' parser decides (NaT)
            return None
    return out


def _number(cells: np.ndarray):
    x = _to_float(cells)  # the vectorised parser's own Arrow conversion, on the cells
    finite = np.isfinite(x)
    return np.where(finite, x, np.nan), (cells != "") & ~finite


def _integer(cells: np.ndarray):
    x, failed = _number(cells)
    fractional = np.isfinite(x) & (np.floor(x) != x)
    return np.where(fractional, np.nan, x), failed | fractional


def _string(cells: np.ndarray):
    values = np.empty(len(cells), dtype=object)
    values[:] = [None if c == "" else c for c in cells]
    return values, np.zeros(len(cells), dtype=bool)


def _boolean(cells: np.ndarray):
    out = np.full(len(cells), np.nan)
    failed = np.zeros(len(cells), dtype=bool)
    for i, c in enumerate(cells):
        value = BOOLEAN_SPELLINGS.get(c.lower())
        if value is None and c != "":
            value = BOOLEAN_SPELLINGS.get(c.strip().lower())
        if value is None:
            failed[i] = c != ""
        else:
            out[i] = value
    return out, failed


def _genotype(cells: np.ndarray):
    values = np.empty(len(cells), dtype=object)
    failed = np.zeros(len(cells), dtype=bool)
    for i, c in enumerate(cells):
        try:
            values[i] = parse_genotype(c)
        except ValueError:
            failed[i] = True
    return values, failed


_ROW_PARSERS = {"string": _string, "number": _number, "integer": _integer, "boolean": _boolean,
                "genotype": _genotype}


def _missing(values: np.ndarray) -> np.ndarray:
    return np.asarray(pd.isna(values), dtype=bool)


def check_allowed(rule, s) -> np.ndarray:
    name = rule.params["on"]
    return (s.raw(name).to_numpy(object) != "") & _missing(s.value(name).to_numpy())


def check_soft_allowed(rule, s) -> np.ndarray:
    x = s.value(rule.params["on"]).to_numpy()
    usual = set(rule.params["values"])
    return np.array([not pd.isna(v) and v not in usual for v in x], dtype=bool)


def check_unique(rule, s) -> np.ndarray:
    keys = list(rule.params["on"])
    rows = list(zip(*(s.raw(k).to_numpy(object).tolist() for k in keys)))
    counts: dict[tuple, int] = {}
    for row in rows:
        counts[row] = counts.get(row, 0) + 1
    return np.array([counts[row] > 1 and all(c != "" for c in row) for row in rows], dtype=bool)


def check_patient_known(rule, s) -> np.ndarray:
    read = set(s.need("patient_ids_read"))
    return np.array([c != "" and c not in read for c in s.raw("patient_id").to_numpy(object)], dtype=bool)


def check_patient_accepted(rule, s) -> np.ndarray:
    read, accepted = set(s.need("patient_ids_read")), set(s.need("patient_ids_accepted"))
    return np.array([c in read and c not in accepted for c in s.raw("patient_id").to_numpy(object)], dtype=bool)


def check_condition(rule, s, ops) -> np.ndarray:
    """As the vectorised ``condition``: a violation where every term holds; a missing value never
    satisfies a comparison."""
    bad = np.ones(len(s.values), dtype=bool)
    for term in rule.params["when"]:
        left = s.value(term[0]).to_numpy()
        if term[1] == "isna":
            bad &= _missing(left)
            continue
        if term[1] == "notna":
            bad &= ~_missing(left)
            continue
        if term[1] == "in":
            allowed = set(term[2])
            bad &= np.array([not pd.isna(v) and v in allowed for v in left], dtype=bool)
            continue
        right = term[2]
        present = ~_missing(left)
        if isinstance(right, Col):
            right = s.value(right.name).to_numpy()
            present &= ~_missing(right)
        elif right == TODAY:
            right = np.datetime64(s.context.today.to_datetime64(), "ns")
        with np.errstate(invalid="ignore"):
            held = np.asarray(ops[term[1]](left, right), dtype=bool)
        bad &= held & present
    return bad


def check_catalogue_alleles(rule, s) -> np.ndarray:
    """As ``allele_mismatch``: a parseable call of a catalogue variant with an allele that is neither
    its ref nor its alt (unparseable text is the ``.type`` rule's)."""
    catalogue = s.need("catalogue")
    letters = dict(zip(catalogue["rsid"].tolist(), zip(catalogue["ref"].tolist(), catalogue["alt"].tolist())))
    out = np.zeros(len(s.values), dtype=bool)
    for i, (variant, text) in enumerate(zip(s.raw("rsid").to_numpy(object), s.raw("genotype").to_numpy(object))):
        if variant not in letters:
            continue
        try:
            alleles = parse_genotype(text)
        except ValueError:
            continue
        try:
            allele_counts(alleles, *letters[variant])
        except ValueError:
            out[i] = True
    return out


ROW_CHECKS = {
    "catalogue_alleles": check_catalogue_alleles,
    "allowed": check_allowed,
    "soft_allowed": check_soft_allowed,
    "unique": check_unique,
    "patient_known": check_patient_known,
    "patient_accepted": check_patient_accepted,
}
