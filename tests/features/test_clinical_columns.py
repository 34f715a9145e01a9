"""ClinicalColumns (the preprocessing a bundle stores as data) gives exactly what scikit-learn's
ColumnTransformer of the same encoders gives, names included."""

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer

from rashrisk.features.categorical import CategoricalEncoder
from rashrisk.features.columns import ClinicalColumns
from rashrisk.features.continuous import ContinuousEncoder
from rashrisk.features.genotype import GenotypeEncoder


def test_equals_the_column_transformer_of_the_same_encoders():
    rng = np.random.default_rng(4)
    n = 300
    X = pd.DataFrame({
        "sex": rng.choice(["F", "M", None], n), "age_years": rng.normal(60, 10, n),
        "map_trough_ng_ml": np.where(rng.random(n) < 0.1, np.nan, rng.lognormal(7, 0.4, n)),
        "rs4129267_alt_count": rng.choice([0.0, 1.0, 2.0, np.nan], n), "ignored": rng.random(n),
    })
    kwargs = dict(log_columns=("map_trough_ng_ml",), spline_columns=("age_years",), n_knots=4)
    ours = ClinicalColumns(categorical=("sex",), continuous=("age_years", "map_trough_ng_ml"),
                           genotype=("rs4129267_alt_count",), genotype_model="dominant",
                           risk_allele={"rs4129267_alt_count": "ref"}, **kwargs).fit(X)
    theirs = ColumnTransformer([
        ("categorical", CategoricalEncoder(), ["sex"]),
        ("continuous", ContinuousEncoder(**kwargs), ["age_years", "map_trough_ng_ml"]),
        ("genotype", GenotypeEncoder(model="dominant", risk_allele={"rs4129267_alt_count": "ref"}),
         ["rs4129267_alt_count"]),
    ], remainder="drop", verbose_feature_names_out=False).fit(X)
    np.testing.assert_array_equal(ours.transform(X), theirs.transform(X))
    assert list(ours.get_feature_names_out()) == list(theirs.get_feature_names_out())
    assert ours.input_columns() == ["sex", "age_years", "map_trough_ng_ml", "rs4129267_alt_count"]
