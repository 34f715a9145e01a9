"""TDM-guided re-challenge after a severe rash (issue 13): the plan as data, rendered to HTML/PDF.

``build_rechallenge_plan(patient_id, cohort, skin=...) -> dict`` is the one entry point (CLI and API).
"""

from rashrisk.rechallenge.plan import RechallengeRefused, build_rechallenge_plan

__all__ = ["RechallengeRefused", "build_rechallenge_plan"]
