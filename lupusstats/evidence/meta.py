"""Effect sizes from published summaries and fixed/random-effects meta-analysis.

Two steps, as in R ``metafor``:

* :func:`effect_sizes` turns summary statistics (means and SDs, 2x2 counts,
  event counts over person-time, single-arm proportions) into an effect size
  ``yi`` and its sampling variance ``vi``, like ``metafor::escalc``
  (:mod:`lupusstats.evidence.effect_sizes`).
* :func:`meta_analysis` pools ``yi`` with inverse-variance weights, fixed or
  random effects, like ``metafor::rma`` (intercept-only model), and returns a
  :class:`MetaAnalysisResult` with heterogeneity statistics, the Q-profile
  interval for tau², the prediction interval, per-study weights and
  leave-one-out refits.

Written by hand because statsmodels' ``combine_effects`` has no REML, ML or
Q-profile interval and no ``escalc``-style effect sizes; the formulas follow
Viechtbauer (2005, 2007, 2010) and the metafor source, and the tests compare
every number to ``metafor`` 3.8 (tests/reference/meta_reference.R).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from lupusstats._core import distributions as _d
from lupusstats._core import inference as _inf
from lupusstats._core import validation as _v
from lupusstats._core.results import ConfidenceInterval, ResultBase

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["MetaAnalysisResult", "meta_analysis"]


_METHODS = ("FE", "DL", "REML", "ML", "PM")
_TESTS = ("z", "knha")


# ----------------------------------------------------------------------------
# meta-analysis
# ----------------------------------------------------------------------------


def _fe_fit(y, v, tau2):
    w = 1 / (v + tau2)
    sw = w.sum()
    mu = float(np.dot(w, y) / sw)
    return w, sw, mu


def _q_gen(y, v, tau2):
    """Generalised Q statistic at tau2 (decreasing in tau2)."""
    w, _, mu = _fe_fit(y, v, tau2)
    return float(np.dot(w, (y - mu) ** 2))


def _score(y, v, tau2, reml):
    w, sw, mu = _fe_fit(y, v, tau2)
    s = float(np.dot(w**2, (y - mu) ** 2) - sw)
    if reml:
        s += float(np.dot(w, w) / sw)
    return s


def _root_decreasing(f, lo, scale):
    """Root of a function positive at `lo` and eventually negative (bracket by doubling)."""
    from scipy.optimize import brentq

    hi = max(scale, 1e-8)
    for _ in range(200):
        if f(hi) < 0:
            break
        lo, hi = hi, hi * 2
    else:  # pragma: no cover - would need tau2 beyond 1e60
        raise RuntimeError("could not bracket the tau2 root")
    return brentq(f, lo, hi, xtol=1e-15, rtol=1e-14, maxiter=500)


def _tau2(y, v, method):
    k = y.size
    if method == "FE":
        return 0.0
    w = 1 / v
    sw = w.sum()
    q = _q_gen(y, v, 0.0)
    if method == "DL":
        return max(0.0, (q - (k - 1)) / (sw - np.dot(w, w) / sw))
    scale = max(float(np.var(y)), float(np.mean(v)), 1e-8)
    if method == "PM":
        target = k - 1
        if q <= target:
            return 0.0
        return _root_decreasing(lambda t: _q_gen(y, v, t) - target, 0.0, scale)
    reml = method == "REML"
    if _score(y, v, 0.0, reml) <= 0:
        return 0.0
    return _root_decreasing(lambda t: _score(y, v, t, reml), 0.0, scale)


def _tau2_qprofile(y, v, confidence_level):
    """Q-profile interval for tau2 (Viechtbauer 2007), as ``metafor::confint``."""
    k = y.size
    a = 1 - confidence_level
    q0 = _q_gen(y, v, 0.0)
    crit_lo = _d.chi2_ppf(1 - a / 2, k - 1)  # scipy.stats.chi2.ppf's own ufunc, without its overhead
    crit_hi = _d.chi2_ppf(a / 2, k - 1)
    scale = max(float(np.var(y)), float(np.mean(v)), 1e-8)
    lo = 0.0 if q0 < crit_lo else _root_decreasing(lambda t: _q_gen(y, v, t) - crit_lo, 0.0, scale)
    hi = 0.0 if q0 < crit_hi else _root_decreasing(lambda t: _q_gen(y, v, t) - crit_hi, 0.0, scale)
    return lo, hi


def _typical_v(v):
    """metafor's 'typical' within-study variance (k-1)/tr(P) for I² and H²."""
    w = 1 / v
    sw = w.sum()
    return (v.size - 1) / (sw - np.dot(w, w) / sw)


