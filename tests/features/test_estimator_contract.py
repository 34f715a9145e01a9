"""Every rashrisk transformer follows the scikit-learn estimator contract."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from rashrisk.features.categorical import CategoricalEncoder
from rashrisk.features.columns import ClinicalColumns
from rashrisk.features.continuous import ContinuousEncoder
from rashrisk.features.genotype import GenotypeEncoder

ESTIMATORS = [
    GenotypeEncoder(),
    GenotypeEncoder(model="dominant", risk_allele="ref"),
    GenotypeEncoder(model="recessive"),
    ContinuousEncoder(),
    ContinuousEncoder(spline_columns=("x0",), add_indicator="always"),
    CategoricalEncoder(),
    ClinicalColumns(),  # no columns named: every column continuous
]


# parametrize_with_checks hands pytest a generator, which pytest 9 deprecates (an error under
# filterwarnings = error): materialise the same checks as a list.
_MARK = parametrize_with_checks(ESTIMATORS)
CONTRACT_CHECKS = pytest.mark.parametrize(_MARK.args[0], list(_MARK.args[1]), **_MARK.kwargs)


@CONTRACT_CHECKS
def test_sklearn_estimator_contract(estimator, check):
    check(estimator)
