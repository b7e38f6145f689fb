"""Shared pieces of :mod:`lupusstats.survival`: input checks and the one-group Kaplan-Meier step.

Private; kept apart so ``models`` (Cox, RMST) and ``nonparametric`` (Kaplan-Meier,
log-rank) both use them without an import cycle.
"""

from __future__ import annotations

import numpy as np

from lupusstats._core import validation as _v

# ---------------------------------------------------------------------------
# input checks
# ---------------------------------------------------------------------------


def _survival_iv(time, event, group=None, *, need_events=True):
    t = _v.as_float_array("time", time, ndim=1)
    if not np.isfinite(t).all():
        raise ValueError("`time` must be finite, got infinity.")
    if (t < 0).any():
        raise ValueError(f"`time` must be >= 0, got {t[t < 0][:5].tolist()}.")
    e = _v.as_float_array("event", event, ndim=1)
    if not np.isin(e, (0, 1)).all():
        raise ValueError(f"`event` must be 0/1 (or bool), got {np.unique(e[~np.isin(e, (0, 1))])[:5].tolist()}.")
    e = e.astype(bool)
    if e.size != t.size:
        raise ValueError(f"`time` and `event` must have the same length, got {t.size} and {e.size}.")
    if t.size == 0:
        raise ValueError("`time` is empty.")
    if need_events and not e.any():
        raise ValueError(f"all {t.size} observations are censored (no event): nothing to estimate.")
    if group is None:
        return t, e, None, None
    g = np.asarray(group)
    if g.ndim != 1 or g.size != t.size:
        raise ValueError(f"`group` must be 1-d with the length of `time` ({t.size}), got shape {g.shape}.")
    import pandas as pd

    cat = pd.Categorical(group)
    if (cat.codes < 0).any():
        raise ValueError(f"`group` contains {(cat.codes < 0).sum()} missing value(s).")
    # keep only levels that occur, in category order (a Categorical keeps scenario order)
    counts = np.bincount(cat.codes, minlength=len(cat.categories))
    present = np.flatnonzero(counts > 0)
    remap = np.full(len(cat.categories), -1)
    remap[present] = np.arange(present.size)
    return t, e, remap[cat.codes], [cat.categories[int(i)] for i in present]


def _check_reference(reference, levels, name="reference"):
    if reference not in levels:
        raise ValueError(f"`{name}` must be one of the groups {levels}, got {reference!r}.")
    return reference


# ---------------------------------------------------------------------------
# Kaplan-Meier for one group
# ---------------------------------------------------------------------------


def _km_one(t, e):
    """Kaplan-Meier table at every distinct time (events and censorings), as R survfit."""
    times, inverse = np.unique(t, return_inverse=True)
    n_event = np.bincount(inverse, weights=e.astype(float), minlength=times.size)
    n_total = np.bincount(inverse, minlength=times.size).astype(float)
    n_risk = n_total[::-1].cumsum()[::-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - n_event / n_risk)
        # Greenwood: std.err of log S (= of the cumulative hazard), as survfit's std.err
        terms = np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
        se = np.sqrt(np.cumsum(terms))
    return times, n_risk, n_event, n_total - n_event, surv, se
