"""The model card: a typed, frozen record (:class:`ModelCard`) built once (``build_card``), stored
as JSON (``to_dict`` / ``from_dict``, schema :data:`CARD_SCHEMA`) and rendered to Markdown from it.

The card records everything scoring needs, so that scoring reads nothing else: the PK model in
full, exactly as it built the training features (every parameter and override, and its content
hash), the landmark window, the genotype coding (risk alleles and genetic model), the band
thresholds and the training input ranges. The card and the bundle describe the training data by
aggregate statistics only (:func:`rashrisk.models.input_summary.summarize_inputs`): no patient row, identifier or sample of rows.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field

from rashrisk._version import __version__
from rashrisk.errors import ModelError
from rashrisk.features.frame import TDM_COLUMNS
from rashrisk.features.preprocess import FeatureSpec
from rashrisk.models.input_summary import input_ranges
from rashrisk.models.rejected import rejected_sentence
from rashrisk.models.validation import instability_sentence
from rashrisk.pk.model import PopPKModel

CARD_SCHEMA = "rashrisk.model-card/2"


@dataclass(frozen=True)
class BandThresholds:
    low_below: float
    high_from: float


@dataclass(frozen=True)
class PKModelRecord:
    """The population-PK model that built the training features, in full, with its content hash."""

    name: str
    sha256: str
    definition: dict  # PopPKModel.to_dict()

    @classmethod
    def of(cls, model: PopPKModel) -> "PKModelRecord":
        return cls(name=model.name, sha256=model.content_sha256, definition=model.to_dict())

    def model(self) -> PopPKModel:
        """The recorded model, refused when its content no longer matches the recorded hash. Built and
        checked once per record (a served model's card answers every request with the same object)."""
        built = self.__dict__.get("_model")
        if built is not None and built[0] == self.definition:
            return built[1]
        model = PopPKModel.from_dict(self.definition, source=f"model card PK model {self.name}")
        if model.content_sha256 != self.sha256:
            raise ModelError(f"model card PK model {self.name}: content hash {model.content_sha256[:12]} differs "
                             f"from the recorded {self.sha256[:12]}; the card was changed")
        object.__setattr__(self, "_model", (copy.deepcopy(self.definition), model))
        return model


@dataclass(frozen=True)
class GenotypeCoding:
    """How genotypes enter the model: pre-specified rsIDs, genetic model, risk allele per rsID, and
    the reference ALT-allele frequencies per ancestry that scoring averages a no-call over
    (:mod:`rashrisk.explanations.no_call`): ``{rsid: {"alt": letter, "by_ancestry": {"EAS": f, ...},
    "source": text}}``, copied from the genotype catalogue when the model is trained, so that what is
    served is what was trained. Empty in cards written before it existed (scoring then reads the catalogue)."""

    genotypes: tuple[str, ...]
    genetic_model: str
    risk_allele: dict  # rsid -> 'alt' | 'ref'
    allele_frequencies: dict = field(default_factory=dict)

    @classmethod
    def of(cls, spec: FeatureSpec) -> "GenotypeCoding":
        from rashrisk.genotype.catalogue import reference_allele_frequencies

        return cls(genotypes=tuple(spec.genotypes), genetic_model=spec.genotype_model,
                   risk_allele=dict(spec.risk_allele),
                   allele_frequencies=reference_allele_frequencies(spec.genotypes or None))


@dataclass(frozen=True)
class TrainingData:
    cohort: str
    simulated: bool
    n: int
    events: int
    fingerprint: dict
    excluded: dict
    # input rows the loader rejected and training dropped (``--drop-invalid``), counts only, no ids:
    # {"rows": total, "files": {file: {"rows_read", "rows_rejected"}}, "rules": {file: {rule: rows}}}
    rejected: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Predictor:
    name: str
    description: str
    timing: str


@dataclass(frozen=True)
class ModelSpec:
    family: str
    params: dict
    calibration: str
    calibration_intercept: float
    calibration_slope: float
    equation: dict | None = None


@dataclass(frozen=True)
class ModelCard:
    """Everything known about a released model (see the module docstring)."""

    name: str
    version: str
    stage: str
    rashrisk_version: str
    intended_use: str
    outcome: str
    trained_on: TrainingData
    predictors: tuple[Predictor, ...]
    landmark_days: tuple[float, float] | None
    pk_model: PKModelRecord
    genotype_coding: GenotypeCoding
    model: ModelSpec
    band_thresholds: BandThresholds
    baseline_risk: float | None
    input_summary: dict = field(default_factory=dict)
    input_ranges: dict = field(default_factory=dict)
    candidates: tuple[dict, ...] = ()
    validation: dict = field(default_factory=dict)
    # per clinical factor: effect of its contrast on the log-odds with a bootstrap interval and a status
    # (rashrisk.models.effects.factor_effects); None: not recorded (a card written before effects existed)
    effects: dict | None = None
    limitations: tuple[str, ...] = ()
    disclaimer: str = ""
    simulated: bool = False
    schema: str = CARD_SCHEMA

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict, *, source: str = "model card") -> "ModelCard":
        if not isinstance(data, dict) or data.get("schema") != CARD_SCHEMA:
            schema = data.get("schema") if isinstance(data, dict) else None
            raise ModelError(f"{source}: card schema {schema!r}; this rashrisk reads {CARD_SCHEMA!r}")
        expected = {f.name for f in dataclasses.fields(cls)}
        data = {"effects": None, **data}  # a card written before effects: unknown, every factor not established
        if set(data) != expected:
            raise ModelError(f"{source}: card fields differ from {CARD_SCHEMA}: missing "
                             f"{sorted(expected - set(data))}, unknown {sorted(set(data) - expected)}")
        try:
            landmark = data["landmark_days"]
            return cls(**{**data,
                          "trained_on": TrainingData(**data["trained_on"]),
                          "predictors": tuple(Predictor(**p) for p in data["predictors"]),
                          "landmark_days": None if landmark is None else tuple(float(d) for d in landmark),
                          "pk_model": PKModelRecord(**data["pk_model"]),
                          "genotype_coding": GenotypeCoding(**{**data["genotype_coding"], "genotypes": tuple(
                              data["genotype_coding"]["genotypes"])}),
                          "model": ModelSpec(**data["model"]),
                          "band_thresholds": BandThresholds(**data["band_thresholds"]),
                          "candidates": tuple(data["candidates"]),
                          "limitations": tuple(data["limitations"])})
        except TypeError as exc:
            raise ModelError(f"{source}: not a valid model card ({exc})") from None

