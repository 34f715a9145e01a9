"""Models: candidate estimators, nested cross-validated selection, calibration, the
serving bundle (:class:`rashrisk.models.bundle.RiskModel`) and training orchestration
(:func:`rashrisk.models.train.train_stage`)."""
