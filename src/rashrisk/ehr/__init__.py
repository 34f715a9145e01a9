"""EHR integration without a web framework: FHIR R4 input and CDS Hooks 2.0 (docs/ehr.md).

- :mod:`rashrisk.ehr.fhir`: ``bundle_to_document(bundle) -> FhirMapping``, a one-patient FHIR R4 Bundle
  as the one-patient JSON document of docs/reports.md, with every problem named by resource reference;
- :mod:`rashrisk.ehr.cds_hooks`: discovery, imatinib orders in ``context.draftOrders``, prefetch (or
  fetch with the FHIR server's token), the card, and ``cds_response`` for a web route to call.

Only :mod:`rashrisk.ehr.validate` imports ``fhir.resources`` (inside a function).
"""
