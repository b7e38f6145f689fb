"""Power by simulation: 10,000 NB trials (200 patients each) end to end, against a statsmodels fit per trial.

* lupusstats: ``ls.simulate_power(scenario, n_trials=10_000)`` -- simulation with
  ``ls.simulate_trials`` and NB2 fits of all trials at once (``ls.compare_rates_batch``).
* baseline: the same trials fitted one by one with ``statsmodels``'
  ``NegativeBinomial`` (NB2 maximum likelihood with ``exposure``), the usual
  loop a simulation study would write.  It runs on a subset (``N_LOOP`` trials)
  and is scaled per trial to 10,000.

Both run in one process, so the ratio is fair on a loaded machine; the load
average is printed.  Also checks the two routes agree: the same reject/accept
decision on the subset (statsmodels' Wald SE uses the joint Hessian with alpha,
``MASS::glm.nb`` / lupusstats the IRLS one at the fitted alpha, so a trial near
the boundary may differ).

Run: ``python benchmarks/bench_power.py`` (prints a markdown table).
Scale-out check: ``python benchmarks/bench_power.py --grid`` also times a 4 x 4
power grid (4,000 trials per cell: seconds in serial, so that two workers can pay) on the
serial, processes and Dask backends with 2 workers: the first call ("cold": it starts the
workers) and a second one ("warm": the pool / LocalCluster is kept between calls);
``--grid-only`` runs only that.
The precise validation report: ``python benchmarks/bench_power.py --validate [N]``
runs ``ls.validate_methods(n_trials=N)`` (default 5000; minutes) and prints it.
"""

from __future__ import annotations

import os
import sys
import time
import warnings

import numpy as np

import lupusstats as ls

N_TRIALS, N_PER_ARM, N_LOOP = 10_000, 100, 200


def scenario():
    return ls.Scenario(
        [ls.Arm("standard care", dropout_rate=0.2), ls.Arm("stem cells", flare_rate_ratio=0.7, dropout_rate=0.2)],
        n_per_arm=N_PER_ARM,
        baseline_flare_rate=1.0,
        dispersion=0.5,
        followup_years=1.0,
    )


def statsmodels_loop(sc, n_trials, rng):
    import statsmodels.api as sm

    batch = ls.simulate_trials(sc, n_trials, rng=rng)
    X = sm.add_constant((batch.arm == 1).astype(float))
    pvalues = np.empty(n_trials)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(n_trials):
            fit = sm.NegativeBinomial(batch.n_flares[i], X, exposure=batch.followup_years[i]).fit(disp=0)
            pvalues[i] = fit.pvalues[1]
    return batch, pvalues


def main() -> None:
    sc = scenario()
    load = os.getloadavg()
    ls.simulate_power(sc, n_trials=200, rng=0)  # warm up imports
    times = []
    for seed in range(3):
        t0 = time.perf_counter()
        res = ls.simulate_power(sc, n_trials=N_TRIALS, rng=seed)
        times.append(time.perf_counter() - t0)
    ours = min(times)

    t0 = time.perf_counter()
    batch, p_sm = statsmodels_loop(sc, N_LOOP, np.random.default_rng(99))
    per_trial = (time.perf_counter() - t0) / N_LOOP
    baseline = per_trial * N_TRIALS

    ours_subset = ls.compare_rates_batch(batch.n_flares, batch.followup_years, batch.arm == 1).pvalue
    agree = int(np.sum((ours_subset < 0.05) == (p_sm < 0.05)))
    formula = ls.power_rate_ratio(
        0.7, n_per_arm=N_PER_ARM, baseline_rate=1.0, followup_years=1.0, dispersion=0.5, dropout_rate=0.2
    )

    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores\n")
    print("| what | time | note |")
    print("|---|---|---|")
    print(
        f"| ls.simulate_power, {N_TRIALS:,} trials x {2 * N_PER_ARM} patients (best of 3) | {ours:.2f} s | "
        f"power {res.power:.3f} (MC SE {res.mc_se:.3f}); formula {formula:.3f} |"
    )
    print(
        f"| statsmodels NegativeBinomial per trial ({N_LOOP} trials, scaled) | {baseline:.1f} s | "
        f"{per_trial * 1e3:.1f} ms per trial |"
    )
    print(f"| ratio | {baseline / ours:.0f}x faster | same reject/accept decision in {agree}/{N_LOOP} trials |")

    # the other endpoints, against the NB one (target: at most 2x), best of 3 each
    for endpoint in ("time_to_first_flare", "severity"):
        t_ep = []
        for seed in range(3):
            t0 = time.perf_counter()
            ls.simulate_power(sc, n_trials=N_TRIALS, rng=seed, endpoint=endpoint)
            t_ep.append(time.perf_counter() - t0)
        print(
            f"| ls.simulate_power, endpoint {endpoint} (best of 3) | {min(t_ep):.2f} s | "
            f"{min(t_ep) / ours:.1f}x the NB endpoint |"
        )

    if "--grid" in sys.argv:
        grid_timings(sc)


def validate(n_trials):
    t0 = time.perf_counter()
    table = ls.validate_methods(n_trials=n_trials, rng=2026)
    cols = ["method", "criterion", "estimate", "mc_low", "mc_high", "n", "verdict", "expected_valid"]
    print(f"\nvalidate_methods(n_trials={n_trials}) in {time.perf_counter() - t0:.0f} s\n")
    print(table[cols].round(4).to_string(index=False))


def grid_timings(sc, n_trials=4000):
    kw = dict(n_per_arm=[50, 100, 150, 200], rate_ratio=[0.5, 0.6, 0.7, 0.8], n_trials=n_trials, rng=1)
    print(f"\nload average before the grid: {os.getloadavg()[0]:.1f}")
    print(
        f"\n| power_grid, 16 cells x {n_trials:,} trials, 2 workers | time | vs serial | table identical to serial "
        "| largest p-value difference |"
    )
    print("|---|---|---|---|---|")
    ref, t_serial = None, None
    runs = [("serial", "serial"), ("processes", "processes, cold (starts the pool)"), ("processes", "processes, warm")]
    runs += [("dask", "dask, cold (starts a LocalCluster)"), ("dask", "dask, warm")]
    for backend, label in runs:
        t0 = time.perf_counter()
        grid = ls.power_grid(sc, backend=backend, n_workers=None if backend == "serial" else 2, **kw)
        dt = time.perf_counter() - t0
        ref = grid if ref is None else ref
        t_serial = dt if t_serial is None else t_serial
        same = grid.drop(columns="result").equals(ref.drop(columns="result"))
        # Dask's workers run with one BLAS thread (OMP_NUM_THREADS=1): p-values may differ in the last bits
        dp = max(
            float(np.nanmax(np.abs(a.pvalues - b.pvalues), initial=0.0))
            for a, b in zip(grid["result"], ref["result"], strict=True)
        )
        print(f"| {label} | {dt:.2f} s | {t_serial / dt:.2f}x | {same} | {dp:.1e} |", flush=True)
    print(f"\nload average after the grid: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    if "--validate" in sys.argv:
        i = sys.argv.index("--validate")
        validate(int(sys.argv[i + 1]) if len(sys.argv) > i + 1 else 5000)
    elif "--grid-only" in sys.argv:
        grid_timings(scenario())
    else:
        main()
