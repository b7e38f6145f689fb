"""Bayesian random-effects meta-analysis for few studies, by exact numerical integration.

The normal-normal hierarchical model ``yᵢ ~ N(θᵢ, vᵢ)``, ``θᵢ ~ N(μ, τ²)`` with
independent priors on the overall effect ``μ`` (improper uniform or normal) and
the heterogeneity ``τ`` (half-normal, half-Cauchy, log-normal or improper
uniform), as in Röver (2020), *Bayesian random-effects meta-analysis using the
bayesmeta R package*, J Stat Softw 93(6), doi:10.18637/jss.v093.i06.

How it is computed (the equations are those of Röver 2020, Sections 2.4--2.8):

* Given ``τ``, the prior on ``μ`` is conditionally conjugate, so ``μ | τ, y`` is
  normal with mean ``μ̂(τ)`` and sd ``σ̂(τ)`` (Eq. 12, or 14 with a normal prior)
  and ``μ`` integrates out of the likelihood in closed form (Eq. 13 / 15).
* The marginal posterior of ``τ`` is ``p(τ | y) ∝ p(τ) p(y | τ)`` (Eq. 16).  It is
  integrated by adaptive Gauss--Legendre quadrature on ``t = τ / (s + τ) ∈ [0, 1)``
  (``s`` a data-driven scale near the posterior's bulk), bisecting every
  interval whose 16-point and two-half estimates of the mass (and of the
  ``t``- and ``μ̂``-weighted masses, and of the first two ``τ`` moments where
  they are finite) differ by more than 1e-10 of the total.  bayesmeta instead
  uses the DIRECT discretisation of Röver & Friede (2017); here the quadrature
  nodes are that discretisation, dense enough for about 1e-12 accuracy.
* The marginal posterior of ``μ``, the predictive distribution of a new study's
  ``θ`` (``θ | τ, y ~ N(μ̂, σ̂² + τ²)``) and the shrinkage posteriors of the
  ``θᵢ`` are the corresponding mixtures of normals over those nodes; their
  quantiles and shortest intervals are solved to about 1e-12.

No MCMC, so no Monte Carlo error: the numbers are reproducible to rounding.
The tests compare every number with an independent brute-force 2-D grid over
``(μ, τ)`` (tests/reference/bayesmeta_reference.py) and with the published
bayesmeta output in Röver (2020) and the package vignette.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Sequence

import numpy as np

from lupusstats._core import validation as _v
from lupusstats._core.results import ConfidenceInterval, ResultBase
from lupusstats.evidence.meta import _meta_iv

__all__ = ["BayesMetaResult", "bayes_meta_analysis", "bayes_meta_analysis_batch"]

#: Heterogeneity priors: built-in densities only, so that a result pickles.
TAU_PRIORS = ("half-normal", "half-cauchy", "lognormal", "uniform")
_INTERVAL_KINDS = ("shortest", "central")
_LOG2PI = math.log(2 * math.pi)
_GL_X, _GL_W = np.polynomial.legendre.leggauss(16)
_GL32_X, _GL32_W = np.polynomial.legendre.leggauss(32)
_RULE_TOL = 1e-10
_MAX_LEAVES = 4096
_MAX_ROUNDS = 60


# ----------------------------------------------------------------------------
# model pieces (module-level functions of plain arguments, so results pickle)
# ----------------------------------------------------------------------------


def _log_tau_prior(tau, prior, params):
    """Log prior density of tau (>= 0), normalised (except the improper uniform)."""
    tau = np.asarray(tau, dtype=float)
    if prior == "half-normal":
        (scale,) = params
        return math.log(2.0) - 0.5 * _LOG2PI - math.log(scale) - 0.5 * (tau / scale) ** 2
    if prior == "half-cauchy":
        (scale,) = params
        return math.log(2.0 / math.pi) - math.log(scale) - np.log1p((tau / scale) ** 2)
    if prior == "lognormal":
        meanlog, sdlog = params
        with np.errstate(divide="ignore", invalid="ignore"):
            lt = np.log(tau)
            out = -lt - math.log(sdlog) - 0.5 * _LOG2PI - 0.5 * ((lt - meanlog) / sdlog) ** 2
        return np.where(tau > 0, out, -np.inf)
    return np.zeros_like(tau)  # uniform (improper)


def _prior_tail(prior):
    """The prior density of tau falls like tau^-a: a for each built-in prior (inf = faster than any power)."""
    return {"half-normal": math.inf, "half-cauchy": 2.0, "lognormal": math.inf, "uniform": 0.0}[prior]


def _conditional(tau, y, v, mu_prior):
    """Log marginal likelihood p(y | tau) and the conditional posterior mean and sd of mu given tau.

    Röver (2020) Eq. 12-13 (uniform prior on mu) and Eq. 14-15 (normal prior).
    Shapes: tau (R, n), y and v (R, k); returns three (R, n) arrays.
    """
    k = y.shape[-1]
    vt = v[:, None, :] + tau[:, :, None] ** 2
    w = 1.0 / vt
    sw = w.sum(-1)
    swy = (w * y[:, None, :]).sum(-1)
    if mu_prior is None:
        prec = sw
        m = swy / prec
        resid = (w * (y[:, None, :] - m[..., None]) ** 2).sum(-1)
        lml = -0.5 * ((k - 1) * _LOG2PI + np.log(vt).sum(-1) + resid + np.log(prec))
    else:
        m0, s0 = mu_prior
        p0 = 1.0 / s0**2
        prec = sw + p0
        m = (swy + p0 * m0) / prec
        resid = (w * (y[:, None, :] - m[..., None]) ** 2).sum(-1) + p0 * (m0 - m) ** 2
        lml = -0.5 * (k * _LOG2PI + 2 * math.log(s0) + np.log(vt).sum(-1) + resid + np.log(prec))
    return lml, m, 1.0 / np.sqrt(prec)


def _log_post_tau(tau, y, v, prior, params, mu_prior):
    """Unnormalised log posterior density of tau, log p(tau) + log p(y | tau); plus mu's conditionals."""
    lml, m, s = _conditional(tau, y, v, mu_prior)
    return _log_tau_prior(tau, prior, params) + lml, m, s


# ----------------------------------------------------------------------------
# the tau quadrature (shared by the public function, R = 1, and the calibration batch)
# ----------------------------------------------------------------------------


def _t_scales(y, v, prior, params, mu_prior):
    """Per data set, a tau at which the posterior has fallen by e^-0.5 right of its mode: t = 1/2 there."""
    c = np.sqrt(np.median(v, axis=1))
    lg = np.linspace(-8.0, 8.0, 321)  # decades around sqrt(median vi)
    tau = c[:, None] * 10.0**lg
    lp, _, _ = _log_post_tau(tau, y, v, prior, params, mu_prior)
    lp0, _, _ = _log_post_tau(np.zeros((y.shape[0], 1)), y, v, prior, params, mu_prior)
    i = np.argmax(lp, axis=1)
    rows = np.arange(y.shape[0])
    # golden-section refinement of the grid maximum (the posterior may be narrower than the grid)
    lo, hi = lg[np.maximum(i - 1, 0)], lg[np.minimum(i + 1, lg.size - 1)]
    g = (math.sqrt(5) - 1) / 2
    for _ in range(40):
        a, b = hi - g * (hi - lo), lo + g * (hi - lo)
        fa = _log_post_tau(c[:, None] * 10.0 ** a[:, None], y, v, prior, params, mu_prior)[0][:, 0]
        fb = _log_post_tau(c[:, None] * 10.0 ** b[:, None], y, v, prior, params, mu_prior)[0][:, 0]
        hi, lo = np.where(fa > fb, b, hi), np.where(fa > fb, lo, a)
    xm = (lo + hi) / 2
    lpm = _log_post_tau(c[:, None] * 10.0 ** xm[:, None], y, v, prior, params, mu_prior)[0][:, 0]
    lpm = np.maximum(lpm, lp[rows, i])
    at_zero = lp0[:, 0] >= lpm
    lpmax = np.where(at_zero, lp0[:, 0], lpm)
    target = lpmax - 0.5
    start = np.where(at_zero, 0, i)
    below = (lp < target[:, None]) & (np.arange(lg.size)[None, :] > start[:, None])
    has = below.any(axis=1)
    j = np.where(has, np.argmax(below, axis=1), lg.size - 1)
    lo = lg[np.maximum(j - 1, 0)]
    hi = lg[j]
    for _ in range(30):
        mid = (lo + hi) / 2
        f = _log_post_tau(c[:, None] * 10.0 ** mid[:, None], y, v, prior, params, mu_prior)[0][:, 0]
        lo, hi = np.where(f >= target, mid, lo), np.where(f >= target, hi, mid)
    return np.where(has, c * 10.0 ** ((lo + hi) / 2), c * 10.0 ** lg[-1])


