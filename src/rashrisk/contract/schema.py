"""Cohort contract v1 as data: files, columns, types, units, limits and cross-file rules.

This module holds no logic beyond building rule objects. The engine (:mod:`rashrisk.contract.rules`)
applies them, the loader (:mod:`rashrisk.contract.loader`) orders the files, and
:mod:`rashrisk.contract.docs` renders ``docs/data-contract.md`` from the same objects.

A column declaration generates its own rules (``<file>.<column>.required``, ``.type``,
``.allowed``, ``.hard_range``, ``.soft_range``, ``.soft_allowed``); rules that relate columns or
files are listed explicitly in :data:`EXTRA_RULES`. Every rule has a stable id, a level
(``error`` = row rejected, ``warning`` = row kept) and the text of what was expected.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from rashrisk.units import CONCENTRATION_UNITS

BOOLEAN_SPELLINGS = {"true": 1.0, "false": 0.0, "1": 1.0, "0": 0.0, "yes": 1.0, "no": 0.0}
MAX_HOURS_AFTER_DOSE = 30.0
MAX_CONCENTRATION_NG_ML = 10_000.0  # above: a warning (check the unit)
# Above this, after unit conversion, a concentration is rejected as a unit slip or a typing error:
# observed imatinib troughs are about 100-5,000 ng/mL (400-800 mg/day; Chinese GIST n = 307, Cancer
# 2020, PMID 32293723: 1,315 +/- 716 ng/mL at 400 mg, 3,844 +/- 987 at 800 mg; IRIS CML day 29
# 979 +/- 530), so 20,000 ng/mL is four times the highest trough in those series.
MAX_PLAUSIBLE_CONCENTRATION_NG_ML = 20_000.0
POUNDS_PER_KG = 2.20462
# Body-mass index (kg/m2) bounds of the weight/height plausibility checks. WHO adult classification:
# < 16 severe thinness, >= 40 obesity class III; below 12 or above 60 is outside the range seen in
# clinical cohorts (a warning: real extremes exist). Above 50 with a weight that, read as pounds,
# gives 16-40, the weight was probably written in pounds.
BMI_PLAUSIBLE = (12.0, 60.0)
BMI_POUNDS_ABOVE = 50.0
BMI_USUAL = (16.0, 40.0)
MASS_UNITS = ("ug/mL", "µg/mL", "mg/L")  # 1 = 1,000 ng/mL
MOLAR_MICRO_UNITS = ("umol/L", "µmol/L")  # 1 = 493.6 ng/mL


@dataclass(frozen=True)
class Range:
    """Valid values lie in [min, max] (open ends exclude the bound). None = unbounded."""

    min: float | None = None
    max: float | None = None
    min_open: bool = False
    max_open: bool = False

    def describe(self) -> str:
        parts = []
        if self.min is not None:
            parts.append(f"{'>' if self.min_open else '>='} {self.min:g}")
        if self.max is not None:
            parts.append(f"{'<' if self.max_open else '<='} {self.max:g}")
        return " and ".join(parts)


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = True
    must_exist: bool = False  # the column must be present even when its values may be empty
    required_when: str = ""  # human text of a conditional requirement (the rule is in EXTRA_RULES)
    unit: str = ""
    allowed: tuple[str, ...] = ()  # canonical spellings; matched case-insensitively
    aliases: tuple[tuple[str, str], ...] = ()  # extra accepted spelling -> canonical value
    hard: Range | None = None  # outside = error, row rejected
    soft: Range | None = None  # outside = warning, row kept
    soft_allowed: tuple[float, ...] = ()  # not one of these = warning
    description: str = ""
    hard_hint: str = ""  # ends the hard-range message: the probable cause of a value outside it

    def spellings(self) -> dict[str, str]:
        """Lower-case accepted spelling -> canonical value (``allowed`` plus ``aliases``)."""
        spelling = {v.lower(): v for v in self.allowed}
        spelling.update({k.lower(): v for k, v in self.aliases})
        return spelling


@dataclass(frozen=True)
class Col:
    """Refers to another column (of the same row, or joined from patients) in a condition."""

    name: str


TODAY = "today"  # sentinel right operand: the date the cohort is loaded


@dataclass(frozen=True)
class Rule:
    id: str
    file: str  # schema file key
    column: str  # column named in the message (the value shown comes from it)
    check: str  # engine check kind
    level: str = "error"
    expected: str = ""  # what a valid value looks like (ends the message)
    params: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class FileSchema:
    key: str  # patients, tdm, outcomes, genotypes
    stem: str  # file name without extension
    required: bool
    columns: tuple[Column, ...]
    description: str = ""

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.stem}: no column {name!r} in the schema")

    @property
    def present_columns(self) -> tuple[str, ...]:
        """Columns that must be in the file header."""
        return tuple(c.name for c in self.columns if c.required or c.must_exist)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


PATIENTS = FileSchema(
    "patients", "patients", True,
    (
        Column("patient_id", "string", description="non-empty and unique; the key of every other file"),
        Column("sex", "string", allowed=("F", "M"), aliases=(("female", "F"), ("male", "M"))),
        Column("age_years", "number", unit="years", hard=Range(0, 120), soft=Range(18, 90)),
        Column("weight_kg", "number", unit="kg", hard=Range(20, 400), soft=Range(35, 150),
               hard_hint="an adult weight in kg; below 20 is a unit slip, e.g. 0.065 for 65 kg",
               description="the hard limits lie far outside the adult weight percentiles of the NHANES "
                           "anthropometric reference data (US CDC, Vital Health Stat 11 no. 252, 2012, and later "
                           "editions), so only unit slips and typing errors fall outside them; a weight in pounds "
                           "cannot be told from one value: with height_cm it is flagged by the BMI check "
                           "(`patients.weight_kg.pounds`)"),
        Column("height_cm", "number", required=False, unit="cm", hard=Range(100, 250),
               soft=Range(130, 210), hard_hint="an adult height in cm; 1.0-2.5 looks like metres, 39-99 like inches",
               description="the hard limits lie far outside the NHANES adult height percentiles (as for weight); "
                           "values in metres or inches are rejected with the probable unit"),
        Column("albumin_g_l", "number", required=False, unit="g/L", hard=Range(0, 100), soft=Range(20, 55),
               description="g/dL values (2-5.5) are a unit error: warned, not converted"),
        Column("rbc_10e12_l", "number", required=False, unit="10^12/L", hard=Range(1, 8), soft=Range(2.5, 5.5),
               description="red-cell count (RBC), a covariate of CL/F in jiang2023; when missing the reference "
                           "3.7 x10^12/L is used and the report says so. Values in 10^6/uL are the same number"),
        Column("ancestry", "string", required=False, allowed=("EAS", "EUR", "AFR", "SAS", "AMR", "OTH")),
        Column("setting", "string", required=False, allowed=("adjuvant", "advanced")),
        Column("start_dose_mg", "number", unit="mg", hard=Range(0, 1000, min_open=True),
               soft_allowed=(100, 200, 300, 400, 600, 800)),
        Column("start_date", "date", description="ISO 8601 date imatinib was started"),
    ),
    "one row per patient",
)

GENOTYPES_CSV = FileSchema(
    "genotypes", "genotypes", False,
    (
        Column("patient_id", "string", description="must exist in patients"),
        Column("rsid", "string", description="rs followed by digits"),
        Column("genotype", "genotype", required=False, must_exist=True,
               description='two alleles: "C/T", "CT", "C|T"; empty, "./.", "NC" = no-call'),
    ),
    "alternative to genotypes.vcf / genotypes.vcf.gz: one row per patient and variant",
)

TDM = FileSchema(
    "tdm", "tdm", False,
    (
        Column("patient_id", "string", description="must exist in patients"),
        Column("sample_time", "datetime", description="ISO 8601"),
        Column("last_dose_time", "datetime", description="ISO 8601; the dose taken before the sample"),
        Column("dose_mg", "number", unit="mg", hard=Range(0, 1000, min_open=True),
               description="dose taken at last_dose_time, once-daily regimen"),
        Column("concentration", "number", unit="(column unit)", hard=Range(0),
               description="converted to ng/mL (imatinib 493.6 g/mol); above "
                           f"{MAX_PLAUSIBLE_CONCENTRATION_NG_ML:,.0f} ng/mL after conversion the row is rejected "
                           "as a unit slip (observed imatinib troughs are about 100-5,000 ng/mL: Chinese GIST n = "
                           "307, Cancer 2020, PMID 32293723; IRIS CML day 29)"),
        Column("unit", "string", allowed=CONCENTRATION_UNITS, aliases=(("\u03bcg/ml", "µg/mL"),
                                                                       ("\u03bcmol/l", "µmol/L"))),
        Column("below_loq", "boolean", required=False, description="true/false, 1/0, yes/no"),
    ),
    "zero or more trough samples per patient",
)

OUTCOMES = FileSchema(
    "outcomes", "outcomes", False,
    (
        Column("patient_id", "string", description="must exist in patients; one row per patient"),
        Column("rash_max_grade", "integer", hard=Range(0, 5), description="CTCAE v5 maximum grade"),
        Column("recurrent_grade2", "boolean", required=False, description="true/false, 1/0, yes/no"),
        Column("rash_onset_day", "integer", required=False, required_when="rash_max_grade >= 1",
               unit="days", hard=Range(0), description="days from start_date"),
        Column("followup_days", "integer", required=False, unit="days", hard=Range(0)),
    ),
    "required for training, ignored for scoring. severe_rash = grade >= 3, or grade 2 and recurrent",
)

FILES: dict[str, FileSchema] = {s.key: s for s in (PATIENTS, GENOTYPES_CSV, TDM, OUTCOMES)}


def _column_rules(schema: FileSchema) -> list[Rule]:
    """Rules implied by the column declarations."""
    rules = []
    f = schema.key
    for c in schema.columns:
        p = {"on": c.name}
        if c.required:
            rules.append(Rule(f"{f}.{c.name}.required", f, c.name, "required", expected="a value (required column)",
                              params=p))
        if c.type not in ("string",):
            rules.append(Rule(f"{f}.{c.name}.type", f, c.name, "type", expected=_type_text(c.type), params=p))
        if c.allowed:
            rules.append(Rule(f"{f}.{c.name}.allowed", f, c.name, "allowed",
                              expected="one of " + ", ".join(c.allowed) + " (case-insensitive)", params=p))
        if c.hard is not None:
            hint = f" ({c.hard_hint})" if c.hard_hint else ""
            rules.append(Rule(f"{f}.{c.name}.hard_range", f, c.name, "range", expected=c.hard.describe() + hint,
                              params={"on": c.name, "range": c.hard}))
        if c.soft is not None:
            rules.append(Rule(f"{f}.{c.name}.soft_range", f, c.name, "range", "warning",
                              expected=f"plausibly {c.soft.describe()}", params={"on": c.name, "range": c.soft}))
        if c.soft_allowed:
            rules.append(Rule(f"{f}.{c.name}.soft_allowed", f, c.name, "soft_allowed", "warning",
                              expected="a usual value: " + ", ".join(f"{v:g}" for v in c.soft_allowed),
                              params={"on": c.name, "values": c.soft_allowed}))
    return rules


def _type_text(type_: str) -> str:
    return {
        "number": "a number",
        "integer": "a whole number",
        "boolean": "true/false, 1/0 or yes/no",
        "date": "an ISO 8601 date (YYYY-MM-DD)",
        "datetime": "an ISO 8601 date and time (YYYY-MM-DDTHH:MM)",
        "genotype": 'two alleles such as "C/T", "CT" or "C|T" (or "./.", "NC", empty for a no-call)',
    }[type_]


def _cond(*terms) -> dict:
    return {"when": tuple(terms)}


def _spaces_rule(file: str) -> Rule:
    """Ids are stripped when read; a leading or trailing space is flagged on the row that had it."""
    return Rule(f"{file}.patient_id.spaces", file, "patient_id", "padded", "warning",
                expected="no leading or trailing spaces (stripped: the id was matched without them)",
                params={"on": "patient_id"})


def _offset_rule(column: str) -> Rule:
    """A UTC offset in a file whose other times have none: naive times are not shifted, so the two
    cannot be compared (a file whose every time has an offset is converted to UTC)."""
    return Rule(f"tdm.{column}.utc_offset", "tdm", column, "mixed_offsets",
                expected="times written like the file's other times: tdm.csv mixes times with a UTC offset "
                         "(e.g. +02:00) and times without one; give every sample_time and last_dose_time an "
                         "offset, or none (local clinic time)",
                params={"on": column, "columns": ("sample_time", "last_dose_time")})


EXTRA_RULES: tuple[Rule, ...] = (
    # patients
    Rule("patients.patient_id.unique", "patients", "patient_id", "unique", expected="each patient_id once",
         params={"on": ("patient_id",)}),
    _spaces_rule("patients"),
    Rule("patients.weight_kg.pounds", "patients", "weight_kg", "condition", "warning",
         expected=f"a weight in kg: with this height_cm the BMI is above {BMI_POUNDS_ABOVE:g} kg/m², and the value "
                  f"read as pounds gives a usual BMI ({BMI_USUAL[0]:g}-{BMI_USUAL[1]:g}): probably pounds "
                  f"(divide by {POUNDS_PER_KG:g})",
         params=_cond(("bmi", ">", BMI_POUNDS_ABOVE), ("bmi_if_pounds", ">=", BMI_USUAL[0]),
                      ("bmi_if_pounds", "<=", BMI_USUAL[1]))),
    Rule("patients.weight_kg.bmi", "patients", "weight_kg", "range", "warning",
         expected=f"a weight and height_cm giving a BMI of {BMI_PLAUSIBLE[0]:g}-{BMI_PLAUSIBLE[1]:g} kg/m² "
                  "(check both values and their units)",
         params={"on": "bmi", "range": Range(*BMI_PLAUSIBLE)}),
    Rule("patients.height_cm.metres", "patients", "height_cm", "condition",
         expected="a height in cm: 1.0-2.5 looks like metres (multiply by 100)",
         params=_cond(("height_cm", ">=", 1.0), ("height_cm", "<=", 2.5))),
    Rule("patients.height_cm.inches", "patients", "height_cm", "condition",
         expected="a height in cm: 39-99 looks like inches (multiply by 2.54)",
         params=_cond(("height_cm", ">=", 39.0), ("height_cm", "<", 100.0))),
    Rule("patients.albumin_g_l.g_per_dl", "patients", "albumin_g_l", "condition", "warning",
         expected="albumin in g/L (2-5.5 looks like g/dL; multiply by 10)",
         params=_cond(("albumin_g_l", ">=", 2.0), ("albumin_g_l", "<=", 5.5))),
    Rule("patients.start_date.future", "patients", "start_date", "condition", "warning",
         expected="a start_date not in the future", params=_cond(("start_date", ">", TODAY))),
    # genotypes.csv
    _spaces_rule("genotypes"),
    Rule("genotypes.patient_id.known", "genotypes", "patient_id", "patient_known",
         expected="a patient_id listed in patients"),
    Rule("genotypes.patient_id.accepted", "genotypes", "patient_id", "patient_accepted",
         expected="a patient whose patients row was accepted (that row was rejected)"),
    Rule("genotypes.rsid.format", "genotypes", "rsid", "pattern", expected="rs followed by digits (e.g. rs4129267)",
         params={"on": "rsid", "regex": r"rs\d+"}),
    Rule("genotypes.rsid.unique", "genotypes", "rsid", "unique", expected="one row per patient_id and rsid",
         params={"on": ("patient_id", "rsid")}),
    Rule("genotypes.rsid.catalogue", "genotypes", "rsid", "in_catalogue", "warning",
         expected="a variant of the rashrisk catalogue (other variants are ignored)"),
    Rule("genotypes.genotype.alleles", "genotypes", "genotype", "catalogue_alleles", "warning",
         expected="the catalogue's reference/alternate alleles (read as a no-call)"),
    # tdm
    _spaces_rule("tdm"),
    _offset_rule("sample_time"),
    _offset_rule("last_dose_time"),
    Rule("tdm.patient_id.known", "tdm", "patient_id", "patient_known", expected="a patient_id listed in patients"),
    Rule("tdm.patient_id.accepted", "tdm", "patient_id", "patient_accepted",
         expected="a patient whose patients row was accepted (that row was rejected)"),
    Rule("tdm.sample_time.after_start", "tdm", "sample_time", "condition",
         expected="a sample_time on or after the patient's start_date (patients)",
         params=_cond(("sample_time", "<", Col("start_date")))),
    Rule("tdm.last_dose_time.before_sample", "tdm", "last_dose_time", "condition",
         expected="a last_dose_time at or before sample_time",
         params=_cond(("last_dose_time", ">", Col("sample_time")))),
    Rule("tdm.last_dose_time.max_interval", "tdm", "last_dose_time", "condition", "warning",
         expected=f"a sample at most {MAX_HOURS_AFTER_DOSE:g} h after the last dose (not a trough)",
         params=_cond(("hours_after_dose", ">", MAX_HOURS_AFTER_DOSE))),
    Rule("tdm.concentration.plausible", "tdm", "concentration", "condition", "warning",
         expected=f"at most {MAX_CONCENTRATION_NG_ML:,.0f} ng/mL after unit conversion (check the unit)",
         params=_cond(("concentration_ng_ml", ">", MAX_CONCENTRATION_NG_ML))),
    Rule("tdm.concentration.mass_unit_slip", "tdm", "concentration", "condition",
         expected=f"at most {MAX_PLAUSIBLE_CONCENTRATION_NG_ML:,.0f} ng/mL after unit conversion (observed troughs "
                  "are about 100-5,000 ng/mL): probably ng/mL labelled as ug/mL or mg/L (1,000 times too high)",
         params=_cond(("concentration_ng_ml", ">", MAX_PLAUSIBLE_CONCENTRATION_NG_ML), ("unit", "in", MASS_UNITS))),
    Rule("tdm.concentration.molar_unit_slip", "tdm", "concentration", "condition",
         expected=f"at most {MAX_PLAUSIBLE_CONCENTRATION_NG_ML:,.0f} ng/mL after unit conversion (observed troughs "
                  "are about 100-5,000 ng/mL): probably nmol/L or ng/mL labelled as umol/L",
         params=_cond(("concentration_ng_ml", ">", MAX_PLAUSIBLE_CONCENTRATION_NG_ML),
                      ("unit", "in", MOLAR_MICRO_UNITS))),
    Rule("tdm.concentration.implausible", "tdm", "concentration", "condition",
         expected=f"at most {MAX_PLAUSIBLE_CONCENTRATION_NG_ML:,.0f} ng/mL (observed troughs are about 100-5,000 "
                  "ng/mL): check the value for a typing error or a missing decimal point",
         params=_cond(("concentration_ng_ml", ">", MAX_PLAUSIBLE_CONCENTRATION_NG_ML),
                      ("unit", "in", ("ng/mL", "nmol/L")))),
    # outcomes
    _spaces_rule("outcomes"),
    Rule("outcomes.patient_id.known", "outcomes", "patient_id", "patient_known",
         expected="a patient_id listed in patients"),
    Rule("outcomes.patient_id.accepted", "outcomes", "patient_id", "patient_accepted",
         expected="a patient whose patients row was accepted (that row was rejected)"),
    Rule("outcomes.patient_id.unique", "outcomes", "patient_id", "unique", expected="one outcomes row per patient",
         params={"on": ("patient_id",)}),
    Rule("outcomes.rash_onset_day.severe", "outcomes", "rash_onset_day", "condition",
         expected="rash_onset_day for a severe case (grade >= 3, or recurrent grade 2)",
         params=_cond(("rash_onset_day", "isna"), ("severe_rash", "==", True))),
    Rule("outcomes.rash_onset_day.when_rash", "outcomes", "rash_onset_day", "condition", "warning",
         expected="rash_onset_day when rash_max_grade >= 1",
         params=_cond(("rash_onset_day", "isna"), ("rash_max_grade", ">=", 1), ("severe_rash", "==", False))),
    Rule("outcomes.recurrent_grade2.grade2", "outcomes", "recurrent_grade2", "condition", "warning",
         expected="recurrent_grade2 for a grade 2 rash (missing is labelled not severe)",
         params=_cond(("rash_max_grade", "==", 2), ("recurrent_grade2", "isna"))),
    Rule("outcomes.rash_onset_day.followup", "outcomes", "rash_onset_day", "condition", "warning",
         expected="a rash_onset_day within followup_days",
         params=_cond(("rash_onset_day", ">", Col("followup_days")))),
)

# Findings that concern a whole file or folder rather than rows (reported by the loader).
FILE_RULES: tuple[tuple[str, str, str], ...] = (
    ("file.required_columns", "error", "a required column is missing: every row of the file is rejected"),
    ("file.blank_lines", "warning", "blank lines are skipped (not rows)"),
    ("file.no_patients", "error", "no patient was accepted: the cohort is unusable"),
    ("file.genotypes_missing", "error", "genotypes.vcf, genotypes.vcf.gz or genotypes.csv is required"),
    ("file.genotypes_uncalled", "error", "a genotype file was read but no genotype of any accepted patient was "
     "called (e.g. no VCF sample matches a patient_id): the genotypes did not load"),
)


def rules_for(file_key: str) -> list[Rule]:
    """All row rules of one file, column rules first, in declaration order (a fresh list)."""
    return list(_file_rules(file_key))


@functools.lru_cache(maxsize=None)
def _file_rules(file_key: str) -> tuple[Rule, ...]:
    return tuple(_column_rules(FILES[file_key]) + [r for r in EXTRA_RULES if r.file == file_key])


def column_rules(schema: FileSchema) -> list[Rule]:
    """The rules implied by ``schema``'s column declarations (also for a schema outside :data:`FILES`,
    e.g. the model inputs of :mod:`rashrisk.contract.model_inputs`)."""
    return _column_rules(schema)


def all_rules() -> list[Rule]:
    return [r for key in FILES for r in rules_for(key)]
