"""Options to consider by risk band, each with its basis. Options, not orders: the clinician decides.

Sources are cited in our own words (see /docs/reports.md and the project's domain notes).
"""

from __future__ import annotations

SOURCE_STUDY = ("The management of imatinib-associated severe skin rash in gastrointestinal stromal tumor: "
                "desensitization therapy and pharmacogenetic investigation (The Oncologist 2025, "
                "doi:10.1093/oncolo/oyaf176; 712 patients, IL6R rs4129267)")
DEMETRI_2009 = "Demetri et al., J Clin Oncol 2009: imatinib trough and time to progression in GIST (B2222)"
PK_FACTS = ("Imatinib half-life about 18 h, steady state after about 4-7 days (label and population-PK studies); "
            "trough sampling 24 h after a once-daily dose, accepted within +/- 2-3 h (TDM literature)")
SCAR_LABEL = ("Imatinib product information (warnings: severe cutaneous reactions, including Stevens-Johnson "
              "syndrome / toxic epidermal necrolysis, DRESS, erythema multiforme and bullous eruptions)")
EFFICACY_THRESHOLD_NG_ML = 1100.0
THRESHOLD_CONTEXT = ("The 1,100 ng/mL threshold comes from troughs measured on day 29 in advanced GIST (Demetri 2009, "
                     "B2222: the lowest quartile, below about 1,110 ng/mL, had a shorter time to progression); it "
                     "has not been established for adjuvant treatment, nor for samples taken before steady state "
                     "or outside 24 +/- 3 h after the dose.")


def threshold_verdict(low: float | None, high: float | None, threshold: float = EFFICACY_THRESHOLD_NG_ML) -> str | None:
    """'below', 'at or above' or 'cannot tell' (the interval spans the threshold); None without an interval."""
    if low is None or high is None:
        return None
    if high < threshold:
        return "below"
    if low >= threshold:
        return "at or above"
    return "cannot tell"

REFERENCES = {
    "source_study": SOURCE_STUDY,
    "demetri_2009": DEMETRI_2009,
    "pk": PK_FACTS,
    "label_scar": SCAR_LABEL,
}

# Signs of a severe cutaneous adverse reaction (SJS/TEN, DRESS, bullous reactions): with any of them,
# or when they have not been checked, desensitisation is not an option.
RED_FLAGS = ("mucosal involvement (mouth, eyes, genitals)", "blistering or skin detachment", "fever",
             "facial oedema", "lymphadenopathy", "eosinophilia or organ involvement (liver, kidney)")

SCAR_SCREEN = {
    "option": ("If a rash occurs, consider first checking for the signs of a severe cutaneous reaction: "
               + ", ".join(RED_FLAGS) + ". With any of them, or while they are unknown, the option is to stop imatinib "
               "and seek urgent dermatology review: desensitisation and re-challenge do not apply (SJS/TEN, DRESS, "
               "bullous reactions)."),
    "basis": ("The imatinib product information lists Stevens-Johnson syndrome / toxic epidermal necrolysis, DRESS, "
              "erythema multiforme and bullous eruptions; the source study's desensitisation concerned rash that "
              "could be managed that way."),
    "reference": "label_scar",
}

DESENSITISATION = {
    "option": ("Only when none of those signs is present and a severe rash occurs (grade 3, or grade 2 that recurs), the "
               "published pathway may be considered: interrupt imatinib, start systemic corticosteroids, then "
               "re-introduce imatinib with TDM-guided gradual dose escalation while the steroid is tapered to zero."),
    "basis": ("In the source study 54 of 712 patients (7.6%) had severe rash; 50 of 54 (92.6%) resumed imatinib at a "
              "personalised maintenance dose with this approach."),
    "reference": "source_study",
}


def options_for(band: str, *, stage: str, trough_verdict: str | None = None) -> list[dict]:
    """Options for a risk band ('low' | 'intermediate' | 'high'); each has option, basis and reference."""
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
        if trough_verdict == "cannot tell":
            text += ("; whether the early trough is below the 1,100 ng/mL efficacy threshold cannot be told from this "
                     "sample (its interval spans the threshold)")
        elif trough_verdict is not None:
            text += f"; the early trough is {trough_verdict} the 1,100 ng/mL efficacy threshold (its whole interval)"
        out.append({"option": text + ". Any dose change weighs efficacy against toxicity: this model does not "
                                     "recommend doses.",
                    "basis": "Troughs below 1,100 ng/mL were associated with shorter time to progression in GIST.",
                    "reference": "demetri_2009"})
    out += [dict(SCAR_SCREEN), dict(DESENSITISATION)]  # the screen always comes first
    return out
