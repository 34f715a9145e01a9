"""Feature engineering: scikit-learn transformers that keep clinical names, and the model frame
per stage (``start``: no measured concentration; ``tdm``: first pre-onset sample in a landmark window).

Data flows cohort -> :func:`rashrisk.features.frame.build_model_frame` -> ``ModelFrame.X`` (clinical
inputs, one row per patient) -> :func:`rashrisk.features.preprocess.build_preprocess` (numeric matrix).
"""
