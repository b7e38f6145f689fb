"""Calibration of every test and interval in the package, by simulation.

:func:`validate_methods` draws data for which each method's assumptions hold
(and, for a few methods, data for which they are known not to hold, or a size
at which the method is known to deviate -- marked ``expected_valid = False``),
runs the package's own public functions, and reports the type I error under the
null and the coverage of the confidence interval under an alternative, each
with a Clopper--Pearson Monte Carlo interval and a flag when the nominal value
lies outside it.

The settings are those the notebooks use: the nephritis induction design of
``preset("nephritis_induction")`` (185 patients per arm, 24 weeks, its flare
rate, over-dispersion, dropout and severity mix) for the count models, the
over-dispersion test, the severity comparisons, the proportional-odds model,
the survival methods and the 2x2 effect sizes; 6 vs 12 patients (a Deng 2017
sized trial, notebook 06) for the count models; and k = 2, 3 and 4 studies of
unequal precision with large heterogeneity (the MSC response studies of
notebook 05) for the meta-analysis and its prediction interval.

The true value behind every coverage row is computed, not estimated: closed
forms of the simulator's model (gamma-Poisson survival for time to first
flare, its restricted mean, the worst-flare and flare-level severity mixes by
Gauss--Hermite and Gauss--Legendre quadrature) or the parameters the data are
drawn from.

The default run takes a minute or two; ``n_trials`` per family trades time for
precision (``benchmarks/bench_power.py --validate N`` for the precise run).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from lupusstats import effects, evidence, rates, severity, survival
from lupusstats._core import inference as _inf
from lupusstats._core import validation as _v
from lupusstats._core.types import RNGLike
from lupusstats.cohort import columns as C
from lupusstats.evidence import meta
from lupusstats.model.presets import preset
from lupusstats.model.scenario import Arm, Scenario
from lupusstats.model.simulate import simulate_trials
from lupusstats.model.targets import PRESET_TARGETS
from lupusstats.power import trial_tables

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["VALIDATION_FAMILIES", "validate_methods"]

#: Method families checked by :func:`validate_methods`, in the order of the table.  Each draws
#: from its own random stream (spawned by position), so a family appended at the end leaves the
#: numbers of the others unchanged.
VALIDATION_FAMILIES = (
    "rate_tests",
    "rate_models",
    "overdispersion",
    "effect_sizes",
    "survival",
    "severity",
    "proportional_odds",
    "meta_analysis",
    "bayes_meta_analysis",
    "recurrent",
)

#: Simulated data sets per method and criterion for each family when ``n_trials`` is not given:
#: more where the analysis is vectorised, fewer where each data set needs a model fit.
DEFAULT_N_TRIALS = {
    "rate_tests": 1000,
    "rate_models": 4000,
    "overdispersion": 1000,
    "effect_sizes": 500,
    "survival": 1000,
    "severity": 4000,
    "proportional_odds": 200,
    "meta_analysis": 1000,
    "bayes_meta_analysis": 1000,
    "recurrent": 400,
}


def _row(family, method, criterion, scenario, hits, n, nominal, *, call, expected_valid=True, note="", n_undefined=0):
    return {
        "family": family,
        "method": method,
        "criterion": criterion,
        "scenario": scenario,
        "nominal": nominal,
        "hits": int(hits),
        "n": int(n),
        "n_undefined": int(n_undefined),
        "expected_valid": bool(expected_valid),
        "note": note,
        "call": call,
    }


def _reject(p, alpha: float) -> tuple[int, int, int]:
    """Rejections at `alpha`, defined p-values, undefined (NaN) p-values."""
    p = np.asarray(p, dtype=float)
    ok = np.isfinite(p)
    return int((p[ok] < alpha).sum()), int(ok.sum()), int((~ok).sum())


def _cover(low, high, truth):
    """Intervals containing `truth` (scalar or one per interval), defined intervals, undefined ones."""
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    truth = np.broadcast_to(np.asarray(truth, dtype=float), low.shape)
    ok = ~(np.isnan(low) | np.isnan(high))
    covered = (low[ok] <= truth[ok]) & (truth[ok] <= high[ok])
    return int(covered.sum()), int(ok.sum()), int((~ok).sum())


# --------------------------------------------------------------------------- the notebooks' design
def _nephritis():
    """The nephritis induction design of notebooks 02-06 (``preset("nephritis_induction")``)."""
    base = preset("nephritis_induction")
    reference = base.arms[0]
    return {
        "n": int(base.n_per_arm[0]),
        "rate": float(base.baseline_flare_rate),
        "dispersion": float(base.dispersion),
        "followup": float(base.followup_years),
        "dropout": float(reference.dropout_rate),
        "severity_probs": tuple(float(p) for p in base.severity_probs),
        # ALMS week-24 renal response per arm, as published (the targets the preset's visits are fitted to)
        "response": {
            t.arm: float(t.value)
            for t in PRESET_TARGETS["nephritis_induction"]["fitted"].values()  # type: ignore[attr-defined]
        },
        "reference": reference.name,
        "base": base,
    }


def _describe(d, n=None):
    n = d["n"] if n is None else n
    return (
        f"nephritis induction design: {n} per arm, {d['rate']:.2f} flares/yr, NB dispersion {d['dispersion']:g}, "
        f"{d['followup'] * 52.18:.0f} weeks, dropout {d['dropout']:.2f}/yr"
    )


def _two_arms(d, *, rate_ratio=1.0, severity_or=1.0, severity_patient_sd=0.0, dispersion=None, n=None):
    """Reference and treated arm of the nephritis design (no treatment-related deaths)."""
    arms = [
        Arm("reference", dropout_rate=d["dropout"]),
        Arm("treated", flare_rate_ratio=rate_ratio, severity_odds_ratio=severity_or, dropout_rate=d["dropout"]),
    ]
    return Scenario(
        arms,
        n_per_arm=d["n"] if n is None else n,
        baseline_flare_rate=d["rate"],
        dispersion=d["dispersion"] if dispersion is None else dispersion,
        followup_years=d["followup"],
        severity_probs=d["severity_probs"],
        severity_patient_sd=severity_patient_sd,
    )


# --------------------------------------------------------------------------- true values of the simulator's model
def _gamma_poisson_survival(rate, dispersion, t):
    """P(no event by `t`) for a Poisson process of intensity ``rate * u``, ``u ~ Gamma(mean 1, var dispersion)``."""
    if dispersion < 1e-12:
        return math.exp(-rate * t)
    return (1.0 + dispersion * rate * t) ** (-1.0 / dispersion)


def _gamma_poisson_rmst(rate, dispersion, tau):
    """Restricted mean time to the first event up to `tau`: the integral of :func:`_gamma_poisson_survival`."""
    a = dispersion
    if a < 1e-12:
        return -math.expm1(-rate * tau) / rate
    if abs(a - 1.0) < 1e-9:
        return math.log1p(rate * tau) / rate
    return ((1.0 + a * rate * tau) ** (1.0 - 1.0 / a) - 1.0) / (rate * (a - 1.0))


def _expit(x):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))


def _logit(p):
    return math.log(p) - math.log1p(-p)


def _severity_given_shift(probs, eta):
    """Mild / moderate / severe probabilities, shape ``eta.shape + (3,)``, when the cumulative logits
    of the mix `probs` are shifted by `eta` (the simulator's proportional-odds model)."""
    _, p_mod, p_sev = probs
    ge_moderate = _expit(_logit(p_mod + p_sev) + eta)
    severe = _expit(_logit(p_sev) + eta)
    return np.stack([1.0 - ge_moderate, ge_moderate - severe, severe], axis=-1)


def _normal_nodes(n=64):
    """Gauss-Hermite nodes and weights (summing to 1) for the standard normal."""
    x, w = np.polynomial.hermite_e.hermegauss(n)
    return x, w / w.sum()


def _flare_severity_mix(probs, log_or, patient_sd):
    """Severity distribution of a random flare: the mix averaged over the patient effect ``N(0, sd^2)``.

    Flares weigh by patient frequency, but the severity effect is independent of
    the frailty and the follow-up, so the flare-weighted mix is the plain average.
    """
    x, w = _normal_nodes()
    return w @ _severity_given_shift(probs, log_or + patient_sd * x)


def _followup_nodes(followup, dropout, n=48):
    """Nodes and weights for E[g(T)] with T = min(followup, Exponential(dropout))."""
    if dropout <= 0:
        return np.array([followup]), np.array([1.0])
    u, v = np.polynomial.legendre.leggauss(n)
    t = 0.5 * followup * (u + 1.0)
    w = 0.5 * followup * v * dropout * np.exp(-dropout * t)
    return np.append(t, followup), np.append(w, math.exp(-dropout * followup))


def _worst_severity_mix(probs, log_or, patient_sd, rate, dispersion, followup, dropout):
    """P(worst flare = none, mild, moderate, severe) of a simulated patient (no treatment-related deaths).

    Given the patient effect ``b`` and the follow-up ``T``, flares at or below a
    level form a thinned gamma-Poisson process, so ``P(worst <= level) =
    E[(1 + dispersion * rate * T * (1 - s(b)))^(-1/dispersion)]`` with ``s(b)``
    the probability that a flare is at or below the level.
    """
    x, wx = _normal_nodes()
    p = _severity_given_shift(probs, log_or + patient_sd * x)  # (G, 3)
    below = np.stack([np.zeros(x.size), p[:, 0], p[:, 0] + p[:, 1]], axis=1)  # P(flare <= none, mild, moderate)
    t, wt = _followup_nodes(followup, dropout)
    mean_above = rate * t[:, None, None] * (1.0 - below[None])  # (T, G, 3)
    if dispersion < 1e-12:
        pgf = np.exp(-mean_above)
    else:
        pgf = (1.0 + dispersion * mean_above) ** (-1.0 / dispersion)
    cdf = np.einsum("t,g,tgj->j", wt, wx, pgf)
    return np.diff(np.concatenate([[0.0], cdf, [1.0]]))


def _superiority(px, py):
    """``P(X > Y) + P(X = Y) / 2`` for independent X ~ `px`, Y ~ `py` on the same ordered levels."""
    px, py = np.asarray(px, dtype=float), np.asarray(py, dtype=float)
    below = np.cumsum(py) - py
    return float(px @ (below + 0.5 * py))


def _po_pseudo_true(mix_reference, mix_treated, weight_treated=0.5):
    """Log common odds ratio that the proportional-odds fit converges to, from the two arms' severity mixes.

    Maximises the expected cumulative-logit log-likelihood ``P(Y <= k) = expit(c_k - beta x)``
    (``x = 1`` treated; OR = exp(beta) > 1 more severe), flares weighted by the arms'
    expected shares `weight_treated`.  When the mixes follow a proportional-odds
    model exactly this is its log odds ratio; with a patient effect on severity the
    flare-level (population-averaged) odds ratio is attenuated towards 1.
    """
    from scipy.optimize import minimize

    mixes = ((np.asarray(mix_reference), 0.0, 1.0 - weight_treated), (np.asarray(mix_treated), 1.0, weight_treated))

    def loss(par):
        c1, c2, beta = par[0], par[0] + math.exp(par[1]), par[2]
        out = 0.0
        for mix, x, w in mixes:
            f1, f2 = _expit(c1 - beta * x), _expit(c2 - beta * x)
            out -= w * float(mix @ np.log([f1, f2 - f1, 1.0 - f2]))
        return out

    res = minimize(loss, x0=np.zeros(3), method="BFGS", options={"gtol": 1e-10})
    return float(res.x[2])


# --------------------------------------------------------------------------- rate-ratio tests (Poisson totals)
def _rate_tests(rng, n_trials, alpha, cl):
    t1, t2, r2, rr = 12.0, 10.0, 0.5, 0.5
    scen = f"Poisson totals, exposure 12 vs 10 py, reference rate {r2}/py (about 5 events per arm)"
    rows = []
    draws = {}
    for label, ratio in (("null", 1.0), ("alt", rr)):
        draws[label] = np.stack([rng.poisson(r2 * ratio * t1, n_trials), rng.poisson(r2 * t2, n_trials)], axis=1)
    names = {
        "exact": "Poisson rate ratio, exact conditional",
        "midp": "Poisson rate ratio, mid-p",
        "score": "Poisson rate ratio, score",
        "wald": "Poisson rate ratio, Wald",
    }
    notes = {
        "exact": "discrete conditional test: conservative by construction at small counts",
        "midp": "mid-p: close to nominal on average, not guaranteed",
        "score": "score test (statsmodels p-value); the interval inverts it exactly, lower limit 0 at a zero count",
        "wald": "undefined with a zero count (counted in n_undefined); the interval over-covers at small counts",
    }
    # Expected to attain the nominal level: mid-p and score.  The exact test is conservative
    # by construction; the Wald interval drops zero counts and over-covers at about 5 events.
    valid = {"exact": False, "midp": True, "score": True, "wald": False}
    for method in ("exact", "midp", "score", "wald"):
        cache: dict = {}

        def run(x1, x2, _m=method, _c=cache):
            key = (int(x1), int(x2))
            if key not in _c:
                try:
                    res = rates.rate_ratio_test(key[0], t1, key[1], t2, method=_m, confidence_level=cl)
                    _c[key] = (res.pvalue, *res.confidence_interval())
                except ValueError:  # e.g. Wald with a zero count: undefined
                    _c[key] = (math.nan, math.nan, math.nan)
            return _c[key]

        with warnings.catch_warnings():  # statsmodels' score test warns on a zero count
            warnings.simplefilter("ignore", RuntimeWarning)
            null = np.array([run(*xy) for xy in draws["null"]])
            alt = np.array([run(*xy) for xy in draws["alt"]])
        call = f"rate_ratio_test(method={method!r})"
        kw = dict(call=call, note=notes[method], expected_valid=valid[method])
        k, n, u = _reject(null[:, 0], alpha)
        rows.append(
            _row("rate_tests", names[method], "type I error", scen + ", RR 1", k, n, alpha, n_undefined=u, **kw)
        )
        k, n, u = _cover(alt[:, 1], alt[:, 2], rr)
        rows.append(_row("rate_tests", names[method], "coverage", scen + f", RR {rr}", k, n, cl, n_undefined=u, **kw))
    # misspecified: the exact Poisson test on over-dispersed patient counts
    sc = Scenario(
        [Arm("reference"), Arm("treated")], n_per_arm=40, baseline_flare_rate=1.0, dispersion=0.5, followup_years=1.0
    )
    b = simulate_trials(sc, n_trials, rng=rng)
    tr = b.arm == 1
    x1, x2 = b.n_flares[:, tr].sum(axis=1), b.n_flares[:, ~tr].sum(axis=1)
    e1, e2 = b.followup_years[:, tr].sum(axis=1), b.followup_years[:, ~tr].sum(axis=1)
    seen = {}  # fixed follow-up, no dropout: the same totals recur

    def exact_p(key):
        if key not in seen:
            seen[key] = rates.rate_ratio_test(key[0], key[2], key[1], key[3]).pvalue
        return seen[key]

    p = [exact_p((int(a), int(bb), float(c), float(d))) for a, bb, c, d in zip(x1, x2, e1, e2, strict=True)]
    rows.append(
        _row(
            "rate_tests",
            "Poisson rate ratio, exact, on over-dispersed counts",
            "type I error",
            "NB patient counts (dispersion 0.5), 40 per arm, 1 year: assumption violated",
            *_reject(p, alpha)[:2],
            alpha,
            call="rate_ratio_test(method='exact')",
            expected_valid=False,
            note="Poisson tests ignore over-dispersion: expected anti-conservative",
        )
    )
    return rows


# --------------------------------------------------------------------------- rate models (vectorised)
_RATE_MODEL_NAMES = {
    "negbin": "NB rate ratio (Wald)",
    "poisson": "Poisson GLM rate ratio",
    "quasipoisson": "quasi-Poisson rate ratio",
    "robust": "Poisson rate ratio, robust SE",
}


def _rate_models(rng, n_trials, alpha, cl):
    d = _nephritis()
    rr = 0.7
    rows = []
    settings = (
        # label suffix, scenario description, sizes, follow-up, dropout, expected valid per model, notes
        (
            f"{d['n']} per arm",
            _describe(d),
            d["n"],
            d["followup"],
            d["dropout"],
            {"negbin": True, "poisson": False, "quasipoisson": True, "robust": True},
            {
                "poisson": "Poisson GLM ignores over-dispersion: expected anti-conservative",
                "quasipoisson": "variance proportional to the mean: approximate under NB2 with unequal exposure",
                "robust": "sandwich SEs: valid asymptotically, liberal in small samples",
            },
        ),
        (
            "6 vs 12 patients",
            f"Deng 2017-sized trial (notebook 06): 6 vs 12 patients, 26 weeks, {d['rate']:.2f} flares/yr, "
            f"NB dispersion {d['dispersion']:g}, no dropout",
            [6, 12],
            0.5,
            0.0,
            dict.fromkeys(rates.RATE_MODELS, False),
            dict.fromkeys(rates.RATE_MODELS, "18 patients: large-sample (Wald) inference, no small-sample guarantee"),
        ),
    )
    for suffix, scen, n, followup, dropout, valid, notes in settings:
        batches = {}
        for label, ratio in (("null", 1.0), ("alt", rr)):
            sc = Scenario(
                [Arm("reference", dropout_rate=dropout), Arm("treated", flare_rate_ratio=ratio, dropout_rate=dropout)],
                n_per_arm=n,
                baseline_flare_rate=d["rate"],
                dispersion=d["dispersion"],
                followup_years=followup,
            )
            batches[label] = simulate_trials(sc, n_trials, rng=rng)
        for model in rates.RATE_MODELS:
            name = f"{_RATE_MODEL_NAMES[model]}, {suffix}"
            kw = dict(call=f"compare_rates(model={model!r})", expected_valid=valid[model], note=notes.get(model, ""))
            with warnings.catch_warnings():  # tiny trials: fits at the boundary warn
                warnings.simplefilter("ignore", RuntimeWarning)
                res = {
                    k: rates.compare_rates_batch(
                        b.n_flares, b.followup_years, b.arm == 1, model=model, confidence_level=cl
                    )
                    for k, b in batches.items()
                }
            k, m, u = _reject(res["null"].pvalue, alpha)
            rows.append(_row("rate_models", name, "type I error", scen + ", RR 1", k, m, alpha, n_undefined=u, **kw))
            k, m, u = _cover(res["alt"].ci_low, res["alt"].ci_high, rr)
            rows.append(_row("rate_models", name, "coverage", scen + f", RR {rr}", k, m, cl, n_undefined=u, **kw))
    return rows


# --------------------------------------------------------------------------- over-dispersion test (notebook 02)
def _overdispersion(rng, n_trials, alpha, cl):
    import pandas as pd

    d = _nephritis()
    sc = d["base"].replace(dispersion=0.0)  # the three-arm preset with Poisson counts
    b = simulate_trials(sc, n_trials, rng=rng)
    arm = pd.Categorical.from_codes(b.arm, categories=list(b.arm_names))  # type: ignore[call-overload]  # stubs want an Index
    scen = (
        f"Poisson counts (dispersion 0) in the three-arm nephritis preset: {d['n']} per arm, "
        f"{d['followup'] * 52.18:.0f} weeks with its dropout and deaths"
    )
    p: dict[str, list[float]] = {"lr": [], "cameron-trivedi": []}
    for i in range(n_trials):
        patients = pd.DataFrame({C.N_FLARES: b.n_flares[i], C.FOLLOWUP_YEARS: b.followup_years[i], C.ARM: arm})
        for method in p:
            p[method].append(rates.overdispersion_test(patients, method=method).pvalue)
    rows = []
    # Both are large-sample approximations; with under one flare per patient the benchmark run finds
    # both conservative, so they are not expected at the nominal level here.
    for method, name, note in (
        (
            "lr",
            "over-dispersion LR test (chi-bar-square)",
            "dispersion 0 is on the boundary: p = P(chi2_1 > LR) / 2, a large-sample approximation; "
            "conservative with under one flare per patient",
        ),
        (
            "cameron-trivedi",
            "over-dispersion test (Cameron-Trivedi)",
            "regression-based score test, one-sided normal approximation; conservative with under one flare per "
            "patient",
        ),
    ):
        k, n, u = _reject(p[method], alpha)
        call = f"overdispersion_test(method={method!r})"
        rows.append(
            _row(
                "overdispersion",
                name,
                "type I error",
                scen,
                k,
                n,
                alpha,
                n_undefined=u,
                call=call,
                expected_valid=False,
                note=note,
            )
        )
    return rows


# --------------------------------------------------------------------------- effect sizes
def _nnt_covers(res, truth):
    """Whether the NNT interval of `res` contains `truth` (an interval through infinity is two rays)."""
    lo, hi = res.confidence_interval()
    if math.isnan(lo) or math.isnan(hi):
        return None
    if res.includes_infinity:
        return truth <= lo or truth >= hi
    return lo <= truth <= hi


def _effect_sizes(rng, n_trials, alpha, cl):
    d = _nephritis()
    n = d["n"]
    rows = []
    delta = 0.3
    scen = f"normal outcomes, {n} per group (the effect card's Hedges' g)"
    for fn, name in ((effects.cohens_d, "Cohen's d (noncentral t)"), (effects.hedges_g, "Hedges' g (noncentral t)")):
        p, low, high = [], [], []
        for _ in range(n_trials):
            p.append(fn(rng.standard_normal(n), rng.standard_normal(n), confidence_level=cl).pvalue)
            lo, hi = fn(
                delta + rng.standard_normal(n), rng.standard_normal(n), confidence_level=cl
            ).confidence_interval()
            low.append(lo)
            high.append(hi)
        kw = dict(call=fn.__name__)
        rows.append(_row("effect_sizes", name, "type I error", scen + ", delta 0", *_reject(p, alpha)[:2], alpha, **kw))
        k, m, u = _cover(low, high, delta)
        rows.append(_row("effect_sizes", name, "coverage", scen + f", delta {delta}", k, m, cl, n_undefined=u, **kw))
    # 2x2 tables: the ALMS renal response of the preset's two ALMS arms (MMF 104/185, IVC 98/185), a responder
    # endpoint as the effect card reports it
    names = [name for name in d["response"] if name != d["reference"]]
    p_ref, p_trt = d["response"][d["reference"]], d["response"][names[-1]]
    scen2 = f"binomial, {n} per group (ALMS renal response, as the effect card)"
    truths = {
        "risk_ratio": p_trt / p_ref,
        "odds_ratio": (p_trt / (1 - p_trt)) / (p_ref / (1 - p_ref)),
        "risk_difference": p_trt - p_ref,
    }
    e_null = rng.binomial(n, p_ref, size=(n_trials, 2))
    e_alt = np.stack([rng.binomial(n, p_trt, n_trials), rng.binomial(n, p_ref, n_trials)], axis=1)
    for fname, method, name, note in (
        ("risk_ratio", "katz", "risk ratio (Katz log interval)", "Wald z test of log RR"),
        ("odds_ratio", "woolf", "odds ratio (Woolf log interval)", "Wald z test of log OR"),
        ("risk_difference", "wald", "risk difference (Wald)", "Wald z test"),
        (
            "risk_difference",
            "newcombe",
            "risk difference (Newcombe)",
            "Newcombe hybrid score interval; chi-square test",
        ),
    ):
        fn = getattr(effects, fname)
        p = [fn(int(a), n, int(b), n, method=method, confidence_level=cl).pvalue for a, b in e_null]
        cis = np.array(
            [
                tuple(fn(int(a), n, int(b), n, method=method, confidence_level=cl).confidence_interval())
                for a, b in e_alt
            ]
        )
        kw = dict(call=f"{fname}(method={method!r})", note=note)
        rows.append(
            _row(
                "effect_sizes",
                name,
                "type I error",
                scen2 + f", risks {p_ref:.3f} vs {p_ref:.3f}",
                *_reject(p, alpha)[:2],
                alpha,
                **kw,
            )
        )
        k, m, u = _cover(cis[:, 0], cis[:, 1], truths[fname])
        rows.append(
            _row(
                "effect_sizes",
                name,
                "coverage",
                scen2 + f", risks {p_trt:.3f} vs {p_ref:.3f}",
                k,
                m,
                cl,
                n_undefined=u,
                **kw,
            )
        )
    # number needed to treat: coverage of the true NNT (response is desirable), interval through infinity included
    nnt_true = math.inf if p_trt == p_ref else 1.0 / (p_trt - p_ref)
    for method in ("wald", "newcombe"):
        hits = [
            _nnt_covers(
                effects.number_needed_to_treat(
                    int(a), n, int(b), n, method=method, outcome="desirable", confidence_level=cl
                ),
                nnt_true,
            )
            for a, b in e_alt
        ]
        ok = [h for h in hits if h is not None]
        rows.append(
            _row(
                "effect_sizes",
                f"NNT (inverted {method.capitalize()} RD interval)",
                "coverage",
                scen2 + f", risks {p_trt:.3f} vs {p_ref:.3f}, true NNT {nnt_true:.1f}",
                sum(ok),
                len(ok),
                cl,
                n_undefined=len(hits) - len(ok),
                call=f"number_needed_to_treat(method={method!r}, outcome='desirable')",
                note="Altman: an RD interval containing 0 gives an NNT interval through infinity",
            )
        )
    return rows


# --------------------------------------------------------------------------- survival (notebook 04)
def _first_severe(b):
    event = ~np.isnan(b.first_severe_flare_years)
    time = np.where(event, b.first_severe_flare_years, b.followup_years)
    return time, event.astype(int)


def _km_at(time, event, t0, cl):
    """Kaplan-Meier interval (default log-log) at `t0`; (1, 1) before the first event, NaN where undefined."""
    km = survival.kaplan_meier(time, event, confidence_level=cl)
    times = km["time"].to_numpy()
    i = int(np.searchsorted(times, t0, side="right")) - 1
    if i < 0:
        return 1.0, 1.0
    return float(km["ci_low"].iloc[i]), float(km["ci_high"].iloc[i])


def _survival(rng, n_trials, alpha, cl):
    d = _nephritis()
    hr = 0.7
    p_sev = d["severity_probs"][2]
    rate_ref = d["rate"] * p_sev
    tau, t0 = d["followup"], d["followup"] / 2
    scen = f"time to first severe flare, {_describe(d)}"
    batches = {
        label: simulate_trials(_two_arms(d, rate_ratio=ratio), n_trials, rng=rng)
        for label, ratio in (("null", 1.0), ("alt", hr))
    }
    rows = []
    treated = batches["null"].arm == 1
    group = treated.astype(int)
    time, event = _first_severe(batches["null"])
    lr = survival.logrank_batch(time, event, treated)
    k, n, u = _reject(lr.pvalue, alpha)
    rows.append(
        _row("survival", "log-rank test", "type I error", scen + ", no effect", k, n, alpha, n_undefined=u,
             call="logrank_batch", note="vectorised twin of logrank (equal on each trial)")
    )  # fmt: skip
    p_cox, p_rmst = [], []
    for i in range(n_trials):
        try:
            p_cox.append(survival.cox_hazard_ratio(time[i], event[i], group, reference=0).pvalue)
        except ValueError:
            p_cox.append(math.nan)
        try:
            p_rmst.append(survival.rmst_difference(time[i], event[i], group, reference=0, tau=tau).pvalue)
        except ValueError:
            p_rmst.append(math.nan)
    k, n, u = _reject(p_cox, alpha)
    rows.append(
        _row("survival", "Cox hazard ratio (Wald)", "type I error", scen + ", no effect", k, n, alpha, n_undefined=u,
             call="cox_hazard_ratio", note="Efron ties")
    )  # fmt: skip
    k, n, u = _reject(p_rmst, alpha)
    rows.append(
        _row("survival", "RMST difference (Wald)", "type I error", scen + f", no effect, tau {tau:.2f} yr", k, n,
             alpha, n_undefined=u, call="rmst_difference")
    )  # fmt: skip
    # coverage under a flare-rate ratio: KM at t0 (each arm), RMST difference up to tau
    time, event = _first_severe(batches["alt"])
    arm_rates = (rate_ref, rate_ref * hr)
    s_true = [_gamma_poisson_survival(r, d["dispersion"], t0) for r in arm_rates]
    rmst_true = _gamma_poisson_rmst(arm_rates[1], d["dispersion"], tau) - _gamma_poisson_rmst(
        arm_rates[0], d["dispersion"], tau
    )
    km_low, km_high, km_truth, r_low, r_high = [], [], [], [], []
    for i in range(n_trials):
        for g in (0, 1):
            lo, hi = _km_at(time[i][group == g], event[i][group == g], t0, cl)
            km_low.append(lo)
            km_high.append(hi)
            km_truth.append(s_true[g])
        try:
            lo, hi = survival.rmst_difference(
                time[i], event[i], group, reference=0, tau=tau, confidence_level=cl
            ).confidence_interval()
        except ValueError:
            lo = hi = math.nan
        r_low.append(lo)
        r_high.append(hi)
    alt = f", flare-rate ratio {hr} (not proportional hazards)"
    k, n, u = _cover(km_low, km_high, km_truth)
    rows.append(
        _row("survival", "Kaplan-Meier pointwise interval (log-log)", "coverage",
             scen + alt + f", S(t) at t = {t0:.2f} yr in each arm (true {s_true[0]:.3f}, {s_true[1]:.3f})", k, n, cl,
             n_undefined=u, call="kaplan_meier(method='log-log')",
             note="true S(t) of the gamma-Poisson model (1 + a r t)^(-1/a); both arms pooled")
    )  # fmt: skip
    k, n, u = _cover(r_low, r_high, rmst_true)
    rows.append(
        _row("survival", "RMST difference (Wald)", "coverage",
             scen + alt + f", tau {tau:.2f} yr (true difference {rmst_true:.4f} yr)", k, n, cl, n_undefined=u,
             call="rmst_difference", note="true RMST: integral of the gamma-Poisson survival")
    )  # fmt: skip
    # Cox coverage needs proportional hazards: exponential times at the design's severe-flare hazard
    n_per = d["n"]
    cox_group = np.repeat([0, 1], n_per)
    hazard = rate_ref * np.where(cox_group == 1, hr, 1.0)
    low, high = [], []
    for _ in range(n_trials):
        t = rng.exponential(1.0 / hazard)
        dropout = rng.exponential(1.0 / d["dropout"], 2 * n_per) if d["dropout"] > 0 else np.inf
        c = np.minimum(d["followup"], dropout)
        try:
            lo, hi = survival.cox_hazard_ratio(
                np.minimum(t, c), (t <= c).astype(int), cox_group, reference=0, confidence_level=cl
            ).confidence_interval()
        except ValueError:
            lo = hi = math.nan
        low.append(lo)
        high.append(hi)
    k, n, u = _cover(low, high, hr)
    rows.append(
        _row("survival", "Cox hazard ratio (Wald)", "coverage",
             f"exponential times at the severe-flare hazard {rate_ref:.2f}/yr, {n_per} per arm, censored at "
             f"{d['followup']:.2f} yr and by dropout {d['dropout']:.2f}/yr, HR {hr}", k, n, cl, n_undefined=u,
             call="cox_hazard_ratio", note="proportional hazards hold")
    )  # fmt: skip
    return rows


# --------------------------------------------------------------------------- severity (vectorised; notebook 03)
_SEVERITY_SD, _SEVERITY_OR = 1.0, 0.5  # notebook 03: patient effect SD 1 on the log-odds; hypothetical OR 0.5


def _severity_counts(b):
    mild = b.n_flares - b.n_moderate_flares - b.n_severe_flares
    return np.stack([mild, b.n_moderate_flares, b.n_severe_flares], axis=-1)


def _severity(rng, n_trials, alpha, cl):
    d = _nephritis()
    sd, odds = _SEVERITY_SD, _SEVERITY_OR
    scen = f"mild/moderate/severe flares, {_describe(d)}, patient effect SD {sd:g} on the severity log-odds"
    log_or = math.log(odds)
    flare_truth = _superiority(
        _flare_severity_mix(d["severity_probs"], log_or, sd), _flare_severity_mix(d["severity_probs"], 0.0, sd)
    )
    worst = [
        _worst_severity_mix(d["severity_probs"], lo, sd, d["rate"], d["dispersion"], d["followup"], d["dropout"])
        for lo in (0.0, log_or)
    ]
    patient_truth = _superiority(worst[1], worst[0])
    batches = {
        label: simulate_trials(_two_arms(d, severity_or=o, severity_patient_sd=sd), n_trials, rng=rng)
        for label, o in (("null", 1.0), ("alt", odds))
    }
    rows = []
    for unit, inference, name, truth, valid, note in (
        ("patient", "cluster", "worst flare per patient, Brunner-Munzel", patient_truth, True,
         "one outcome per randomised patient (none < mild < moderate < severe)"),
        ("flare", "cluster", "flare-level P(superiority), cluster-robust", flare_truth, True,
         "flares clustered in patients (Obuchowski variance)"),
        ("flare", "naive", "flare-level P(superiority), flares independent", flare_truth, False,
         "flares treated as independent: expected anti-conservative"),
    ):  # fmt: skip
        call = "compare_severity_batch(unit='patient')" if unit == "patient" else (
            f"compare_severity_batch(inference={inference!r})")  # fmt: skip
        kw = dict(call=call, expected_valid=valid, note=note)
        res = {
            k: severity.compare_severity_batch(
                _severity_counts(b), b.arm == 1, unit=unit, inference=inference, confidence_level=cl
            )
            for k, b in batches.items()
        }
        k, n, u = _reject(res["null"].pvalue, alpha)
        rows.append(_row("severity", name, "type I error", scen + ", no effect", k, n, alpha, n_undefined=u, **kw))
        k, n, u = _cover(res["alt"].ci_low, res["alt"].ci_high, truth)
        rows.append(
            _row("severity", name, "coverage", scen + f", severity OR {odds:g} (true P(superiority) {truth:.4f})",
                 k, n, cl, n_undefined=u, **kw)
        )  # fmt: skip
    return rows


# --------------------------------------------------------------------------- proportional odds (one fit per trial)
def _flares_table(counts, arm_codes, arm_names):
    """Flares table (patient, arm, severity) of one trial from per-patient counts by severity level."""
    import pandas as pd

    n_patients, levels = counts.shape
    per_cell = counts.ravel()
    patient = np.repeat(np.repeat(np.arange(n_patients), levels), per_cell)
    codes = np.repeat(np.tile(np.arange(levels), n_patients), per_cell)
    return pd.DataFrame(
        {
            C.PATIENT: patient + 1,
            # pandas-stubs want an Index for `categories`; pandas takes any list-like
            C.ARM: pd.Categorical.from_codes(arm_codes[patient], categories=list(arm_names)),  # type: ignore[call-overload]
            C.SEVERITY: pd.Categorical.from_codes(codes, categories=list(C.SEVERITY_LEVELS), ordered=True),  # type: ignore[call-overload]
        }
    )


def _proportional_odds(rng, n_trials, alpha, cl):
    d = _nephritis()
    sd, odds = _SEVERITY_SD, _SEVERITY_OR
    scen = f"mild/moderate/severe flares, {_describe(d)}, patient effect SD {sd:g} on the severity log-odds"
    mixes = [_flare_severity_mix(d["severity_probs"], lo, sd) for lo in (0.0, math.log(odds))]
    truth = math.exp(_po_pseudo_true(*mixes))  # equal flare rates and dropout: equal expected flares per arm
    out = {}
    for label, o in (("null", 1.0), ("alt", odds)):
        b = simulate_trials(_two_arms(d, severity_or=o, severity_patient_sd=sd), n_trials, rng=rng)
        counts = _severity_counts(b)
        res = []
        for i in range(n_trials):
            flares = _flares_table(counts[i], b.arm, b.arm_names)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    r = severity.proportional_odds(flares, confidence_level=cl).iloc[0]
                res.append((r["pvalue"], r["ci_low"], r["ci_high"]))
            except (ValueError, np.linalg.LinAlgError):  # e.g. all flares at one level
                res.append((math.nan, math.nan, math.nan))
        out[label] = np.array(res)
    name = "proportional odds, cluster-robust sandwich"
    kw = dict(
        call="proportional_odds(inference='cluster')",
        note="GEE-type sandwich by patient; true OR: the population-averaged (flare-level) common OR",
    )
    rows = []
    k, n, u = _reject(out["null"][:, 0], alpha)
    rows.append(_row("proportional_odds", name, "type I error", scen + ", no effect", k, n, alpha, n_undefined=u, **kw))
    k, n, u = _cover(out["alt"][:, 1], out["alt"][:, 2], truth)
    rows.append(
        _row("proportional_odds", name, "coverage",
             scen + f", severity OR {odds:g} given the patient (flare-level OR {truth:.4f})", k, n, cl,
             n_undefined=u, **kw)
    )  # fmt: skip
    return rows


# --------------------------------------------------------------------------- meta-analysis (notebook 05)
#: Sampling variances of the logit response proportions of the MSC studies pooled in notebook 05
#: (Wang 2013 23/83, Deng 2017 9/12, Wang 2014 24/40, Wang 2018 28/81: 1/x + 1/(n - x)), in the order
#: in which k = 2, 3, 4 studies take them; tau2 of the order notebook 05 estimates.
_META_VI = (0.0601, 0.4444, 0.1042, 0.0546)
_META_TAU2, _META_MU = 0.5, 0.3


_META_TESTS = {
    # test: (label, note on the interval of the pooled effect, note on the prediction interval)
    "z": (
        "REML, z",
        "z intervals ignore the uncertainty in tau2: too narrow with few studies",
        "z quantile and plug-in tau2: too narrow with few studies",
    ),
    "knha": (
        "REML, Knapp-Hartung",
        "t with k - 1 df; exceeds its level when few studies differ much in precision (Roever, Knapp & Friede 2015)",
        "t with k - 1 df (as metafor) and plug-in tau2: can under-cover with few studies (Partlett & Riley 2017)",
    ),
}


def _meta_analysis(rng, n_trials, alpha, cl):
    rows = []
    tau2, mu = _META_TAU2, _META_MU
    for k_studies in (2, 3, 4):
        vi = np.array(_META_VI[:k_studies])
        sd = np.sqrt(vi + tau2)
        y0 = rng.normal(0.0, sd, size=(n_trials, k_studies))
        y1 = rng.normal(mu, sd, size=(n_trials, k_studies))
        theta_new = rng.normal(mu, math.sqrt(tau2), n_trials)  # the true effect of a new study
        scen = (
            f"{k_studies} studies, vi {', '.join(f'{v:.2f}' for v in vi)} (MSC response studies, logit scale), "
            f"tau2 {tau2:g}"
        )
        # With two to four studies of very unequal precision neither test is expected at the nominal level.
        for test, (label, note, pi_note) in _META_TESTS.items():
            call = f"meta_analysis(method='REML', test={test!r})"
            p = [meta.meta_analysis(y, vi, method="REML", test=test).pvalue for y in y0]
            fits = [meta.meta_analysis(y, vi, method="REML", test=test, confidence_level=cl) for y in y1]
            ci = np.array([tuple(f.confidence_interval()) for f in fits])
            pi = np.array([tuple(f.prediction_interval()) for f in fits])
            name = f"meta-analysis {label}, k = {k_studies}"
            kw = dict(call=call, expected_valid=False, note=note)
            kk, m, u = _reject(p, alpha)
            rows.append(_row("meta_analysis", name, "type I error", scen + ", mu 0", kk, m, alpha, n_undefined=u, **kw))
            kk, m, u = _cover(ci[:, 0], ci[:, 1], mu)
            rows.append(_row("meta_analysis", name, "coverage", scen + f", mu {mu}", kk, m, cl, n_undefined=u, **kw))
            kk, m, u = _cover(pi[:, 0], pi[:, 1], theta_new)
            rows.append(
                _row(
                    "meta_analysis",
                    f"prediction interval, {label}, k = {k_studies}",
                    "coverage",
                    scen + f", mu {mu}: a new study's true effect",
                    kk,
                    m,
                    cl,
                    n_undefined=u,
                    call=call + ".prediction_interval()",
                    expected_valid=False,
                    note=pi_note,
                )
            )
    return rows


# --------------------------------------------------------------------------- Bayesian meta-analysis
#: Within-study variances of notebook 05's log risk ratios (Deng 2017, MSC vs placebo, v = 1/a - 1/n1 + 1/c - 1/n2:
#: remission 9/12 vs 5/6, complete remission 5/12 vs 3/6, SLEDAI > 8 3/12 vs 4/6) and of its HSCT logit proportion
#: (Jayne 2004, 33/50: v = 1/33 + 1/17); the first k are used for k studies.
_BAYES_META_VI = (
    1 / 9 - 1 / 12 + 1 / 5 - 1 / 6,
    1 / 5 - 1 / 12 + 1 / 3 - 1 / 6,
    1 / 3 - 1 / 12 + 1 / 4 - 1 / 6,
    1 / 33 + 1 / 17,
)


def _bayes_meta_coverage(rng, n_trials, alpha, cl, *, k_values=(2, 3, 4), tau=0.3, mu=None, tau_prior_scale=0.5):
    """Coverage of the credible interval of mu (half-normal prior on tau) against REML z and Knapp-Hartung.

    k = 2, 3, 4 studies with the within-study variances of notebook 05 and tau = 0.3 on the log-RR
    scale.  The Bayesian intervals are computed for all data sets at once (bayes_meta_analysis_batch,
    the same numbers as bayes_meta_analysis); `alpha` is unused (coverage only).
    """
    mu = math.log(0.7) if mu is None else mu
    rows = []
    for k in k_values:
        vi = np.array(_BAYES_META_VI[:k])
        y = rng.normal(mu, np.sqrt(vi + tau**2), size=(n_trials, k))
        scen = f"{k} studies, vi {', '.join(f'{v:.3f}' for v in vi)} (notebook 05), tau {tau:g} (log RR), mu {mu:.3f}"
        res = evidence.bayes_meta_analysis_batch(
            y, vi, tau_prior="half-normal", tau_prior_scale=tau_prior_scale, credible_level=cl
        )
        kk, m, u = _cover(res.ci_low, res.ci_high, mu)
        rows.append(
            _row(
                "bayes_meta_analysis",
                f"Bayesian random effects, half-normal({tau_prior_scale:g}) on tau, k = {k}",
                "coverage",
                scen,
                kk,
                m,
                cl,
                n_undefined=u,
                call=f"bayes_meta_analysis(tau_prior='half-normal', tau_prior_scale={tau_prior_scale:g})",
                note="shortest credible interval, uniform prior on mu. Frequentist coverage at one fixed tau is not "
                "what a Bayesian interval promises: with this prior it over-covers at tau = 0.3 "
                "(conservative) and under-covers above about tau = 0.5; averaged over tau drawn from the "
                "prior it is exact (tests/test_bayes.py)",
            )
        )
        for test, label, valid, note in (
            ("z", "REML, z interval", False, "z intervals ignore the uncertainty in tau2: too narrow with few studies"),
            (
                "knha",
                "REML, Knapp-Hartung interval",
                False,
                "Knapp-Hartung: near nominal on average, very wide with k = 2 (t with 1 df); liberal with unequal "
                "precision (Röver, Knapp & Friede 2015)",
            ),
        ):
            low, high = np.empty(n_trials), np.empty(n_trials)
            for i in range(n_trials):
                low[i], high[i] = evidence.meta_analysis(
                    y[i], vi, method="REML", test=test, confidence_level=cl
                ).confidence_interval()
            kk, m, u = _cover(low, high, mu)
            rows.append(
                _row(
                    "bayes_meta_analysis",
                    f"{label}, k = {k}",
                    "coverage",
                    scen,
                    kk,
                    m,
                    cl,
                    n_undefined=u,
                    call=f"meta_analysis(method='REML', test={test!r})",
                    expected_valid=valid,
                    note=note,
                )
            )
    return rows


# --------------------------------------------------------------------------- recurrent-event regression (notebook 08)
def _recurrent(rng, n_trials, alpha, cl):
    """Andersen-Gill / LWYY and PWP on every flare of simulated trials with gamma frailty (NB counts).

    The flares of a patient share the patient's frailty, so they are not
    independent: the robust (sandwich) variance clustered by patient is built
    for that, the model-based variance is not.  The true value behind the
    coverage is the simulator's flare-rate ratio: with a time-constant rate
    given the frailty and follow-up ended independently of it, the ratio of
    the arms' mean flare rates is the rate ratio, which is what the LWYY
    estimating equation targets (Lin et al. 2000).  The PWP gap-time ratio is a
    conditional hazard ratio with no closed form here: type I error only.
    """
    d = _nephritis()
    rr = 0.7
    scen = f"every flare with gamma frailty, {_describe(d)}"
    batches = {
        label: simulate_trials(_two_arms(d, rate_ratio=ratio), n_trials, rng=rng)
        for label, ratio in (("null", 1.0), ("alt", rr))
    }
    table_streams = {label: rng.spawn(n_trials) for label in batches}
    fits: dict[str, list[tuple[float, ...]]] = {"null": [], "alt": [], "pwp": []}
    for label, b in batches.items():
        for i in range(n_trials):
            patients, flares = trial_tables(b, i, rng=table_streams[label][i])
            models = ("andersen_gill", "pwp_gap") if label == "null" else ("andersen_gill",)
            for model in models:
                try:
                    r = survival.recurrent_event_regression(flares, patients, model=model, confidence_level=cl).iloc[0]
                    out = (r["pvalue"], r["ci_low"], r["ci_high"], r["log_hazard_ratio"], r["se_model"])
                except ValueError:  # an arm without flares: no finite ratio
                    out = (math.nan,) * 5
                fits["pwp" if model == "pwp_gap" else label].append(out)
    null, alt, pwp = (np.array(fits[k], dtype=float) for k in ("null", "alt", "pwp"))
    z = float(_inf.critical_value(cl))
    naive_p = _inf.pvalue_from_z(null[:, 3] / null[:, 4])
    naive_low, naive_high = np.exp(alt[:, 3] - z * alt[:, 4]), np.exp(alt[:, 3] + z * alt[:, 4])
    rows = []
    ag = "Andersen-Gill / LWYY rate ratio, robust SE"
    kw = dict(
        call="recurrent_event_regression(model='andersen_gill')",
        note="sandwich variance clustered by patient; model='lwyy' fits the same estimating equation and gives the "
        "same numbers (the LWYY mean-rate estimand)",
    )
    k, n, u = _reject(null[:, 0], alpha)
    rows.append(_row("recurrent", ag, "type I error", scen + ", RR 1", k, n, alpha, n_undefined=u, **kw))
    k, n, u = _cover(alt[:, 1], alt[:, 2], rr)
    rows.append(_row("recurrent", ag, "coverage", scen + f", RR {rr}", k, n, cl, n_undefined=u, **kw))
    naive = "Andersen-Gill rate ratio, model-based SE (flares independent)"
    kw_naive: dict[str, Any] = dict(
        call="recurrent_event_regression(model='andersen_gill'): log_hazard_ratio and se_model",
        expected_valid=False,
        note="the Cox information treats a patient's flares as independent; with frailty it is too small: expected "
        "anti-conservative",
    )
    k, n, u = _reject(naive_p, alpha)
    rows.append(_row("recurrent", naive, "type I error", scen + ", RR 1", k, n, alpha, n_undefined=u, **kw_naive))
    k, n, u = _cover(naive_low, naive_high, rr)
    rows.append(_row("recurrent", naive, "coverage", scen + f", RR {rr}", k, n, cl, n_undefined=u, **kw_naive))
    k, n, u = _reject(pwp[:, 0], alpha)
    rows.append(
        _row("recurrent", "PWP gap-time hazard ratio, robust SE", "type I error", scen + ", RR 1", k, n, alpha,
             n_undefined=u, call="recurrent_event_regression(model='pwp_gap')",
             note="no arm effect on any conditional hazard under the null; its ratio under an effect is conditional "
             "on the flare number, with no closed form here (no coverage row)")
    )  # fmt: skip
    return rows


_CHECKS = {
    "rate_tests": _rate_tests,
    "rate_models": _rate_models,
    "overdispersion": _overdispersion,
    "effect_sizes": _effect_sizes,
    "survival": _survival,
    "severity": _severity,
    "proportional_odds": _proportional_odds,
    "meta_analysis": _meta_analysis,
    "bayes_meta_analysis": _bayes_meta_coverage,
    "recurrent": _recurrent,
}


def validate_methods(
    *,
    n_trials: int | Mapping[str, int] | None = None,
    rng: RNGLike = None,
    families: Sequence[str] | None = None,
    alpha: float = 0.05,
    confidence_level: float = 0.95,
    mc_level: float = 0.99,
) -> pd.DataFrame:
    """Type I error and confidence-interval coverage of every test and interval in the package, by simulation.

    For each method the data are drawn at the settings the notebooks use, from
    a model under which it should attain its nominal level (plus known
    misspecifications and sizes at which a method is known to deviate, marked
    ``expected_valid = False``):

    * ``rate_tests`` -- :func:`rate_ratio_test` (exact, mid-p, score, Wald) on
      Poisson totals of about 5 events per arm; the exact test on
      over-dispersed counts.
    * ``rate_models`` -- :func:`compare_rates_batch` (NB, Poisson, quasi-Poisson,
      robust) on NB2 counts of the nephritis design (185 per arm, 24 weeks,
      dropout) and of a 6 vs 12 patient trial.
    * ``overdispersion`` -- :func:`overdispersion_test` (LR and
      Cameron-Trivedi) on Poisson counts of the three-arm nephritis preset.
    * ``effect_sizes`` -- Cohen's d and Hedges' g on normal data, risk ratio,
      odds ratio, risk difference (Wald, Newcombe) and the number needed to
      treat on the ALMS renal response of the preset's two ALMS arms, 185 per group.
    * ``survival`` -- log-rank, Cox, RMST difference (type I error) on time to
      first severe flare; Kaplan-Meier pointwise and RMST-difference coverage
      of the model's true values under a flare-rate ratio; Cox coverage on
      exponential times.
    * ``severity`` -- :func:`compare_severity_batch`: the worst flare per
      patient (Brunner-Munzel), flare level with cluster-robust and naive
      variance, with a patient effect on severity; coverage of the true
      probability of superiority.
    * ``proportional_odds`` -- :func:`proportional_odds` (cluster sandwich) on
      the same data, coverage of the flare-level common odds ratio (one model
      fit per data set: the slow family).
    * ``meta_analysis`` -- :func:`meta_analysis` (REML with z or Knapp-Hartung)
      on k = 2, 3, 4 studies with the sampling variances of notebook 05's MSC
      studies: type I error, coverage of the pooled effect, and coverage of a
      new study's true effect by :meth:`MetaAnalysisResult.prediction_interval`.
    * ``recurrent`` -- :func:`recurrent_event_regression` on every flare of
      trials of the nephritis design (gamma frailty: NB counts; flare tables by
      :func:`trial_tables`): Andersen-Gill / LWYY with the robust variance
      (type I error, coverage of the rate ratio), the same fit with the
      model-based variance (expected anti-conservative), PWP gap-time (type I
      error); one fit per data set.

    Parameters
    ----------
    n_trials : int or mapping of str to int, optional
        Simulated data sets per method and criterion (>= 1).  Default
        :data:`DEFAULT_N_TRIALS` (a minute or two in all).  An int applies to
        every family; a mapping gives a number per family, and families missing
        from it are skipped unless listed in `families` (then their default).
        At n data sets the Monte Carlo SE of a 5% rate is ``sqrt(0.05 * 0.95 / n)``.
    rng : None, int, SeedSequence or Generator
        Each family draws from its own spawned stream, so selecting families
        does not change the others' numbers.
    families : list of str, optional
        Subset of :data:`VALIDATION_FAMILIES` (default all, or the keys of a
        `n_trials` mapping).
    alpha : float, default 0.05
        Level of the tests (nominal type I error).
    confidence_level : float, default 0.95
        Level of the intervals (nominal coverage).
    mc_level : float, default 0.99
        Level of the Clopper--Pearson Monte Carlo interval for each rate.  A
        method exactly at its nominal level is flagged with probability at most
        ``1 - mc_level``.

    Returns
    -------
    DataFrame
        One row per method, setting and criterion: ``family, method (a readable
        name, with the setting when a method appears in several), criterion
        ("type I error" or "coverage"), scenario, nominal, estimate, mc_low,
        mc_high, hits, n, n_undefined, flag, verdict, expected_valid, note,
        call`` (the function and options that produced the row).
        ``flag`` is True when the nominal value lies outside the Monte Carlo
        interval; ``verdict`` says which way ("anti-conservative",
        "conservative", "under-covers", "over-covers" or "ok").
        ``expected_valid`` is False where the data violate the method's
        assumptions on purpose or where the method is known to deviate at this
        size (``note`` says why).  Data sets on which a method is undefined
        (e.g. a Wald interval with a zero count) are counted in
        ``n_undefined`` and left out of ``n``.

    Examples
    --------
    >>> import lupusstats as ls
    >>> table = ls.validate_methods(n_trials=50, rng=1, families=["rate_models"])
    >>> sorted(set(table["criterion"]))
    ['coverage', 'type I error']
    >>> list(table.columns[:6])
    ['family', 'method', 'criterion', 'scenario', 'nominal', 'estimate']
    >>> table["method"].iloc[0], table["call"].iloc[0]
    ('NB rate ratio (Wald), 185 per arm', "compare_rates(model='negbin')")
    """
    import pandas as pd
    from scipy import stats

    if n_trials is None:
        per_family = dict(DEFAULT_N_TRIALS)
    elif isinstance(n_trials, Mapping):
        per_family = {}
        for fam, n in n_trials.items():
            _v.check_choice("n_trials key", fam, VALIDATION_FAMILIES)
            per_family[fam] = _v.check_int(f"n_trials[{fam!r}]", n, minimum=1)
        if families is None:
            families = [f for f in VALIDATION_FAMILIES if f in per_family]
    else:
        per_family = dict.fromkeys(VALIDATION_FAMILIES, _v.check_int("n_trials", n_trials, minimum=1))
    alpha = _v.check_number("alpha", alpha, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)
    cl = _v.check_confidence_level(confidence_level)
    mc = _v.check_confidence_level(mc_level, "mc_level")
    if families is None:
        families = list(VALIDATION_FAMILIES)
    elif isinstance(families, str) or not all(isinstance(f, str) for f in families):
        raise TypeError(f"`families` must be a list of names from {list(VALIDATION_FAMILIES)}, got {families!r}.")
    else:
        families = [_v.check_choice("families", f, VALIDATION_FAMILIES) for f in families]
    if not families:
        raise ValueError(f"`families` must name at least one of {list(VALIDATION_FAMILIES)}, got an empty list.")
    _v.check_rng(rng)
    streams = dict(zip(VALIDATION_FAMILIES, np.random.default_rng(rng).spawn(len(VALIDATION_FAMILIES)), strict=True))
    rows = []
    for fam in VALIDATION_FAMILIES:
        if fam in families:
            rows.extend(_CHECKS[fam](streams[fam], per_family.get(fam, DEFAULT_N_TRIALS[fam]), alpha, cl))
    frame = pd.DataFrame(rows)
    est, low, high, flag, verdict = [], [], [], [], []
    for r in rows:
        n, k = r["n"], r["hits"]
        if n == 0:
            est.append(math.nan)
            low.append(math.nan)
            high.append(math.nan)
            flag.append(False)
            verdict.append("undefined")
            continue
        ci = stats.binomtest(k, n).proportion_ci(confidence_level=mc, method="exact")
        est.append(k / n)
        low.append(ci.low)
        high.append(ci.high)
        outside = not (ci.low <= r["nominal"] <= ci.high)
        flag.append(outside)
        if not outside:
            verdict.append("ok")
        elif r["criterion"] == "type I error":
            verdict.append("anti-conservative" if ci.low > r["nominal"] else "conservative")
        else:
            verdict.append("under-covers" if ci.high < r["nominal"] else "over-covers")
    frame.insert(5, "estimate", est)
    frame.insert(6, "mc_low", low)
    frame.insert(7, "mc_high", high)
    frame.insert(11, "flag", flag)
    frame.insert(12, "verdict", verdict)
    return frame