@dataclasses.dataclass
class _Rule:
    """Quadrature of p(tau | y) for R data sets: nodes shared in t, normalised weights per data set."""

    scale: np.ndarray  # (R,) t = tau / (scale + tau)
    leaves: np.ndarray  # (L, 2) intervals in t
    t: np.ndarray  # (N,) nodes, 32 per leaf
    tau: np.ndarray  # (R, N)
    weight: np.ndarray  # (R, N), sums to 1 per row
    mean: np.ndarray  # (R, N) conditional posterior mean of mu
    sd: np.ndarray  # (R, N) conditional posterior sd of mu
    log_norm: np.ndarray  # (R,) log of the integral of p(tau) p(y | tau) over tau
    leaf_mass: np.ndarray  # (R, L)


def _moment_orders(prior, mu_prior, k):
    """Powers m of tau whose posterior moment is finite (the tail falls like tau^-(a_prior + a_lik))."""
    a = _prior_tail(prior) + (k - 1 if mu_prior is None else k)
    return [m for m in (1, 2) if a > m + 1], a


def _build_rule(y, v, prior, params, mu_prior):
    """Adaptive Gauss-Legendre rule in t (see the module docstring)."""
    R, k = y.shape
    scale = _t_scales(y, v, prior, params, mu_prior)
    orders, _ = _moment_orders(prior, mu_prior, k)
    a = np.linspace(0.0, 1.0, 17)
    leaves = np.stack([a[:-1], a[1:]], axis=1)
    x, w = _GL_X, _GL_W
    for round_ in range(_MAX_ROUNDS + 1):
        lo, hi = leaves[:, 0:1], leaves[:, 1:2]
        mid, half = (lo + hi) / 2, (hi - lo) / 2
        t_whole = mid + half * x
        t_halves = np.concatenate([(lo + mid) / 2 + half / 2 * x, (mid + hi) / 2 + half / 2 * x], axis=1)
        w_whole = half * w
        w_halves = np.concatenate([half / 2 * w, half / 2 * w], axis=1)
        L = leaves.shape[0]
        t_all = np.concatenate([t_whole, t_halves], axis=1)  # (L, 48)
        tau = scale[:, None] * (t_all.ravel() / (1 - t_all.ravel()))[None, :]
        lp, m, s = _log_post_tau(tau, y, v, prior, params, mu_prior)
        lp = lp + np.log(scale)[:, None] - 2 * np.log1p(-t_all.ravel())[None, :]  # d tau / d t
        lpmax = lp.max(axis=1, keepdims=True)
        f = np.exp(lp - lpmax).reshape(R, L, 48)
        m = m.reshape(R, L, 48)
        s = s.reshape(R, L, 48)
        ww = np.concatenate([w_whole, w_halves], axis=1)  # (L, 48)
        fw = f * ww[None]
        mass = fw[..., 16:].sum(axis=(1, 2))
        mc = (fw[..., 16:] * m[..., 16:]).sum(axis=(1, 2)) / mass
        # mu's conditional mean, centred and in units of mu's posterior sd (bounded in t; an error in
        # its integral is judged against the mass, as it may be all rounding noise when it is constant)
        sdm = np.sqrt(
            (fw[..., 16:] * (s[..., 16:] ** 2 + (m[..., 16:] - mc[:, None, None]) ** 2)).sum(axis=(1, 2)) / mass
        )
        tnode = tau.reshape(R, L, 48) / scale[:, None, None]
        tests = [
            (np.ones_like(f), False),
            (np.broadcast_to(t_all, f.shape), False),
            ((m - mc[:, None, None]) / sdm[:, None, None], True),
        ]
        tests += [(tnode**order, False) for order in orders]
        bad = np.zeros(L, dtype=bool)
        for g, centred in tests:
            whole = (fw[..., :16] * g[..., :16]).sum(-1)
            halves = (fw[..., 16:] * g[..., 16:]).sum(-1)
            total = mass if centred else np.abs(fw[..., 16:] * g[..., 16:]).sum(axis=(1, 2))
            err = np.abs(whole - halves)
            bad |= (err > _RULE_TOL * total[:, None]).any(axis=0)
        if not bad.any():
            break
        if L + bad.sum() > _MAX_LEAVES or round_ == _MAX_ROUNDS:
            warnings.warn(
                "bayes_meta_analysis: the tau quadrature did not reach its tolerance "
                f"({_RULE_TOL:g}) within {_MAX_LEAVES} intervals and {_MAX_ROUNDS} bisections; "
                "results may be inaccurate.",
                RuntimeWarning,
                stacklevel=3,
            )
            break
        keep = leaves[~bad]
        split = leaves[bad]
        mids = split.mean(axis=1)
        leaves = np.concatenate([keep, np.stack([split[:, 0], mids], 1), np.stack([mids, split[:, 1]], 1)])
        leaves = leaves[np.argsort(leaves[:, 0])]
    fh = fw[..., 16:]
    total = fh.sum(axis=(1, 2))
    weight = (fh / total[:, None, None]).reshape(R, -1)
    return _Rule(
        scale=scale,
        leaves=leaves,
        t=t_halves.ravel(),
        tau=tau.reshape(R, L, 48)[..., 16:].reshape(R, -1),
        weight=weight,
        mean=m[..., 16:].reshape(R, -1),
        sd=s[..., 16:].reshape(R, -1),
        log_norm=np.log(total) + lpmax[:, 0],
        leaf_mass=fh.sum(-1) / total[:, None],
    )


# ----------------------------------------------------------------------------
# finite mixtures of normals, vectorised over R data sets
# ----------------------------------------------------------------------------


