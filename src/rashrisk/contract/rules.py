"""The one rule engine: applies the schema's rules to a raw table, vectorised with pandas.

:func:`apply_rules` parses every declared column, lets the caller add joined and derived
columns, evaluates each rule of the file to a boolean mask, rejects rows with any error and groups
the violations of each rule into one :class:`~rashrisk.findings.Finding`. A rule whose
column is absent raises :class:`SchemaError` (a bug in the schema, never a silent skip).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rashrisk.contract import row_rules
from rashrisk.contract.parse import has_utc_offset, is_present, parse_column
from rashrisk.contract.schema import TODAY, Col, FileSchema, Range, Rule, rules_for
from rashrisk.findings import MAX_LINES_SHOWN, Finding
from rashrisk.genotype.alleles import allele_counts, parse_genotype



class SchemaError(RuntimeError):
    """A rule refers to something the table does not have: a bug in the schema, not user input."""


@dataclass
class RawTable:
    """One input table read as text: every cell a str ('' = missing).

    A file's rows are located by 1-based file line (header = line 1); a DataFrame's by its 0-based
    row position (``frame.iloc[row]``), with ``row_word`` 'row'.
    """

    file_name: str  # as shown to the user, e.g. 'tdm.csv' or 'tdm (DataFrame)'
    frame: pd.DataFrame
    lines: np.ndarray  # where each row is: its file line, or its DataFrame row position
    extra_columns: list[str] = field(default_factory=list)
    row_word: str = "line"  # how messages name a row's location: 'line' (files) or 'row' (DataFrames)
    as_written: dict[str, np.ndarray] = field(default_factory=dict)  # column -> its cells before stripping

    def shown(self, column: str) -> np.ndarray:
        """The cells of ``column`` as the user wrote them (before ids were stripped), for messages."""
        if column in self.as_written:
            return self.as_written[column]
        return self.frame[column].to_numpy()


@dataclass
class Context:
    """What rules may look up outside the row: patients read and accepted, the catalogue."""

    patient_ids_read: pd.Index | None = None
    patient_ids_accepted: pd.Index | None = None
    catalogue: pd.DataFrame | None = None
    today: pd.Timestamp = field(default_factory=lambda: pd.Timestamp.now().normalize())


@dataclass
class RuleResult:
    values: pd.DataFrame  # parsed + derived columns, all rows
    rejected: np.ndarray  # bool per row
    findings: list[Finding]
    flagged: dict[str, np.ndarray] = field(default_factory=dict)  # rule id -> rows it flagged (all rows)


def apply_rules(schema: FileSchema, table: RawTable, context: Context,
                derive: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
                rules: list[Rule] | None = None, *, row_wise: bool | None = None) -> RuleResult:
    """Apply ``rules`` (default: every rule of ``schema``) to ``table``.

    ``row_wise``: evaluate parsers and checks cell by cell (:mod:`rashrisk.contract.row_rules`, the
    same results); None = for tables of at most ``SMALL_TABLE_ROWS`` rows."""
    raw = table.frame
    if row_wise is None:
        row_wise = len(raw) <= row_rules.SMALL_TABLE_ROWS
    parse = row_rules.parse_cells if row_wise else parse_column
    parsed: dict[str, pd.Series] = {}
    failed: dict[str, np.ndarray] = {}
    for column in schema.columns:
        if column.name not in raw.columns:
            raise SchemaError(f"{table.file_name}: column {column.name!r} should have been added before the rules")
        parsed[column.name], failed[column.name] = parse(raw[column.name], column)
    values = pd.DataFrame(parsed, index=raw.index)  # one frame, not one insertion per column
    if derive is not None:
        values = derive(values)
    state = _State(schema, table, values, failed, context)
    masks = [(rule, _check(rule, state, row_wise)) for rule in (rules_for(schema.key) if rules is None else rules)]
    rejected = np.zeros(len(raw), dtype=bool)
    for rule, mask in masks:
        if rule.level == "error":
            rejected |= mask
    findings = []
    for rule, mask in masks:
        if rule.level == "warning":
            mask = mask & ~rejected
        if mask.any():
            findings.append(make_finding(rule, table, mask))
    return RuleResult(values, rejected, findings, {rule.id: mask for rule, mask in masks})


def _check(rule: Rule, state: _State, row_wise: bool = False) -> np.ndarray:
    if rule.check not in _CHECKS:
        raise SchemaError(f"rule {rule.id}: unknown check {rule.check!r} (known: {', '.join(_CHECKS)})")
    if row_wise and rule.check == "condition":
        mask = row_rules.check_condition(rule, state, _OPS)
    elif row_wise and rule.check in row_rules.ROW_CHECKS:
        mask = row_rules.ROW_CHECKS[rule.check](rule, state)
    else:
        mask = _CHECKS[rule.check](rule, state)
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != (len(state.values),):
        raise SchemaError(f"rule {rule.id}: check returned {mask.shape}, expected one flag per row")
    return mask


def make_finding(rule: Rule, table: RawTable, mask: np.ndarray) -> Finding:
    """The rows of ``mask`` as one finding: ``lines`` holds every one of them (the Python report and
    ``validate --json`` locate each row); the message names the first :data:`MAX_LINES_SHOWN`."""
    positions = np.flatnonzero(mask)
    shown = positions[:MAX_LINES_SHOWN]
    lines = [int(x) for x in table.lines[positions]]
    raw_values = table.shown(rule.column)[shown] if rule.column in table.frame else []
    message = format_message(table.file_name, rule.column, lines[:MAX_LINES_SHOWN], len(positions), list(raw_values),
                             rule.expected, row_word=table.row_word)
    return Finding(rule.level, table.file_name, rule.column, lines, message, rule.id, len(positions))


def format_message(file_name: str, column: str | None, lines: list, count: int, raw_values: list,
                   expected: str, *, row_word: str = "line") -> str:
    """'<file>, column <c>, line(s) <where>: <bad values> ... expected <expected>'. ``row_word`` names
    what ``lines`` hold: 'line' (file lines), 'row' (DataFrame rows) or 'patient' (patient ids)."""
    where = f"{file_name}, column {column}" if column else file_name
    if lines:
        more = f" and {count - len(lines)} more ({count} rows)" if count > len(lines) else ""
        where += f", {row_word}{'s' if count > 1 else ''} {', '.join(map(str, lines))}{more}"
    seen = list(dict.fromkeys("empty" if v == "" else repr(str(v)) for v in raw_values))
    shown = ", ".join(seen)
    return f"{where}: {shown} ... expected {expected}" if shown else f"{where}: expected {expected}"


@dataclass
class _State:
    schema: FileSchema
    table: RawTable
    values: pd.DataFrame
    failed: dict[str, np.ndarray]
    context: Context

    def raw(self, name: str) -> pd.Series:
        if name not in self.table.frame:
            raise SchemaError(f"{self.table.file_name}: rule needs raw column {name!r}, which is absent")
        return self.table.frame[name]

    def value(self, name: str) -> pd.Series:
        if name not in self.values:
            raise SchemaError(f"{self.table.file_name}: rule needs column {name!r}, which is absent")
        return self.values[name]

    def need(self, what: str):
        found = getattr(self.context, what)
        if found is None:
            raise SchemaError(f"{self.table.file_name}: rule needs context {what!r}, which was not given")
        return found


def _present(state: _State, name: str) -> np.ndarray:
    return is_present(state.raw(name))


def _check_required(rule: Rule, s: _State) -> np.ndarray:
    return ~_present(s, rule.params["on"])


def _check_type(rule: Rule, s: _State) -> np.ndarray:
    name = rule.params["on"]
    if name not in s.failed:
        raise SchemaError(f"{s.table.file_name}: no parse result for {name!r}")
    return s.failed[name]


def _check_allowed(rule: Rule, s: _State) -> np.ndarray:
    name = rule.params["on"]
    return _present(s, name) & s.value(name).isna().to_numpy()


def _check_range(rule: Rule, s: _State) -> np.ndarray:
    return outside(s.value(rule.params["on"]).to_numpy(dtype=float), rule.params["range"])


def outside(x: np.ndarray, rng: Range) -> np.ndarray:
    """True where a number lies outside ``rng`` (NaN, a missing value, is never outside)."""
    bad = np.zeros(len(x), dtype=bool)
    with np.errstate(invalid="ignore"):
        if rng.min is not None:
            bad |= (x <= rng.min) if rng.min_open else (x < rng.min)
        if rng.max is not None:
            bad |= (x >= rng.max) if rng.max_open else (x > rng.max)
    return bad & ~np.isnan(x)


def _check_soft_allowed(rule: Rule, s: _State) -> np.ndarray:
    x = s.value(rule.params["on"])
    return (x.notna() & ~x.isin(rule.params["values"])).to_numpy()


def _check_unique(rule: Rule, s: _State) -> np.ndarray:
    keys = list(rule.params["on"])
    frame = pd.DataFrame({k: s.raw(k) for k in keys})
    complete = (frame.to_numpy() != "").all(axis=1)
    return frame.duplicated(keep=False).to_numpy() & complete


def _check_patient_known(rule: Rule, s: _State) -> np.ndarray:
    ids = s.raw("patient_id")
    return _present(s, "patient_id") & ~ids.isin(s.need("patient_ids_read")).to_numpy()


def _check_patient_accepted(rule: Rule, s: _State) -> np.ndarray:
    ids = s.raw("patient_id")
    return (ids.isin(s.need("patient_ids_read")) & ~ids.isin(s.need("patient_ids_accepted"))).to_numpy()


def _check_padded(rule: Rule, s: _State) -> np.ndarray:
    """Rows whose ``on`` cell had leading or trailing spaces (stripped when the table was read)."""
    name = rule.params["on"]
    s.raw(name)
    written = s.table.as_written.get(name)
    if written is None:
        return np.zeros(len(s.values), dtype=bool)
    return np.asarray(written != s.table.frame[name].to_numpy(object), dtype=bool)


def _check_mixed_offsets(rule: Rule, s: _State) -> np.ndarray:
    """Rows whose ``on`` time has a UTC offset when some time of ``columns`` (in any row) has none."""
    offset = {c: has_utc_offset(s.raw(c)) for c in rule.params["columns"]}
    naive = any((_present(s, c) & ~offset[c] & ~s.failed[c]).any() for c in rule.params["columns"])
    return offset[rule.params["on"]] & naive


def _check_pattern(rule: Rule, s: _State) -> np.ndarray:
    return _present(s, rule.params["on"]) & ~fullmatch(s.raw(rule.params["on"]), rule.params["regex"])


def _check_in_catalogue(rule: Rule, s: _State) -> np.ndarray:
    rsid = s.raw("rsid")
    known = s.need("catalogue")["rsid"]
    return fullmatch(rsid, r"rs\d+") & ~rsid.isin(known).to_numpy()


def fullmatch(text: pd.Series, regex: str) -> np.ndarray:
    """Whole-string regex match, vectorised in Arrow (RE2 syntax)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    matched = pc.match_substring_regex(pa.array(text.to_numpy(object), type=pa.string()), f"^(?:{regex})$")
    return np.asarray(matched.to_numpy(zero_copy_only=False), dtype=bool)


