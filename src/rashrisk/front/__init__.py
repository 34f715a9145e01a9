"""The package front: what ``rashrisk score``, ``explain`` and ``report`` do, from Python
(``rashrisk.load_model``, ``model_frame``, ``score``, ``explain``, ``report``; docs/api.md). It sits above
scoring, tracking (which model serves) and reports, and below the CLI."""
