"""bench/quality.py trains with the bootstrap validation switched off for speed; that is only
honest if the validation merely reports (it refits copies) and leaves the served model unchanged."""

import numpy as np

from rashrisk.features.frame import build_model_frame
from rashrisk.models.train import train_frame


def test_switching_validation_off_gives_the_same_model(simulated_cohort, fast):
    frame = build_model_frame(simulated_cohort, "start")
    with_validation = train_frame(frame, fast(), validate=True)
    without = train_frame(frame, fast(), validate=False)
    assert with_validation.validation and not without.validation  # the switch did something
    p_with = with_validation.model.predict_proba(frame.X)[:, 1]
    p_without = without.model.predict_proba(frame.X)[:, 1]
    np.testing.assert_array_equal(p_with, p_without)
    assert with_validation.model.family == without.model.family
