"""Independent reference for ``ls.bayes_meta_analysis``: brute-force 2-D quadrature over (mu, tau).

Run from the repository root (about ten minutes, numpy and scipy only; it does not import lupusstats):

    python tests/reference/bayesmeta_reference.py

and it writes tests/reference/bayesmeta_reference.json, which tests/test_bayes.py reads.

The route differs from the package's on purpose.  The package integrates mu out analytically
(conditional conjugacy, Röver 2020 Eq. 12-15) and integrates over tau with an adaptive
Gauss-Legendre rule.  Here the joint posterior

    p(mu, tau | y)  ∝  p(mu) p(tau) prod_i N(y_i; mu, v_i + tau^2)

is evaluated directly, with the priors from scipy.stats, on an N x N grid (N = 4001): Simpson's
rule in mu over a finite range and in u = tau / (S + tau) over [0, 1] (so the whole half-line of
tau is covered).  Marginal densities are grid sums, distribution functions are cumulative
Simpson integrals with cubic Hermite interpolation (the densities are the exact derivatives),
quantiles are found by brentq and shortest intervals from the equal-density condition.  The
predictive distribution of theta_new = mu + tau z and the shrinkage posteriors of theta_i =
(1 - b) y_i + b mu + c z (b = v_i / (v_i + tau^2), c^2 = v_i tau^2 / (v_i + tau^2)) are integrated
over (tau, z) with the joint mu-distribution per tau row: no normal mixture over tau is formed.
Bayes factors are ratios of marginal likelihoods p(y | null) / p(y), each a 1-D or 2-D grid integral.
The whole computation is repeated at N = 2001; the largest difference is stored as
"resolution_check" (the error of the N = 4001 numbers is far below it).

The examples:

* Crins et al. (2014), acute rejection, log odds ratios (escalc's default 1/2 correction for the
  zero cell): counts from the bayesmeta 3.4 sources, data/CrinsEtAl2014.R; the analysis of
  Röver (2020), J Stat Softw 93(6), Section 3.3: mu ~ N(0, 4^2), tau ~ half-normal(0.5).
* Crins et al. with a uniform prior on mu and the log-normal heterogeneity prior of Turner et al.
  (2015) in its "marginal" setting, log tau^2 ~ N(-2.56, 1.74^2) (values from bayesmeta 3.4
  R/bayesmeta.R, TurnerEtAlPrior(), "see p.993"), i.e. log tau ~ N(-1.28, 0.87^2).
* The eight schools (Rubin 1981; bayesmeta data/Rubin1981.R) as in the bayesmeta vignette:
  mu ~ N(0, 50^2), tau ~ half-Cauchy(25); and with improper uniform priors on both.
* Lupus, HSCT remission by 6 months (logit proportions, k = 2: Jayne 2004 33/50, Leng 2017
  21/24; data/hsct_sle_studies.csv, notebook 05): uniform mu, tau ~ half-normal(0.5).
* Lupus, MSC response (logit proportions, k = 2: Wang 2013 complete remission at 12 months 23/83,
  Deng 2017 MSC arm remission at 6 months 9/12; data/msc_sle_studies.csv, notebook 05's
  sensitivity analysis with one Nanjing series): uniform mu, tau ~ half-normal(1.0).
* A single study (k = 1): y = 0.5, v = 0.1, mu ~ N(0, 1), tau ~ half-normal(0.5).
"""

from __future__ import annotations

import datetime
import json
import math
import pathlib
import sys
import time

import numpy as np
from scipy import stats
from scipy.integrate import cumulative_simpson
from scipy.interpolate import CubicSpline
from scipy.optimize import brentq
from scipy.special import ndtr

OUT = pathlib.Path(__file__).with_name("bayesmeta_reference.json")
LEVEL = 0.95


def _logor(a, n1, c, n2):
    b, d = n1 - a, n2 - c
    if min(a, b, c, d) == 0:  # metafor::escalc default: add 1/2 to each cell of a table with a zero
        a, b, c, d = a + 0.5, b + 0.5, c + 0.5, d + 0.5
    return math.log(a * d / (b * c)), 1 / a + 1 / b + 1 / c + 1 / d


def _logit(x, n):
    return math.log(x / (n - x)), 1 / x + 1 / (n - x)


