"""Request and response bodies (pydantic), which the OpenAPI document describes.

The patient document is the one-patient JSON document of docs/reports.md. Its models check the shape
only (which keys, JSON types); the values are checked by the cohort contract itself
(``scoring_input_from_document`` -> ``Cohort.from_frames``), so limits, spellings and messages are
exactly those of a cohort folder. Field descriptions are generated from the contract's schema.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Literal, Optional, Union

from pydantic import AllowInfNan, BaseModel, ConfigDict, Field, Strict, StrictBool, StrictInt, StrictStr

from rashrisk.contract.schema import PATIENTS, TDM
from rashrisk.scoring.patient_json import SKIN_RED_FLAGS

# a finite JSON number (NaN, Infinity and 1e400 are refused: never read as missing) or text, kept as given;
# the contract parses it as it parses a CSV cell
Number = Annotated[float, Strict(), AllowInfNan(False)]
Value = Optional[Union[StrictInt, Number, StrictStr]]
Text = Optional[StrictStr]


class Stage(str, Enum):
    start = "start"
    tdm = "tdm"


class ReportFormat(str, Enum):
    html = "html"
    pdf = "pdf"
    json = "json"


def _describe(column) -> str:
    parts = [f"{column.type}"]
    if column.unit:
        parts.append(f"unit {column.unit}")
    if column.allowed:
        parts.append("one of " + ", ".join(column.allowed))
    if column.hard is not None:
        low = "" if column.hard.min is None else f"{'>' if column.hard.min_open else '>='} {column.hard.min:g}"
        high = "" if column.hard.max is None else f"{'<' if column.hard.max_open else '<='} {column.hard.max:g}"
        parts.append("hard limits " + " and ".join(p for p in (low, high) if p))
    parts.append("required" if column.required else "optional")
    text = "; ".join(parts)
    return f"{text}. {column.description}" if column.description else text


def _field(schema, name: str, **kwargs):
    return Field(None, description=_describe(schema.column(name)), **kwargs)


class TdmSample(BaseModel):
    """One imatinib concentration, with the fields of tdm.csv."""
    model_config = ConfigDict(extra="forbid")

    sample_time: Text = _field(TDM, "sample_time")
    last_dose_time: Text = _field(TDM, "last_dose_time")
    dose_mg: Value = _field(TDM, "dose_mg")
    concentration: Value = _field(TDM, "concentration")
    unit: Text = _field(TDM, "unit")
    below_loq: Optional[Union[StrictBool, StrictStr, StrictInt]] = _field(TDM, "below_loq")


class SkinRecord(BaseModel):
    """The patient's current skin state (docs/reports.md, the skin record): feeds the report's rash
    options, not the risk model. null or an omitted flag = not recorded (never read as absent)."""
    model_config = ConfigDict(extra="forbid")

    rash_grade: Optional[StrictInt] = Field(..., description="CTCAE v5.0 grade 0-4 of the current rash (0 = no "
                                            "rash); null = not recorded. The key is required")
    recurrent: Optional[StrictBool] = None
    mucosal_involvement: Optional[StrictBool] = None
    blistering_or_detachment: Optional[StrictBool] = None
    fever: Optional[StrictBool] = None
    facial_oedema: Optional[StrictBool] = None
    lymphadenopathy: Optional[StrictBool] = None
    eosinophilia_or_organ_involvement: Optional[StrictBool] = None


assert set(SKIN_RED_FLAGS) <= set(SkinRecord.model_fields)


class PatientDocument(BaseModel):
    """One patient: the fields of patients.csv, genotypes as rsid -> genotype, optional TDM samples
    and skin record (the one-patient JSON document of docs/reports.md)."""
    model_config = ConfigDict(extra="forbid")

    patient_id: StrictStr = Field(..., min_length=1, max_length=200, description="the patient's pseudonym "
                                  "(never a name or a hospital number); unique within a request")
    sex: Text = _field(PATIENTS, "sex")
    age_years: Value = _field(PATIENTS, "age_years")
    weight_kg: Value = _field(PATIENTS, "weight_kg")
    height_cm: Value = _field(PATIENTS, "height_cm")
    albumin_g_l: Value = _field(PATIENTS, "albumin_g_l")
    rbc_10e12_l: Value = _field(PATIENTS, "rbc_10e12_l")
    ancestry: Text = _field(PATIENTS, "ancestry")
    setting: Text = _field(PATIENTS, "setting")
    start_dose_mg: Value = _field(PATIENTS, "start_dose_mg")
    start_date: Text = _field(PATIENTS, "start_date")
    genotypes: dict[str, Text] = Field(default_factory=dict, max_length=100, description=(
        'rsid -> genotype, e.g. {"rs4129267": "C/T"}; empty, "./." or "NC" = no-call; a catalogue variant '
        "left out is a no-call (never the reference genotype)"))
    tdm: list[TdmSample] = Field(default_factory=list, max_length=50, description="imatinib concentration samples")
    skin: Optional[SkinRecord] = None

    def document(self) -> dict:
        """The document as the contract reads it: the keys the client sent, values as given."""
        return self.model_dump(exclude_unset=True)


EXAMPLE_PATIENT = {  # the one-patient document of docs/reports.md
    "patient_id": "GIST-042", "sex": "F", "age_years": 61, "weight_kg": 52, "height_cm": 158, "albumin_g_l": 39,
    "ancestry": "EAS", "setting": "adjuvant", "start_dose_mg": 400, "start_date": "2025-03-03",
    "genotypes": {"rs4129267": "T/T", "rs2231142": "G/T", "rs1045642": "./."},
    "tdm": [{"sample_time": "2025-03-17T08:00", "last_dose_time": "2025-03-16T08:10", "dose_mg": 400,
             "concentration": 2150, "unit": "ng/mL"}]}


class ScoreRequest(BaseModel):
    """One patient (``patient``) or a batch (``patients``), not both."""
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"stage": "tdm", "patient": EXAMPLE_PATIENT},
        {"stage": "start", "patients": [EXAMPLE_PATIENT, {**EXAMPLE_PATIENT, "patient_id": "GIST-043", "sex": "M",
                                                          "genotypes": {"rs4129267": "C/C"}, "tdm": []}]}]})

    stage: Stage = Field(..., description="start (at imatinib start) or tdm (after the first trough)")
    patient: Optional[PatientDocument] = None
    patients: Optional[list[PatientDocument]] = Field(None, description="a batch; at most --max-batch patients "
                                                       "(default 1,000)")


class ReportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"stage": "tdm", "patient": {**EXAMPLE_PATIENT, "skin": {"rash_grade": 0}}, "trough_threshold": 1100}]})

    stage: Stage
    patient: PatientDocument
    trough_threshold: Literal[1100, 760] = Field(1100, description="efficacy threshold in ng/mL: 1100 (Demetri "
                                                 "2009, default) or 760 (Bouchet)")


class ModelInfo(BaseModel):
    name: str
    stage: str
    version: str
    bundle_sha256: Optional[str]
    label: str = Field(..., description="name, version and bundle hash, as the score table's model column")
    simulated_data: bool
    source: str = Field(..., description="why this model serves (registry champion, embedded default, --model)")


class ScoreResult(BaseModel):
    """One row of the `rashrisk score` table (docs/reports.md, score output columns)."""
    patient_id: str
    status: Literal["scored", "not_scored"]
    reason: str
    risk: Optional[float]
    risk_low: Optional[float]
    risk_high: Optional[float]
    band: str
    baseline_risk: Optional[float]
    factor_1: str
    factor_2: str
    factor_3: str
    warnings: str
    model: str
    simulated_data: bool


class ScoreResponse(BaseModel):
    results: list[ScoreResult]
    model: ModelInfo


class Contribution(BaseModel):
    factor: str
    description: str
    contribution: float = Field(..., description="exact, in calibrated log-odds")
    direction: str
    effect_status: str
    statement: str


class Explanation(BaseModel):
    patient_id: str
    status: Literal["explained", "not_explained"]
    reason: str
    base_value: Optional[float]
    model_logit: Optional[float] = Field(..., description="base_value + the contributions")
    contributions: list[Contribution]


class ExplainResponse(BaseModel):
    results: list[Explanation]
    model: ModelInfo


class ReportResponse(BaseModel):
    report: dict = Field(..., description="the clinician report as data (schema rashrisk.patient-report/1)")
    model: ModelInfo


class ModelsResponse(BaseModel):
    models: dict[str, ModelInfo]


class Health(BaseModel):
    status: Literal["ok", "starting"]
    ready: bool
    models: dict[str, str] = Field(default_factory=dict, description="stage -> model label")


class Problem(BaseModel):
    loc: list[Union[str, int]]
    msg: str
    type: str
    input: Optional[object] = None


class ValidationProblems(BaseModel):
    detail: list[Problem]


class Message(BaseModel):
    detail: str
