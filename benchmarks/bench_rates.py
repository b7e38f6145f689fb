"""Benchmark: compare_rates_batch (negbin) against a loop of statsmodels NB fits, with variable follow-up.

Run:  python benchmarks/bench_rates.py [--trials 10000] [--subset 200] [--rounds 3]

Two designs of 200 patients (100 per arm, NB dispersion 0.5, rate ratio 0.75),
both with follow-up that varies per patient (the case the count-of-counts trick
alone does not cover):

* ``dropout``: ``ls.simulate_trials`` with exponential dropout (20% a year) over one year;
* ``uniform``: follow-up uniform on 0.4-1.0 years, 1 flare per patient-year.

``ls.compare_rates_batch(model="negbin")`` fits all `--trials` trials at once;
statsmodels ``NegativeBinomial`` (NB2 maximum likelihood with ``exposure``) fits
the first `--subset` one by one with Newton to a tight tolerance
(``method="newton", tol=1e-10``: the default BFGS stops about 1e-4 short of the
optimum).  The two are timed alternately `--rounds` times in this one process and
the medians are compared, so the ratio holds on a loaded machine.  Also prints
the largest relative difference of the estimates (log rate ratio and dispersion)
on the trials where both converged to an interior optimum.

R ``MASS::glm.nb`` on the same kind of trial (``uniform``), measured once with
``benchmarks/glmnb_time.R`` (300 fits, ``system.time``): 17.0 ms per trial, on
2026-12-02, Intel(R) Xeon(R) Processor, 2 cores shared with other jobs (load
average 4.9 at the time, so an upper figure), R with MASS.  It is
``R_GLMNB_MS_PER_TRIAL`` below; the table prints our time per trial against it
(measured in different processes and loads: indicative only).
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np

import lupusstats as ls

#: MASS::glm.nb, ms per trial (200 patients, variable follow-up), measured once; see the module docstring.
R_GLMNB_MS_PER_TRIAL = 17.0


def statsmodels_fit(y, x, t):
    """(log rate ratio, alpha, converged) from statsmodels NegativeBinomial, Newton to a tight tolerance."""
    import statsmodels.api as sm

    X = sm.add_constant(x.astype(float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fit = sm.NegativeBinomial(y, X, exposure=t).fit(disp=0, method="newton", tol=1e-10, maxiter=200)
        except (ValueError, np.linalg.LinAlgError):
            return np.nan, np.nan, False
    return float(fit.params[1]), float(fit.params[-1]), bool(fit.mle_retvals.get("converged", False))


def design(kind, n_trials, rng):
    treated = np.repeat([False, True], 100)
    if kind == "dropout":
        sc = ls.Scenario(
            [ls.Arm("control", dropout_rate=0.2), ls.Arm("treated", flare_rate_ratio=0.75, dropout_rate=0.2)],
            n_per_arm=100,
            baseline_flare_rate=1.0,
            dispersion=0.5,
            followup_years=1.0,
        )
        batch = ls.simulate_trials(sc, n_trials, rng=rng)
        return np.asarray(batch.n_flares), np.asarray(batch.followup_years), treated
    rng = np.random.default_rng(rng)
    shape = (n_trials, treated.size)
    t = rng.uniform(0.4, 1.0, shape)
    y = rng.poisson(rng.gamma(2.0, 0.5, shape) * t * np.where(treated, 0.75, 1.0))
    return y, t, treated


def run(kind, args):
    y, t, treated = design(kind, args.trials, args.seed)
    k = min(args.subset, args.trials)
    ls.compare_rates_batch(y[:50], t[:50], treated)  # warm-up (imports)
    statsmodels_fit(y[0], treated, t[0])
    t_batch, t_loop = [], []
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        res = ls.compare_rates_batch(y, t, treated)
        t_batch.append((time.perf_counter() - t0) / args.trials)
        t0 = time.perf_counter()
        sm_out = [statsmodels_fit(y[i], treated, t[i]) for i in range(k)]
        t_loop.append((time.perf_counter() - t0) / k)
    per_batch, per_loop = float(np.median(t_batch)), float(np.median(t_loop))
    sm_b, sm_a, sm_ok = (np.array(v) for v in zip(*sm_out, strict=True))
    both = sm_ok & np.isfinite(sm_b) & ~res.boundary[:k] & res.converged[:k] & (sm_a > 1e-6)
    rel_b = np.abs(res.log_rate_ratio[:k] - sm_b) / np.maximum(np.abs(sm_b), 1e-3)
    rel_a = np.abs(res.dispersion[:k] - sm_a) / sm_a
    return {
        "design": kind,
        "batch_us": per_batch * 1e6,
        "loop_ms": per_loop * 1e3,
        "ratio": per_loop / per_batch,
        "rel_b": float(rel_b[both].max()) if both.any() else np.nan,
        "rel_a": float(rel_a[both].max()) if both.any() else np.nan,
        "n_both": int(both.sum()),
        "k": k,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--subset", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261125)
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores\n")
    print(
        "| follow-up | compare_rates_batch per trial | statsmodels NB (Newton) per trial | ratio | "
        "vs R glm.nb | max rel. diff log RR / alpha |"
    )
    print("|---|---|---|---|---|---|")
    for kind in ("dropout", "uniform"):
        r = run(kind, args)
        vs_r = R_GLMNB_MS_PER_TRIAL * 1e3 / r["batch_us"]
        print(
            f"| {kind} ({args.trials:,} x 200) | {r['batch_us']:.1f} us | {r['loop_ms']:.2f} ms | "
            f"{r['ratio']:.0f}x | {vs_r:.0f}x | {r['rel_b']:.1e} / {r['rel_a']:.1e} ({r['n_both']}/{r['k']} trials) |"
        )


if __name__ == "__main__":
    main()
