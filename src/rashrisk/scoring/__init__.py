"""Scoring: load an input (cohort folder or one-patient JSON), pick the model, score every patient.

- :func:`rashrisk.scoring.inputs.load_scoring_input`
- :func:`rashrisk.tracking.model_source.resolve_model` (``--model``, registry champion, embedded default)
- :func:`rashrisk.scoring.score.score_input` / :func:`rashrisk.scoring.score.score_frame`
- :func:`rashrisk.scoring.output.write_table` (CSV / Parquet / JSON by extension)
"""
