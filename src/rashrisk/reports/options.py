"""Options to consider by risk band, each with its basis. Options, not orders: the clinician decides.

Sources are cited in our own words (see /docs/reports.md and the project's domain notes).
"""

from __future__ import annotations

from rashrisk.reports.skin import CTCAE_SOURCE, skin_block
from rashrisk.reports.thresholds import trough_threshold

SOURCE_STUDY = ("The management of imatinib-associated severe skin rash in gastrointestinal stromal tumor: "
                "desensitization therapy and pharmacogenetic investigation (The Oncologist 2025, "
                "doi:10.1093/oncolo/oyaf176; 712 patients, IL6R rs4129267)")
DEMETRI_2009 = "Demetri et al., J Clin Oncol 2009: imatinib trough and time to progression in GIST (B2222)"
BOUCHET = ("Bouchet et al.: imatinib troughs in 96 French patients with advanced GIST (868 +/- 536 ng/mL at 400 mg) "
           "and a 760 ng/mL progression-free-survival threshold")
PK_FACTS = ("Imatinib half-life about 18 h, steady state after about 4-7 days (label and population-PK studies); "
            "trough sampling 24 h after a once-daily dose, accepted within +/- 2-3 h (TDM literature)")
SCAR_LABEL = ("Imatinib product information (warnings: severe cutaneous reactions, including Stevens-Johnson "
              "syndrome / toxic epidermal necrolysis, DRESS, erythema multiforme and bullous eruptions)")
RASH_CARE = ("Routine care of grade 1-2 imatinib rash as summarised in the project's domain notes: imatinib usually "
             "continued; emollients, topical corticosteroids, oral antihistamines; the dose taken with food")


REFERENCES = {
    "source_study": SOURCE_STUDY,
    "demetri_2009": DEMETRI_2009,
    "pk": PK_FACTS,
    "label_scar": SCAR_LABEL,
    "bouchet": BOUCHET,
    "rash_care": RASH_CARE,
    "ctcae": CTCAE_SOURCE,
}


def options_for(band: str, *, stage: str, trough_verdict: str | None = None, skin: dict | None = None,
                threshold=None) -> list[dict]:
    """Options for a risk band ('low' | 'intermediate' | 'high'), then the rash-management options of the
    patient's skin record (``skin``: a checked record, None = none given: the red-flag screen as a
    checklist, never desensitisation); each has option, basis and reference."""
    threshold = trough_threshold(threshold)
    out: list[dict] = []
    if band == "high":
        out.append({
            "option": "Consider closer skin checks during the first weeks of treatment, and ask the patient to report "
                      "any new rash promptly.",
            "basis": "Severe rash usually starts in the first weeks; in the source study grade 3 rash began earlier "
                     "than recurrent grade 2 rash.",
            "reference": "source_study"})
    elif band == "intermediate":
        out.append({
            "option": "Consider reviewing the skin at the usual early visits and asking the patient to report any new "
                      "rash promptly.",
            "basis": "The predicted risk lies between the model card's low-risk and high-risk thresholds; early "
                     "reporting allows early management.",
            "reference": "source_study"})
    else:
        out.append({
            "option": "Routine monitoring as in local practice may be sufficient; a low risk is not no risk, so the "
                      "patient may still be asked to report any new rash.",
            "basis": "The predicted risk is below the model card's low-risk threshold.",
            "reference": "source_study"})
    if stage == "start":
        timing = ("Consider a first trough (TDM) sample once steady state is reached, for example in weeks 2-4; "
                  "it also updates this risk estimate with the TDM-stage model.")
        if band == "high":
            timing = ("Consider an early first trough (TDM) sample, from day 7 when steady state is reached; "
                      "it also updates this risk estimate with the TDM-stage model.")
        out.append({"option": timing,
                    "basis": "Steady state is reached after about 4-7 days (half-life about 18 h); a trough is "
                             "sampled about 24 h after the dose; the TDM-stage model uses the first sample taken on "
                             "day 7-42.", "reference": "pk"})
    else:
        text = "Consider the timing of the next trough sample according to local TDM practice"
        label = threshold.label()
        if trough_verdict == "cannot tell":
            text += (f"; whether the early trough is below the {label} efficacy threshold cannot be told from this "
                     "sample (its interval spans the threshold)")
        elif trough_verdict is not None:
            text += f"; the early trough is {trough_verdict} the {label} efficacy threshold (its whole interval)"
        out.append({"option": text + ". Any dose change weighs efficacy against toxicity: this model does not "
                                     "recommend doses.",
                    "basis": (f"Troughs below {label} were associated with worse outcome in {threshold.setting} GIST "
                              f"({threshold.day})."),
                    "reference": threshold.reference})
    return out + skin_block(skin)["options"]  # the rash-management options of the skin record