class _Mixture:
    """``Σⱼ wⱼ N(mⱼ, sⱼ²)`` per row; x arguments have shape (R,) or (R, M).

    Components whose weight is below 1e-20 in every row are dropped (their
    total weight is below 1e-17, far under the accuracy of everything else).
    """

    def __init__(self, mean, sd, weight):
        m, s, w = (np.atleast_2d(np.asarray(a, dtype=float)) for a in (mean, sd, weight))
        keep = (w >= 1e-20).any(axis=0)
        self.m, self.s, self.w = m[:, keep], s[:, keep], w[:, keep]

    def rows(self, idx):
        out = object.__new__(_Mixture)
        out.m, out.s, out.w = self.m[idx], self.s[idx], self.w[idx]
        return out

    def _z(self, x):
        x = np.asarray(x, dtype=float)
        squeeze = x.ndim == 1
        x2 = x[:, None] if squeeze else x
        return (x2[..., None] - self.m[:, None, :]) / self.s[:, None, :], squeeze

    def _sum(self, values, squeeze, scale=None):
        w = self.w if scale is None else self.w / scale
        out = (values * w[:, None, :]).sum(-1)
        return out[:, 0] if squeeze else out

    def cdf(self, x):
        from scipy.special import ndtr

        z, sq = self._z(x)
        return self._sum(ndtr(z), sq)

    def sf(self, x):
        from scipy.special import ndtr

        z, sq = self._z(x)
        return self._sum(ndtr(-z), sq)

    def pdf(self, x):
        z, sq = self._z(x)
        return self._sum(np.exp(-0.5 * z * z), sq, scale=math.sqrt(2 * math.pi) * self.s)

    def _cdf_pdf_dpdf(self, x):
        """F, f and f' at x of shape (R,)."""
        from scipy.special import ndtr

        z = (x[:, None] - self.m) / self.s
        phi = np.exp(-0.5 * z * z) / (math.sqrt(2 * math.pi) * self.s)
        return ((self.w * ndtr(z)).sum(-1), (self.w * phi).sum(-1), -(self.w * phi * z / self.s).sum(-1))

    def mean(self):
        return (self.w * self.m).sum(-1)

    def var(self):
        mu = self.mean()
        return (self.w * (self.s**2 + (self.m - mu[:, None]) ** 2)).sum(-1)

    def ppf(self, p, x0=None):
        """Quantiles (p of shape (R,)) by Newton's method, safeguarded by bisection within a bracket.

        The bracket comes from the components' own quantiles: the mixture's p-quantile lies between
        the smallest and the largest of them (first among the components that carry weight >= 1e-12,
        checked, else among all).
        """
        from scipy.special import ndtri

        p = np.asarray(p, dtype=float)
        out = np.where(p <= 0, -np.inf, np.where(p >= 1, np.inf, np.nan))
        inner = np.flatnonzero((p > 0) & (p < 1))
        if inner.size == 0:
            return out
        mix = self.rows(inner)
        pc = p[inner]
        comp = mix.m + mix.s * ndtri(pc)[:, None]
        heavy = mix.w >= 1e-12 * mix.w.max(axis=1, keepdims=True)
        lo = np.where(heavy, comp, np.inf).min(axis=1)
        hi = np.where(heavy, comp, -np.inf).max(axis=1)
        bad_lo = mix.cdf(lo) > pc
        bad_hi = mix.cdf(hi) < pc
        lo = np.where(bad_lo, comp.min(axis=1), lo)
        hi = np.where(bad_hi, comp.max(axis=1), hi)
        if x0 is None:
            x = (mix.w * comp).sum(-1)
        else:
            x = np.asarray(x0, dtype=float)[inner]
        x = np.clip(np.where(np.isfinite(x), x, (lo + hi) / 2), lo, hi)
        active = np.arange(inner.size)
        for _ in range(200):
            sub = mix.rows(active)
            xa = x[active]
            F, f, _ = sub._cdf_pdf_dpdf(xa)
            F = F - pc[active]
            lo[active] = np.where(F < 0, xa, lo[active])
            hi[active] = np.where(F > 0, xa, hi[active])
            with np.errstate(divide="ignore", invalid="ignore"):
                step = xa - F / f
            bad = ~np.isfinite(step) | (step < lo[active]) | (step > hi[active])
            xn = np.where(bad, (lo[active] + hi[active]) / 2, step)
            tol = 1e-13 * (1 + np.abs(xa))
            done = (F == 0) | (np.abs(xn - xa) <= tol) | (hi[active] - lo[active] <= tol)
            x[active] = np.where(done, xa, xn)
            active = active[~done]
            if active.size == 0:
                break
        out[inner] = x
        return out

    def central(self, level):
        a = (1 - level) / 2
        R = self.m.shape[0]
        return self.ppf(np.full(R, a)), self.ppf(np.full(R, 1 - a))

    def shortest(self, level):
        """Shortest interval with probability `level` (for a unimodal density: equal densities at both ends).

        The lower tail probability p in (0, 1 - level) solves h(p) = f(Q(p)) - f(Q(p + level)) = 0,
        h increasing; Newton's method on p (h'(p) = f'(a)/f(a) - f'(b)/f(b)) from the central
        interval, safeguarded by bisection within the bracket (0, 1 - level).
        """
        R = self.m.shape[0]
        p = np.full(R, (1 - level) / 2)
        p0, p1 = np.zeros(R), np.full(R, 1 - level)
        a, b = self.central(level)
        active = np.arange(R)
        for _ in range(100):
            sub = self.rows(active)
            pa = p[active]
            a[active] = sub.ppf(pa, x0=a[active])
            b[active] = sub.ppf(pa + level, x0=b[active])
            _, fa, da = sub._cdf_pdf_dpdf(a[active])
            _, fb, db = sub._cdf_pdf_dpdf(b[active])
            h = fa - fb
            p0[active] = np.where(h < 0, pa, p0[active])
            p1[active] = np.where(h > 0, pa, p1[active])
            with np.errstate(divide="ignore", invalid="ignore"):
                dh = da / fa - db / fb
                pn = pa - h / dh
            bad = ~np.isfinite(pn) | (pn <= p0[active]) | (pn >= p1[active])
            pn = np.where(bad, (p0[active] + p1[active]) / 2, pn)
            done = (h == 0) | (np.abs(pn - pa) <= 1e-15) | (p1[active] - p0[active] <= 1e-15)
            p[active] = np.where(done, pa, pn)
            active = active[~done]
            if active.size == 0:
                break
        return a, b


def _shrinkage_mixture(rule, y, v, i, row=0):
    """theta_i | tau, y ~ N((1-b) y_i + b mu_hat, v_i (1-b) + b^2 sd^2), b = v_i / (v_i + tau^2).

    Röver (2020), Sec. 2.8.
    """
    tau2 = rule.tau[row] ** 2
    b = v[i] / (v[i] + tau2)
    mean = (1 - b) * y[i] + b * rule.mean[row]
    var = v[i] * (1 - b) + b**2 * rule.sd[row] ** 2
    return _Mixture(mean[None], np.sqrt(var)[None], rule.weight[row][None])


def _predictive_mixture(mean, sd, tau, weight):
    return _Mixture(mean, np.sqrt(sd**2 + tau**2), weight)


# ----------------------------------------------------------------------------
# argument checks
# ----------------------------------------------------------------------------


def _check_priors(tau_prior, tau_prior_scale, tau_prior_meanlog, tau_prior_sdlog, mu_prior):
    if callable(tau_prior):
        raise TypeError(
            "`tau_prior` must be the name of a built-in prior, one of "
            f"{list(TAU_PRIORS)}; a density function is not accepted (results must pickle)."
        )
    prior = _v.check_choice("tau_prior", tau_prior, TAU_PRIORS)
    if prior in ("half-normal", "half-cauchy"):
        for name, value in (("tau_prior_meanlog", tau_prior_meanlog), ("tau_prior_sdlog", tau_prior_sdlog)):
            if value is not None:
                raise ValueError(f"`{name}` applies to tau_prior='lognormal' only; {prior} takes `tau_prior_scale`.")
        scale = 0.5 if tau_prior_scale is None else _v.check_positive("tau_prior_scale", tau_prior_scale)
        params: tuple[float, ...] = (scale,)
    elif prior == "lognormal":
        if tau_prior_scale is not None:
            raise ValueError(
                "`tau_prior_scale` applies to the half-normal and half-Cauchy priors; "
                "give tau_prior='lognormal' its `tau_prior_meanlog` and `tau_prior_sdlog`."
            )
        if tau_prior_meanlog is None or tau_prior_sdlog is None:
            raise ValueError(
                "tau_prior='lognormal' needs both `tau_prior_meanlog` and `tau_prior_sdlog` "
                "(mean and sd of log tau), got "
                f"tau_prior_meanlog={tau_prior_meanlog!r}, tau_prior_sdlog={tau_prior_sdlog!r}."
            )
        params = (
            _v.check_number("tau_prior_meanlog", tau_prior_meanlog),
            _v.check_positive("tau_prior_sdlog", tau_prior_sdlog),
        )
    else:
        for name, value in (
            ("tau_prior_scale", tau_prior_scale),
            ("tau_prior_meanlog", tau_prior_meanlog),
            ("tau_prior_sdlog", tau_prior_sdlog),
        ):
            if value is not None:
                raise ValueError(f"`{name}` does not apply to tau_prior='uniform' (it has no parameters).")
        params = ()
    if mu_prior is not None:
        if isinstance(mu_prior, (str, bytes)) or not isinstance(mu_prior, Sequence) or len(mu_prior) != 2:
            raise TypeError(
                f"`mu_prior` must be None (uniform) or a pair (mean, sd) of a normal prior, got {mu_prior!r}."
            )
        mu_prior = (_v.check_number("mu_prior mean", mu_prior[0]), _v.check_positive("mu_prior sd", mu_prior[1]))
    return prior, params, mu_prior