SIMULATED_DISCLAIMER = ("Trained on simulated data; not for clinical use. Research use only: the numbers show how the "
                        "method behaves, not the risk of a real patient.")
RESEARCH_DISCLAIMER = ("Decision support for research use only. Not a medical device. The clinician remains responsible "
                       "for every decision and can review the inputs and reasons shown.")

PREDICTOR_TEXT = {
    "sex": "sex (F/M)",
    "age_years": "age (years)",
    "weight_kg": "body weight (kg)",
    "bsa_m2": "body surface area (m2, Mosteller)",
    "albumin_g_l": "serum albumin (g/L)",
    "ancestry": "ancestry group",
    "setting": "treatment setting (adjuvant / advanced)",
    "start_dose_mg": "imatinib start dose (mg/day)",
    "apriori_trough_ng_ml": "a priori predicted steady-state trough at the start dose (population PK, ng/mL)",
    "tdm_day": "day on treatment of the landmark TDM sample",
    "map_trough_ng_ml": "individual 24-h trough estimated (MAP) from the landmark sample (ng/mL)",
    "trough_ratio_to_apriori": "measured (MAP) trough relative to the a priori prediction at the same dose",
}


def _metric(validation: dict, name: str) -> dict | None:
    m = (validation or {}).get("metrics", {}).get(name)
    if not m:
        return None
    return {k: m.get(k) for k in ("apparent", "corrected", "ci_low", "ci_high", "cross_validated")}