@dataclasses.dataclass(frozen=True)
class MetaAnalysisResult(ResultBase):
    """Result of :func:`meta_analysis` (an intercept-only ``metafor::rma``).

    Attributes
    ----------
    estimate, se : float
        Pooled effect on the analysis scale (e.g. log RR) and its standard
        error (Knapp-Hartung-scaled when ``test="knha"``).
    statistic, pvalue : float
        z (or t) statistic and two-sided p-value for estimate = 0.
    df : float
        Degrees of freedom of the t reference (``k - 1``); ``inf`` for z.
    tau2 : float
        Between-study variance (0 for FE).
    i2, h2 : float
        I² in percent and H², from tau2 and the typical within-study variance
        for random effects, from Q for FE (as metafor).
    q, q_df, q_pvalue : float
        Cochran's Q test of homogeneity.
    k : int
        Number of studies.
    method, test : str
    confidence_level : float
    yi, vi, weights, labels
        The data, the percent weights ``100 w / Σw`` with ``w = 1/(vi + tau2)``
        and the study labels.

    Examples
    --------
    Pool the published odds ratios of SRI-4 response at week 52, belimumab
    10 mg/kg against placebo, in BLISS-52 and BLISS-76 (SE of the log OR from
    the 95% CI), and map the pooled log OR and its interval back to ORs:

    >>> import numpy as np
    >>> import lupusstats as ls
    >>> te = ls.load_dataset("trial_effects")
    >>> bliss = te[(te.arm == "belimumab 10 mg/kg") & (te.outcome == "SRI-4")]
    >>> se = (np.log(bliss.ci_high) - np.log(bliss.ci_low)) / (2 * 1.959964)
    >>> res = ls.meta_analysis(np.log(bliss.effect), se**2, method="FE")
    >>> res.k, round(res.i2, 1), round(res.q_pvalue, 2)
    (2, 0.0, 0.53)
    >>> ls.back_transform([res.estimate, *res.confidence_interval()], measure="OR").round(2)
    array([1.64, 1.29, 2.08])
    """

    estimate: float
    se: float
    statistic: float
    pvalue: float
    ci_low: float = dataclasses.field(repr=False)
    ci_high: float = dataclasses.field(repr=False)
    df: float
    tau2: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_pvalue: float
    k: int
    method: str
    test: str
    confidence_level: float
    yi: np.ndarray = dataclasses.field(repr=False, compare=False)
    vi: np.ndarray = dataclasses.field(repr=False, compare=False)
    weights: np.ndarray = dataclasses.field(repr=False, compare=False)
    labels: tuple = dataclasses.field(repr=False, compare=False)

    @property
    def tau(self) -> float:
        """Square root of tau2."""
        return math.sqrt(self.tau2)

    def _level(self, confidence_level):
        if confidence_level is None:
            return self.confidence_level
        return _v.check_confidence_level(confidence_level)

    def confidence_interval(self, confidence_level: float | None = None) -> ConfidenceInterval:
        """Confidence interval of the pooled effect (z or t with k - 1 df)."""
        lvl = self._level(confidence_level)
        return ConfidenceInterval(*_inf.wald_interval(self.estimate, self.se, lvl, df=self.df))

    def prediction_interval(self, confidence_level: float | None = None) -> ConfidenceInterval:
        """Where the true effect of a new study is expected to lie: ``estimate ± crit·√(se² + tau2)``.

        As ``metafor::predict``: normal quantile for ``test="z"``, t with k - 1
        df for ``"knha"``.  Equals the confidence interval under FE.
        """
        lvl = self._level(confidence_level)
        se_new = math.sqrt(self.se**2 + self.tau2)
        return ConfidenceInterval(*_inf.wald_interval(self.estimate, se_new, lvl, df=self.df))

    def tau2_confidence_interval(self, confidence_level: float | None = None) -> ConfidenceInterval:
        """Q-profile confidence interval for tau2 (Viechtbauer 2007; ``metafor::confint``).

        It does not depend on the tau2 estimator; a bound below 0 is set to 0.
        """
        lvl = self._level(confidence_level)
        if self.k < 2:
            raise ValueError("the tau2 interval needs at least 2 studies.")
        lo, hi = _tau2_qprofile(self.yi, self.vi, lvl)
        return ConfidenceInterval(lo, hi)

    def i2_confidence_interval(self, confidence_level: float | None = None) -> ConfidenceInterval:
        """I² interval (percent) implied by the Q-profile tau2 interval, as ``metafor::confint``."""
        lo, hi = self.tau2_confidence_interval(confidence_level)
        vt = _typical_v(self.vi)
        return ConfidenceInterval(100 * lo / (vt + lo), 100 * hi / (vt + hi))

    def study_table(self, confidence_level: float | None = None) -> pd.DataFrame:
        """One row per study: label, yi, vi, se, Wald interval (normal quantile) and percent weight."""
        import pandas as pd

        lvl = self._level(confidence_level)
        se = np.sqrt(self.vi)
        low, high = _inf.wald_interval(self.yi, se, lvl)
        return pd.DataFrame(
            {
                "study": list(self.labels),
                "yi": self.yi,
                "vi": self.vi,
                "se": se,
                "ci_low": low,
                "ci_high": high,
                "weight": self.weights,
            }
        )

    def leave_one_out(self) -> pd.DataFrame:
        """Refit without each study in turn (same method and test), like ``metafor::leave1out``.

        Returns
        -------
        pandas.DataFrame
            One row per omitted study: ``omitted, estimate, se, statistic,
            pvalue, ci_low, ci_high, q, q_pvalue, tau2, i2, h2``.
        """
        import pandas as pd

        min_k = 2 if self.method != "FE" or self.test == "knha" else 1
        if self.k - 1 < min_k:
            raise ValueError(
                f"leave-one-out needs at least {min_k + 1} studies for method={self.method!r}, "
                f"test={self.test!r}; this analysis has k={self.k}."
            )
        rows = []
        for i in range(self.k):
            keep = np.arange(self.k) != i
            r = meta_analysis(
                self.yi[keep], self.vi[keep], method=self.method, test=self.test, confidence_level=self.confidence_level
            )
            lo, hi = r.confidence_interval()
            rows.append(
                {
                    "omitted": self.labels[i],
                    "estimate": r.estimate,
                    "se": r.se,
                    "statistic": r.statistic,
                    "pvalue": r.pvalue,
                    "ci_low": lo,
                    "ci_high": hi,
                    "q": r.q,
                    "q_pvalue": r.q_pvalue,
                    "tau2": r.tau2,
                    "i2": r.i2,
                    "h2": r.h2,
                }
            )
        return pd.DataFrame(rows)

    def to_frame(self) -> pd.DataFrame:
        """One-row tidy DataFrame: estimate, se, interval, p, tau2 and its interval, I², H², Q, PI."""
        import pandas as pd

        lo, hi = self.confidence_interval()
        plo, phi = self.prediction_interval()
        tlo, thi = self.tau2_confidence_interval() if self.k >= 2 else (math.nan, math.nan)
        return pd.DataFrame(
            [
                {
                    "k": self.k,
                    "method": self.method,
                    "test": self.test,
                    "estimate": self.estimate,
                    "se": self.se,
                    "ci_low": lo,
                    "ci_high": hi,
                    "confidence_level": self.confidence_level,
                    "statistic": self.statistic,
                    "df": self.df,
                    "pvalue": self.pvalue,
                    "tau2": self.tau2,
                    "tau2_ci_low": tlo,
                    "tau2_ci_high": thi,
                    "i2": self.i2,
                    "h2": self.h2,
                    "q": self.q,
                    "q_df": self.q_df,
                    "q_pvalue": self.q_pvalue,
                    "pi_low": plo,
                    "pi_high": phi,
                }
            ]
        )


