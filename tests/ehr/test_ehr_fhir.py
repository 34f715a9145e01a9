"""FHIR R4 Bundle -> one-patient document: the same risk as the CSV path, and every unusable resource
named by its reference."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

import ehr_examples as E
import rashrisk
from rashrisk.ehr.fhir import bundle_to_document
from rashrisk.scoring.inputs import scoring_input_from_document

SCORE_COLUMNS = ["status", "reason", "risk", "risk_low", "risk_high", "band", "baseline_risk", "factor_1",
                 "factor_2", "factor_3", "warnings", "model"]


def _write_cohort(folder):
    folder.mkdir()
    with open(folder / "patients.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(E.PATIENT_ROW))
        w.writeheader()
        w.writerow(E.PATIENT_ROW)
    with open(folder / "genotypes.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["patient_id", "rsid", "genotype"])
        w.writerows(E.GENOTYPE_ROWS)
    with open(folder / "tdm.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(E.TDM_ROW))
        w.writeheader()
        w.writerow(E.TDM_ROW)
    return folder


def _by_ref(mapping):
    return {r.reference: r for r in mapping.resources}


def _problems(mapping, ref):
    return [p for p in mapping.problems if p.reference == ref]


@pytest.mark.parametrize("stage", ["start", "tdm"])
def test_the_bundle_and_the_csv_folder_give_the_same_score(tmp_path, stage):
    mapping = bundle_to_document(E.bundle())
    assert mapping.errors == [], [p.message for p in mapping.errors]
    from_csv = rashrisk.score(_write_cohort(tmp_path / "cohort"), stage, model="default")
    from_fhir = rashrisk.score(mapping.document, stage, model="default")
    assert from_csv.loc[0, "status"] == "scored", from_csv.loc[0, "reason"]
    pd.testing.assert_frame_equal(from_csv[SCORE_COLUMNS], from_fhir[SCORE_COLUMNS])


def test_the_bundle_and_the_csv_folder_load_to_the_same_tables(tmp_path):
    """Every input, not only those the default models use (weight and albumin reach the PK models only)."""
    from_csv = rashrisk.load_cohort(_write_cohort(tmp_path / "cohort"))
    from_fhir = scoring_input_from_document(bundle_to_document(E.bundle()).document).cohort
    for table in ("patients", "genotypes", "tdm"):
        pd.testing.assert_frame_equal(getattr(from_csv, table).reset_index(drop=True),
                                      getattr(from_fhir, table).reset_index(drop=True), check_dtype=False)


def test_the_document_holds_the_contract_fields_in_canonical_units():
    document = bundle_to_document(E.bundle()).document
    assert document == {
        "patient_id": "gist-042", "sex": "F", "age_years": 61, "weight_kg": 52.0, "height_cm": 158.0,
        "albumin_g_l": 39.0, "start_dose_mg": 400.0, "start_date": "2025-03-03",
        "genotypes": {"rs4129267": "T/T", "rs2231142": "G/T", "rs1045642": "A/A"},
        "tdm": [{"sample_time": "2025-03-17T08:00:00+01:00", "last_dose_time": "2025-03-16T08:10:00+01:00",
                 "dose_mg": 400.0, "concentration": 2.15, "unit": "ug/mL"}]}
    scoring_input_from_document(document)  # the scoring input accepts it as it is


def test_every_resource_is_mapped_or_ignored_with_a_reason():
    bundle = E.bundle()
    mapping = bundle_to_document(bundle)
    refs = [f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]]
    assert [r.reference for r in mapping.resources] == refs
    uses = _by_ref(mapping)
    assert uses["Observation/weight-2"].fields == ("weight_kg",)
    assert uses["Observation/weight-1"].status == "ignored" and "another weight_kg" in uses["Observation/weight-1"].reason
    assert uses["Practitioner/dr-1"].status == "ignored" and uses["Practitioner/dr-1"].reason
    assert uses["MedicationAdministration/dose-2025-03-15"].status == "ignored"
    assert all(r.status == "mapped" or r.reason for r in mapping.resources)


def test_an_unmapped_code_is_named_by_reference_and_ignored():
    resources = E.patient_resources() + [
        E.observation("bp-1", "8480-6", E.quantity(120, "mm[Hg]"), "2025-02-28T10:00:00+01:00")]
    mapping = bundle_to_document(E.bundle(resources))
    [problem] = _problems(mapping, "Observation/bp-1")
    assert problem.level == "warning" and problem.field == "code" and "http://loinc.org|8480-6" in problem.value
    assert _by_ref(mapping)["Observation/bp-1"].status == "ignored"
    assert mapping.errors == []


def test_an_inconsistent_unit_is_reported_and_the_value_not_used():
    resources = E.patient_resources()
    resources[2] = E.observation("weight-2", "29463-7", E.quantity(52.0, "mm[Hg]"), "2025-02-28T10:00:00+01:00")
    mapping = bundle_to_document(E.bundle(resources))
    [problem] = _problems(mapping, "Observation/weight-2")
    assert problem.field == "valueQuantity.unit" and "'mm[Hg]'" in problem.value and "kg" in problem.expected
    assert mapping.document["weight_kg"] == 51.0  # the earlier valid weight, Observation/weight-1
    assert _by_ref(mapping)["Observation/weight-1"].fields == ("weight_kg",)


def test_pounds_and_centimetres_are_converted():
    resources = E.patient_resources()
    resources[2] = E.observation("weight-2", "29463-7", E.quantity(114.64, "[lb_av]", "lb"), "2025-02-28T10:00:00+01:00")
    resources[3] = E.observation("height-1", "8302-2", E.quantity(158, "cm"), "2025-02-28T10:00:00+01:00")
    document = bundle_to_document(E.bundle(resources)).document
    assert document["weight_kg"] == pytest.approx(52.0, abs=0.01) and document["height_cm"] == 158.0


def test_two_different_weights_at_the_same_time_are_a_conflict_and_neither_is_used():
    resources = E.patient_resources() + [
        E.observation("weight-3", "29463-7", E.quantity(61.0, "kg"), "2025-02-28T10:00:00+01:00")]
    mapping = bundle_to_document(E.bundle(resources))
    for ref in ("Observation/weight-2", "Observation/weight-3"):
        [problem] = _problems(mapping, ref)
        assert "disagree" in problem.expected and "Observation/weight-2" in problem.expected
    assert "weight_kg" not in mapping.document
    scores = rashrisk.score(mapping.document, "start", model="default")
    assert scores.loc[0, "status"] == "not_scored" and "weight_kg" in scores.loc[0, "reason"]


def test_a_concentration_without_effective_time_is_reported_and_not_used():
    resources = E.patient_resources()
    resources[5] = E.observation("imatinib-level-1", "57844-3", E.quantity(2150, "ng/mL"), None)
    mapping = bundle_to_document(E.bundle(resources))
    [problem] = _problems(mapping, "Observation/imatinib-level-1")
    assert problem.level == "error" and problem.field == "effectiveDateTime" and problem.value == "missing"
    assert "tdm" not in mapping.document


def test_a_concentration_without_a_dose_before_it_is_reported():
    resources = [r for r in E.patient_resources() if r["resourceType"] != "MedicationAdministration"]
    mapping = bundle_to_document(E.bundle(resources))
    [problem] = _problems(mapping, "Observation/imatinib-level-1")
    assert "MedicationAdministration" in problem.expected and "tdm" not in mapping.document


def test_an_invalid_resource_becomes_problems_not_a_traceback():
    resources = E.patient_resources()
    resources[4] = E.observation("albumin-1", "1751-7", {"value": "thirty-nine", "unit": "g/L"}, "2025-02-27")
    resources[4]["colour"] = "blue"
    mapping = bundle_to_document(E.bundle(resources))
    found = {p.field: p for p in _problems(mapping, "Observation/albumin-1")}
    assert set(found) == {"valueQuantity.value", "colour"}
    assert "'thirty-nine'" in found["valueQuantity.value"].value and "unknown element" in found["colour"].value
    assert _by_ref(mapping)["Observation/albumin-1"].status == "invalid"
    assert "albumin_g_l" not in mapping.document


def test_a_resource_about_another_patient_is_not_used():
    resources = E.patient_resources() + [
        E.observation("weight-x", "29463-7", E.quantity(90, "kg"), "2025-03-02T10:00:00+01:00", subject="Patient/other")]
    mapping = bundle_to_document(E.bundle(resources))
    [problem] = _problems(mapping, "Observation/weight-x")
    assert problem.field == "subject" and "'Patient/other'" in problem.value
    assert mapping.document["weight_kg"] == 52.0


def test_not_a_bundle_and_two_patients_give_no_document():
    mapping = bundle_to_document({"resourceType": "Patient", "id": "x"})
    assert mapping.document is None and mapping.problems[0].reference == "Bundle"
    resources = E.patient_resources() + [{"resourceType": "Patient", "id": "p2", "gender": "male"}]
    mapping = bundle_to_document(E.bundle(resources))
    assert mapping.document is None and "2 Patients" in mapping.problems[0].value
    assert all(r.status == "ignored" for r in mapping.resources)


def test_genotype_observations_follow_the_genomics_reporting_ig():
    resources = [r for r in E.patient_resources() if "rs" not in str(r.get("component", ""))] + [
        E.variant("v1", "rs4129267", "C", "T", "het"),
        E.variant("v2", "rs2231142", "C", "A", "het"),                 # the other strand
        E.variant("v3", "rs1045642", "A", "G", value="LA18198-4"),     # no call
        E.variant("v4", "rs776746", "C", "T", "het"),                  # GRCh37 letters, swapped ref
        E.variant("v5", "rs12345", "T", "G", "het"),                   # not a catalogue variant
        E.variant("v6", "rs2228145", "A", "C"),                        # present without allelic state
    ]
    mapping = bundle_to_document(E.bundle(resources))
    assert mapping.document["genotypes"] == {"rs4129267": "C/T", "rs2228145": "./.", "rs2231142": "./.",
                                             "rs1045642": "./.", "rs776746": "C/T"}
    assert "other strand" not in str(mapping.problems)  # the message says what the alleles should be
    [strand] = _problems(mapping, "Observation/v2")
    assert "'C' is not one of the catalogue's alleles G/T" in strand.value
    [state] = _problems(mapping, "Observation/v6")
    assert "allelic state" in state.value
    assert _by_ref(mapping)["Observation/v5"].status == "ignored" and _problems(mapping, "Observation/v5") == []


def test_conflicting_genotypes_of_one_variant_are_a_no_call():
    resources = E.patient_resources() + [E.variant("il6r-again", "rs4129267", "C", "T", "het")]
    mapping = bundle_to_document(E.bundle(resources))
    assert mapping.document["genotypes"]["rs4129267"] == "./."
    assert {p.reference for p in mapping.problems if "disagree" in p.expected} == {
        "Observation/il6r-rs4129267", "Observation/il6r-again"}


def test_twice_daily_orders_and_medication_references():
    resources = [r for r in E.patient_resources() if r["resourceType"] != "MedicationRequest"]
    order = E.imatinib_order(code="282388", frequency=2)
    order["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"] = {"value": 400, "unit": "mg", "system": E.UCUM,
                                                                        "code": "mg"}
    del order["medicationCodeableConcept"]
    order["medicationReference"] = {"reference": "Medication/imatinib-400"}
    medication = {"resourceType": "Medication", "id": "imatinib-400",
                  "code": {"coding": [{"system": E.RXNORM, "code": "403879"}]}}
    mapping = bundle_to_document(E.bundle(resources + [order, medication]))
    assert mapping.document["start_dose_mg"] == 800.0
    assert _by_ref(mapping)["Medication/imatinib-400"].status == "mapped"


def test_an_imatinib_order_without_a_known_rxnorm_code_is_reported():
    resources = [r for r in E.patient_resources() if r["resourceType"] != "MedicationRequest"]
    order = E.imatinib_order(code="999999", display="Imatinib mesylate 400 mg tablet (local code)")
    mapping = bundle_to_document(E.bundle(resources + [order]))
    [problem] = _problems(mapping, "MedicationRequest/imatinib-order")
    assert problem.field == "medicationCodeableConcept" and "282388" in problem.expected
    assert any(p.field == "MedicationRequest" for p in mapping.errors)
    assert mapping.document["start_dose_mg"] is None


def test_age_is_taken_at_the_start_date_and_a_draft_order_uses_the_reference_date():
    resources = [r for r in E.patient_resources() if r["resourceType"] != "MedicationRequest"]
    draft = E.imatinib_order(status="draft", start=None)
    del draft["authoredOn"]
    mapping = bundle_to_document(E.bundle(resources), order=draft, reference_date="2025-07-15")
    assert mapping.document["start_date"] == "2025-07-15" and mapping.document["age_years"] == 62
    assert _problems(mapping, "MedicationRequest/imatinib-order") == []  # the order being placed starts today
    # an order in the bundle without a start date is read with a warning
    mapping = bundle_to_document(E.bundle(resources + [draft]), reference_date="2025-07-15")
    [problem] = _problems(mapping, "MedicationRequest/imatinib-order")
    assert problem.level == "warning" and "2025-07-15" in problem.expected


JUNK = [None, "", "x", 0, -1, 1e308, True, [], {}, [1], {"a": 1}, "2025-13-45", "Patient/other"]


def _mutations(value, rng, depth=0):
    """``value`` with one element somewhere replaced, removed, or set to junk."""
    if isinstance(value, dict) and value:
        key = rng.choice(sorted(value))
        out = dict(value)
        roll = rng.random()
        if roll < 0.25:
            del out[key]
        elif roll < 0.5 or depth > 6:
            out[key] = rng.choice(JUNK)
        else:
            out[key] = _mutations(value[key], rng, depth + 1)
        return out
    if isinstance(value, list) and value:
        i = rng.randrange(len(value))
        out = list(value)
        out[i] = _mutations(value[i], rng, depth + 1) if rng.random() < 0.7 else rng.choice(JUNK)
        return out
    return rng.choice(JUNK)


def test_no_mutation_of_a_bundle_raises_and_every_resource_stays_accounted_for():
    import random

    rng = random.Random(20261203)
    base = E.bundle()
    for _ in range(300):
        bundle = base
        for _ in range(rng.randint(1, 4)):
            bundle = _mutations(bundle, rng)
        mapping = bundle_to_document(bundle)  # never raises
        assert mapping.document is None or isinstance(mapping.document.get("genotypes"), dict)
        if mapping.document is not None:
            assert len(mapping.resources) >= len([e for e in bundle.get("entry", []) if isinstance(e, dict)]) - 1


def test_an_old_weight_is_used_with_a_warning():
    resources = [r for r in E.patient_resources() if r["id"] != "weight-2"]
    mapping = bundle_to_document(E.bundle(resources))
    assert mapping.document["weight_kg"] == 51.0
    [problem] = _problems(mapping, "Observation/weight-1")
    assert problem.level == "warning" and "121 days before the start" in problem.value


def test_the_order_being_placed_supersedes_an_older_version_of_itself():
    resources = E.patient_resources()
    older = next(r for r in resources if r["resourceType"] == "MedicationRequest")
    placed = E.imatinib_order(tablets=2)  # the same order id, now 800 mg
    mapping = bundle_to_document(E.bundle(resources), order=placed)
    assert mapping.document["start_dose_mg"] == 800.0 and older["id"] == placed["id"]
    [problem] = _problems(mapping, "MedicationRequest/imatinib-order")
    assert problem.level == "warning" and "another version" in problem.value


def test_a_medication_no_imatinib_resource_refers_to_is_accounted_for():
    resources = E.patient_resources() + [{"resourceType": "Medication", "id": "aspirin",
                                          "code": {"coding": [{"system": E.RXNORM, "code": "1191"}]}}]
    use = _by_ref(bundle_to_document(E.bundle(resources)))["Medication/aspirin"]
    assert use.status == "ignored" and "not the product" in use.reason


def test_an_invalid_bundle_envelope_is_a_warning_and_the_resources_are_still_read():
    bundle = E.bundle()
    del bundle["type"]
    mapping = bundle_to_document(bundle)
    [problem] = _problems(mapping, "Bundle")
    assert problem.field == "type" and problem.level == "warning" and "required" in problem.value
    assert mapping.document["weight_kg"] == 52.0