# Crins et al. 2014 in the row order of bayesmeta's CrinsEtAl2014: exp.AR.events, exp.total,
# cont.AR.events, cont.total
_CRINS = [
    ("Heffron (2003)", 14, 61, 15, 20),
    ("Gibelli (2004)", 16, 28, 19, 28),
    ("Schuller (2005)", 3, 18, 8, 12),
    ("Ganschow (2005)", 9, 54, 29, 54),
    ("Spada (2006)", 4, 36, 11, 36),
    ("Gras (2008)", 0, 50, 3, 34),
]
_crins = [_logor(*r[1:]) for r in _CRINS]
_SCHOOLS = dict(
    labels=list("ABCDEFGH"),
    yi=[28.39, 7.94, -2.75, 6.82, -0.64, 0.63, 18.01, 12.16],
    vi=[s**2 for s in (14.9, 10.2, 16.3, 11.0, 9.4, 11.4, 10.4, 17.6)],
)
_hsct = [_logit(33, 50), _logit(21, 24)]
_msc = [_logit(23, 83), _logit(9, 12)]

EXAMPLES = {
    "crins_hn05_mu_n04": dict(
        labels=[r[0] for r in _CRINS],
        yi=[a for a, _ in _crins],
        vi=[b for _, b in _crins],
        tau_prior=("half-normal", [0.5]),
        mu_prior=[0.0, 4.0],
        S=0.5,
        mu_range=(-6.0, 3.0),
    ),
    "crins_turner_mu_uniform": dict(
        labels=[r[0] for r in _CRINS],
        yi=[a for a, _ in _crins],
        vi=[b for _, b in _crins],
        tau_prior=("lognormal", [-1.28, 0.87]),
        mu_prior=None,
        S=0.5,
        mu_range=(-6.5, 3.5),
    ),
    "schools_hc25_mu_n050": dict(
        **_SCHOOLS, tau_prior=("half-cauchy", [25.0]), mu_prior=[0.0, 50.0], S=8.0, mu_range=(-60.0, 75.0)
    ),
    "schools_uniform_uniform": dict(
        **_SCHOOLS, tau_prior=("uniform", []), mu_prior=None, S=8.0, mu_range=(-120.0, 135.0)
    ),
    "lupus_hsct_remission_hn05": dict(
        labels=["Jayne 2004", "Leng 2017"],
        yi=[a for a, _ in _hsct],
        vi=[b for _, b in _hsct],
        tau_prior=("half-normal", [0.5]),
        mu_prior=None,
        S=0.5,
        mu_range=(-4.5, 6.5),
    ),
    "lupus_msc_response_hn10": dict(
        labels=["Wang 2013", "Deng 2017 (MSC arm)"],
        yi=[a for a, _ in _msc],
        vi=[b for _, b in _msc],
        tau_prior=("half-normal", [1.0]),
        mu_prior=None,
        S=1.0,
        mu_range=(-9.0, 9.0),
    ),
    "single_study_hn05_mu_n01": dict(
        labels=["only"],
        yi=[0.5],
        vi=[0.1],
        tau_prior=("half-normal", [0.5]),
        mu_prior=[0.0, 1.0],
        S=0.5,
        mu_range=(-4.5, 5.0),
    ),
}


def _log_prior_tau(tau, name, params):
    with np.errstate(divide="ignore"):
        if name == "half-normal":
            return stats.halfnorm.logpdf(tau, scale=params[0])
        if name == "half-cauchy":
            return stats.halfcauchy.logpdf(tau, scale=params[0])
        if name == "lognormal":
            return stats.lognorm.logpdf(tau, s=params[1], scale=math.exp(params[0]))
    return np.zeros_like(tau)


def _simpson_weights(x):
    n = x.size
    assert n % 2 == 1
    h = (x[-1] - x[0]) / (n - 1)
    w = np.full(n, 2.0)
    w[1::2] = 4.0
    w[0] = w[-1] = 1.0
    return w * h / 3


