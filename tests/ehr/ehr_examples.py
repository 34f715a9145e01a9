"""FHIR R4 resources of one simulated patient, shaped as an EHR sends them (Genomics Reporting IG
variants, RxNorm-coded orders, LOINC-coded observations), and the same patient as contract rows."""

from __future__ import annotations

import copy

LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
DBSNP = "http://www.ncbi.nlm.nih.gov/projects/SNP"
PATIENT = "Patient/gist-042"


def quantity(value, code, unit=None):
    return {"value": value, "unit": unit or code, "system": UCUM, "code": code}


def observation(oid, code, value, when, *, display="", status="final", subject=PATIENT):
    obs = {"resourceType": "Observation", "id": oid, "status": status,
           "code": {"coding": [{"system": LOINC, "code": code, **({"display": display} if display else {})}]},
           "subject": {"reference": subject}, "valueQuantity": value}
    if when is not None:
        obs["effectiveDateTime"] = when
    return obs


def variant(oid, rsid, ref, alt, state=None, value="LA9633-4", gene=("HGNC:6019", "IL6R")):
    components = [
        {"code": {"coding": [{"system": LOINC, "code": "48018-6", "display": "Gene studied [ID]"}]},
         "valueCodeableConcept": {"coding": [{"system": "http://www.genenames.org/geneId", "code": gene[0],
                                              "display": gene[1]}]}},
        {"code": {"coding": [{"system": LOINC, "code": "81252-9", "display": "Discrete genetic variant"}]},
         "valueCodeableConcept": {"coding": [{"system": DBSNP, "code": rsid}]}},
        {"code": {"coding": [{"system": LOINC, "code": "69547-8", "display": "Genomic ref allele [ID]"}]},
         "valueString": ref},
        {"code": {"coding": [{"system": LOINC, "code": "69551-0", "display": "Genomic alt allele [ID]"}]},
         "valueString": alt},
    ]
    if state:
        code, display = {"het": ("LA6706-1", "Heterozygous"), "hom": ("LA6705-3", "Homozygous")}[state]
        components.append({"code": {"coding": [{"system": LOINC, "code": "53034-5", "display": "Allelic state"}]},
                           "valueCodeableConcept": {"coding": [{"system": LOINC, "code": code, "display": display}]}})
    return {"resourceType": "Observation", "id": oid, "status": "final",
            "meta": {"profile": ["http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/variant"]},
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "laboratory"}]}],
            "code": {"coding": [{"system": LOINC, "code": "69548-6", "display": "Genetic variant assessment"}]},
            "subject": {"reference": PATIENT}, "effectiveDateTime": "2025-02-20",
            "valueCodeableConcept": {"coding": [{"system": LOINC, "code": value}]},
            "component": components}


def imatinib_order(oid="imatinib-order", *, status="active", code="403879", display="imatinib 400 MG Oral Tablet",
                   tablets=1, start="2025-03-03", frequency=1):
    order = {"resourceType": "MedicationRequest", "id": oid, "status": status, "intent": "order",
             "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": code, "display": display}],
                                           "text": display},
             "subject": {"reference": PATIENT}, "authoredOn": "2025-03-01",
             "dosageInstruction": [{"text": "400 mg once daily with food",
                                    "timing": {"repeat": {"frequency": frequency, "period": 1, "periodUnit": "d"}},
                                    "doseAndRate": [{"doseQuantity": {"value": tablets, "unit": "tablet",
                                                                      "system": UCUM, "code": "{tbl}"}}]}]}
    if start:
        order["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"] = {"start": start}
    return order


def administration(oid, when, mg=400):
    return {"resourceType": "MedicationAdministration", "id": oid, "status": "completed",
            "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "282388", "display": "imatinib"}]},
            "subject": {"reference": PATIENT}, "effectiveDateTime": when,
            "dosage": {"dose": {"value": mg, "unit": "mg", "system": UCUM, "code": "mg"}}}


def patient_resources():
    return [
        {"resourceType": "Patient", "id": "gist-042", "gender": "female", "birthDate": "1963-07-15"},
        observation("weight-1", "29463-7", quantity(51.0, "kg"), "2024-11-02T09:30:00+01:00", display="Body weight"),
        observation("weight-2", "29463-7", quantity(52.0, "kg"), "2025-02-28T10:00:00+01:00", display="Body weight"),
        observation("height-1", "8302-2", quantity(1.58, "m"), "2025-02-28T10:00:00+01:00", display="Body height"),
        observation("albumin-1", "1751-7", quantity(3.9, "g/dL"), "2025-02-27T07:45:00+01:00", display="Albumin"),
        observation("imatinib-level-1", "57844-3", quantity(2.15, "ug/mL"), "2025-03-17T08:00:00+01:00",
                    display="Imatinib [Mass/volume] in Serum or Plasma"),
        imatinib_order(),
        administration("dose-2025-03-16", "2025-03-16T08:10:00+01:00"),
        administration("dose-2025-03-15", "2025-03-15T08:05:00+01:00"),
        variant("il6r-rs4129267", "rs4129267", "C", "T", "hom"),
        variant("abcg2-rs2231142", "rs2231142", "G", "T", "het", gene=("HGNC:74", "ABCG2")),
        variant("abcb1-rs1045642", "rs1045642", "A", "G", value="LA9634-2", gene=("HGNC:40", "ABCB1")),
        {"resourceType": "Practitioner", "id": "dr-1", "name": [{"family": "Example"}]},
    ]


def bundle(resources=None, *, kind="collection"):
    resources = patient_resources() if resources is None else resources
    return {"resourceType": "Bundle", "id": "gist-042-bundle", "type": kind,
            "entry": [{"fullUrl": f"https://ehr.example.org/fhir/{r['resourceType']}/{r['id']}",
                       "resource": copy.deepcopy(r)} for r in resources]}


# the same patient in the contract's files (what a clinic would type into patients.csv etc.)
PATIENT_ROW = {"patient_id": "gist-042", "sex": "F", "age_years": "61", "weight_kg": "52", "height_cm": "158",
               "albumin_g_l": "39", "start_dose_mg": "400", "start_date": "2025-03-03"}
GENOTYPE_ROWS = [("gist-042", "rs4129267", "T/T"), ("gist-042", "rs2231142", "G/T"), ("gist-042", "rs1045642", "A/A")]
TDM_ROW = {"patient_id": "gist-042", "sample_time": "2025-03-17T08:00:00+01:00",
           "last_dose_time": "2025-03-16T08:10:00+01:00", "dose_mg": "400", "concentration": "2.15", "unit": "ug/mL"}
