"""The patient's current skin state (the ``skin`` record) and the rash-management options it allows.

Record: ``{"rash_grade": 0-4 | null, "recurrent": bool | null, <six red flags>: bool | null}``
(checked by :func:`rashrisk.scoring.patient_json.check_skin_record`); an omitted flag is "not recorded".
Severity: none (grade 0), mild (grade 1-2, not recurrent), severe (grade >= 3, or grade 2 that
recurred: the source study's definition), unknown (no record, or the grade not recorded).

Safety rule (imatinib product information: SJS/TEN, DRESS, bullous reactions): any red flag present,
at any grade, leaves one option, stop imatinib and urgent dermatology review; for a severe rash the
same holds while any flag is not recorded. Desensitisation is offered only for a severe rash with all
six flags recorded absent. Options, not orders: the clinician decides.
"""

from __future__ import annotations

from rashrisk.scoring.patient_json import SKIN_RED_FLAGS as RED_FLAGS

_LABELS = {  # what the clinician checks (the signs of SJS/TEN, DRESS and bullous reactions)
    "mucosal_involvement": "mucosal involvement (mouth, eyes, genitals)",
    "blistering_or_detachment": "blistering or skin detachment",
    "fever": "fever",
    "facial_oedema": "facial oedema",
    "lymphadenopathy": "lymphadenopathy",
    "eosinophilia_or_organ_involvement": "eosinophilia or organ involvement (liver, kidney)",
}
RED_FLAG_LABELS = {key: _LABELS[key] for key in RED_FLAGS}  # in the record's order; a flag without a label fails here

# CTCAE v5.0, "rash maculo-papular" (paraphrased); BSA = body surface area, ADL = activities of daily living
CTCAE_GRADES = (
    {"grade": 1, "definition": "macules or papules over less than 10% of the body surface area, with or without "
                               "symptoms such as itching, burning or tightness"},
    {"grade": 2, "definition": "macules or papules over 10-30% of the body surface area, with or without symptoms, "
                               "limiting instrumental activities of daily living; or over more than 30% with at most "
                               "mild symptoms"},
    {"grade": 3, "definition": "macules or papules over more than 30% of the body surface area with moderate or severe "
                               "symptoms, limiting self-care activities of daily living"},
    {"grade": 4, "definition": "no grade 4 is defined for maculo-papular rash; in CTCAE a grade 4 event has "
                               "life-threatening consequences needing urgent intervention (for the skin, reactions "
                               "such as SJS/TEN are graded under their own terms)"},
)
CTCAE_SOURCE = "Common Terminology Criteria for Adverse Events (CTCAE) v5.0, National Cancer Institute, 2017"
SEVERE_DEFINITION = "Severe rash: CTCAE grade 3 or higher, or grade 2 that recurred (the source study's definition)."

STOP = {
    "kind": "stop",
    "option": ("Consider stopping imatinib and seeking urgent dermatology review; desensitisation and re-challenge "
               "do not apply."),
    "basis": ("A red flag of a severe cutaneous reaction is present, or (for a severe rash) not yet recorded. The "
              "imatinib product information lists Stevens-Johnson syndrome / toxic epidermal necrolysis, DRESS and "
              "bullous eruptions, for which re-challenge is not an option; the source study's desensitisation "
              "concerned rash that could be managed that way."),
    "reference": "label_scar",
}
DESENSITISATION = {
    "kind": "desensitisation",
    "option": ("All six red flags are recorded absent: the published pathway may be considered: interrupt imatinib, "
               "start systemic corticosteroids, then re-introduce imatinib with TDM-guided gradual dose escalation "
               "while the steroid is tapered to zero."),
    "basis": ("In the source study 54 of 712 patients (7.6%) had severe rash; 50 of 54 (92.6%) resumed imatinib at a "
              "personalised maintenance dose with this approach. Re-check the red flags at every step."),
    "reference": "source_study",
}
MILD = (
    {"kind": "grade_1_2",
     "option": "Consider continuing imatinib at the current dose.",
     "basis": "Grade 1-2 rash is usually managed without stopping imatinib (domain notes on routine rash care).",
     "reference": "rash_care"},
    {"kind": "grade_1_2",
     "option": ("Consider emollients, a topical corticosteroid and an oral antihistamine for itching, and taking the "
                "dose with food."),
     "basis": "Routine supportive care of grade 1-2 imatinib rash.",
     "reference": "rash_care"},
    {"kind": "grade_1_2",
     "option": ("Consider re-assessing the grade and the red flags at each visit: a rise to grade 3, or a grade 2 "
                "rash that recurs, counts as severe (then interrupt until grade 1 or less, as in the source study)."),
     "basis": SEVERE_DEFINITION,
     "reference": "source_study"},
)


def _flag_state(value) -> str:
    return "not recorded" if value is None else "present" if value else "absent"


def severity(record: dict | None) -> str:
    """'none' | 'mild' | 'severe' | 'unknown' for a checked skin record (None = no record)."""
    if record is None or record.get("rash_grade") is None:
        return "unknown"
    grade = int(record["rash_grade"])
    if grade == 0:
        return "none"
    if grade >= 3 or (grade == 2 and record.get("recurrent") is True):
        return "severe"
    return "mild"


def _screen_option(recorded: bool) -> dict:
    flags = ", ".join(RED_FLAG_LABELS.values())
    first = ("Consider completing the severe-cutaneous-reaction screen first" if recorded else
             "No skin record was given: consider completing the severe-cutaneous-reaction screen before any "
             "desensitisation or re-challenge")
    return {"kind": "screen",
            "option": (f"{first}: {flags}. With any of them present, or (for a severe rash) not recorded, the option is "
                       "to stop imatinib and seek urgent dermatology review: desensitisation and re-challenge do not "
                       "apply (SJS/TEN, DRESS, bullous reactions)."),
            "basis": ("The imatinib product information lists Stevens-Johnson syndrome / toxic epidermal necrolysis, "
                      "DRESS, erythema multiforme and bullous eruptions."),
            "reference": "label_scar"}


def skin_block(record: dict | None) -> dict:
    """The skin section of the report as data: the record, its severity, the screen and the options."""
    recorded = record is not None
    flags = [{"key": k, "label": label, "state": _flag_state((record or {}).get(k))}
             for k, label in RED_FLAG_LABELS.items()]
    present = [f["label"] for f in flags if f["state"] == "present"]
    unrecorded = [f["label"] for f in flags if f["state"] == "not recorded"]
    level = severity(record)
    if present or (level == "severe" and unrecorded):
        pathway, options = "stop", [dict(STOP)]
    elif level == "severe":
        pathway, options = "desensitisation", [dict(DESENSITISATION)]
    elif level == "mild":
        pathway, options = "grade_1_2", [dict(o) for o in MILD] + ([_screen_option(True)] if unrecorded else [])
    else:  # grade 0, grade not recorded, or no record at all: the screen as a checklist
        pathway, options = ("screen", [_screen_option(recorded)])
    return {
        "recorded": recorded,
        "rash_grade": None if record is None else record.get("rash_grade"),
        "recurrent": None if record is None else record.get("recurrent"),
        "severity": level,
        "red_flags": flags,
        "red_flags_present": present,
        "red_flags_not_recorded": unrecorded,
        "screen_complete": recorded and not unrecorded,
        "pathway": pathway,
        "desensitisation_applicable": pathway == "desensitisation",
        "options": options,
        "ctcae": [dict(g) for g in CTCAE_GRADES],
        "ctcae_source": CTCAE_SOURCE,
        "severe_definition": SEVERE_DEFINITION,
    }
