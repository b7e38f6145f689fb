"""Patients table -> arrays (counts, exposure, group codes, design matrix) for the rate analyses."""

from __future__ import annotations

import numpy as np

from lupusstats._core import validation as _v


def _group_codes(patients, group):
    """Codes and level names of the group column (empty categories dropped)."""
    import pandas as pd

    col = patients[group]
    if col.isna().any():
        raise ValueError(f"column `{group}` has {int(col.isna().sum())} missing value(s); remove them first.")
    cat = col if isinstance(col.dtype, pd.CategoricalDtype) else col.astype("category")
    cat = cat.cat.remove_unused_categories()
    return cat.cat.codes.to_numpy(), [str(c) if not isinstance(c, str) else c for c in cat.cat.categories]


def _counts_exposure(patients, count, exposure):
    y = _v.as_count_array(f"patients[{count!r}]", _v.column_as_float(f"patients[{count!r}]", patients[count]), ndim=1)
    t = _v.as_positive_array(
        f"patients[{exposure!r}]", _v.column_as_float(f"patients[{exposure!r}]", patients[exposure]), ndim=1
    )
    _v.check_count_limit(f"patients[{count!r}]", y)
    return y, t


def _covariate_matrix(patients, covariates):
    import pandas as pd

    if covariates is None:
        return np.zeros((len(patients), 0)), []
    if isinstance(covariates, str):
        covariates = [covariates]
    if not isinstance(covariates, (list, tuple)) or not all(isinstance(c, str) for c in covariates):
        raise TypeError(f"`covariates` must be a column name or a list of column names, got {covariates!r}.")
    _v.check_columns("patients", patients, covariates)
    blocks, names = [], []
    for c in covariates:
        col = patients[c]
        if col.isna().any():
            raise ValueError(f"covariate `{c}` has {int(col.isna().sum())} missing value(s); remove or impute them.")
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            blocks.append(col.to_numpy(dtype=float)[:, None])
            names.append(c)
        else:
            dummies = pd.get_dummies(col.astype("category"), prefix=c, prefix_sep="[", drop_first=True, dtype=float)
            blocks.append(dummies.to_numpy())
            names.extend(f"{n}]" for n in dummies.columns)
    return np.hstack(blocks), names


def _design(patients, count, exposure, group, covariates, reference):
    _v.check_columns("patients", patients, [count, exposure, group])
    y, t = _counts_exposure(patients, count, exposure)
    codes, levels = _group_codes(patients, group)
    if len(levels) < 2:
        raise ValueError(f"column `{group}` must hold at least two groups to compare, got {levels}.")
    if reference is None:
        ref = 0
    elif reference in levels:
        ref = levels.index(reference)
    else:
        raise ValueError(f"`reference` {reference!r} is not a group of column `{group}`; groups are {levels}.")
    others = [i for i in range(len(levels)) if i != ref]
    Z, znames = _covariate_matrix(patients, covariates)
    X = np.column_stack([np.ones(len(y))] + [(codes == i).astype(float) for i in others] + [Z])
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise ValueError(f"the design (groups + covariates {znames}) is rank-deficient; drop a collinear covariate.")
    return y, t, X, levels, ref, others
