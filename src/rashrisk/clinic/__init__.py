"""The clinician web page (issue 12, item 2): a form for one patient or the upload of a one-patient
JSON document, and the clinician report in the page with its HTML and PDF downloads. A FastAPI router
(:data:`rashrisk.clinic.router.router`) that a serving application includes, with what it needs in
``app.state.clinic`` (:class:`rashrisk.clinic.services.ClinicServices`). See docs/clinic.md.

Decision support for research use, not a medical device; models trained on simulated data say so.
"""

from rashrisk.clinic.router import PAGE_PATHS, SESSION_COOKIE, clinic_services, router, sign_in_page
from rashrisk.clinic.services import ClinicServices

__all__ = ["ClinicServices", "PAGE_PATHS", "SESSION_COOKIE", "clinic_services", "router", "sign_in_page", "create_clinic_app"]


def create_clinic_app(**kwargs):
    """See :func:`rashrisk.clinic.app.create_clinic_app`."""
    from rashrisk.clinic.app import create_clinic_app as create

    return create(**kwargs)