def _meta_iv(
    yi, vi, method, test, confidence_level, labels
) -> tuple[np.ndarray, np.ndarray, str, str, float, tuple[str, ...]]:
    import pandas as pd

    if isinstance(yi, pd.DataFrame):
        frame = yi
        if vi is not None:
            raise TypeError("pass either a frame with columns `yi`, `vi` (and `vi=None`) or two arrays.")
        _v.check_columns("yi", frame, ["yi", "vi"])
        if isinstance(labels, str):
            _v.check_columns("yi", frame, [labels])
            labels = frame[labels].tolist()
        yi, vi = frame["yi"].to_numpy(), frame["vi"].to_numpy()
    elif vi is None:
        raise TypeError("`vi` (the sampling variances) is required unless `yi` is an effect_sizes() frame.")
    method = _v.check_choice("method", method, _METHODS)
    test = _v.check_choice("test", test, _TESTS)
    level = _v.check_confidence_level(confidence_level)
    y = _v.as_float_array("yi", yi, ndim=1)
    v = _v.as_float_array("vi", vi, ndim=1)
    if y.size != v.size:
        raise ValueError(f"`yi` and `vi` must have the same length, got {y.size} and {v.size}.")
    if not (np.isfinite(y).all() and np.isfinite(v).all()):
        raise ValueError("`yi` and `vi` must be finite, got infinity.")
    if (v < 0).any():
        raise ValueError(f"`vi` must be variances >= 0, got negative value(s) {v[v < 0][:5].tolist()}.")
    if (v == 0).any():
        raise ValueError(
            "`vi` must be > 0 for inverse-variance weights, got 0 at position(s) "
            f"{np.flatnonzero(v == 0)[:5].tolist()}."
        )
    k = y.size
    if k == 0:
        raise ValueError("`yi` is empty; a meta-analysis needs at least one study.")
    if method != "FE" and k < 2:
        raise ValueError(f"method={method!r} (random effects) needs at least 2 studies, got k={k}; use method='FE'.")
    if test == "knha" and k < 2:
        raise ValueError(f"test='knha' needs at least 2 studies, got k={k}.")
    if labels is None:
        labels = [f"study {i + 1}" for i in range(k)]
    labels = tuple(str(x) for x in labels)
    if len(labels) != k:
        raise ValueError(f"`labels` must have one entry per study ({k}), got {len(labels)}.")
    return y, v, method, test, level, labels


