"""Independent reference for ``ls.bayes_meta_analysis``: brute-force 2-D quadrature over (mu, tau).

Run from the repository root, at low priority (a few CPU-minutes; numpy and scipy, and lupusstats
only to load the shipped data sets):

    nice -n 19 python tests/reference/bayesmeta_reference.py

and it writes tests/reference/bayesmeta_reference.json, which tests/test_bayes.py reads.

The route differs from the package's on purpose.  The package integrates mu out analytically
(conditional conjugacy, Röver 2020 Eq. 12-15) and integrates over tau with an adaptive
Gauss-Legendre rule.  Here the joint posterior

    p(mu, tau | y)  ∝  p(mu) p(tau) prod_i N(y_i; mu, v_i + tau^2)

is evaluated pointwise (priors from scipy.stats) and integrated over a 2-D product grid of
N x N Gauss-Legendre nodes in transformed coordinates:

* tau = S u / (1 - u) with u in (0, 1), Jacobian S / (1 - u)^2: the whole half-line of tau is covered,
  so an improper uniform prior on tau (whose posterior has a polynomial tail) needs no truncation;
* per tau node, mu runs over [a - H(tau), b + H(tau)] (a sheared grid: the mu range widens with
  tau, Jacobian H-scaled weights), where [a, b] is the hull of the y_i (and the prior mean of mu) and
  H(tau) = 10 * min(sqrt((max v_i + tau^2) / k), prior sd of mu).  Nothing here uses the conditional
  posterior of mu: H only bounds its spread (10 bounding SDs each side, so the density at the edges
  is below exp(-50) of the row's peak; the file records the largest edge ratio met).

Every other quantity is a further direct integral of the joint density, with fresh Gauss-Legendre
nodes on the sub-range it needs: the distribution function of mu at x integrates each tau row over
[lower end, x]; the density of tau at t integrates the row at t; its distribution function
integrates u over [0, u(t)].  The predictive theta_new = mu + tau z and the shrinkage posteriors
theta_i = (1 - b) y_i + b mu + c z (b = v_i / (v_i + tau^2), c^2 = v_i tau^2 / (v_i + tau^2), z ~ N(0, 1))
are integrated as  sum over tau nodes of  int p(mu, tau) Phi((x - a0 - b mu) / c) dmu,  each row split at
mu* -+ 9 c / b (mu* = (x - a0) / b) so that the steep part of Phi gets its own nodes: no normal
mixture over tau is formed.  Quantiles are found by brentq, shortest intervals from the
equal-density condition.  Bayes factors are ratios of marginal likelihoods p(y | null) / p(y), each a
1-D or 2-D integral of the same kind.

Convergence: the whole computation is repeated at a coarser grid (GRID_CHECK); the largest absolute
difference over every number of an example is stored as its "resolution_check", and the largest over
all examples as "max_resolution_check".  Gauss-Legendre converges geometrically for these smooth
integrands, so the error of the finer grid is far below that difference.

The examples:

* Crins et al. (2014), acute rejection, log odds ratios (escalc's default 1/2 correction for the
  zero cell): counts from the bayesmeta 3.4 sources, data/CrinsEtAl2014.R; the analysis of
  Röver (2020), J Stat Softw 93(6), Section 3.3: mu ~ N(0, 4^2), tau ~ half-normal(0.5).
* Crins et al. with a uniform prior on mu and the log-normal heterogeneity prior of Turner et al.
  (2015) in its "marginal" setting, log tau^2 ~ N(-2.56, 1.74^2) (values from bayesmeta 3.4
  R/bayesmeta.R, TurnerEtAlPrior(), "see p.993"), i.e. log tau ~ N(-1.28, 0.87^2).
* The eight schools (Rubin 1981; bayesmeta data/Rubin1981.R) as in the bayesmeta vignette:
  mu ~ N(0, 50^2), tau ~ half-Cauchy(25); and with improper uniform priors on both.
* The three Bayesian fits of notebook 05, from the shipped data sets (data/, loaded with
  ls.load_dataset; the effect sizes are computed here by their textbook formulas, and
  tests/test_bayes.py checks that they equal the notebook's inputs):
  - HSCT overall survival at 5-7 years, the series with a published standard error (Alchi 2013,
    Song 2011; logit scale, delta-method variance se^2 / (p (1 - p))^2): uniform mu, half-normal(0.5);
  - MSC single-arm remission, the overlapping Nanjing reports pooled as if independent (notebook 05's
    sensitivity analysis: Wang 2013 complete remission at 12 months, Wang 2018 total remission at
    5 years; logit proportions): uniform mu, half-normal(0.5);
  - Deng 2017, the one randomised MSC trial (k = 1), log risk ratio of remission MSC vs placebo:
    uniform mu, half-normal(0.5).
* A single study (k = 1): y = 0.5, v = 0.1, mu ~ N(0, 1), tau ~ half-normal(0.5).
"""

