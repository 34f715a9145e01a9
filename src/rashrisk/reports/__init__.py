"""Clinician and model reports: ``build_*_data(...) -> dict`` then Jinja2 HTML (autoescape) and
WeasyPrint PDF. Templates and CSS are package data under ``templates/``.

- :func:`rashrisk.reports.patient.build_report_data` the patient report as data (the API returns it).
- :func:`rashrisk.reports.model_card.build_model_report_data` the model card with TRIPOD+AI items.
- :mod:`rashrisk.reports.render` HTML / PDF rendering.
"""