def _check_proper(prior, mu_prior, k):
    _, a = _moment_orders(prior, mu_prior, k)
    if a <= 1:
        need = 3 if mu_prior is None else 2
        raise ValueError(
            f"tau_prior='uniform' (improper) with {'a uniform' if mu_prior is None else 'a normal'} "
            f"prior on mu gives an improper posterior unless k >= {need}; got k={k}. "
            "Use a proper heterogeneity prior such as tau_prior='half-normal'."
        )


# ----------------------------------------------------------------------------
# result
# ----------------------------------------------------------------------------


def _as_out(x, values):
    return float(values[0]) if np.ndim(x) == 0 else values.reshape(np.shape(x))


@dataclasses.dataclass(frozen=True)
class BayesMetaResult(ResultBase):
    """Result of :func:`bayes_meta_analysis`: the exact posterior of a random-effects meta-analysis.

    Intervals are Bayesian credible intervals; ``confidence_interval()`` returns
    the credible interval of ``mu`` so that the result works wherever a
    ``MetaAnalysisResult`` does.  Shortest intervals assume a unimodal posterior
    (as bayesmeta's ``post.interval``).

    Attributes
    ----------
    estimate : float
        Posterior median of the overall effect ``mu``.
    ci_low, ci_high : float
        Shortest credible interval of ``mu`` at ``credible_level``.
    mu_mean, mu_sd : float
        Posterior mean and standard deviation of ``mu`` (NaN / inf where the
        posterior's tail makes them infinite: only for heavy-tailed or
        improper priors with very few studies).
    tau_median, tau_mean, tau_sd, tau_ci_low, tau_ci_high : float
        The same for the heterogeneity ``tau`` (shortest interval, which is
        ``[0, q]`` when the posterior density is highest at 0).
    pred_median, pred_low, pred_high : float
        Median and shortest interval of the predictive distribution of a new
        study's true effect ``theta_new``.
    bf_tau0, bf_mu0 : float
        Bayes factors ``BF01`` of ``tau = 0`` and of ``mu = 0`` against the
        full model, ``p(y | null) / p(y)`` (> 1 favours the null).  Defined only
        with proper priors on both ``mu`` and ``tau`` (else NaN), as in
        bayesmeta.  ``bf_mu0`` is the Savage-Dickey density ratio
        ``p(mu=0 | y) / p(mu=0)``.
    log_marginal_likelihood : float
        ``log p(y)`` with both priors proper (else NaN).
    k : int
    tau_prior : str
    tau_prior_params : tuple
        ``(scale,)`` for half-normal and half-Cauchy, ``(meanlog, sdlog)`` of
        ``log tau`` for log-normal, ``()`` for uniform.
    mu_prior : tuple or None
        ``(mean, sd)`` of a normal prior, or None for the improper uniform.
    credible_level : float
        Level of the stored intervals (also as ``confidence_level``, for code
        written for frequentist results).
    yi, vi, labels
        The data.

    Examples
    --------
    >>> import lupusstats as ls
    >>> res = ls.bayes_meta_analysis([0.1, 0.5, 0.3], [0.04, 0.02, 0.05], labels=["A", "B", "C"])
    >>> res.summary().round(3).loc[["median", "ci_low", "ci_high"], "mu"].tolist()
    [0.329, -0.13, 0.753]
    """

    estimate: float
    ci_low: float = dataclasses.field(repr=False)
    ci_high: float = dataclasses.field(repr=False)
    mu_mean: float
    mu_sd: float
    tau_median: float
    tau_mean: float
    tau_sd: float
    tau_ci_low: float = dataclasses.field(repr=False)
    tau_ci_high: float = dataclasses.field(repr=False)
    pred_median: float = dataclasses.field(repr=False)
    pred_low: float = dataclasses.field(repr=False)
    pred_high: float = dataclasses.field(repr=False)
    bf_tau0: float
    bf_mu0: float
    log_marginal_likelihood: float = dataclasses.field(repr=False)
    k: int
    tau_prior: str
    tau_prior_params: tuple
    mu_prior: tuple | None
    credible_level: float
    yi: np.ndarray = dataclasses.field(repr=False, compare=False)
    vi: np.ndarray = dataclasses.field(repr=False, compare=False)
    labels: tuple = dataclasses.field(repr=False, compare=False)
    _scale: float = dataclasses.field(repr=False, compare=False)
    _leaves: np.ndarray = dataclasses.field(repr=False, compare=False)
    _leaf_mass: np.ndarray = dataclasses.field(repr=False, compare=False)
    _tau: np.ndarray = dataclasses.field(repr=False, compare=False)
    _weight: np.ndarray = dataclasses.field(repr=False, compare=False)
    _cond_mean: np.ndarray = dataclasses.field(repr=False, compare=False)
    _cond_sd: np.ndarray = dataclasses.field(repr=False, compare=False)
    _log_norm: float = dataclasses.field(repr=False, compare=False)

    @property
    def confidence_level(self) -> float:
        """Alias of ``credible_level``, for code written for frequentist results."""
        return self.credible_level

    # -- internals -------------------------------------------------------------
    def _rule(self):
        return _Rule(
            scale=np.array([self._scale]),
            leaves=self._leaves,
            t=np.empty(0),
            tau=self._tau[None],
            weight=self._weight[None],
            mean=self._cond_mean[None],
            sd=self._cond_sd[None],
            log_norm=np.array([self._log_norm]),
            leaf_mass=self._leaf_mass[None],
        )

    def _mixture(self, which):
        if which == "mu":
            return _Mixture(self._cond_mean, self._cond_sd, self._weight)
        return _predictive_mixture(self._cond_mean[None], self._cond_sd[None], self._tau[None], self._weight[None])

    def _level(self, level):
        return self.credible_level if level is None else _v.check_confidence_level(level, "credible_level")

    def _log_post(self, tau):
        tau = np.atleast_1d(np.asarray(tau, dtype=float))
        lp, _, _ = _log_post_tau(
            tau[None], self.yi[None], self.vi[None], self.tau_prior, self.tau_prior_params, self.mu_prior
        )
        return lp[0]

    # -- densities, distribution and quantile functions ------------------------
    def mu_density(self, x):
        """Marginal posterior density of ``mu`` at `x`.

        Parameters
        ----------
        x : float or array-like

        Returns
        -------
        float or ndarray
            Same shape as `x`.

        Examples
        --------
        >>> import lupusstats as ls
        >>> res = ls.bayes_meta_analysis([0.1, 0.5, 0.3], [0.04, 0.02, 0.05])
        >>> res.mu_density([0.0, 0.35]).round(3)
        array([0.369, 2.475])
        """
        x = np.asarray(x, dtype=float)
        return _as_out(x, self._mixture("mu").pdf(x.reshape(1, -1))[0])

    def mu_cdf(self, x):
        """Marginal posterior distribution function ``P(mu <= x | y)``.

        Parameters
        ----------
        x : float or array-like

        Returns
        -------
        float or ndarray
            Same shape as `x`.

        Examples
        --------
        >>> import lupusstats as ls
        >>> res = ls.bayes_meta_analysis([0.1, 0.5, 0.3], [0.04, 0.02, 0.05])
        >>> round(res.mu_cdf(res.estimate), 6)
        0.5
        """
        x = np.asarray(x, dtype=float)
        return _as_out(x, self._mixture("mu").cdf(x.reshape(1, -1))[0])

    def mu_quantile(self, p):
        """Posterior quantiles of ``mu`` (the inverse of :meth:`mu_cdf`).

        Parameters
        ----------
        p : float or array-like
            Probabilities in [0, 1].

        Returns
        -------
        float or ndarray
            Same shape as `p` (``-inf`` and ``inf`` at 0 and 1).

        Examples
        --------
        >>> import lupusstats as ls
        >>> res = ls.bayes_meta_analysis([0.1, 0.5, 0.3], [0.04, 0.02, 0.05])
        >>> round(res.mu_quantile(0.5), 6) == round(res.estimate, 6)
        True
        """
        return self._quantile(self._mixture("mu"), p)

    def predictive_density(self, x):
        """Posterior predictive density of a new study's true effect ``theta_new`` at `x`.

        ``theta_new | tau, y ~ N(mu_hat(tau), sd(tau)² + tau²)`` mixed over the
        posterior of ``tau`` (Röver 2020, Sec. 2.7).

        Parameters
        ----------
        x : float or array-like

        Returns
        -------
        float or ndarray
            Same shape as `x`.

        Examples
        --------
        >>> import lupusstats as ls
        >>> res = ls.bayes_meta_analysis([0.1, 0.5, 0.3], [0.04, 0.02, 0.05])
        >>> bool(res.predictive_density(res.estimate) < res.mu_density(res.estimate))
        True
        """
        x = np.asarray(x, dtype=float)
        return _as_out(x, self._mixture("pred").pdf(x.reshape(1, -1))[0])

    def predictive_cdf(self, x):
        """Posterior predictive distribution function ``P(theta_new <= x | y)``.

        Parameters
        ----------
        x : float or array-like

        Returns
        -------
        float or ndarray
            Same shape as `x`.

        Examples
        --------
        >>> import lupusstats as ls
        >>> res = ls.bayes_meta_analysis([0.1, 0.5, 0.3], [0.04, 0.02, 0.05])
        >>> lo, hi = res.prediction_interval(kind="central")
        >>> round(res.predictive_cdf(hi) - res.predictive_cdf(lo), 6)
        0.95
        """
        x = np.asarray(x, dtype=float)
        return _as_out(x, self._mixture("pred").cdf(x.reshape(1, -1))[0])

    def predictive_quantile(self, p):
        """Quantiles of the predictive distribution of ``theta_new``.

        Parameters
        ----------
        p : float or array-like
            Probabilities in [0, 1].

        Returns
        -------
        float or ndarray
            Same shape as `p`.

        Examples
        --------
        >>> import lupusstats as ls
        >>> res = ls.bayes_meta_analysis([0.1, 0.5, 0.3], [0.04, 0.02, 0.05])
        >>> round(res.predictive_quantile(0.5), 6) == round(res.pred_median, 6)
        True
        """
        return self._quantile(self._mixture("pred"), p)

    @staticmethod
    def _quantile(mix, p):
        arr = np.asarray(p, dtype=float)
        flat = arr.reshape(-1)
        if np.isnan(flat).any() or (flat < 0).any() or (flat > 1).any():
            raise ValueError(f"`p` must be probabilities in [0, 1], got {p!r}.")
        out = np.array([mix.ppf(np.array([q]))[0] for q in flat])
        return _as_out(arr, out)

    def tau_density(self, x):
        """Marginal posterior density of ``tau`` at `x` (0 for x < 0).

        Exact: ``p(tau) p(y | tau) / p(y)`` with the normalising integral from
        the quadrature.

        Parameters
        ----------
        x : float or array-like

        Returns
        -------
        float or ndarray
            Same shape as `x`.

        Examples
        --------
        >>> import lupusstats as ls
        >>> res = ls.bayes_meta_analysis([0.1, 0.5, 0.3], [0.04, 0.02, 0.05])
        >>> res.tau_density([-1.0, 0.0]).round(3)
        array([0.   , 2.356])
        """
        x = np.asarray(x, dtype=float)
        flat = x.reshape(-1)
        out = np.zeros(flat.shape)
        pos = (flat >= 0) & np.isfinite(flat)
        if pos.any():
            out[pos] = np.exp(self._log_post(flat[pos]) - self._log_norm)
        return _as_out(x, out)

    def tau_cdf(self, x):
        """Marginal posterior distribution function ``P(tau <= x | y)`` (integrated to about 1e-12).

        Parameters
        ----------
        x : float or array-like

        Returns
        -------
        float or ndarray
            Same shape as `x` (0 for ``x <= 0``).

        Examples
        --------
        >>> import lupusstats as ls
        >>> res = ls.bayes_meta_analysis([0.1, 0.5, 0.3], [0.04, 0.02, 0.05])
        >>> round(res.tau_cdf(res.tau_median), 8)
        0.5
        """
        x = np.asarray(x, dtype=float)
        flat = x.reshape(-1)
        out = np.zeros(flat.shape)
        s = self._scale
        cum = np.concatenate([[0.0], np.cumsum(self._leaf_mass)])
        for n, xv in enumerate(flat):
            if not xv > 0:
                continue
            if np.isinf(xv):
                out[n] = 1.0
                continue
            t = xv / (s + xv)
            j = min(int(np.searchsorted(self._leaves[:, 1], t)), len(self._leaves) - 1)
            a = self._leaves[j, 0]
            out[n] = cum[j] + self._partial(a, min(t, self._leaves[j, 1]))
        return _as_out(x, np.clip(out, 0.0, 1.0))

    def _partial(self, a, b):
        """Posterior mass of t in [a, b] within one quadrature interval (32-point Gauss-Legendre)."""
        if b <= a:
            return 0.0
        xg, wg = _GL32_X, _GL32_W
        t = (a + b) / 2 + (b - a) / 2 * xg
        tau = self._scale * t / (1 - t)
        lp = self._log_post(tau) + math.log(self._scale) - 2 * np.log1p(-t)
        return float(np.sum((b - a) / 2 * wg * np.exp(lp - self._log_norm)))

    def tau_quantile(self, p):
        """Posterior quantiles of ``tau`` (the inverse of :meth:`tau_cdf`).

        Parameters
        ----------
        p : float or array-like
            Probabilities in [0, 1].

        Returns
        -------
        float or ndarray
            Same shape as `p` (0 and ``inf`` at 0 and 1).

        Examples
        --------
        >>> import lupusstats as ls
        >>> res = ls.bayes_meta_analysis([0.1, 0.5, 0.3], [0.04, 0.02, 0.05])
        >>> round(float(res.tau_cdf(res.tau_quantile(0.9))), 8)
        0.9
        """
        from scipy.optimize import brentq

        arr = np.asarray(p, dtype=float)
        flat = arr.reshape(-1)
        if np.isnan(flat).any() or (flat < 0).any() or (flat > 1).any():
            raise ValueError(f"`p` must be probabilities in [0, 1], got {p!r}.")
        cum = np.concatenate([[0.0], np.cumsum(self._leaf_mass)])
        out = np.empty(flat.shape)
        for n, q in enumerate(flat):
            if q <= 0:
                out[n] = 0.0
                continue
            if q >= 1:
                out[n] = math.inf
                continue
            j = min(int(np.searchsorted(cum, q, side="left")) - 1, len(self._leaves) - 1)
            j = max(j, 0)
            a, b = self._leaves[j]
            base = cum[j]
            g = lambda t, a=a, base=base, q=q: base + self._partial(a, t) - q  # noqa: E731
            ga, gb = g(a), g(b)
            if ga >= 0:
                t = a
            elif gb <= 0:
                t = b
            else:
                t = brentq(g, a, b, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=200)
            out[n] = self._scale * t / (1 - t) if t < 1 else math.inf
        return _as_out(arr, out)

    # -- intervals -------------------------------------------------------------
    def credible_interval(self, credible_level=None, *, parameter="mu", kind="shortest") -> ConfidenceInterval:
        """Credible interval of ``mu``, ``tau`` or the predictive ``theta_new``.

        Parameters
        ----------
        credible_level : float, optional
            Default: the level the analysis was run at.
        parameter : {"mu", "tau", "predictive"}, default "mu"
        kind : {"shortest", "central"}, default "shortest"
            Shortest (highest posterior density, for a unimodal posterior) or
            equal-tailed.

        Returns
        -------
        ConfidenceInterval
            ``(low, high)``.

        Examples
        --------
        >>> import lupusstats as ls
        >>> res = ls.bayes_meta_analysis([0.1, 0.5, 0.3], [0.04, 0.02, 0.05])
        >>> lo, hi = res.credible_interval(parameter="tau")
        >>> lo
        0.0
        >>> lo, hi = res.credible_interval(0.9, kind="central")
        >>> round(res.mu_cdf(lo), 6), round(res.mu_cdf(hi), 6)
        (0.05, 0.95)
        """
        level = self._level(credible_level)
        parameter = _v.check_choice("parameter", parameter, ("mu", "tau", "predictive"))
        kind = _v.check_choice("kind", kind, _INTERVAL_KINDS)
        if parameter == "tau":
            return self._tau_interval(level, kind)
        mix = self._mixture("mu" if parameter == "mu" else "pred")
        lo, hi = mix.shortest(level) if kind == "shortest" else mix.central(level)
        return ConfidenceInterval(float(lo[0]), float(hi[0]))

    def _tau_interval(self, level, kind):
        from scipy.optimize import brentq

        if kind == "central":
            lo, hi = self.tau_quantile([(1 - level) / 2, (1 + level) / 2])
            return ConfidenceInterval(float(lo), float(hi))
        q_level = float(self.tau_quantile(level))
        if float(self.tau_density(0.0)) >= float(self.tau_density(q_level)):
            return ConfidenceInterval(0.0, q_level)

        def h(p):
            return float(self.tau_density(self.tau_quantile(p))) - float(self.tau_density(self.tau_quantile(p + level)))

        p = brentq(h, 0.0, 1 - level, xtol=1e-14, rtol=4 * np.finfo(float).eps, maxiter=200)
        return ConfidenceInterval(float(self.tau_quantile(p)), float(self.tau_quantile(p + level)))

    def confidence_interval(self, confidence_level: float | None = None) -> ConfidenceInterval:
        """Shortest credible interval of ``mu`` (the house interval protocol; see :meth:`credible_interval`).

        Parameters
        ----------
        confidence_level : float, optional
            Credible level; default the analysis's ``credible_level`` (stored).
            Another level is recomputed.

        Returns
        -------
        ConfidenceInterval

        Examples
        --------
        >>> import lupusstats as ls
        >>> res = ls.bayes_meta_analysis([0.1, 0.5, 0.3], [0.04, 0.02, 0.05])
        >>> tuple(res.confidence_interval()) == (res.ci_low, res.ci_high)
        True
        """
        if confidence_level is None or confidence_level == self.credible_level:
            return ConfidenceInterval(self.ci_low, self.ci_high)
        return self.credible_interval(confidence_level)

    def prediction_interval(self, confidence_level: float | None = None, *, kind="shortest") -> ConfidenceInterval:
        """Credible interval of the predictive distribution of a new study's true effect ``theta_new``.

        Parameters
        ----------
        confidence_level : float, optional
            Default: the analysis's ``credible_level``.
        kind : {"shortest", "central"}, default "shortest"

        Returns
        -------
        ConfidenceInterval

        Examples
        --------
        >>> import lupusstats as ls
        >>> res = ls.bayes_meta_analysis([0.1, 0.5, 0.3], [0.04, 0.02, 0.05])
        >>> lo, hi = res.prediction_interval()
        >>> bool(lo < res.ci_low and res.ci_high < hi)
        True
        """
        if (confidence_level is None or confidence_level == self.credible_level) and kind == "shortest":
            return ConfidenceInterval(self.pred_low, self.pred_high)
        return self.credible_interval(confidence_level, parameter="predictive", kind=kind)

    # -- probabilities -----------------------------------------------------------
    def prob_mu_below(self, threshold):
        """Posterior probability ``P(mu < threshold | y)``.

        Parameters
        ----------
        threshold : float

        Returns
        -------
        float

        Examples
        --------
        >>> import lupusstats as ls
        >>> res = ls.bayes_meta_analysis([-0.4, -0.1, -0.3], [0.04, 0.02, 0.05])
        >>> round(res.prob_mu_below(0.0), 3)
        0.93
        """
        x = _v.check_number("threshold", threshold, allow_inf=True)
        return float(self._mixture("mu").cdf(np.array([x]))[0])

    def prob_mu_above(self, threshold):
        """Posterior probability ``P(mu > threshold | y)`` (computed from the upper tail, accurate when small).

        Parameters
        ----------
        threshold : float

        Returns
        -------
        float

        Examples
        --------
        >>> import lupusstats as ls
        >>> res = ls.bayes_meta_analysis([-0.4, -0.1, -0.3], [0.04, 0.02, 0.05])
        >>> round(res.prob_mu_above(0.0), 3)
        0.07
        """
        x = _v.check_number("threshold", threshold, allow_inf=True)
        return float(self._mixture("mu").sf(np.array([x]))[0])

    def prob_tau_above(self, threshold):
        """Posterior probability ``P(tau > threshold | y)``, e.g. of "fairly extreme" heterogeneity.

        Parameters
        ----------
        threshold : float

        Returns
        -------
        float

        Examples
        --------
        >>> import lupusstats as ls
        >>> res = ls.bayes_meta_analysis([0.1, 0.5, 0.3], [0.04, 0.02, 0.05])
        >>> bool(0 < res.prob_tau_above(0.5) < res.prob_tau_above(0.1) < 1)
        True
        """
        x = _v.check_number("threshold", threshold, allow_inf=True)
        return float(1.0 - self.tau_cdf(x)) if x > 0 else 1.0

    # -- tables ------------------------------------------------------------------
    def shrinkage(self, credible_level=None):
        """Posterior of each study's true effect ``theta_i`` ("shrinkage estimates", Röver 2020 Sec. 2.8).

        Parameters
        ----------
        credible_level : float, optional

        Returns
        -------
        pandas.DataFrame
            One row per study: ``study, yi, vi, mean, median, sd, ci_low, ci_high``
            (shortest intervals).

        Examples
        --------
        >>> import lupusstats as ls
        >>> res = ls.bayes_meta_analysis([0.1, 0.5, 0.3], [0.04, 0.02, 0.05], labels=["A", "B", "C"])
        >>> list(res.shrinkage().columns)
        ['study', 'yi', 'vi', 'mean', 'median', 'sd', 'ci_low', 'ci_high']
        """
        import pandas as pd

        level = self._level(credible_level)
        rule = self._rule()
        rows = []
        for i in range(self.k):
            mix = _shrinkage_mixture(rule, self.yi, self.vi, i)
            lo, hi = mix.shortest(level)
            rows.append(
                {
                    "study": self.labels[i],
                    "yi": self.yi[i],
                    "vi": self.vi[i],
                    "mean": float(mix.mean()[0]),
                    "median": float(mix.ppf(np.array([0.5]))[0]),
                    "sd": float(math.sqrt(mix.var()[0])),
                    "ci_low": float(lo[0]),
                    "ci_high": float(hi[0]),
                }
            )
        return pd.DataFrame(rows)

    def summary(self):
        """Posterior summaries in the layout of bayesmeta's ``$summary``.

        Returns
        -------
        pandas.DataFrame
            Rows ``median, mean, sd, ci_low, ci_high`` (shortest intervals at
            ``credible_level``); columns ``tau, mu, predictive``.

        Examples
        --------
        >>> import lupusstats as ls
        >>> res = ls.bayes_meta_analysis([0.1, 0.5, 0.3], [0.04, 0.02, 0.05])
        >>> res.summary().columns.tolist()
        ['tau', 'mu', 'predictive']
        """
        import pandas as pd

        pmix = self._mixture("pred")
        pred_mean, pred_sd = self._moments(pmix, "pred")
        return pd.DataFrame(
            {
                "tau": [self.tau_median, self.tau_mean, self.tau_sd, self.tau_ci_low, self.tau_ci_high],
                "mu": [self.estimate, self.mu_mean, self.mu_sd, self.ci_low, self.ci_high],
                "predictive": [self.pred_median, pred_mean, pred_sd, self.pred_low, self.pred_high],
            },
            index=["median", "mean", "sd", "ci_low", "ci_high"],
        )

    def _moments(self, mix, which):
        orders, _ = _moment_orders(self.tau_prior, self.mu_prior, self.k)
        finite1 = 1 in orders or (which == "mu" and self.mu_prior is not None)
        finite2 = 2 in orders or (which == "mu" and self.mu_prior is not None)
        mean = float(mix.mean()[0]) if finite1 else math.nan
        sd = float(math.sqrt(mix.var()[0])) if finite2 else (math.inf if finite1 else math.nan)
        return mean, sd

    def to_frame(self):
        """One-row tidy DataFrame: mu (median, mean, sd, interval), tau, predictive interval, Bayes factors, priors.

        Returns
        -------
        pandas.DataFrame

        Examples
        --------
        >>> import lupusstats as ls
        >>> res = ls.bayes_meta_analysis([0.1, 0.5, 0.3], [0.04, 0.02, 0.05])
        >>> list(res.to_frame().columns[:4])
        ['k', 'estimate', 'ci_low', 'ci_high']
        """
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "k": self.k,
                    "estimate": self.estimate,
                    "ci_low": self.ci_low,
                    "ci_high": self.ci_high,
                    "credible_level": self.credible_level,
                    "mu_mean": self.mu_mean,
                    "mu_sd": self.mu_sd,
                    "tau_median": self.tau_median,
                    "tau_mean": self.tau_mean,
                    "tau_sd": self.tau_sd,
                    "tau_ci_low": self.tau_ci_low,
                    "tau_ci_high": self.tau_ci_high,
                    "pred_median": self.pred_median,
                    "pred_low": self.pred_low,
                    "pred_high": self.pred_high,
                    "bf_tau0": self.bf_tau0,
                    "bf_mu0": self.bf_mu0,
                    "log_marginal_likelihood": self.log_marginal_likelihood,
                    "tau_prior": self.tau_prior,
                    "tau_prior_params": self.tau_prior_params,
                    "mu_prior": self.mu_prior,
                }
            ]
        )