from __future__ import annotations

import datetime
import functools
import json
import math
import pathlib
import platform
import sys
import time

import numpy as np
from scipy import stats
from scipy.optimize import brentq
from scipy.special import ndtr

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = pathlib.Path(__file__).with_name("bayesmeta_reference.json")
LEVEL = 0.95
GRID_N = 401  # Gauss-Legendre nodes per axis (tau and mu)
GRID_CHECK = 201  # the coarser grid of the convergence check
MARGIN = 10.0  # bounding SDs of mu on each side of the hull of the y_i
SPLIT = 9.0  # Phi(-9) = 1e-19: beyond mu* -+ 9 c / b the normal weight is 0 or 1 to double precision


def _logor(a, n1, c, n2):
    b, d = n1 - a, n2 - c
    if min(a, b, c, d) == 0:  # metafor::escalc default: add 1/2 to each cell of a table with a zero
        a, b, c, d = a + 0.5, b + 0.5, c + 0.5, d + 0.5
    return math.log(a * d / (b * c)), 1 / a + 1 / b + 1 / c + 1 / d


def _logit(x, n):
    return math.log(x / (n - x)), 1 / x + 1 / (n - x)


def _logrr(a, n1, c, n2):
    return math.log((a / n1) / (c / n2)), 1 / a - 1 / n1 + 1 / c - 1 / n2


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


def _lupus_examples():
    """Notebook 05's Bayesian fits, from the shipped data (lupusstats only loads the CSV files)."""
    sys.path.insert(0, str(ROOT))
    import lupusstats as ls

    hsct = ls.load_dataset("hsct_sle_studies")
    os_rows = hsct[(hsct.outcome == "overall_survival") & hsct.se_proportion.notna()]
    p, se = os_rows.proportion.to_numpy(float), os_rows.se_proportion.to_numpy(float)
    msc = ls.load_dataset("msc_sle_studies")
    single = msc[
        msc.design.str.startswith("single")
        & (
            ((msc.outcome == "complete_remission") & (msc.timepoint_months == 12))
            | ((msc.outcome == "total_remission") & (msc.timepoint_months == 60))
        )
    ]
    mscl = [_logit(int(r.events), int(r.total)) for r in single.itertuples()]
    deng = msc[(msc.study == "Deng 2017") & (msc.outcome == "remission")].set_index("arm")
    rr = _logrr(
        int(deng.loc["MSC", "events"]),
        int(deng.loc["MSC", "total"]),
        int(deng.loc["placebo", "events"]),
        int(deng.loc["placebo", "total"]),
    )
    hn05 = dict(tau_prior=("half-normal", [0.5]), mu_prior=None, S=0.5)
    return {
        "lupus_hsct_survival_hn05": dict(
            labels=list(os_rows.study),
            yi=list(np.log(p / (1 - p))),
            vi=list((se / (p * (1 - p))) ** 2),
            **hn05,
        ),
        "lupus_msc_overlapping_hn05": dict(
            labels=list(single.study), yi=[a for a, _ in mscl], vi=[b for _, b in mscl], **hn05
        ),
        "lupus_deng2017_rr_hn05": dict(labels=["Deng 2017"], yi=[rr[0]], vi=[rr[1]], **hn05),
    }


