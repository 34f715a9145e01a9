import pytest

from rashrisk.errors import ModelError
from rashrisk.features import frame
from rashrisk.models import bundle
from rashrisk.stages import STAGES, model_name


def test_the_model_frame_and_the_bundle_know_the_same_stages_and_names():
    assert frame.STAGES is STAGES
    assert {stage: model_name(stage) for stage in STAGES} == bundle.STAGE_NAMES


def test_an_unknown_stage_has_no_model_name():
    with pytest.raises(ModelError, match="expected one of start, tdm"):
        model_name("week4")
