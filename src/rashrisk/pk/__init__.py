"""Imatinib population pharmacokinetics: published models as data, analytic concentrations,
a priori trough prediction, Bayesian MAP estimation and the log-linear trough correction.

Modules: :mod:`~rashrisk.pk.model` (``PopPKModel``, ``load_pk_model``, ``default_pk_model``),
:mod:`~rashrisk.pk.concentration`, :mod:`~rashrisk.pk.apriori`, :mod:`~rashrisk.pk.map`,
:mod:`~rashrisk.pk.loglinear`. See docs/pk.md.
"""
