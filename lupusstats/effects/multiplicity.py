"""Multiplicity: adjusting a family of p-values (Holm, Hochberg, Bonferroni, Benjamini-Hochberg)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from lupusstats._core import validation as _v
from lupusstats._core.types import FloatArray

__all__ = ["adjust_pvalues"]

_ADJUST = {"holm": "holm", "hochberg": "simes-hochberg", "bonferroni": "bonferroni", "fdr_bh": "fdr_bh", "BH": "fdr_bh"}


def adjust_pvalues(p: npt.ArrayLike, method: str = "holm") -> FloatArray:
    """Adjust p-values for multiple comparisons (statsmodels ``multipletests``).

    Parameters
    ----------
    p : array-like of float
        p-values in [0, 1]; NaN is an error (drop them first and say so).
    method : {"holm", "hochberg", "bonferroni", "fdr_bh"}
        Holm (step-down FWER), Hochberg (step-up FWER, valid under independence
        or positive dependence), Bonferroni, Benjamini-Hochberg FDR (``"BH"`` is
        an alias).  Same numbers as R ``p.adjust``.

    Returns
    -------
    ndarray
        Adjusted p-values in the input order (same shape).

    Examples
    --------
    >>> import lupusstats as ls
    >>> ls.adjust_pvalues([0.01, 0.02, 0.03, 0.5]).round(3).tolist()
    [0.04, 0.06, 0.06, 0.5]
    """
    method = _v.check_choice("method", method, tuple(_ADJUST))
    arr = _v.as_float_array("p", p)
    if ((arr < 0) | (arr > 1)).any():
        raise ValueError(f"`p` must hold p-values in [0, 1], got {arr[(arr < 0) | (arr > 1)][:5].tolist()}.")
    if arr.size == 0:
        return arr.copy()
    flat = arr.ravel()
    if method == "holm":
        # statsmodels' Holm branch ends in a full gc.collect() (seconds per call in a large
        # process); the same operations here: sorted p times (n, n-1, ..., 1), running maximum, cut at 1
        order = np.argsort(flat)
        adjusted_sorted = np.maximum.accumulate(flat[order] * np.arange(flat.size, 0, -1))
        adjusted = np.empty_like(adjusted_sorted)
        adjusted[order] = np.minimum(adjusted_sorted, 1.0)
    else:
        from statsmodels.stats.multitest import multipletests

        adjusted = multipletests(flat, method=_ADJUST[method])[1]
    return np.asarray(adjusted, dtype=float).reshape(arr.shape)