# ----------------------------------------------------------------------------
# public function
# ----------------------------------------------------------------------------


def bayes_meta_analysis(
    yi,
    vi=None,
    *,
    tau_prior: str = "half-normal",
    tau_prior_scale: float | None = None,
    tau_prior_meanlog: float | None = None,
    tau_prior_sdlog: float | None = None,
    mu_prior: tuple[float, float] | None = None,
    labels: Sequence | str | None = None,
    credible_level: float = 0.95,
) -> BayesMetaResult:
    """Bayesian random-effects meta-analysis with the exact posterior (as R ``bayesmeta``).

    For few studies (k = 2 to 5, common in lupus) the frequentist
    random-effects interval either ignores the uncertainty in ``tau`` (z) or
    becomes very wide (Knapp-Hartung).  A weakly informative prior on ``tau``
    settles this (Friede et al. 2017; Röver 2020).  The posterior of
    ``(mu, tau)`` is computed by numerical integration over ``tau`` with ``mu``
    integrated analytically (Röver 2020, Sections 2.4-2.8): no MCMC and no
    Monte Carlo error.  Written by hand because no Python package does this
    (bayesmeta is R); see the module docstring for the numerics.

    Parameters
    ----------
    yi : array-like or pandas.DataFrame
        Effect sizes on an additive scale (log RR, log OR, logit, MD ...), or
        the frame returned by :func:`effect_sizes` (then leave `vi` out).
    vi : array-like
        Sampling variances (> 0).
    tau_prior : {"half-normal", "half-cauchy", "lognormal", "uniform"}, default "half-normal"
        Prior of the heterogeneity ``tau`` (between-study SD, not the
        variance).  Half-normal with scale 0.5 on log odds or risk ratios
        gives ``tau <= 0.98`` with 95% prior probability (Röver 2020,
        Sec. 3.3; Friede et al. 2017).  ``"lognormal"`` takes
        `tau_prior_meanlog` and `tau_prior_sdlog`, e.g. the predictive
        distributions of Turner et al. (2015) for log-OR heterogeneity: their
        "marginal" setting ``log tau² ~ N(-2.56, 1.74²)`` (bayesmeta 3.4
        ``TurnerEtAlPrior()``, R/bayesmeta.R, citing Turner et al. p. 993) is
        ``tau_prior_meanlog=-1.28, tau_prior_sdlog=0.87`` for ``tau``.
        ``"uniform"`` is improper and needs k >= 3 (k >= 2 with a normal
        `mu_prior`).
    tau_prior_scale : float, optional
        Scale of the half-normal or half-Cauchy prior; default 0.5.
    tau_prior_meanlog, tau_prior_sdlog : float, optional
        Mean and SD of ``log tau`` for ``tau_prior="lognormal"`` (required there).
    mu_prior : (mean, sd) or None, default None
        Normal prior of ``mu``, or None for the improper uniform prior (results
        then invariant to shifting the data; Bayes factors undefined).
    labels : sequence of str, or a column name when `yi` is a frame, optional
    credible_level : float, default 0.95
        Level of the stored intervals.

    Returns
    -------
    BayesMetaResult
        ``estimate`` (posterior median of ``mu``), ``confidence_interval()``
        (shortest credible interval), ``credible_interval(parameter=, kind=)``,
        ``mu_density/mu_cdf/mu_quantile``, ``tau_density/tau_cdf/tau_quantile``,
        ``prediction_interval()`` and the ``predictive_*`` functions,
        ``shrinkage()``, ``prob_mu_below/prob_mu_above/prob_tau_above``,
        ``bf_tau0``, ``bf_mu0``, ``summary()``, ``to_frame()``.

    Raises
    ------
    TypeError
        Non-numeric data, `vi` missing, a callable or non-string `tau_prior`,
        a `mu_prior` that is not a pair.
    ValueError
        Length mismatch, NaN or infinite values, variances <= 0, no studies,
        an unknown prior, a scale <= 0, parameters that do not belong to the
        chosen prior, `credible_level` outside (0, 1), or an improper posterior.

    References
    ----------
    C. Röver (2020). Bayesian random-effects meta-analysis using the bayesmeta
    R package. J Stat Softw 93(6):1-51. doi:10.18637/jss.v093.i06.
    C. Röver, T. Friede (2017). Discrete approximation of a mixture
    distribution via restricted divergence. J Comput Graph Stat 26(1):217-222.
    T. Friede, C. Röver, S. Wandel, B. Neuenschwander (2017). Meta-analysis of
    few small studies in orphan diseases. Res Synth Methods 8(1):79-91.
    R.M. Turner, D. Jackson, Y. Wei, S.G. Thompson, J.P.T. Higgins (2015).
    Predictive distributions for between-study heterogeneity and simple methods
    for their application in Bayesian meta-analysis. Stat Med 34(6):984-998.

    Examples
    --------
    The six studies of Crins et al. (2014) as analysed in Röver (2020),
    Section 3.3 (log odds ratios, normal prior with sd 4 on ``mu``,
    half-normal(0.5) on ``tau``; yi and vi rounded as printed there).  The
    paper prints a posterior median of -1.5735 and the 95% interval
    [-2.2312, -0.9264] for ``mu`` (its interval from bayesmeta's mixture
    approximation, 4e-4 wider than the exact one), 0.3445 for the median
    of ``tau`` and 0.021 for ``P(tau > 1)``:

    >>> import lupusstats as ls
    >>> yi = [-2.3097, -0.4595, -2.3026, -1.7579, -1.2585, -2.4179]
    >>> vi = [0.3594, 0.3096, 0.7750, 0.2078, 0.4122, 2.3373]
    >>> res = ls.bayes_meta_analysis(yi, vi, mu_prior=(0, 4))
    >>> round(res.estimate, 4), [round(x, 4) for x in res.confidence_interval()]
    (-1.5735, [-2.2308, -0.9267])
    >>> round(res.tau_median, 4), round(res.prob_tau_above(1.0), 3)
    (0.3445, 0.021)
    """
    y, v, _, _, level, labels = _meta_iv(yi, vi, "FE", "z", 0.95, labels)
    level = _v.check_confidence_level(credible_level, "credible_level")
    prior, params, mu_prior = _check_priors(tau_prior, tau_prior_scale, tau_prior_meanlog, tau_prior_sdlog, mu_prior)
    k = y.size
    _check_proper(prior, mu_prior, k)
    return _fit(y, v, prior, params, mu_prior, level, labels)