def _hermite(xg, F, f, x):
    """Cubic Hermite interpolation of F (derivative f) on the uniform grid xg at x (clipped to the grid)."""
    x = np.clip(x, xg[0], xg[-1])
    h = xg[1] - xg[0]
    j = np.minimum(((x - xg[0]) / h).astype(int), xg.size - 2)
    s = (x - xg[j]) / h
    h00, h10, h01, h11 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s, -2 * s**3 + 3 * s**2, s**3 - s**2
    return h00 * F[..., j] + h10 * h * f[..., j] + h01 * F[..., j + 1] + h11 * h * f[..., j + 1]


class Grid:
    def __init__(self, ex, n):
        self.y, self.v = np.array(ex["yi"]), np.array(ex["vi"])
        self.tau_prior, self.mu_prior, self.S = ex["tau_prior"], ex["mu_prior"], ex["S"]
        self.mu = np.linspace(*ex["mu_range"], n)
        self.u = np.linspace(0.0, 1.0, n)
        self.wmu, self.wu = _simpson_weights(self.mu), _simpson_weights(self.u)
        with np.errstate(divide="ignore"):
            self.tau = self.S * self.u / (1 - self.u)
            self.jac = self.S / (1 - self.u) ** 2
        self.tau[-1], self.jac[-1] = np.inf, np.inf
        self.c = 0.0
        # a log-scale offset: the maximum on a coarse grid
        lj = self.log_joint(self.mu[::40, None], self.tau[None, :-1:40])
        self.c = float(np.max(lj))
        G = np.zeros((n, n))
        for lo in range(0, n - 1, 200):
            hi = min(lo + 200, n - 1)
            G[lo:hi] = np.exp(self.log_joint(self.mu[None, :], self.tau[lo:hi, None]) - self.c) * self.jac[lo:hi, None]
        self.Z = float(self.wu @ G @ self.wmu)
        self.G = G / self.Z  # joint density of (u, mu), normalised
        self.pu = self.G @ self.wmu  # marginal density of u at the nodes
        self.pmu = self.wu @ self.G  # marginal density of mu at the nodes
        self.Fu = cumulative_simpson(self.pu, x=self.u, initial=0.0)
        self.Fmu = cumulative_simpson(self.pmu, x=self.mu, initial=0.0)
        self.Frow = cumulative_simpson(self.G, x=self.mu, axis=1, initial=0.0)  # per u row, not normalised per row
        self.edge = float(max(self.pmu[0], self.pmu[-1]) / self.pmu.max())

    def log_joint(self, mu, tau):
        tau = np.asarray(tau, dtype=float)
        out = _log_prior_tau(tau, *self.tau_prior)
        if self.mu_prior is not None:
            out = out + stats.norm.logpdf(mu, *self.mu_prior)
        for yi, vi in zip(self.y, self.v, strict=True):  # the normal log density, written out (as scipy's, but faster)
            var = vi + tau**2
            out = out - 0.5 * np.log(2 * np.pi * var) - 0.5 * (yi - mu) ** 2 / var
        return out

    # ---- mu
    def mu_density(self, x):
        x = np.atleast_1d(x)
        lj = self.log_joint(x[:, None], self.tau[None, :-1])
        return np.exp(lj - self.c) * self.jac[None, :-1] @ self.wu[:-1] / self.Z

    def mu_cdf(self, x):
        return _hermite(self.mu, self.Fmu, self.pmu, np.atleast_1d(x))

    # ---- tau (through u)
    def u_density(self, u):
        u = np.atleast_1d(u)
        tau, jac = self.S * u / (1 - u), self.S / (1 - u) ** 2
        lj = self.log_joint(self.mu[None, :], tau[:, None])
        return (np.exp(lj - self.c) @ self.wmu) * jac / self.Z

    def tau_density(self, t):
        t = np.atleast_1d(t)
        u = t / (self.S + t)
        return self.u_density(u) * self.S / (self.S + t) ** 2

    def tau_cdf(self, t):
        t = np.atleast_1d(t)
        return _hermite(self.u, self.Fu, self.pu, t / (self.S + t))

    # ---- theta = a0(tau) + b(tau) mu + c(tau) z, z ~ N(0, 1) independent of (mu, tau)
    def theta_table(self, which, i=None, n_x=1201, width=16.0):
        """CDF and density of theta_new (which="pred") or theta_i (which="shrink") on a grid of x.

        Per tau row, P(theta <= x | tau) is integrated either over z (Simpson), with the joint
        mu-distribution function of the row (cumulative Simpson + cubic Hermite) -- when c/b is
        small, so that the integrand is smooth in z -- or over mu (Simpson) with Phi((x - a0 - b mu)/c)
        when c/b is at least 50 mu-grid steps, so that the integrand is smooth in mu.
        """
        n = self.u.size
        rows = np.arange(0, n, 4)  # every 4th u row (Simpson on the coarser grid); the last, tau = inf, has density 0
        w_rows = _simpson_weights(self.u[rows])[:-1]
        rows = rows[:-1]
        cols = np.arange(0, n, 5)  # every 5th mu node for the rows integrated over mu
        w_cols = _simpson_weights(self.mu[cols])
        tau = self.tau[rows]
        if which == "pred":
            b, a0, c = np.ones_like(tau), np.zeros_like(tau), tau
        else:
            vi, yi = self.v[i], self.y[i]
            b = vi / (vi + tau**2)
            a0 = (1 - b) * yi
            c = np.sqrt(vi * tau**2 / (vi + tau**2))
        h_mu = self.mu[1] - self.mu[0]
        by_mu = c / b >= 50 * h_mu  # then Phi((x - a0 - b mu) / c) spans >= 10 of the (5-step) mu nodes
        nz = 2 * ((self.u.size - 1) // 22) + 1
        z = np.linspace(-9.0, 9.0, nz)
        wz = _simpson_weights(z) * stats.norm.pdf(z)
        rz, rm = rows[~by_mu], rows[by_mu]
        wz_rows, wm_rows = w_rows[~by_mu], w_rows[by_mu]
        Gm = self.G[np.ix_(rm, cols)]
        mu_c = self.mu[cols]
        mean, sd = self._theta_moments(which, i)
        xs = np.linspace(mean - width * sd, mean + width * sd, n_x)
        F, f = np.empty(n_x), np.empty(n_x)
        for j, x in enumerate(xs):
            m = (x - a0[~by_mu, None] - c[~by_mu, None] * z[None, :]) / b[~by_mu, None]
            Fz = self._row_cdf(rz, m) @ wz
            lj = self.log_joint(m, tau[~by_mu, None])
            fz = (np.exp(lj - self.c) * self.jac[rz][:, None] / self.Z / b[~by_mu, None]) @ wz
            arg = (x - a0[by_mu, None] - b[by_mu, None] * mu_c[None, :]) / c[by_mu, None]
            Fm = (Gm * ndtr(arg)) @ w_cols
            fm = (Gm * np.exp(-0.5 * arg**2) / (math.sqrt(2 * math.pi) * c[by_mu, None])) @ w_cols
            F[j] = wz_rows @ Fz + wm_rows @ Fm
            f[j] = wz_rows @ fz + wm_rows @ fm
        return xs, F, f

    def _row_cdf(self, rows, m):
        x = np.clip(m, self.mu[0], self.mu[-1])
        h = self.mu[1] - self.mu[0]
        j = np.minimum(((x - self.mu[0]) / h).astype(int), self.mu.size - 2)
        s = (x - self.mu[j]) / h
        r = rows[:, None]
        F0, F1, f0, f1 = self.Frow[r, j], self.Frow[r, j + 1], self.G[r, j], self.G[r, j + 1]
        h00, h10, h01, h11 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s, -2 * s**3 + 3 * s**2, s**3 - s**2
        return h00 * F0 + h10 * h * f0 + h01 * F1 + h11 * h * f1

    def _theta_moments(self, which, i):
        mom = self.moments()
        if which == "pred":
            return mom["pred_mean"], mom["pred_sd"]
        return mom["shrink"][i]["mean"], mom["shrink"][i]["sd"]

    # ---- moments over the full grid
    def moments(self):
        if getattr(self, "_moments", None) is not None:
            return self._moments
        T = np.where(np.isfinite(self.tau), self.tau, 0.0)[:, None]
        M = self.mu[None, :]
        W = self.G * self.wu[:, None] * self.wmu[None, :]
        E = lambda A: float(np.sum(W * A))  # noqa: E731
        out = {
            "mu_mean": E(M),
            "mu_sd": math.sqrt(E((M - E(M)) ** 2)),
            "tau_mean": E(T),
            "tau_sd": math.sqrt(E((T - E(T)) ** 2)),
        }
        out["pred_mean"] = out["mu_mean"]
        out["pred_sd"] = math.sqrt(out["mu_sd"] ** 2 + E(T**2))
        shrink = []
        for yi, vi in zip(self.y, self.v, strict=True):
            b = vi / (vi + T**2)
            A = (1 - b) * yi + b * M
            C2 = vi * T**2 / (vi + T**2)
            mean = E(A)
            shrink.append({"mean": mean, "sd": math.sqrt(E(C2) + E((A - mean) ** 2))})
        out["shrink"] = shrink
        self._moments = out
        return out


def _quantile(cdf, p, lo, hi):
    for _ in range(60):
        if cdf(lo) <= p:
            break
        lo = lo - (hi - lo)
    for _ in range(60):
        if cdf(hi) >= p:
            break
        hi = hi + (hi - lo)
    if not cdf(lo) <= p <= cdf(hi):
        raise RuntimeError(f"cannot bracket the {p} quantile")
    return brentq(lambda x: float(cdf(x)) - p, lo, hi, xtol=1e-12, rtol=1e-14, maxiter=300)


def _shortest(cdf, pdf, level, lo, hi, lower_bound=None):
    q = lambda p: _quantile(cdf, p, lo, hi)  # noqa: E731
    if lower_bound is not None:
        top = q(level)
        if float(pdf(lower_bound)) >= float(pdf(top)):
            return [lower_bound, top]
    h = lambda p: float(pdf(q(p))) - float(pdf(q(p + level)))  # noqa: E731
    eps = (1 - level) * 1e-3  # the root lies well inside for these examples (brentq checks the signs)
    p = brentq(h, eps, 1 - level - eps, xtol=1e-13, maxiter=300)
    return [q(p), q(p + level)]


def analyse(ex, n, full=True):
    g = Grid(ex, n)
    out = {"grid_n": n, "edge_density_ratio": g.edge}
    lo, hi = ex["mu_range"]
    mu_cdf = lambda x: float(g.mu_cdf(x)[0])  # noqa: E731
    mu_pdf = lambda x: float(g.mu_density(x)[0])  # noqa: E731
    S = ex["S"]
    tau_cdf = lambda t: float(g.tau_cdf(max(t, 0.0))[0])  # noqa: E731
    tau_pdf = lambda t: float(g.tau_density(max(t, 0.0))[0])  # noqa: E731
    out["mu_median"] = _quantile(mu_cdf, 0.5, lo, hi)
    out["mu_central"] = [_quantile(mu_cdf, (1 - LEVEL) / 2, lo, hi), _quantile(mu_cdf, (1 + LEVEL) / 2, lo, hi)]
    out["mu_shortest"] = _shortest(mu_cdf, mu_pdf, LEVEL, lo, hi)
    out["mu_shortest_90"] = _shortest(mu_cdf, mu_pdf, 0.90, lo, hi)
    out["tau_median"] = _quantile(tau_cdf, 0.5, 0.0, 10 * S)
    out["tau_central"] = [
        _quantile(tau_cdf, (1 - LEVEL) / 2, 0.0, 10 * S),
        _quantile(tau_cdf, (1 + LEVEL) / 2, 0.0, 10 * S),
    ]
    out["tau_shortest"] = _shortest(tau_cdf, tau_pdf, LEVEL, 0.0, 10 * S, lower_bound=0.0)
    out["tau_q99"] = _quantile(tau_cdf, 0.99, 0.0, 10 * S)
    xs_mu = [*list(np.linspace(out["mu_central"][0], out["mu_central"][1], 5)), 0.0]
    out["mu_points"] = xs_mu
    out["mu_density_at"] = [mu_pdf(x) for x in xs_mu]
    out["mu_cdf_at"] = [mu_cdf(x) for x in xs_mu]
    xs_tau = [0.0, 0.5 * out["tau_median"], out["tau_median"], 2 * out["tau_median"]]
    out["tau_points"] = xs_tau
    out["tau_density_at"] = [tau_pdf(x) for x in xs_tau]
    out["tau_cdf_at"] = [tau_cdf(x) for x in xs_tau]
    out.update(g.moments())
    # marginal likelihoods and Bayes factors (proper priors only)
    log_py = math.log(g.Z) + g.c
    if ex["mu_prior"] is not None and ex["tau_prior"][0] != "uniform":
        w_mu = g.wmu
        lj_tau0 = stats.norm.logpdf(g.mu, *ex["mu_prior"]) + sum(
            stats.norm.logpdf(yi, loc=g.mu, scale=math.sqrt(vi)) for yi, vi in zip(g.y, g.v, strict=True)
        )
        p_tau0 = float(np.exp(lj_tau0 - g.c) @ w_mu)
        tau = g.tau[:-1]
        lj_mu0 = _log_prior_tau(tau, *ex["tau_prior"]) + sum(
            stats.norm.logpdf(yi, loc=0.0, scale=np.sqrt(vi + tau**2)) for yi, vi in zip(g.y, g.v, strict=True)
        )
        p_mu0 = float((np.exp(lj_mu0 - g.c) * g.jac[:-1]) @ g.wu[:-1])
        out["log_marginal_likelihood"] = log_py
        out["bf_tau0"] = p_tau0 / g.Z
        out["bf_mu0"] = p_mu0 / g.Z
    if full:
        tables = [("pred", None)] + [("shrink", i) for i in range(len(ex["yi"]))]
        for which, i in tables:
            xs, F, f = g.theta_table(which, i)
            cdf = lambda x, xs=xs, F=F, f=f: float(_hermite(xs, F, f, np.atleast_1d(x))[0])  # noqa: E731
            pdf = CubicSpline(xs, f)
            lo, hi = xs[1], xs[-2]
            row = out if which == "pred" else out["shrink"][i]
            key = "pred_" if which == "pred" else ""
            row[key + "median"] = _quantile(cdf, 0.5, lo, hi)
            row[key + "shortest"] = _shortest(cdf, pdf, LEVEL, lo, hi)
            if which == "pred":
                row["pred_central"] = [_quantile(cdf, (1 - LEVEL) / 2, lo, hi), _quantile(cdf, (1 + LEVEL) / 2, lo, hi)]
                row["pred_table_ends"] = [float(F[0]), float(1 - F[-1])]
    return out


def _flatten(d, prefix=""):
    out = {}
    if isinstance(d, dict):
        for k, v in d.items():
            if k in ("grid_n", "edge_density_ratio", "mu_points", "tau_points"):
                continue
            out.update(_flatten(v, f"{prefix}{k}."))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            out.update(_flatten(v, f"{prefix}{i}."))
    else:
        out[prefix[:-1]] = d
    return out


def main(argv):
    n_fine, n_check = 4001, 2001
    names = argv[1:] or list(EXAMPLES)
    examples = {}
    worst = 0.0
    for name in names:
        ex = EXAMPLES[name]
        t0 = time.time()
        fine = analyse(ex, n_fine)
        check = analyse(ex, n_check)
        a, b = _flatten(fine), _flatten(check)
        diff = max(abs(a[k] - b[k]) for k in a if k in b and math.isfinite(a[k]))
        worst = max(worst, diff)
        fine["resolution_check"] = diff
        data = {key: ex[key] for key in ("labels", "yi", "vi")}
        data.update(tau_prior=ex["tau_prior"][0], tau_prior_params=ex["tau_prior"][1], mu_prior=ex["mu_prior"])
        examples[name] = {"data": data, "reference": fine}
        print(
            f"{name}: {time.time() - t0:.0f} s, N={n_fine} vs N={n_check}: max abs diff {diff:.2e}, "
            f"edge density ratio {fine['edge_density_ratio']:.1e}",
            flush=True,
        )
    OUT.write_text(
        json.dumps(
            {
                "_comment": "do not edit; generated by tests/reference/bayesmeta_reference.py "
                "(brute-force 2-D quadrature over (mu, tau), numpy + scipy only)",
                "generated": datetime.date.today().isoformat(),
                "numpy": np.__version__,
                "scipy": sys.modules["scipy"].__version__,
                "credible_level": LEVEL,
                "grid_n": n_fine,
                "max_resolution_check": worst,
                "examples": examples,
            },
            indent=1,
        )
        + "\n"
    )
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main(sys.argv)