def build_card(*, stage: str, name: str, version: str, cohort_name: str, simulated: bool, n: int, events: int,
               fingerprint: dict, factors: list[str], family: str, params: dict, calibration: tuple[float, float],
               calibration_method: str, landmark, band_thresholds: BandThresholds, validation: dict, nested_cv: dict,
               excluded: dict, candidates: list[dict], pk_model: PopPKModel, features: FeatureSpec,
               input_summary: dict | None = None, equation: dict | None = None,
               rejected: dict | None = None, effects: dict | None = None) -> ModelCard:
    timing = ("at imatinib start (before the first dose)" if stage == "start"
              else f"at the first TDM sample taken on day {landmark[0]:g}-{landmark[1]:g}, before any rash")
    predictors = []
    for factor in factors:
        when = timing if factor in TDM_COLUMNS else "at imatinib start (before the first dose)"
        kind = "genotype: risk-allele count (a no-call: risk averaged over the genotypes)" if factor.startswith("rs") else None
        predictors.append(Predictor(name=factor, description=PREDICTOR_TEXT.get(factor, kind or factor), timing=when))
    limitations = [
        "Internal validation only (bootstrap optimism correction and nested cross-validation); no external validation.",
        "Few events: estimates of discrimination and calibration are uncertain (see the confidence intervals).",
        "The risk allele and genetic model of IL6R rs4129267 are configuration choices; the source study's abstract "
        "does not state them.",
        f"A priori troughs come from the population-PK model {pk_model.name}; patients outside its covariate domain "
        "get less reliable exposure estimates.",
    ]
    if stage == "tdm":
        limitations.append("Landmark model: it applies only to patients still rash-free at their first TDM sample "
                           f"in the day {landmark[0]:g}-{landmark[1]:g} window, and predicts severe rash after it.")
    disclaimer = (SIMULATED_DISCLAIMER + " " if simulated else "") + RESEARCH_DISCLAIMER
    v = validation or {}
    return ModelCard(
        name=name, version=version, stage=stage, rashrisk_version=__version__,
        intended_use=("Estimate the probability of severe skin rash (CTCAE grade >= 3, or recurrent grade 2) in "
                      "patients with GIST starting imatinib, " + timing + ", to help clinicians decide how closely "
                      "to monitor the skin and when to check the trough. Not for diagnosis or dosing decisions."),
        outcome="severe_rash = rash_max_grade >= 3, or rash_max_grade == 2 and recurrent (cohort contract v1)",
        trained_on=TrainingData(cohort=cohort_name, simulated=bool(simulated), n=int(n), events=int(events),
                                fingerprint=fingerprint, excluded=excluded, rejected=dict(rejected or {})),
        predictors=tuple(predictors),
        landmark_days=(float(landmark[0]), float(landmark[1])) if stage == "tdm" else None,
        pk_model=PKModelRecord.of(pk_model), genotype_coding=GenotypeCoding.of(features),
        input_summary=dict(input_summary or {}), input_ranges=input_ranges(input_summary or {}),
        model=ModelSpec(family=family, params=dict(params), calibration=calibration_method,
                        calibration_intercept=float(calibration[0]), calibration_slope=float(calibration[1]),
                        equation=equation),
        band_thresholds=band_thresholds,
        baseline_risk=events / n if n else None,
        candidates=tuple({k: c[k] for k in ("label", "cv_logloss_mean", "cv_logloss_sd")} for c in candidates),
        validation={
            "n_boot": v.get("bootstrap", {}).get("n_boot"),
            "auroc": _metric(v, "auroc"),
            "auprc": _metric(v, "auprc"),
            "brier": _metric(v, "brier"),
            "scaled_brier": _metric(v, "scaled_brier"),
            "calibration_slope": _metric(v, "calibration_slope"),
            "calibration_intercept": _metric(v, "calibration_intercept"),
            "ici": _metric(v, "ici"),
            "events_per_parameter": v.get("events_per_parameter"),
            "instability": v.get("instability"),
            "sample_size": v.get("sample_size"),
            "warnings": v.get("warnings", []),
            "nested_cv": nested_cv,
        },
        effects=effects, limitations=tuple(limitations), disclaimer=disclaimer, simulated=bool(simulated))


def _fmt(value, digits=3):
    return "n/a" if value is None else f"{value:.{digits}f}"


def _g(value) -> str:
    return "n/a" if value is None else f"{value:.4g}"


def _signed(value) -> str:
    return "n/a" if value is None else f"{value:+.2f}"


def effects_markdown(effects: dict | None) -> list[str]:
    """The card's "Factor effects" section (rashrisk.models.effects)."""
    lines = ["", "## Factor effects", ""]
    if not effects:
        return lines + ["Not recorded (a card written before effects were estimated): no factor's direction is "
                        "established, and reports describe none as raising or lowering risk."]
    level = effects["level"]
    lines += [f"Change in the served model's log-odds of severe rash for each factor's contrast, averaged over the "
              f"training patients; {level:.0%} percentile interval over the {effects['n_bootstrap']} bootstrap refits "
              "(hyperparameters fixed: the interval does not cover model selection, confounding or a different "
              "population). Only \"established\" factors are described as raising or lowering risk.", "",
              f"| factor | contrast | effect (log-odds) | {level:.0%} interval | expected | status |",
              "|---|---|---|---|---|---|"]
    for factor, e in effects["factors"].items():
        lines.append(f"| `{factor}` | {e['contrast'] or 'none defined'} | {_signed(e['effect'])} | "
                     f"{_signed(e['low'])} to {_signed(e['high'])} | {e['expected']} | {e['status']} |")
    return lines