def _fit(y, v, prior, params, mu_prior, level, labels):
    k = y.size
    rule = _build_rule(y[None], v[None], prior, params, mu_prior)
    mu_mix = _Mixture(rule.mean, rule.sd, rule.weight)
    pred_mix = _predictive_mixture(rule.mean, rule.sd, rule.tau, rule.weight)
    mu_lo, mu_hi = mu_mix.shortest(level)
    pr_lo, pr_hi = pred_mix.shortest(level)
    proper = mu_prior is not None and prior != "uniform"
    log_ml = float(rule.log_norm[0]) if proper else math.nan
    bf_tau0 = bf_mu0 = math.nan
    if proper:
        lml0, _, _ = _conditional(np.zeros((1, 1)), y[None], v[None], mu_prior)
        bf_tau0 = math.exp(float(lml0[0, 0]) - log_ml)
        m0, s0 = mu_prior
        prior0 = math.exp(-0.5 * (m0 / s0) ** 2) / (math.sqrt(2 * math.pi) * s0)
        bf_mu0 = float(mu_mix.pdf(np.zeros(1))[0]) / prior0
    res = BayesMetaResult(
        estimate=float(mu_mix.ppf(np.array([0.5]))[0]),
        ci_low=float(mu_lo[0]),
        ci_high=float(mu_hi[0]),
        mu_mean=math.nan,
        mu_sd=math.nan,
        tau_median=math.nan,
        tau_mean=math.nan,
        tau_sd=math.nan,
        tau_ci_low=math.nan,
        tau_ci_high=math.nan,
        pred_median=float(pred_mix.ppf(np.array([0.5]))[0]),
        pred_low=float(pr_lo[0]),
        pred_high=float(pr_hi[0]),
        bf_tau0=bf_tau0,
        bf_mu0=bf_mu0,
        log_marginal_likelihood=log_ml,
        k=k,
        tau_prior=prior,
        tau_prior_params=tuple(params),
        mu_prior=mu_prior,
        credible_level=level,
        yi=y,
        vi=v,
        labels=labels,
        _scale=float(rule.scale[0]),
        _leaves=rule.leaves,
        _leaf_mass=rule.leaf_mass[0],
        _tau=rule.tau[0],
        _weight=rule.weight[0],
        _cond_mean=rule.mean[0],
        _cond_sd=rule.sd[0],
        _log_norm=float(rule.log_norm[0]),
    )
    # the tau summaries need the result's CDF machinery: fill them in on a copy
    orders, _ = _moment_orders(prior, mu_prior, k)
    w, tau = rule.weight[0], rule.tau[0]
    tau_mean = float(np.dot(w, tau)) if 1 in orders else math.nan
    if 2 in orders:
        tau_sd = float(math.sqrt(np.dot(w, (tau - tau_mean) ** 2)))
    else:
        tau_sd = math.inf if 1 in orders else math.nan
    tlo, thi = res._tau_interval(level, "shortest")
    mu_mean, mu_sd = res._moments(mu_mix, "mu")
    return dataclasses.replace(
        res,
        tau_median=float(res.tau_quantile(0.5)),
        tau_mean=tau_mean,
        tau_sd=tau_sd,
        tau_ci_low=tlo,
        tau_ci_high=thi,
        mu_mean=mu_mean,
        mu_sd=mu_sd,
    )