EXAMPLES = {
    "crins_hn05_mu_n04": dict(
        labels=[r[0] for r in _CRINS],
        yi=[a for a, _ in _crins],
        vi=[b for _, b in _crins],
        tau_prior=("half-normal", [0.5]),
        mu_prior=[0.0, 4.0],
        S=0.5,
    ),
    "crins_turner_mu_uniform": dict(
        labels=[r[0] for r in _CRINS],
        yi=[a for a, _ in _crins],
        vi=[b for _, b in _crins],
        tau_prior=("lognormal", [-1.28, 0.87]),
        mu_prior=None,
        S=0.5,
    ),
    "schools_hc25_mu_n050": dict(**_SCHOOLS, tau_prior=("half-cauchy", [25.0]), mu_prior=[0.0, 50.0], S=8.0),
    "schools_uniform_uniform": dict(**_SCHOOLS, tau_prior=("uniform", []), mu_prior=None, S=8.0),
    "single_study_hn05_mu_n01": dict(
        labels=["only"], yi=[0.5], vi=[0.1], tau_prior=("half-normal", [0.5]), mu_prior=[0.0, 1.0], S=0.5
    ),
}


@functools.cache
def _gl(n):
    x, w = np.polynomial.legendre.leggauss(n)
    return x, w


def _nodes(a, b, n):
    """Gauss-Legendre nodes and weights on [a, b] (arrays broadcast: one interval per row)."""
    x, w = _gl(n)
    a, b = np.asarray(a, dtype=float)[..., None], np.asarray(b, dtype=float)[..., None]
    half = (b - a) / 2
    return (a + b) / 2 + half * x, half * w


def _log_prior_tau(tau, name, params):
    with np.errstate(divide="ignore"):
        if name == "half-normal":
            return stats.halfnorm.logpdf(tau, scale=params[0])
        if name == "half-cauchy":
            return stats.halfcauchy.logpdf(tau, scale=params[0])
        if name == "lognormal":
            return stats.lognorm.logpdf(tau, s=params[1], scale=math.exp(params[0]))
    return np.zeros_like(tau)