def card_markdown(model_card: ModelCard) -> str:
    card = model_card.to_dict()
    v = card.get("validation", {})
    lines = [f"# Model card: {card['name']} {card['version']}", ""]
    if card.get("simulated"):
        lines += ["> **Trained on simulated data; not for clinical use.**", ""]
    lines += [f"**Intended use.** {card['intended_use']}", "", f"**Outcome.** {card['outcome']}", ""]
    t = card["trained_on"]
    lines += [f"**Training data.** cohort `{t['cohort']}` ({'simulated' if t['simulated'] else 'observed'}): "
              f"{t['n']} patients, {t['events']} events (baseline risk {_fmt(card['baseline_risk'])}).", ""]
    if t.get("excluded"):
        lines += ["Excluded patients: " + "; ".join(f"{k}: {n}" for k, n in t["excluded"].items()), ""]
    if (t.get("rejected") or {}).get("rows"):
        lines += [f"Rejected input rows, dropped before training (--drop-invalid): {rejected_sentence(t['rejected'])}", ""]
    lines += ["## Predictors", "", "| predictor | description | timing |", "|---|---|---|"]
    lines += [f"| `{p['name']}` | {p['description']} | {p['timing']} |" for p in card["predictors"]]
    summary = card.get("input_summary") or {}
    if summary:
        lines += ["", "## Training inputs (aggregates only)", "",
                  "Rounded to each input's clinical unit; the range is the 1st-99th percentile widened outwards "
                  "to the unit (no minimum or maximum: those are single patients' values).", "",
                  "| input | missing | mean (categories: shares) | median | 1st-99th percentile | unit |",
                  "|---|---|---|---|---|---|"]
        for column, s in summary.items():
            if s.get("kind") == "numeric":
                lines.append(f"| `{column}` | {s['missing_share']:.1%} | {_g(s['mean'])} | {_g(s['median'])} "
                             f"| {_g(s['p01'])} to {_g(s['p99'])} | {_g(s.get('unit'))} |")
            else:
                levels = ", ".join(f"{k} {v:.1%}" for k, v in s.get("frequencies", {}).items())
                lines.append(f"| `{column}` | {s['missing_share']:.1%} | {levels} | | | |")
    m = card["model"]
    lines += ["", "## Model", "", f"Selected: {m['family']} {m['params']}; calibration: {m['calibration']} "
              f"(intercept {_fmt(m['calibration_intercept'])}, slope {_fmt(m['calibration_slope'])}); "
              f"PK model {card['pk_model']['name']} (content sha256 {card['pk_model']['sha256'][:12]}).", "", "| candidate | CV log-loss (mean +/- SD) |", "|---|---|"]
    lines += [f"| {c['label']} | {_fmt(c['cv_logloss_mean'], 4)} +/- {_fmt(c['cv_logloss_sd'], 4)} |"
              for c in card.get("candidates", [])]
    equation = m.get("equation")
    if equation:
        lines += ["", "### Full model", "", f"{equation['form']}, with intercept {equation['intercept']:.6g} "
                  "(standardisation and calibration folded in). A feature whose input is missing takes the value "
                  "in the last column.", "",
                  "| feature | made from | coefficient | odds ratio per unit | value when input missing |",
                  "|---|---|---|---|---|"]
        lines += [f"| `{t['feature']}` | {t['made_from']} | {t['coefficient']:.6g} | {t['odds_ratio']:.4g} "
                  f"| {t['value_when_missing']:.6g}"
                  + (f" (log of {t['input_when_missing']:.4g})" if "input_when_missing" in t else "") + " |"
                  for t in equation["terms"]]
    lines += ["", "## Validation (internal)", "", f"Bootstrap resamples of the whole procedure: {v.get('n_boot')}.", "",
              "| metric | apparent | optimism-corrected (95% CI) | cross-validated |", "|---|---|---|---|"]
    for key in ("auroc", "auprc", "brier", "scaled_brier", "calibration_slope", "calibration_intercept", "ici"):
        mm = v.get(key)
        if mm:
            lines.append(f"| {key} | {_fmt(mm['apparent'])} | {_fmt(mm['corrected'])} "
                         f"({_fmt(mm['ci_low'])} to {_fmt(mm['ci_high'])}) | {_fmt(mm['cross_validated'])} |")
    nested = v.get("nested_cv") or {}
    if nested.get("selection"):
        s = nested["selection"]
        lines += ["", f"Nested cross-validation of the selection procedure: AUROC {_fmt(s.get('auroc'))}, "
                  f"calibration slope {_fmt(s.get('calibration_slope'))}, Brier {_fmt(s.get('brier'))}."]
    if v.get("events_per_parameter") is not None:
        lines += ["", f"Events per candidate parameter: {v['events_per_parameter']:.1f}."]
    if v.get("instability"):
        lines += ["", f"Prediction instability (Riley and Collins 2023): {instability_sentence(v['instability'])}"]
    for w in v.get("warnings", []):
        lines.append(f"- warning: {w}")
    lines += effects_markdown(card.get("effects"))
    b = card["band_thresholds"]
    lines += ["", "## Risk bands", "", f"low below {b['low_below']:.0%}, high from {b['high_from']:.0%}, "
              "intermediate in between.", "", "## Limitations", ""]
    lines += [f"- {x}" for x in card["limitations"]]
    lines += ["", "## Disclaimer", "", card["disclaimer"], ""]
    return "\n".join(lines)