def bayes_meta_analysis_batch(
    yi,
    vi,
    *,
    tau_prior: str = "half-normal",
    tau_prior_scale: float | None = None,
    tau_prior_meanlog: float | None = None,
    tau_prior_sdlog: float | None = None,
    mu_prior: tuple[float, float] | None = None,
    credible_level: float = 0.95,
):
    """:func:`bayes_meta_analysis` of many data sets at once (rows of `yi`), for simulation studies.

    The same posterior computation, vectorised: one set of quadrature intervals
    in ``t = tau / (s + tau)`` is refined until every data set meets the
    tolerance, and the quantiles and shortest intervals are solved for all rows
    together.  The numbers equal those of :func:`bayes_meta_analysis` to about
    1e-10 (``tests/test_bayes.py`` checks it).

    Parameters
    ----------
    yi : array-like, shape (n_trials, k)
        Effect sizes, one data set (meta-analysis) per row.
    vi : array-like, shape (k,) or (n_trials, k)
        Sampling variances (> 0), shared by all rows or one row per data set.
    tau_prior, tau_prior_scale, tau_prior_meanlog, tau_prior_sdlog, mu_prior, credible_level
        As in :func:`bayes_meta_analysis`.

    Returns
    -------
    BatchResult
        Per data set: ``estimate`` (posterior median of ``mu``), ``se``
        (posterior SD of ``mu``; inf or NaN where the posterior's tail makes it
        infinite), ``ci_low``/``ci_high`` (shortest credible interval at
        `credible_level`); ``statistic`` and ``pvalue`` are NaN (no test);
        extra arrays ``mu_mean`` and ``prob_below_0`` (posterior probability
        that ``mu < 0``).

    Examples
    --------
    >>> import numpy as np
    >>> import lupusstats as ls
    >>> rng = np.random.default_rng(1)
    >>> vi = np.array([0.06, 0.28, 0.33])
    >>> y = rng.normal(-0.36, np.sqrt(vi + 0.3**2), size=(200, 3))
    >>> res = ls.bayes_meta_analysis_batch(y, vi)
    >>> res.ci_low.shape, bool(np.all(res.ci_low < res.estimate))
    ((200,), True)
    >>> one = ls.bayes_meta_analysis(y[0], vi)
    >>> bool(np.isclose(res.estimate[0], one.estimate, rtol=0, atol=1e-9))
    True
    """
    from lupusstats._core.results import BatchResult

    y = _v.as_float_array("yi", yi, ndim=2)
    if y.shape[0] < 1 or y.shape[1] < 1:
        raise ValueError(f"`yi` must have at least one row (data set) and one column (study), got shape {y.shape}.")
    v = _v.as_float_array("vi", vi)
    if v.ndim == 1 and v.size == y.shape[1]:
        v = np.broadcast_to(v, y.shape)
    elif v.shape != y.shape:
        raise ValueError(f"`vi` must have shape ({y.shape[1]},) or {y.shape} like `yi`, got {v.shape}.")
    if not (np.isfinite(y).all() and np.isfinite(v).all()):
        raise ValueError("`yi` and `vi` must be finite, got infinity.")
    if (v <= 0).any():
        raise ValueError(f"`vi` must be variances > 0, got {v[v <= 0][:5].tolist()}.")
    level = _v.check_confidence_level(credible_level, "credible_level")
    prior, params, mu_prior = _check_priors(tau_prior, tau_prior_scale, tau_prior_meanlog, tau_prior_sdlog, mu_prior)
    k = y.shape[1]
    _check_proper(prior, mu_prior, k)
    rule = _build_rule(y, np.ascontiguousarray(v), prior, params, mu_prior)
    mix = _Mixture(rule.mean, rule.sd, rule.weight)
    lo, hi = mix.shortest(level)
    median = mix.ppf(np.full(y.shape[0], 0.5))
    orders, _ = _moment_orders(prior, mu_prior, k)
    finite1 = mu_prior is not None or 1 in orders
    finite2 = mu_prior is not None or 2 in orders
    mean = mix.mean() if finite1 else np.full(y.shape[0], np.nan)
    sd = np.sqrt(mix.var()) if finite2 else np.full(y.shape[0], np.inf if finite1 else np.nan)
    nan = np.full(y.shape[0], np.nan)
    params_txt = ", ".join(f"{p:g}" for p in params)
    mu_txt = "uniform" if mu_prior is None else f"normal({mu_prior[0]:g}, {mu_prior[1]:g})"
    return BatchResult(
        estimate=median,
        se=sd,
        ci_low=lo,
        ci_high=hi,
        statistic=nan,
        pvalue=nan,
        measure="mu (posterior median)",
        method=f"bayes_meta_analysis(tau_prior={prior}({params_txt}), mu_prior={mu_txt}), shortest credible interval",
        alternative="two-sided",
        confidence_level=level,
        scale="identity",
        extra={"mu_mean": mean, "prob_below_0": mix.cdf(np.zeros(y.shape[0]))},
    )