class Posterior:
    def __init__(self, ex, n):
        self.n = n
        self.y, self.v = np.asarray(ex["yi"], float), np.asarray(ex["vi"], float)
        self.k = self.y.size
        self.tau_prior, self.mu_prior, self.S = ex["tau_prior"], ex["mu_prior"], ex["S"]
        pts = list(self.y) + ([] if self.mu_prior is None else [self.mu_prior[0]])
        self.hull = (min(pts), max(pts))
        self.c = 0.0
        x, w = _gl(n)
        u, wu = (x + 1) / 2, w / 2
        self.tau = self.S * u / (1 - u)
        self.wt = wu * self.S / (1 - u) ** 2  # weights for an integral over tau
        self.lo, self.hi = self.mu_range(self.tau)
        M, WM = _nodes(self.lo, self.hi, n)
        L = self.log_joint(M, self.tau[:, None])
        self.c = float(L.max())
        P = np.exp(L - self.c)
        rows = np.sum(P * WM, axis=1)
        self.Z = float(self.wt @ rows)
        self.log_py = math.log(self.Z) + self.c
        lmax = L.max(axis=1)
        self.edge = float(
            np.max(np.exp(self.log_joint(self.lo, self.tau) - lmax) + np.exp(self.log_joint(self.hi, self.tau) - lmax))
        )
        self.M, self.W = M, P * WM * self.wt[:, None] / self.Z  # mu nodes and posterior weights
        self.ptau = rows / self.Z  # marginal density of tau at the tau nodes

    def mu_range(self, tau):
        spread = np.sqrt((self.v.max() + np.asarray(tau) ** 2) / self.k)
        if self.mu_prior is not None:
            spread = np.minimum(spread, self.mu_prior[1])
        return self.hull[0] - MARGIN * spread, self.hull[1] + MARGIN * spread

    def log_joint(self, mu, tau):
        tau = np.asarray(tau, dtype=float)
        out = _log_prior_tau(tau, *self.tau_prior)
        if self.mu_prior is not None:
            out = out + stats.norm.logpdf(mu, *self.mu_prior)
        for yi, vi in zip(self.y, self.v, strict=True):  # the normal log density, written out
            var = vi + tau**2
            out = out - 0.5 * np.log(2 * np.pi * var) - 0.5 * (yi - mu) ** 2 / var
        return out

    def _rows(self, tau, a, b, weight=None):
        """int_a^b p(mu, tau) weight(mu) dmu / Z for each tau (a, b per tau), N nodes each."""
        M, WM = _nodes(a, b, self.n)
        P = np.exp(self.log_joint(M, np.asarray(tau)[:, None]) - self.c)
        if weight is not None:
            P = P * weight(M)
        return np.sum(P * WM, axis=1) / self.Z

    # ---- mu
    def mu_density(self, x):
        return float(self.wt @ np.exp(self.log_joint(x, self.tau) - self.c)) / self.Z

    def mu_cdf(self, x):
        return float(self.wt @ self._rows(self.tau, self.lo, np.clip(x, self.lo, self.hi)))

    # ---- tau
    def tau_density(self, t):
        t = np.atleast_1d(float(t))
        lo, hi = self.mu_range(t)
        return float(self._rows(t, lo, hi)[0])

    def tau_cdf(self, t):
        if t <= 0:
            return 0.0
        U, WU = _nodes(0.0, t / (self.S + t), self.n)
        tau = self.S * U / (1 - U)
        lo, hi = self.mu_range(tau)
        return float((WU * self.S / (1 - U) ** 2) @ self._rows(tau, lo, hi))

    # ---- theta = a0(tau) + b(tau) mu + c(tau) z, z ~ N(0, 1) independent of (mu, tau)
    def _abc(self, which, i):
        tau = self.tau
        if which == "pred":
            return np.zeros_like(tau), np.ones_like(tau), tau
        vi, yi = self.v[i], self.y[i]
        b = vi / (vi + tau**2)
        return (1 - b) * yi, b, np.sqrt(vi * tau**2 / (vi + tau**2))

    def theta_cdf_pdf(self, x, which, i=None):
        a0, b, c = self._abc(which, i)
        mstar, s = (x - a0) / b, c / b
        m1 = np.clip(mstar - SPLIT * s, self.lo, self.hi)
        m2 = np.clip(mstar + SPLIT * s, self.lo, self.hi)
        below = self._rows(self.tau, self.lo, m1)  # Phi = 1 there
        steep_F = self._rows(self.tau, m1, m2, lambda M: ndtr((x - a0[:, None] - b[:, None] * M) / c[:, None]))
        steep_f = self._rows(
            self.tau, m1, m2, lambda M: stats.norm.pdf((x - a0[:, None] - b[:, None] * M) / c[:, None]) / c[:, None]
        )
        return float(self.wt @ (below + steep_F)), float(self.wt @ steep_f)

    # ---- moments
    def moments(self):
        W, M = self.W, self.M
        T = self.tau[:, None]
        E = lambda A: float(np.sum(W * A))  # noqa: E731
        out = {"mu_mean": E(M)}
        out["mu_sd"] = math.sqrt(E((M - out["mu_mean"]) ** 2))
        out["tau_mean"] = E(T + 0 * M)
        out["tau_sd"] = math.sqrt(E((T - out["tau_mean"]) ** 2 + 0 * M))
        out["pred_mean"] = out["mu_mean"]
        out["pred_sd"] = math.sqrt(out["mu_sd"] ** 2 + E(T**2 + 0 * M))
        shrink = []
        for yi, vi in zip(self.y, self.v, strict=True):
            b = vi / (vi + T**2)
            A = (1 - b) * yi + b * M
            C2 = vi * T**2 / (vi + T**2)
            mean = E(A)
            shrink.append({"mean": mean, "sd": math.sqrt(E(C2 + 0 * M) + E((A - mean) ** 2))})
        out["shrink"] = shrink
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
    return brentq(lambda x: cdf(x) - p, lo, hi, xtol=1e-13, rtol=1e-15, maxiter=300)


