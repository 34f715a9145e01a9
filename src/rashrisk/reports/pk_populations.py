"""The population each shipped PK model was fitted on, declared as data, and the check of one patient
against it (the report's warning box when the patient lies outside).

Taken from each model file's ``population`` string and the project's domain notes (imatinib.md). Where
a source gives a mean +/- SD, the range is the mean +/- 2 SD and marked approximate; where the
ancestry is inferred from the country of the study, it is marked approximate too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

ANCESTRY_WORDS = {"EAS": "East Asian", "EUR": "European", "AFR": "African", "SAS": "South Asian",
                  "AMR": "Admixed American", "OTH": "other"}


@dataclass(frozen=True)
class PKPopulation:
    model: str
    description: str
    ancestry: tuple[str, ...] = ()  # contract ancestry codes the population represents; () = not restricted
    settings: tuple[str, ...] = ()  # GIST settings studied; () = not stated
    age_years: tuple[float, float] | None = None
    weight_kg: tuple[float, float] | None = None
    approximate: tuple[str, ...] = field(default=())  # which of the above are approximate, and why

    def to_dict(self) -> dict:
        return {"model": self.model, "description": self.description, "ancestry": list(self.ancestry),
                "settings": list(self.settings), "age_years": self.age_years and list(self.age_years),
                "weight_kg": self.weight_kg and list(self.weight_kg), "approximate": list(self.approximate)}


PK_POPULATIONS = {
    "widmer2006": PKPopulation(
        model="widmer2006", description="59 adult CML and GIST patients (Switzerland), mostly 400 mg once daily",
        ancestry=("EUR",), age_years=(20.0, 88.0), weight_kg=(44.0, 110.0),
        approximate=("ancestry: inferred from the study country (Switzerland), not reported",
                     "weight: the model's soft validity range")),
    "jiang2023": PKPopulation(
        model="jiang2023", description=("85 Chinese post-operative (adjuvant) GIST patients, 54% male, weight "
                                        "58.6 +/- 9.6 kg, median age 57 y, 93% on 400 mg once daily"),
        ancestry=("EAS",), settings=("adjuvant",), weight_kg=(39.4, 77.8),
        approximate=("weight: mean +/- 2 SD of the cohort (58.6 +/- 9.6 kg); the observed range is not in the "
                     "sources the project holds", "age: only the median (57 y) is known, so age is not checked")),
    "petain2008": PKPopulation(
        model="petain2008", description=("67 patients: children with solid tumours (n = 33, age 2-22) and adults "
                                          "with GIST (age 2-84 overall), joint imatinib and metabolite model"),
        ancestry=("EUR",), age_years=(2.0, 84.0),
        approximate=("ancestry: inferred from the study country (France), not reported",
                     "setting of the adult GIST patients not in the sources the project holds")),
}


def optional_float(value) -> float | None:
    """``value`` as a float; None when it is missing, NaN or not a number."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


def _text(value) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    value = str(value).strip()
    return value or None


def population_check(model_name: str, patient: dict) -> dict:
    """The PK model's population and where ``patient`` (contract fields) lies outside it (``outside``:
    one sentence per field; no patient value is logged, only shown in the report)."""
    population = PK_POPULATIONS.get(model_name)
    if population is None:
        return {"model": model_name, "description": None, "outside": [],
                "approximate": [f"no population record for PK model {model_name!r}"]}
    outside = []
    ancestry = _text(patient.get("ancestry"))
    if population.ancestry and ancestry is not None and ancestry.upper() not in population.ancestry:
        words = ", ".join(ANCESTRY_WORDS.get(a, a) for a in population.ancestry)
        outside.append(f"ancestry {ANCESTRY_WORDS.get(ancestry.upper(), ancestry)}: the model was fitted on "
                       f"{words} patients")
    setting = _text(patient.get("setting"))
    if population.settings and setting is not None and setting.lower() not in population.settings:
        outside.append(f"setting {setting}: the model was fitted on {', '.join(population.settings)} patients")
    for key, label, unit in (("age_years", "age", "years"), ("weight_kg", "weight", "kg")):
        bounds, value = getattr(population, key), optional_float(patient.get(key))
        if bounds and value is not None and not bounds[0] <= value <= bounds[1]:
            outside.append(f"{label} {value:g} {unit}: outside the model's population ({bounds[0]:g}-{bounds[1]:g} {unit})")
    return {"model": model_name, "description": population.description, "outside": outside,
            "approximate": list(population.approximate), "population": population.to_dict()}