def meta_analysis(
    yi: npt.ArrayLike | pd.DataFrame,
    vi: npt.ArrayLike | None = None,
    *,
    method: str = "REML",
    test: str = "z",
    confidence_level: float = 0.95,
    labels: Sequence | str | None = None,
) -> MetaAnalysisResult:
    """Fixed- or random-effects meta-analysis of effect sizes (like ``metafor::rma``).

    Inverse-variance pooling ``μ̂ = Σ wᵢ yᵢ / Σ wᵢ`` with ``wᵢ = 1/(vᵢ + τ²)``.

    Parameters
    ----------
    yi : array-like or pandas.DataFrame
        Effect sizes, or the frame returned by :func:`effect_sizes` (then
        leave `vi` out).
    vi : array-like
        Sampling variances (> 0).
    method : {"REML", "DL", "PM", "ML", "FE"}, default "REML"
        tau² estimator: restricted maximum likelihood, DerSimonian-Laird,
        Paule-Mandel, maximum likelihood, or a fixed (common) effect with
        tau² = 0.  REML, ML and PM are solved to machine precision by
        root-finding (metafor iterates Fisher scoring to a 1e-5 tolerance by
        default, so its tau² can differ in the sixth digit); all are truncated
        at 0.
    test : {"z", "knha"}, default "z"
        Normal reference, or the Knapp-Hartung (2003) method: standard error
        scaled by ``Σ wᵢ(yᵢ-μ̂)²/(k-1)`` (not truncated at 1, as metafor's
        ``test="knha"``) and t with k - 1 df.  Knapp-Hartung keeps the type I
        error near nominal with few studies; the z test does not.
    confidence_level : float, default 0.95
    labels : sequence of str, or a column name when `yi` is a frame, optional
        Study labels for weights, leave-one-out and forest plots.

    Returns
    -------
    MetaAnalysisResult
        ``estimate, se, pvalue, confidence_interval(), tau2,
        tau2_confidence_interval(), i2, h2, q, q_pvalue,
        prediction_interval(), weights, leave_one_out(), to_frame()``.

    Raises
    ------
    TypeError
        Non-numeric input, or `vi` missing.
    ValueError
        Length mismatch, NaN or infinite values, variances <= 0, fewer than
        2 studies for a random-effects method or Knapp-Hartung, unknown
        method or test.

    Examples
    --------
    >>> import lupusstats as ls
    >>> res = ls.meta_analysis([-0.9, -1.6, -1.4, -1.5, -0.2],
    ...                        [0.36, 0.19, 0.42, 0.02, 0.05], method="DL")
    >>> round(res.estimate, 4), round(res.tau2, 4), round(res.i2, 1)
    (-1.0931, 0.4916, 84.3)
    """
    y, v, method, test, level, labels = _meta_iv(yi, vi, method, test, confidence_level, labels)

    k = y.size
    tau2 = float(_tau2(y, v, method))
    w, sw, mu = _fe_fit(y, v, tau2)
    se = math.sqrt(1 / sw)
    df = math.inf
    if test == "knha":
        df = k - 1
        s2w = float(np.dot(w, (y - mu) ** 2)) / df
        se = se * math.sqrt(s2w)
    stat = mu / se if se > 0 else math.nan
    pvalue = _inf.pvalue_from_z(stat, df=df)
    q = _q_gen(y, v, 0.0)
    q_df = k - 1
    q_p = float(_d.chi2_sf(q, q_df)) if q_df > 0 else math.nan  # scipy.stats.chi2.sf's own ufunc
    if method == "FE":
        i2 = max(0.0, 100 * (q - q_df) / q) if q_df > 0 and q > 0 else (0.0 if q_df > 0 else math.nan)
        h2 = q / q_df if q_df > 0 else math.nan
    else:
        vt = _typical_v(v)
        i2 = 100 * tau2 / (vt + tau2)
        h2 = (vt + tau2) / vt
    ci_low, ci_high = _inf.wald_interval(mu, se, level, df=df)
    return MetaAnalysisResult(
        estimate=mu,
        se=se,
        statistic=stat,
        pvalue=pvalue,
        ci_low=ci_low,
        ci_high=ci_high,
        df=float(df),
        tau2=tau2,
        i2=float(i2),
        h2=float(h2),
        q=q,
        q_df=q_df,
        q_pvalue=q_p,
        k=k,
        method=method,
        test=test,
        confidence_level=level,
        yi=y,
        vi=v,
        weights=100 * w / sw,
        labels=labels,
    )