def _shortest(cdf, pdf, level, lo, hi, lower_bound=None):
    q = functools.cache(lambda p: _quantile(cdf, p, lo, hi))
    if lower_bound is not None:
        top = q(level)
        if pdf(lower_bound) >= pdf(top):
            return [lower_bound, top]
    h = lambda p: pdf(q(p)) - pdf(q(p + level))  # noqa: E731
    eps = (1 - level) * 1e-3  # the root lies well inside for these examples (brentq checks the signs)
    p = brentq(h, eps, 1 - level - eps, xtol=1e-14, maxiter=300)
    return [q(p), q(p + level)]


def analyse(ex, n):
    g = Posterior(ex, n)
    out = {"grid_n": n, "edge_density_ratio": g.edge}
    mom = g.moments()
    lo, hi = mom["mu_mean"] - 3 * mom["mu_sd"], mom["mu_mean"] + 3 * mom["mu_sd"]
    if not math.isfinite(lo):
        lo, hi = g.hull
    S = ex["S"]
    tau_cdf = lambda t: g.tau_cdf(max(t, 0.0))  # noqa: E731
    tau_pdf = lambda t: g.tau_density(max(t, 0.0))  # noqa: E731
    out["mu_median"] = _quantile(g.mu_cdf, 0.5, lo, hi)
    out["mu_central"] = [_quantile(g.mu_cdf, (1 - LEVEL) / 2, lo, hi), _quantile(g.mu_cdf, (1 + LEVEL) / 2, lo, hi)]
    out["mu_shortest"] = _shortest(g.mu_cdf, g.mu_density, LEVEL, lo, hi)
    out["mu_shortest_90"] = _shortest(g.mu_cdf, g.mu_density, 0.90, lo, hi)
    out["tau_median"] = _quantile(tau_cdf, 0.5, 0.0, 10 * S)
    out["tau_central"] = [
        _quantile(tau_cdf, (1 - LEVEL) / 2, 0.0, 10 * S),
        _quantile(tau_cdf, (1 + LEVEL) / 2, 0.0, 10 * S),
    ]
    out["tau_shortest"] = _shortest(tau_cdf, tau_pdf, LEVEL, 0.0, 10 * S, lower_bound=0.0)
    out["tau_q99"] = _quantile(tau_cdf, 0.99, 0.0, 10 * S)
    xs_mu = [*list(np.linspace(out["mu_central"][0], out["mu_central"][1], 5)), 0.0]
    out["mu_points"] = xs_mu
    out["mu_density_at"] = [g.mu_density(x) for x in xs_mu]
    out["mu_cdf_at"] = [g.mu_cdf(x) for x in xs_mu]
    xs_tau = [0.0, 0.5 * out["tau_median"], out["tau_median"], 2 * out["tau_median"]]
    out["tau_points"] = xs_tau
    out["tau_density_at"] = [tau_pdf(x) for x in xs_tau]
    out["tau_cdf_at"] = [tau_cdf(x) for x in xs_tau]
    out.update(mom)
    if ex["mu_prior"] is not None and ex["tau_prior"][0] != "uniform":  # proper priors: marginal likelihoods
        lo0, hi0 = g.mu_range(0.0)
        M, WM = _nodes(lo0, hi0, n)
        lj_tau0 = stats.norm.logpdf(M, *ex["mu_prior"]) + sum(
            stats.norm.logpdf(yi, loc=M, scale=math.sqrt(vi)) for yi, vi in zip(g.y, g.v, strict=True)
        )
        p_tau0 = float(np.sum(np.exp(lj_tau0 - g.c) * WM))
        tau = g.tau
        lj_mu0 = _log_prior_tau(tau, *ex["tau_prior"]) + sum(
            stats.norm.logpdf(yi, loc=0.0, scale=np.sqrt(vi + tau**2)) for yi, vi in zip(g.y, g.v, strict=True)
        )
        p_mu0 = float(np.exp(lj_mu0 - g.c) @ g.wt)
        out["log_marginal_likelihood"] = g.log_py
        out["bf_tau0"] = p_tau0 / g.Z
        out["bf_mu0"] = p_mu0 / g.Z
    for which, i in [("pred", None)] + [("shrink", i) for i in range(g.k)]:
        row = out if which == "pred" else out["shrink"][i]
        key = "pred_" if which == "pred" else ""
        mean, sd = row[key + "mean"], row[key + "sd"]
        cdf = functools.cache(lambda x, which=which, i=i: g.theta_cdf_pdf(x, which, i))
        F = lambda x, cdf=cdf: cdf(x)[0]  # noqa: E731
        f = lambda x, cdf=cdf: cdf(x)[1]  # noqa: E731
        lo, hi = mean - 3 * sd, mean + 3 * sd
        row[key + "median"] = _quantile(F, 0.5, lo, hi)
        row[key + "shortest"] = _shortest(F, f, LEVEL, lo, hi)
        if which == "pred":
            row["pred_central"] = [_quantile(F, (1 - LEVEL) / 2, lo, hi), _quantile(F, (1 + LEVEL) / 2, lo, hi)]
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
    all_examples = {**EXAMPLES, **_lupus_examples()}
    names = argv[1:] or list(all_examples)
    examples = {}
    worst = 0.0
    t_start = time.process_time()
    for name in names:
        ex = all_examples[name]
        t0 = time.process_time()
        fine = analyse(ex, GRID_N)
        check = analyse(ex, GRID_CHECK)
        a, b = _flatten(fine), _flatten(check)
        diff = max(abs(a[k] - b[k]) for k in a if k in b and math.isfinite(a[k]))
        worst = max(worst, diff)
        fine["resolution_check"] = diff
        fine["check_grid_n"] = GRID_CHECK
        data = {key: ex[key] for key in ("labels", "yi", "vi")}
        data.update(tau_prior=ex["tau_prior"][0], tau_prior_params=ex["tau_prior"][1], mu_prior=ex["mu_prior"])
        examples[name] = {"data": data, "reference": fine}
        print(
            f"{name}: {time.process_time() - t0:.0f} CPU s, N={GRID_N} vs N={GRID_CHECK}: max abs diff {diff:.2e}, "
            f"edge density ratio {fine['edge_density_ratio']:.1e}",
            flush=True,
        )
    cpu = time.process_time() - t_start
    OUT.write_text(
        json.dumps(
            {
                "_comment": "do not edit; generated by tests/reference/bayesmeta_reference.py "
                "(brute-force 2-D Gauss-Legendre quadrature over (mu, tau), numpy + scipy; lupusstats only "
                "loads the data sets)",
                "generated": datetime.date.today().isoformat(),
                "python": platform.python_version(),
                "numpy": np.__version__,
                "scipy": sys.modules["scipy"].__version__,
                "credible_level": LEVEL,
                "grid_n": GRID_N,
                "check_grid_n": GRID_CHECK,
                "max_resolution_check": worst,
                "cpu_seconds": round(cpu),
                "examples": examples,
            },
            indent=1,
        )
        + "\n"
    )
    print(f"wrote {OUT} ({cpu:.0f} CPU s)")


if __name__ == "__main__":
    main(sys.argv)
