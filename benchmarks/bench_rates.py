"""Benchmark: compare_rates_batch (negbin) against a loop of statsmodels NB fits.

Run:  python benchmarks/bench_rates.py [--trials 10000] [--subset 200]

Simulates `--trials` two-arm trials of 200 patients (100 per arm, 1 flare per
patient-year, NB dispersion 0.5, dropout), fits all of them with
``ls.compare_rates_batch(model="negbin")``, and fits the first `--subset` of them
one by one with statsmodels (``NegativeBinomial`` discrete model for the ML
dispersion, then a GLM ``NegativeBinomial(alpha)`` fit for the glm.nb-style
Wald p-value).  Prints the time per trial of each, their ratio (measured in this
one run) and the largest p-value difference on the common trials.  Writes nothing.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

import lupusstats as ls


def statsmodels_pvalue(y, x, t, ours=None):
    """glm.nb-style Wald p-value from statsmodels; with `ours` = (b0, b1, alpha) also
    the log-likelihood gap llf(ours) - llf(statsmodels) (> 0: statsmodels stopped short)."""
    import statsmodels.api as sm

    X = sm.add_constant(x.astype(float))
    off = np.log(t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = sm.NegativeBinomial(y, X, offset=off)
        alpha = np.nan
        for method in ("newton", "bfgs", "nm"):  # statsmodels' optimisers fail on some trials
            try:
                fit = model.fit(disp=0, method=method, maxiter=5000)
            except (ValueError, np.linalg.LinAlgError):
                continue
            alpha = float(fit.params[-1])
            if np.isfinite(alpha) and fit.mle_retvals.get("converged", False):
                break
        if not np.isfinite(alpha):
            return np.nan, np.nan
        gap = np.nan if ours is None else float(model.loglike(np.asarray(ours)) - fit.llf)
        alpha = max(alpha, 1e-8)
        glm = sm.GLM(y, X, family=sm.families.NegativeBinomial(alpha=alpha), offset=off).fit(tol=1e-12)
    return float(glm.pvalues[1]), gap


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--subset", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20261125)
    args = parser.parse_args()

    scenario = ls.Scenario(
        [ls.Arm("control", dropout_rate=0.2), ls.Arm("treated", flare_rate_ratio=0.75, dropout_rate=0.2)],
        n_per_arm=100,
        baseline_flare_rate=1.0,
        dispersion=0.5,
        followup_years=1.0,
    )
    batch = ls.simulate_trials(scenario, args.trials, rng=args.seed)
    treated = batch.in_arm("treated")

    ls.compare_rates_batch(batch.n_flares[:50], batch.followup_years[:50], treated)  # warm-up (imports)
    t0 = time.perf_counter()
    res = ls.compare_rates_batch(batch.n_flares, batch.followup_years, treated)
    t_batch = time.perf_counter() - t0

    k = min(args.subset, args.trials)
    statsmodels_pvalue(batch.n_flares[0], treated, batch.followup_years[0])  # warm-up
    t0 = time.perf_counter()
    sm_out = [statsmodels_pvalue(batch.n_flares[i], treated, batch.followup_years[i]) for i in range(k)]
    t_loop = time.perf_counter() - t0
    # outside the timing: how far statsmodels' optimum is from ours, in log-likelihood
    ours = np.column_stack([res.log_rate_reference, res.log_rate_ratio, res.dispersion])
    gaps = np.array(
        [statsmodels_pvalue(batch.n_flares[i], treated, batch.followup_years[i], ours[i])[1] for i in range(k)]
    )
    interior = ~res.boundary[:k]
    p_sm = np.array([p for p, _ in sm_out])
    failed = ~np.isfinite(p_sm)
    short = gaps > 1e-6  # statsmodels stopped at a lower likelihood than ours
    diff = np.abs(res.pvalue[:k] - p_sm)[interior & ~failed & ~short]
    diff_all = np.abs(res.pvalue[:k] - p_sm)[interior & ~failed]

    per_batch = t_batch / args.trials
    per_loop = t_loop / k
    rows = [
        ("trials x patients", f"{args.trials} x {batch.n_patients}"),
        ("compare_rates_batch, total", f"{t_batch:.2f} s"),
        ("compare_rates_batch, per trial", f"{per_batch * 1e3:.3f} ms"),
        (f"statsmodels loop ({k} trials), per trial", f"{per_loop * 1e3:.2f} ms"),
        ("speed ratio per trial", f"{per_loop / per_batch:.0f}x"),
        ("max |p difference|, same optimum", f"{diff.max():.2e} ({diff.size} trials)" if diff.size else "n/a"),
        ("max |p difference|, all trials", f"{diff_all.max():.2e}" if diff_all.size else "n/a"),
        ("statsmodels stopped at lower likelihood", f"{int(short.sum())} (max gap {np.nanmax(gaps):.2g})"),
        ("boundary trials (dispersion 0) in subset", f"{int((~interior).sum())}"),
        ("statsmodels fits that failed (skipped)", f"{int(failed.sum())}"),
        ("converged", f"{int(res.converged.sum())}/{args.trials}"),
        ("power at RR 0.75 (NB Wald, alpha 0.05)", f"{np.mean(res.pvalue < 0.05):.3f}"),
    ]
    width = max(len(r[0]) for r in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