def _check_catalogue_alleles(rule: Rule, s: _State) -> np.ndarray:
    return allele_mismatch(s.raw("rsid"), s.raw("genotype"), s.need("catalogue"))


def allele_mismatch(rsid: pd.Series, genotype_text: pd.Series, catalogue: pd.DataFrame) -> np.ndarray:
    """True where a parseable call of a catalogue variant has an allele that is neither its ref nor alt.

    Decided once per distinct (rsid, genotype text) pair, so a large file costs a factorize.
    """
    letters = catalogue.set_index("rsid")[["ref", "alt"]]
    rsid_codes, rsid_values = pd.factorize(rsid.to_numpy(object))
    text_codes, text_values = pd.factorize(genotype_text.to_numpy(object))
    pair_ids, codes = np.unique(rsid_codes.astype(np.int64) * max(len(text_values), 1) + text_codes,
                                return_inverse=True)
    pairs = [(rsid_values[p // max(len(text_values), 1)], text_values[p % max(len(text_values), 1)])
             for p in pair_ids]
    verdict = np.zeros(len(pairs), dtype=bool)
    for k, (variant, text) in enumerate(pairs):
        if variant not in letters.index:
            continue
        try:
            alleles = parse_genotype(text)
        except ValueError:
            continue  # unparseable text is reported by the `.type` rule
        try:
            allele_counts(alleles, letters.at[variant, "ref"], letters.at[variant, "alt"])
        except ValueError:
            verdict[k] = True
    return verdict[codes] if len(codes) else np.zeros(0, dtype=bool)


_OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq,
        "!=": operator.ne}


def _check_condition(rule: Rule, s: _State) -> np.ndarray:
    """Violation where every term of ``when`` holds (missing values never satisfy a comparison)."""
    bad = np.ones(len(s.values), dtype=bool)
    for term in rule.params["when"]:
        left = s.value(term[0])
        if term[1] == "isna":
            bad &= left.isna().to_numpy()
            continue
        if term[1] == "notna":
            bad &= left.notna().to_numpy()
            continue
        if term[1] == "in":
            bad &= left.isin(term[2]).to_numpy(bool)
            continue
        right = term[2]
        if isinstance(right, Col):
            right = s.value(right.name)
        elif right == TODAY:
            right = s.context.today
        held = _OPS[term[1]](left, right)
        bad &= (held & left.notna() & (right.notna() if isinstance(right, pd.Series) else True)).to_numpy(bool)
    return bad


_CHECKS: dict[str, Callable[[Rule, _State], np.ndarray]] = {
    "required": _check_required,
    "type": _check_type,
    "allowed": _check_allowed,
    "range": _check_range,
    "soft_allowed": _check_soft_allowed,
    "unique": _check_unique,
    "patient_known": _check_patient_known,
    "patient_accepted": _check_patient_accepted,
    "pattern": _check_pattern,
    "padded": _check_padded,
    "mixed_offsets": _check_mixed_offsets,
    "in_catalogue": _check_in_catalogue,
    "catalogue_alleles": _check_catalogue_alleles,
    "condition": _check_condition,
}
