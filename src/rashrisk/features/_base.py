"""Shared helpers for the clinical transformers (input names, fast input validation)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_array, validate_data


def input_names(estimator, n_features: int) -> list[str]:
    """The clinical column names seen in ``fit`` (or ``x0..`` for a plain array)."""
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:
        return [str(n) for n in names]
    return [f"x{i}" for i in range(n_features)]


def check_input(estimator, X, *, reset: bool, numeric: bool) -> np.ndarray:
    """Validated 2-D array of ``X`` (float64 with NaN, or object), setting/checking the fitted
    names and width like ``validate_data``.

    A DataFrame (the normal case: model frames) takes a fast path: column names and width are
    checked by scikit-learn, the conversion is one ``to_numpy`` and infinities are refused here.
    Training runs this thousands of times (bootstrap), where ``check_array`` on DataFrames
    dominated the run time.
    """
    if isinstance(X, pd.DataFrame) and X.shape[0] > 0:
        validate_data(estimator, X, reset=reset, skip_check_array=True)
        if numeric:
            try:
                array = X.to_numpy(dtype=np.float64, na_value=np.nan)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{type(estimator).__name__}: non-numeric values in columns "
                                 f"{list(X.columns)}: {exc}") from None
            if np.isinf(array).any():
                raise ValueError(f"{type(estimator).__name__}: input contains infinity")
            return array
        return X.to_numpy(dtype=object)
    return validate_data(estimator, X, reset=reset, dtype=np.float64 if numeric else None,
                         ensure_all_finite="allow-nan")


def frame_of(estimator, X, *, reset: bool) -> pd.DataFrame:
    """``X`` as a DataFrame (a model frame stays as it is; an array, checked by scikit-learn's
    ``check_array``, gets columns ``x0..``), setting (``reset``) or checking the fitted width and names."""
    if isinstance(X, pd.DataFrame):
        frame = X if all(isinstance(c, str) for c in X.columns) else X.rename(columns=str)
    else:
        array = check_array(X, dtype="numeric", ensure_all_finite="allow-nan", accept_sparse=False)
        frame = pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])
    if reset:
        estimator.n_features_in_ = frame.shape[1]
        if isinstance(X, pd.DataFrame):
            estimator.feature_names_in_ = np.asarray([str(c) for c in X.columns], dtype=object)
        elif hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_
    elif not isinstance(X, pd.DataFrame) and frame.shape[1] != estimator.n_features_in_:
        raise ValueError(f"X has {frame.shape[1]} features, but {type(estimator).__name__} is expecting "
                         f"{estimator.n_features_in_} features as input")
    return frame
