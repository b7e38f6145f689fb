"""Formula power and sample size: the negative-binomial rate ratio (Zhu & Lakkis 2014; Tang 2015) and two
independent proportions (response, remission; statsmodels ``power_proportions_2indep``).

The public names are re-exported by :mod:`lupusstats.power`; the argument
checks and constants here are shared with ``simulation`` and ``grid``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from lupusstats._core import inference as _inf
from lupusstats._core import validation as _v
from lupusstats._core.results import ResultBase
from lupusstats._core.types import FloatOrArray

if TYPE_CHECKING:
    import pandas as pd

_METHOD_VAR = ("alt", "ftotal")


# =========================================================================== checks
def _check_alpha(alpha):
    return _v.check_number("alpha", alpha, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)


def _check_target_power(power):
    return _v.check_number("power", power, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)


def _positive_array(name, value):
    arr = _v.as_float_array(name, value)
    if not np.isfinite(arr).all() or (arr <= 0).any():
        bad = arr[~(np.isfinite(arr) & (arr > 0))][:5].tolist()
        raise ValueError(f"`{name}` must be > 0 and finite, got {bad}.")
    return arr


def _dropout_pair(dropout_rate):
    if isinstance(dropout_rate, (str, bytes)):
        raise TypeError(f"`dropout_rate` must be a number or a pair (reference, treated), got {dropout_rate!r}.")
    if isinstance(dropout_rate, (Sequence, np.ndarray)):
        vals = list(dropout_rate)
        if len(vals) != 2:
            raise ValueError(f"`dropout_rate` must be one number or a pair (reference, treated), got {vals}.")
        return tuple(_v.check_positive(f"dropout_rate[{i}]", v, allow_zero=True) for i, v in enumerate(vals))
    d = _v.check_positive("dropout_rate", dropout_rate, allow_zero=True)
    return d, d


# =========================================================================== formula
# Gauss-Legendre nodes for the expected information over a dropout time in (0, T).
_GL_X, _GL_W = np.polynomial.legendre.leggauss(48)


def _info_per_patient(rate, followup, dispersion, dropout):
    """E[ mu t / (1 + a mu t) ]: Fisher information for the log rate of one patient.

    The observed exposure is ``t = min(D, T)`` with ``D ~ Exp(dropout)`` and the
    planned follow-up ``T`` drawn from the values in `followup` (equally
    weighted).  Broadcasts over `rate` (any shape); `followup` is 1-d.
    """
    rate = np.asarray(rate, dtype=float)[..., None]
    T = np.asarray(followup, dtype=float)  # (m,)

    def g(t):
        x = rate * t
        return x / (1.0 + dispersion * x)

    at_end = g(T)
    if dropout == 0.0:
        return at_end.mean(axis=-1)
    # integral_0^T g(s) d e^{-ds} ds + g(T) e^{-dT}, by Gauss-Legendre on (0, T)
    s = 0.5 * T[:, None] * (_GL_X + 1.0)  # (m, q)
    dens = dropout * np.exp(-dropout * s) * 0.5 * T[:, None] * _GL_W
    x = rate[..., None] * s  # (..., m, q)
    gs = x / (1.0 + dispersion * x)
    inner = (gs * dens).sum(axis=-1)
    return (inner + at_end * np.exp(-dropout * T)).mean(axis=-1)


def _variances(rate_ratio, baseline_rate, followup, dispersion, allocation, dropout, method_var):
    """Variance of log(rate ratio) times n_reference, under the alternative and the null."""
    r0 = baseline_rate
    r1 = baseline_rate * rate_ratio
    i0 = _info_per_patient(r0, followup, dispersion, dropout[0])
    i1 = _info_per_patient(r1, followup, dispersion, dropout[1])
    v1 = 1.0 / i0 + 1.0 / (allocation * i1)
    if method_var == "alt":
        return v1, v1
    # Zhu & Lakkis (2014) method 3: both rates at the pooled rate (expected events / expected exposure)
    e0 = _mean_exposure(followup, dropout[0])
    e1 = _mean_exposure(followup, dropout[1])
    pooled = (r0 * e0 + allocation * r1 * e1) / (e0 + allocation * e1)
    j0 = _info_per_patient(pooled, followup, dispersion, dropout[0])
    j1 = _info_per_patient(pooled, followup, dispersion, dropout[1])
    return v1, 1.0 / j0 + 1.0 / (allocation * j1)


def _mean_exposure(followup, dropout):
    T = np.asarray(followup, dtype=float)
    if dropout == 0.0:
        return float(T.mean())
    return float((-np.expm1(-dropout * T) / dropout).mean())


def _normal_power(effect, sd0, sd1, alpha, alternative):
    """Power of a z test of `effect` with SD `sd0` under the null and `sd1` under the alternative.

    statsmodels ``normal_power_het`` (with ``nobs = 1``: the SDs are those of the estimate).
    """
    from statsmodels.stats.power import normal_power_het

    return normal_power_het(
        effect, 1, alpha, std_null=sd0, std_alternative=sd1, alternative=_inf.statsmodels_alternative(alternative)
    )


def _formula_iv(
    rate_ratio, baseline_rate, followup_years, dispersion, alpha, allocation, dropout_rate, alternative, method_var
):
    rr = _positive_array("rate_ratio", rate_ratio)
    base = _v.check_positive("baseline_rate", baseline_rate)
    fu = _positive_array("followup_years", followup_years)
    if fu.ndim > 1:
        raise ValueError(
            f"`followup_years` must be a number or a 1-d array of planned follow-ups, got shape {fu.shape}."
        )
    disp = _v.check_positive("dispersion", dispersion, allow_zero=True)
    a = _check_alpha(alpha)
    alloc = _v.check_positive("allocation", allocation)
    drop = _dropout_pair(dropout_rate)
    alternative = _v.check_alternative(alternative)
    method_var = _v.check_choice("method_var", method_var, _METHOD_VAR)
    return rr, base, np.atleast_1d(fu), disp, a, alloc, drop, alternative, method_var


def power_rate_ratio(
    rate_ratio: npt.ArrayLike,
    *,
    n_per_arm: npt.ArrayLike,
    baseline_rate: float,
    followup_years: npt.ArrayLike,
    dispersion: float,
    alpha: float = 0.05,
    allocation: float = 1.0,
    dropout_rate: float | tuple[float, float] = 0.0,
    alternative: str = "two-sided",
    method_var: str = "alt",
) -> FloatOrArray:
    """Power of the negative-binomial rate-ratio test (Zhu & Lakkis 2014), with dropout and variable follow-up.

    The test is the Wald test of ``log(rate_treated / rate_reference) = 0`` from
    an NB2 regression with ``log(exposure)`` offset (what
    :func:`lupusstats.compare_rates` does).  A patient followed for ``t`` years
    at rate ``mu`` carries Fisher information ``mu t / (1 + dispersion mu t)``
    for the log rate, so ``Var(log RR) = 1 / (n0 I0) + 1 / (n1 I1)`` with ``Ig``
    the expected information per patient of arm g over the distribution of the
    observed follow-up.  With fixed follow-up this is Zhu & Lakkis' formula
    ``(1/(mu0 t) + 1/(k mu1 t) + (1 + k) dispersion / k) / n0``, computed by
    ``statsmodels.stats.rates.power_negbin_ratio_2indep``; with dropout or
    variable follow-up it is the extension of Tang (2015), which is more accurate
    than plugging in the mean exposure.

    Vectorised: `rate_ratio` and `n_per_arm` broadcast against each other.

    Parameters
    ----------
    rate_ratio : float or array_like
        True flare rate ratio, treated / reference (> 0).
    n_per_arm : float or array_like
        Patients in the reference arm; the treated arm has ``allocation *
        n_per_arm`` (>= 2).
    baseline_rate : float
        Flares per patient-year in the reference arm (> 0).
    followup_years : float or 1-d array_like
        Planned follow-up.  An array is read as the planned follow-ups of the
        patients (equally likely), e.g. staggered entry with a common end date.
    dispersion : float
        NB2 dispersion (>= 0; ``Var = mu + dispersion mu**2``; R's theta = 1/dispersion).
    alpha : float, default 0.05
        Significance level, in (0, 1).
    allocation : float, default 1.0
        Treated : reference allocation ratio (``n_treated = allocation * n_per_arm``).
    dropout_rate : float or (float, float), default 0.0
        Exponential dropout hazard per patient-year, for both arms or
        ``(reference, treated)``.  A dropout *proportion* p over follow-up T is
        the hazard ``-log(1 - p) / T``.  Patients who drop out contribute their
        partial exposure (as in the analysis).
    alternative : {"two-sided", "less", "greater"}
        ``"less"``: the treated rate is lower.  The two-sided power counts
        rejections in both directions (as statsmodels).
    method_var : {"alt", "ftotal"}
        Variance of the statistic under the null: ``"alt"`` = under the
        alternative (Zhu & Lakkis method 1; the Wald test actually used by
        :func:`lupusstats.compare_rates`), ``"ftotal"`` = both rates at the pooled
        rate (their method 3; statsmodels ``method_var="ftotal"``).

    Returns
    -------
    float or ndarray
        Power (a float when every input is scalar).

    Raises
    ------
    ValueError
        For a rate ratio, rate or follow-up <= 0, negative dispersion, alpha
        outside (0, 1), or n_per_arm < 2.

    References
    ----------
    Zhu H, Lakkis H. Sample size calculation for comparing two negative binomial
    rates. Stat Med 2014;33:376-87, doi:10.1002/sim.5947.
    Tang Y. Sample size estimation for negative binomial regression comparing
    rates of recurrent events with unequal follow-up time. J Biopharm Stat
    2015;25:1100-13, doi:10.1080/10543406.2014.971167.

    Examples
    --------
    >>> import lupusstats as ls
    >>> p = ls.power_rate_ratio(0.7, n_per_arm=150, baseline_rate=1.0, followup_years=1.0, dispersion=0.5)
    >>> round(p, 3)
    0.655
    >>> ls.power_rate_ratio([0.6, 0.7], n_per_arm=150, baseline_rate=1.0, followup_years=1.0,
    ...                     dispersion=0.5, dropout_rate=0.2).round(3)
    array([0.878, 0.618])
    """
    rr, base, fu, disp, a, alloc, drop, alternative, method_var = _formula_iv(
        rate_ratio, baseline_rate, followup_years, dispersion, alpha, allocation, dropout_rate, alternative, method_var
    )
    n = _v.as_float_array("n_per_arm", n_per_arm)
    if not np.isfinite(n).all() or (n < 2).any():
        raise ValueError(f"`n_per_arm` must be >= 2, got {n[~(np.isfinite(n) & (n >= 2))][:5].tolist()}.")
    rr_b, n_b = np.broadcast_arrays(rr, n)
    if fu.size == 1 and drop == (0.0, 0.0):
        # fixed follow-up, no dropout: Zhu & Lakkis as statsmodels has it (group 1 = treated)
        from statsmodels.stats.rates import power_negbin_ratio_2indep

        power = power_negbin_ratio_2indep(
            base * rr_b,
            base,
            alloc * n_b,
            nobs_ratio=1.0 / alloc,
            exposure=float(fu[0]),
            alpha=a,
            dispersion=disp,
            alternative=_inf.statsmodels_alternative(alternative),
            method_var=method_var,
            return_results=False,
        )
    else:
        v1, v0 = _variances(rr_b, base, fu, disp, alloc, drop, method_var)
        power = _normal_power(np.log(rr_b), np.sqrt(v0 / n_b), np.sqrt(v1 / n_b), a, alternative)
    scalar = np.ndim(rate_ratio) == 0 and np.ndim(n_per_arm) == 0
    return float(power) if scalar else power


@dataclasses.dataclass(frozen=True)
class SampleSizeResult(ResultBase):
    """Patients needed for a target power (formula).

    Attributes
    ----------
    n_per_arm : tuple of int
        ``(n_reference, n_treated)``.
    n_total : int
    power : float
        Power achieved with these (rounded-up) numbers.
    target_power, rate_ratio, alpha, allocation : float
    expected_events : float
        Expected flares in the whole trial under the alternative.
    method : str

    Examples
    --------
    A 30% cut in a flare rate of 1 per year (NB2 dispersion 0.5, one year of
    follow-up), with two patients on the new drug for each on standard care:

    >>> import lupusstats as ls
    >>> res = ls.sample_size_rate_ratio(0.7, power=0.8, baseline_rate=1.0, followup_years=1.0,
    ...                                 dispersion=0.5, allocation=2)
    >>> res.n_per_arm, res.n_total, round(res.power, 3), round(res.expected_events, 1)
    ((153, 306), 459, 0.802, 367.2)
    """

    n_per_arm: tuple
    n_total: int
    power: float
    target_power: float
    rate_ratio: float
    alpha: float
    allocation: float
    expected_events: float
    method: str

    def to_frame(self) -> pd.DataFrame:
        """One row: ``n_reference, n_treated, n_total, power, target_power, ...``."""
        import pandas as pd

        row = {"n_reference": self.n_per_arm[0], "n_treated": self.n_per_arm[1]}
        row.update({k: v for k, v in self._public_fields().items() if k != "n_per_arm"})
        return pd.DataFrame([row])


def sample_size_rate_ratio(
    rate_ratio: float,
    *,
    power: float = 0.8,
    baseline_rate: float,
    followup_years: npt.ArrayLike,
    dispersion: float,
    alpha: float = 0.05,
    allocation: float = 1.0,
    dropout_rate: float | tuple[float, float] = 0.0,
    alternative: str = "two-sided",
    method_var: str = "alt",
) -> SampleSizeResult:
    """Patients per arm for a target power of the NB rate-ratio test (Zhu & Lakkis 2014; Tang 2015).

    Solves ``n0 = (z_alpha sqrt(V0) + z_beta sqrt(V1))**2 / log(RR)**2`` (with
    ``V`` the per-patient variances of :func:`power_rate_ratio`), rounds both
    arms up, and then steps to the smallest ``n_reference`` whose power
    (:func:`power_rate_ratio`, with ``n_treated = ceil(allocation * n_reference)``)
    reaches the target.

    Parameters
    ----------
    rate_ratio : float
        Rate ratio to detect (> 0, != 1).
    power : float, default 0.8
        Target power, in (0, 1).
    baseline_rate, followup_years, dispersion, alpha, allocation, dropout_rate, alternative, method_var
        As in :func:`power_rate_ratio`.

    Returns
    -------
    SampleSizeResult
        ``n_per_arm = (n_reference, n_treated)``, ``n_total``, achieved ``power``.

    Raises
    ------
    ValueError
        Power or alpha outside (0, 1), rate ratio <= 0 or equal to 1,
        negative dispersion.

    Examples
    --------
    >>> import lupusstats as ls
    >>> res = ls.sample_size_rate_ratio(0.7, power=0.8, baseline_rate=1.0, followup_years=1.0, dispersion=0.5)
    >>> res.n_per_arm, round(res.power, 3)
    ((212, 212), 0.801)
    """
    rr, base, fu, disp, a, alloc, drop, alternative, method_var = _formula_iv(
        rate_ratio, baseline_rate, followup_years, dispersion, alpha, allocation, dropout_rate, alternative, method_var
    )
    target = _check_target_power(power)
    if rr.ndim != 0:
        raise TypeError(f"`rate_ratio` must be a single number here, got shape {rr.shape}; loop over values.")
    rr = float(rr)
    if rr == 1.0:
        raise ValueError("`rate_ratio` must differ from 1 (no effect needs infinitely many patients), got 1.0.")
    if (alternative == "less" and rr > 1) or (alternative == "greater" and rr < 1):
        raise ValueError(f"`rate_ratio` {rr} lies on the wrong side of 1 for alternative={alternative!r}.")
    v1, v0 = (float(v) for v in _variances(rr, base, fu, disp, alloc, drop, method_var))
    za = _inf.critical_value(1.0 - a, alternative)
    zb = _inf.critical_value(target, "greater")
    n0 = max(2, math.ceil((za * math.sqrt(v0) + zb * math.sqrt(v1)) ** 2 / math.log(rr) ** 2))

    def achieved(n):
        n1 = math.ceil(alloc * n - 1e-9)
        # power for the rounded arms: n_treated enters through an effective allocation
        return float(
            power_rate_ratio(
                rr,
                n_per_arm=n,
                baseline_rate=base,
                followup_years=fu,
                dispersion=disp,
                alpha=a,
                allocation=n1 / n,
                dropout_rate=drop,
                alternative=alternative,
                method_var=method_var,
            )
        ), n1

    p, n1 = achieved(n0)
    while p < target:
        n0 += 1
        p, n1 = achieved(n0)
    while n0 > 2:
        p_less, n1_less = achieved(n0 - 1)
        if p_less < target:
            break
        n0, p, n1 = n0 - 1, p_less, n1_less
    e0, e1 = _mean_exposure(fu, drop[0]), _mean_exposure(fu, drop[1])
    events = n0 * base * e0 + n1 * base * rr * e1
    extras = []
    if drop != (0.0, 0.0):
        extras.append(f"exponential dropout {drop[0]:g}/{drop[1]:g} per year")
    if fu.size > 1:
        extras.append("variable follow-up")
    method = (
        f"NB2 Wald test of log rate ratio, {alternative}; Zhu & Lakkis (2014) variance "
        f"{'under the alternative' if method_var == 'alt' else 'ftotal (method 3)'}"
        + (f"; {', '.join(extras)} (Tang 2015 expected information)" if extras else "")
    )
    return SampleSizeResult(
        n_per_arm=(int(n0), int(n1)),
        n_total=int(n0 + n1),
        power=p,
        target_power=target,
        rate_ratio=rr,
        alpha=a,
        allocation=alloc,
        expected_events=float(events),
        method=method,
    )


# =========================================================================== two proportions
def _check_dropout_share(dropout):
    """Share of randomised patients who do not complete, for both arms or (reference, treated), in [0, 1)."""

    def one(name, value):
        return _v.check_number(name, value, low=0.0, high=1.0, low_inclusive=True, high_inclusive=False)

    if isinstance(dropout, (str, bytes)):
        raise TypeError(f"`dropout` must be a number or a pair (reference, treated), got {dropout!r}.")
    if isinstance(dropout, (Sequence, np.ndarray)):
        vals = list(dropout)
        if len(vals) != 2:
            raise ValueError(f"`dropout` must be one number or a pair (reference, treated), got {vals}.")
        return one("dropout[0]", vals[0]), one("dropout[1]", vals[1])
    d = one("dropout", dropout)
    return d, d


def _proportions_iv(p_treated, p_reference, alpha, allocation, dropout, alternative):
    pt = _v.as_float_array("p_treated", p_treated)
    if not np.isfinite(pt).all() or ((pt < 0) | (pt > 1)).any():
        bad = pt[~(np.isfinite(pt) & (pt >= 0) & (pt <= 1))][:5].tolist()
        raise ValueError(f"`p_treated` must be a probability in [0, 1], got {bad}.")
    pr = _v.check_number("p_reference", p_reference, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
    a = _check_alpha(alpha)
    alloc = _v.check_positive("allocation", allocation)
    drop = _check_dropout_share(dropout)
    alternative = _v.check_alternative(alternative)
    # intention to treat: patients who do not complete count as non-responders
    return pt * (1.0 - drop[1]), pr * (1.0 - drop[0]), pt, pr, a, alloc, drop, alternative


def _power_two_proportions(q_treated, q_reference, n_reference, alpha, allocation, alternative):
    """statsmodels ``power_proportions_2indep`` with sample 1 = treated (``allocation * n``), sample 2 = reference."""
    from statsmodels.stats.proportion import power_proportions_2indep

    return power_proportions_2indep(
        q_treated - q_reference,
        q_reference,
        allocation * n_reference,
        ratio=1.0 / allocation,
        alpha=alpha,
        alternative=_inf.statsmodels_alternative(alternative),
        return_results=False,
    )


def power_proportions(
    p_treated: npt.ArrayLike,
    *,
    p_reference: npt.ArrayLike,
    n_per_arm: npt.ArrayLike,
    alpha: float = 0.05,
    allocation: float = 1.0,
    dropout: npt.ArrayLike = 0.0,
    alternative: str = "two-sided",
) -> float | np.ndarray:
    """Power of the z-test comparing two independent proportions (response, remission), with dropout as non-response.

    The test is the score z-test of :func:`lupusstats.compare_proportions_batch`
    (the Pearson chi-square test, R ``prop.test(correct = FALSE)``): pooled
    variance under the null, unpooled under the alternative.  The power is
    statsmodels' ``power_proportions_2indep`` (two-sided power counts
    rejections in both directions); for equal arms it is R's
    ``power.prop.test(strict = TRUE)``.  The one extension is `dropout`:
    patients who do not complete count as non-responders, as trials analyse a
    binary endpoint by intention to treat, so the proportions compared are
    ``p * (1 - dropout)``.

    Vectorised: `p_treated` and `n_per_arm` broadcast against each other.

    Parameters
    ----------
    p_treated : float or array_like
        Response probability in the treated arm, in [0, 1] (among completers
        when `dropout` > 0, otherwise of all randomised patients).
    p_reference : float
        Response probability in the reference arm, in (0, 1).
    n_per_arm : float or array_like
        Patients in the reference arm; the treated arm has ``allocation *
        n_per_arm`` (>= 2).
    alpha : float, default 0.05
        Significance level, in (0, 1).
    allocation : float, default 1.0
        Treated : reference allocation ratio.
    dropout : float or (float, float), default 0.0
        Share of randomised patients who do not complete (drop out or die), for
        both arms or ``(reference, treated)``, in [0, 1); they count as
        non-responders.  Leave it at 0 when the probabilities are already
        intention-to-treat shares (as trials report them, and as
        ``Arm.remission_probability`` is).
    alternative : {"two-sided", "less", "greater"}
        ``"greater"``: the treated arm responds more often.

    Returns
    -------
    float or ndarray
        Power (a float when every input is scalar).

    Raises
    ------
    ValueError
        A probability outside its range, alpha outside (0, 1), dropout outside
        [0, 1), or n_per_arm < 2.

    References
    ----------
    Fleiss JL, Levin B, Paik MC. Statistical Methods for Rates and Proportions,
    3rd ed. Wiley 2003, chapter 4 (the normal approximation without continuity
    correction).

    Examples
    --------
    Renal response 56.2% on standard care (ALMS, mycophenolate) against a
    hypothetical 70% on a new therapy, 150 patients per arm:

    >>> import lupusstats as ls
    >>> round(ls.power_proportions(0.70, p_reference=0.562, n_per_arm=150), 3)
    0.699
    >>> ls.power_proportions([0.65, 0.70], p_reference=0.562, n_per_arm=150, dropout=0.15).round(3)
    array([0.253, 0.531])
    """
    qt, qr, _, _, a, alloc, _, alternative = _proportions_iv(
        p_treated, p_reference, alpha, allocation, dropout, alternative
    )
    n = _v.as_float_array("n_per_arm", n_per_arm)
    if not np.isfinite(n).all() or (n < 2).any():
        raise ValueError(f"`n_per_arm` must be >= 2, got {n[~(np.isfinite(n) & (n >= 2))][:5].tolist()}.")
    qt_b, n_b = np.broadcast_arrays(qt, n)
    power = _power_two_proportions(qt_b, qr, n_b, a, alloc, alternative)
    scalar = np.ndim(p_treated) == 0 and np.ndim(n_per_arm) == 0
    return float(power) if scalar else np.asarray(power, dtype=float)


@dataclasses.dataclass(frozen=True)
class ProportionSampleSizeResult(ResultBase):
    """Patients needed for a target power of the two-proportion test (formula).

    Attributes
    ----------
    n_per_arm : tuple of int
        ``(n_reference, n_treated)``.
    n_total : int
    power : float
        Power achieved with these (rounded-up) numbers.
    target_power : float
    p_treated, p_reference : float
        Response probabilities as given.
    risk_difference : float
        The intention-to-treat difference tested, ``p_treated (1 - dropout_treated)
        - p_reference (1 - dropout_reference)``.
    alpha, allocation : float
    dropout : tuple of float
        ``(reference, treated)`` share counted as non-responders.
    expected_responders : float
        Expected responders in the whole trial under the alternative.
    method : str

    Examples
    --------
    >>> import lupusstats as ls
    >>> res = ls.sample_size_proportions(0.70, p_reference=0.562, power=0.8)
    >>> res.n_per_arm, res.n_total, round(res.power, 3)
    ((191, 191), 382, 0.801)
    """

    n_per_arm: tuple
    n_total: int
    power: float
    target_power: float
    p_treated: float
    p_reference: float
    risk_difference: float
    alpha: float
    allocation: float
    dropout: tuple
    expected_responders: float
    method: str

    def to_frame(self) -> pd.DataFrame:
        """One row: ``n_reference, n_treated, n_total, power, target_power, ...``."""
        import pandas as pd

        row = {"n_reference": self.n_per_arm[0], "n_treated": self.n_per_arm[1]}
        row.update({k: v for k, v in self._public_fields().items() if k not in ("n_per_arm", "dropout")})
        row["dropout_reference"], row["dropout_treated"] = self.dropout
        return pd.DataFrame([row])


_MAX_N_PER_ARM = 10**8  # beyond it the search below is slow and the answer meaningless (no trial is that large)


def sample_size_proportions(
    p_treated: float,
    *,
    p_reference: float,
    power: float = 0.8,
    alpha: float = 0.05,
    allocation: float = 1.0,
    dropout: float = 0.0,
    alternative: str = "two-sided",
) -> ProportionSampleSizeResult:
    """Patients per arm for a target power of the two-proportion z-test (response, remission).

    Starts from statsmodels' ``samplesize_proportions_2indep_onetail`` (the
    explicit formula, which ignores the far tail of a two-sided test; R
    ``power.prop.test``), rounds both arms up, and steps to the smallest
    ``n_reference`` whose power (:func:`power_proportions`, with ``n_treated =
    ceil(allocation * n_reference)``) reaches the target.

    Parameters
    ----------
    p_treated : float
        Response probability in the treated arm, in [0, 1]; must differ from
        `p_reference` (after `dropout`).
    p_reference, power, alpha, allocation, dropout, alternative
        As in :func:`power_proportions`; `power` is the target, in (0, 1).

    Returns
    -------
    ProportionSampleSizeResult
        ``n_per_arm = (n_reference, n_treated)``, ``n_total``, achieved ``power``.

    Raises
    ------
    ValueError
        Equal proportions, a difference on the wrong side for a one-sided
        `alternative`, or an argument outside its range.

    Examples
    --------
    With a sixth of the patients not completing in each arm, counted as
    non-responders:

    >>> import lupusstats as ls
    >>> res = ls.sample_size_proportions(0.70, p_reference=0.562, dropout=1 / 6)
    >>> res.n_per_arm, round(res.risk_difference, 3)
    ((295, 295), 0.115)
    """
    from statsmodels.stats.proportion import samplesize_proportions_2indep_onetail

    qt, qr, pt, pr, a, alloc, drop, alternative = _proportions_iv(
        p_treated, p_reference, alpha, allocation, dropout, alternative
    )
    target = _check_target_power(power)
    if qt.ndim != 0:
        raise TypeError(f"`p_treated` must be a single number here, got shape {qt.shape}; loop over values.")
    qt, pt = float(qt), float(pt)
    diff = qt - qr
    if diff == 0.0:
        raise ValueError(
            f"the proportions compared are equal ({qt:g} after dropout in both arms): no difference needs infinitely "
            "many patients."
        )
    if (alternative == "less" and diff > 0) or (alternative == "greater" and diff < 0):
        raise ValueError(f"`p_treated` lies on the wrong side of `p_reference` for alternative={alternative!r}.")
    nobs_treated = samplesize_proportions_2indep_onetail(
        diff, qr, target, ratio=1.0 / alloc, alpha=a, alternative=_inf.statsmodels_alternative(alternative)
    )
    n0 = max(2, math.ceil(float(nobs_treated) / alloc - 1e-9))
    if not n0 <= _MAX_N_PER_ARM:  # also NaN: a difference in the last digits (a float32 input, say)
        raise ValueError(
            f"`p_treated` ({pt!r}) and `p_reference` differ by only {diff:.3g} after dropout: more than "
            f"{_MAX_N_PER_ARM:.0e} patients per arm would be needed; check the proportions."
        )

    def achieved(n):
        n1 = math.ceil(alloc * n - 1e-9)
        return float(_power_two_proportions(qt, qr, n, a, n1 / n, alternative)), n1

    p, n1 = achieved(n0)
    while p < target:
        n0 += 1
        p, n1 = achieved(n0)
    while n0 > 2:
        p_less, n1_less = achieved(n0 - 1)
        if p_less < target:
            break
        n0, p, n1 = n0 - 1, p_less, n1_less
    method = f"score z-test of two proportions (pooled variance under the null), {alternative}; normal approximation"
    if drop != (0.0, 0.0):
        method += f"; non-completers {drop[0]:g}/{drop[1]:g} counted as non-responders"
    return ProportionSampleSizeResult(
        n_per_arm=(int(n0), int(n1)),
        n_total=int(n0 + n1),
        power=p,
        target_power=target,
        p_treated=pt,
        p_reference=pr,
        risk_difference=diff,
        alpha=a,
        allocation=alloc,
        dropout=drop,
        expected_responders=float(n0 * qr + n1 * qt),
        method=method,
    )
