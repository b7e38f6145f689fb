"""Calibration of every test and interval in the package, by simulation.

:func:`validate_methods` draws data for which each method's assumptions hold
(and, for a few methods, data for which they are known not to hold -- marked
``expected_valid = False``), runs the package's own public functions, and
reports the type I error under the null and the coverage of the confidence
interval under an alternative, each with a Clopper--Pearson Monte Carlo
interval and a flag when the nominal value lies outside it.

The default is quick (a few hundred simulated data sets per method, seconds);
``n_trials=2000`` or more gives the precise version (``benchmarks/``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from lupusstats import effects, rates, severity, survival
from lupusstats._core import validation as _v
from lupusstats._core.types import RNGLike
from lupusstats.evidence import meta
from lupusstats.model.scenario import Arm, Scenario
from lupusstats.model.simulate import simulate_trials

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["VALIDATION_FAMILIES", "validate_methods"]

#: Method families checked by :func:`validate_methods`.
VALIDATION_FAMILIES = ("rate_tests", "rate_models", "effect_sizes", "survival", "severity", "meta_analysis")


def _row(family, method, criterion, scenario, hits, n, nominal, *, expected_valid=True, note="", n_undefined=0):
    return {
        "family": family,
        "method": method,
        "criterion": criterion,
        "scenario": scenario,
        "nominal": nominal,
        "hits": int(hits),
        "n": int(n),
        "n_undefined": int(n_undefined),
        "expected_valid": expected_valid,
        "note": note,
    }


def _two_sided_hits(values):
    values = np.asarray(values, dtype=float)
    ok = np.isfinite(values)
    return values[ok], int((~ok).sum())


def _reject(p, alpha: float) -> tuple[int, int, int]:
    p, undefined = _two_sided_hits(p)
    return int((p < alpha).sum()), p.size, undefined


def _cover(low, high, truth):
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    ok = ~(np.isnan(low) | np.isnan(high))
    covered = (low[ok] <= truth) & (truth <= high[ok])
    return int(covered.sum()), int(ok.sum()), int((~ok).sum())


# --------------------------------------------------------------------------- rate-ratio tests (Poisson totals)
def _rate_tests(rng, n_trials, alpha, cl):
    import warnings

    t1, t2, r2, rr = 12.0, 10.0, 0.5, 0.5
    scen = f"Poisson totals, exposure 12 vs 10 py, reference rate {r2}/py (about 5 events per arm)"
    rows = []
    draws = {}
    for label, ratio in (("null", 1.0), ("alt", rr)):
        draws[label] = np.stack([rng.poisson(r2 * ratio * t1, n_trials), rng.poisson(r2 * t2, n_trials)], axis=1)
    for method in ("exact", "midp", "score", "wald"):
        cache: dict[tuple[int, int], tuple[float, float, float]] = {}

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
        name = f"rate_ratio_test(method={method!r})"
        note = {
            "exact": "discrete conditional test: conservative by construction at small counts",
            "midp": "mid-p: close to nominal on average, not guaranteed",
            "score": "score test (statsmodels p-value); the interval inverts it exactly, lower limit 0 at a zero count",
            "wald": "undefined with a zero count (counted in n_undefined)",
        }[method]
        k, n, u = _reject(null[:, 0], alpha)
        rows.append(_row("rate_tests", name, "type I error", scen + ", RR 1", k, n, alpha, n_undefined=u, note=note))
        k, n, u = _cover(alt[:, 1], alt[:, 2], rr)
        rows.append(_row("rate_tests", name, "coverage", scen + f", RR {rr}", k, n, cl, n_undefined=u, note=note))
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
            "rate_ratio_test(method='exact')",
            "type I error",
            "NB patient counts (dispersion 0.5), 40 per arm, 1 year: assumption violated",
            *_reject(p, alpha)[:2],
            alpha,
            expected_valid=False,
            note="Poisson tests ignore over-dispersion: expected anti-conservative",
        )
    )
    return rows


# --------------------------------------------------------------------------- rate models (vectorised)
def _rate_models(rng, n_trials, alpha, cl):
    rr = 0.7
    rows = []
    base: dict[str, Any] = dict(n_per_arm=60, baseline_flare_rate=1.0, dispersion=0.5, followup_years=1.0)
    scen = "NB2 counts (dispersion 0.5), 60 per arm, 1 year, dropout 0.3/yr"
    batches = {}
    for label, ratio in (("null", 1.0), ("alt", rr)):
        sc = Scenario(
            [Arm("reference", dropout_rate=0.3), Arm("treated", flare_rate_ratio=ratio, dropout_rate=0.3)], **base
        )
        batches[label] = simulate_trials(sc, n_trials, rng=rng)
    valid = {"negbin": True, "poisson": False, "quasipoisson": True, "robust": True}
    notes = {
        "poisson": "Poisson GLM ignores over-dispersion: expected anti-conservative",
        "quasipoisson": "variance proportional to the mean: approximate under NB2 with unequal exposure",
        "robust": "sandwich SEs: valid asymptotically, liberal in small samples",
    }
    for model in rates.RATE_MODELS:
        name = f"compare_rates(model={model!r})"
        res = {
            k: rates.compare_rates_batch(b.n_flares, b.followup_years, b.arm == 1, model=model, confidence_level=cl)
            for k, b in batches.items()
        }
        k, n, u = _reject(res["null"].pvalue, alpha)
        rows.append(
            _row(
                "rate_models",
                name,
                "type I error",
                scen + ", RR 1",
                k,
                n,
                alpha,
                n_undefined=u,
                expected_valid=valid[model],
                note=notes.get(model, ""),
            )
        )
        k, n, u = _cover(res["alt"].ci_low, res["alt"].ci_high, rr)
        rows.append(
            _row(
                "rate_models",
                name,
                "coverage",
                scen + f", RR {rr}",
                k,
                n,
                cl,
                n_undefined=u,
                expected_valid=valid[model],
                note=notes.get(model, ""),
            )
        )
    return rows


# --------------------------------------------------------------------------- effect sizes
def _effect_sizes(rng, n_trials, alpha, cl):
    rows = []
    n, delta = 20, 0.5
    scen = f"normal outcomes, {n} per group"
    for fn in (effects.cohens_d, effects.hedges_g):
        name = f"{fn.__name__}"
        p, low, high = [], [], []
        for _ in range(n_trials):
            p.append(fn(rng.standard_normal(n), rng.standard_normal(n), confidence_level=cl).pvalue)
            r = fn(delta + rng.standard_normal(n), rng.standard_normal(n), confidence_level=cl)
            lo, hi = r.confidence_interval()
            low.append(lo)
            high.append(hi)
        rows.append(_row("effect_sizes", name, "type I error", scen + ", delta 0", *_reject(p, alpha)[:2], alpha))
        k, m, u = _cover(low, high, delta)
        rows.append(_row("effect_sizes", name, "coverage", scen + f", delta {delta}", k, m, cl, n_undefined=u))
    m = 60
    p1, p2 = 0.2, 0.35
    truths = {"risk_ratio": p1 / p2, "odds_ratio": (p1 / (1 - p1)) / (p2 / (1 - p2)), "risk_difference": p1 - p2}
    e_null = rng.binomial(m, 0.3, size=(n_trials, 2))
    e_alt = np.stack([rng.binomial(m, p1, n_trials), rng.binomial(m, p2, n_trials)], axis=1)
    for fname, truth in truths.items():
        fn = getattr(effects, fname)
        p = [fn(int(a), m, int(b), m, confidence_level=cl).pvalue for a, b in e_null]
        cis = np.array([tuple(fn(int(a), m, int(b), m, confidence_level=cl).confidence_interval()) for a, b in e_alt])
        scen2 = f"binomial, {m} per group"
        rows.append(
            _row(
                "effect_sizes",
                fname,
                "type I error",
                scen2 + ", risks 0.3 vs 0.3",
                *_reject(p, alpha)[:2],
                alpha,
                note="Wald z test of the default interval",
            )
        )
        k, nn, u = _cover(cis[:, 0], cis[:, 1], truth)
        rows.append(_row("effect_sizes", fname, "coverage", scen2 + f", risks {p1} vs {p2}", k, nn, cl, n_undefined=u))
    return rows


# --------------------------------------------------------------------------- survival
def _survival(rng, n_trials, alpha, cl):
    rows = []
    sc = Scenario(
        [Arm("reference", dropout_rate=0.3), Arm("treated", dropout_rate=0.3)],
        n_per_arm=50,
        baseline_flare_rate=1.0,
        dispersion=0.5,
        followup_years=1.0,
    )
    b = simulate_trials(sc, n_trials, rng=rng)
    event = ~np.isnan(b.first_flare_years)
    time = np.where(event, b.first_flare_years, b.followup_years)
    group = b.arm
    p = [survival.logrank(time[i], event[i].astype(int), group).pvalue for i in range(n_trials)]
    rows.append(
        _row(
            "survival",
            "logrank",
            "type I error",
            "time to first flare, NB frailty model, 50 per arm, dropout 0.3/yr",
            *_reject(p, alpha)[:2],
            alpha,
        )
    )
    hr, n = 0.6, 50
    scen = f"exponential event times (hazard 1/yr), uniform censoring on (0, 2) yr, {n} per arm"
    g = np.repeat([0, 1], n)
    p, low, high, undefined = [], [], [], 0
    for ratio, store in ((1.0, "null"), (hr, "alt")):
        for _ in range(n_trials):
            t = rng.exponential(1.0 / np.where(g == 1, ratio, 1.0))
            c = rng.uniform(0, 2.0, 2 * n)
            e = (t <= c).astype(int)
            try:
                res = survival.cox_hazard_ratio(np.minimum(t, c), e, g, reference=0, confidence_level=cl)
            except ValueError:
                undefined += 1
                continue
            if store == "null":
                p.append(res.pvalue)
            else:
                lo, hi = res.confidence_interval()
                low.append(lo)
                high.append(hi)
    rows.append(
        _row(
            "survival",
            "cox_hazard_ratio",
            "type I error",
            scen + ", HR 1",
            *_reject(p, alpha)[:2],
            alpha,
            note="Wald test",
        )
    )
    k, m, u = _cover(low, high, hr)
    rows.append(_row("survival", "cox_hazard_ratio", "coverage", scen + f", HR {hr}", k, m, cl, n_undefined=u))
    return rows


# --------------------------------------------------------------------------- severity
def _severity(rng, n_trials, alpha, cl):
    sc = Scenario(
        [Arm("reference"), Arm("treated")],
        n_per_arm=60,
        baseline_flare_rate=1.8,
        dispersion=0.5,
        followup_years=1.0,
        severity_patient_sd=1.0,
    )
    b = simulate_trials(sc, n_trials, rng=rng)
    counts = np.stack([b.n_flares - b.n_severe_flares, b.n_severe_flares], axis=-1)
    treated = b.arm == 1
    scen = "flares non-severe/severe, 60 per arm, patient random effect SD 1 on severity, no effect"
    rows = []
    for unit, inference, valid, note in (
        ("patient", "cluster", True, "worst flare per patient, Brunner-Munzel"),
        ("flare", "cluster", True, "flares clustered in patients (Obuchowski variance)"),
        ("flare", "naive", False, "flares treated as independent: expected anti-conservative"),
    ):
        out = severity.compare_severity_batch(counts, treated, unit=unit, inference=inference)
        k, n, u = _reject(out.pvalue, alpha)
        label = f"compare_severity(unit={unit!r}" + (f", inference={inference!r})" if unit == "flare" else ")")
        rows.append(
            _row("severity", label, "type I error", scen, k, n, alpha, n_undefined=u, expected_valid=valid, note=note)
        )
    return rows


# --------------------------------------------------------------------------- meta-analysis
def _meta_analysis(rng, n_trials, alpha, cl):
    k_studies, tau2, mu = 6, 0.05, 0.3
    vi = np.linspace(0.02, 0.2, k_studies)
    rows = []
    settings = (
        ("FE", "z", 0.0, True, ""),
        ("FE", "z", tau2, False, "common-effect model under heterogeneity: expected too narrow"),
        ("DL", "z", tau2, False, "z intervals ignore the uncertainty in tau2: too narrow with few studies"),
        ("REML", "z", tau2, False, "z intervals ignore the uncertainty in tau2: too narrow with few studies"),
        (
            "REML",
            "knha",
            tau2,
            True,
            "Knapp-Hartung: can be somewhat liberal with few studies of unequal precision "
            "(Roever, Knapp & Friede 2015)",
        ),
        (
            "PM",
            "knha",
            tau2,
            True,
            "Knapp-Hartung: can be somewhat liberal with few studies of unequal precision "
            "(Roever, Knapp & Friede 2015)",
        ),
    )
    for method, test, t2, valid, note in settings:
        p, low, high = [], [], []
        for _ in range(n_trials):
            y0 = rng.normal(0.0, np.sqrt(vi + t2))
            y1 = rng.normal(mu, np.sqrt(vi + t2))
            p.append(meta.meta_analysis(y0, vi, method=method, test=test, confidence_level=cl).pvalue)
            lo, hi = meta.meta_analysis(y1, vi, method=method, test=test, confidence_level=cl).confidence_interval()
            low.append(lo)
            high.append(hi)
        scen = f"{k_studies} studies, vi 0.02-0.2, tau2 {t2:g}"
        name = f"meta_analysis(method={method!r}, test={test!r})"
        rows.append(
            _row(
                "meta_analysis",
                name,
                "type I error",
                scen + ", mu 0",
                *_reject(p, alpha)[:2],
                alpha,
                expected_valid=valid,
                note=note,
            )
        )
        kk, m, u = _cover(low, high, mu)
        rows.append(
            _row(
                "meta_analysis",
                name,
                "coverage",
                scen + f", mu {mu}",
                kk,
                m,
                cl,
                n_undefined=u,
                expected_valid=valid,
                note=note,
            )
        )
    return rows


_CHECKS = {
    "rate_tests": _rate_tests,
    "rate_models": _rate_models,
    "effect_sizes": _effect_sizes,
    "survival": _survival,
    "severity": _severity,
    "meta_analysis": _meta_analysis,
}


def validate_methods(
    *,
    n_trials: int | Mapping[str, int] = 200,
    rng: RNGLike = None,
    families: Sequence[str] | None = None,
    alpha: float = 0.05,
    confidence_level: float = 0.95,
    mc_level: float = 0.99,
) -> pd.DataFrame:
    """Type I error and confidence-interval coverage of every test in the package, by simulation.

    For each method the data are drawn from a model under which it should be
    valid (plus a few known misspecifications, marked ``expected_valid =
    False``): the rate-ratio tests on Poisson totals, the count models on NB2
    patient counts with dropout, Cohen's d / Hedges' g on normal data, risk
    ratio / odds ratio / risk difference on binomial counts, the log-rank test
    on simulated times to first flare, the Cox hazard ratio on exponential
    times with censoring, the severity comparisons on flares correlated within
    patients, and the meta-analysis estimators on k = 6 studies with
    heterogeneity.  The package's public functions do the analysis.

    Parameters
    ----------
    n_trials : int or mapping of str to int, default 200
        Simulated data sets per method and criterion (>= 1).  200 takes about
        15 seconds and detects gross errors only (Monte Carlo SE of a 5% rate:
        1.5 points); use 2000+ for a precise report.  A mapping gives a number
        per family (e.g. more for the vectorised ``"rate_models"``); families
        missing from it are skipped unless listed in `families` (then 200).
    rng : None, int, SeedSequence or Generator
        Each family draws from its own spawned stream, so selecting families
        does not change the others' numbers.
    families : list of str, optional
        Subset of :data:`VALIDATION_FAMILIES` (default all).
    alpha : float, default 0.05
        Level of the tests (nominal type I error).
    confidence_level : float, default 0.95
        Level of the intervals (nominal coverage).
    mc_level : float, default 0.99
        Level of the Clopper--Pearson Monte Carlo interval for each rate.

    Returns
    -------
    DataFrame
        One row per method and criterion: ``family, method, criterion
        ("type I error" or "coverage"), scenario, nominal, estimate, mc_low,
        mc_high, hits, n, n_undefined, flag, verdict, expected_valid, note``.
        ``flag`` is True when the nominal value lies outside the Monte Carlo
        interval; ``verdict`` says which way ("anti-conservative",
        "conservative", "under-covers", "over-covers" or "ok").  Data sets on
        which a method is undefined (e.g. a Wald interval with a zero count) are
        counted in ``n_undefined`` and left out of ``n``.

    Examples
    --------
    >>> import lupusstats as ls
    >>> table = ls.validate_methods(n_trials=50, rng=1, families=["rate_models"])
    >>> sorted(set(table["criterion"]))
    ['coverage', 'type I error']
    >>> list(table.columns[:6])
    ['family', 'method', 'criterion', 'scenario', 'nominal', 'estimate']
    """
    import pandas as pd
    from scipy import stats

    if isinstance(n_trials, Mapping):
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
    streams = dict(zip(VALIDATION_FAMILIES, np.random.default_rng(rng).spawn(len(VALIDATION_FAMILIES)), strict=True))
    rows = []
    for fam in VALIDATION_FAMILIES:
        if fam in families:
            rows.extend(_CHECKS[fam](streams[fam], per_family.get(fam, 200), alpha, cl))
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
