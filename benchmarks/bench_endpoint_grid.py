"""Which endpoint should a trial use? Power of every endpoint over effect size and follow-up, on Dask.

Issue 15 asks for the endpoint comparison of notebook 10 computed on a grid: for one
underlying treatment effect on disease activity (the TULIP-like design of
``ls.preset("tulip")``, its anifrolumab arm's improvement ratio scaled from no effect to the
fitted one and beyond), the power of SRI-4, BICLA, LLDAS, DORIS, drug-free remission, the NB
flare rate and the time to first flare at each follow-up, by simulation
(``ls.simulate_power``, with its Monte Carlo SE), one grid cell per (effect, follow-up,
endpoint), the cells run as ``dask.delayed`` tasks on a local cluster of 2 processes, and the
same cells serially for the wall-time ratio (same seeds, so the same numbers on both).

Run: ``python benchmarks/bench_endpoint_grid.py`` (``--quick`` for a small grid); prints a
markdown table of power by endpoint and cell, and the serial / Dask times with the load average.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
import pandas as pd

import lupusstats as ls

QUICK = "--quick" in sys.argv
RATIOS = (1.0, 1.3) if QUICK else (1.0, 1.15, 1.3, 1.6)  # x the placebo improvement rate (1.0: no effect)
FOLLOWUP_WEEKS = (52,) if QUICK else (26, 52)
ENDPOINTS = ("sri4", "bicla", "lldas", "doris", "drug_free_remission", "flare_rate", "time_to_first_flare")
N_TRIALS = 20 if QUICK else 200
N_PER_ARM = 150


def cell(ratio: float, weeks: int, endpoint: str, seed: int) -> dict:
    base = ls.preset("tulip", n_per_arm=N_PER_ARM, followup_years=weeks * 7 / 365.25)
    treated = base.arms[1].name
    # the effect on disease activity only: no flare-rate effect, the same dropout in both arms
    sc = base.with_arm(
        treated, activity_response_ratio=ratio, flare_rate_ratio=1.0, dropout_rate=base.arms[0].dropout_rate
    )
    res = ls.simulate_power(sc, n_trials=N_TRIALS, endpoint=endpoint, rng=seed)
    return {
        "improvement_ratio": ratio,
        "followup_weeks": weeks,
        "endpoint": endpoint,
        "power": res.power,
        "mc_se": res.mc_se,
    }


def cells() -> list[tuple[float, int, str, int]]:
    out = []
    for i, (ratio, weeks, endpoint) in enumerate((r, w, e) for r in RATIOS for w in FOLLOWUP_WEEKS for e in ENDPOINTS):
        out.append((ratio, weeks, endpoint, 20261202 + i))
    return out


def main() -> None:
    import dask
    from dask.distributed import Client, LocalCluster

    grid = cells()
    load = os.getloadavg()[0]
    start = time.perf_counter()
    serial = pd.DataFrame([cell(*c) for c in grid])
    t_serial = time.perf_counter() - start
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster, Client(cluster):
        start = time.perf_counter()
        results = dask.compute(*[dask.delayed(cell)(*c) for c in grid])
        t_dask = time.perf_counter() - start
    on_dask = pd.DataFrame(list(results))
    assert np.array_equal(serial["power"].to_numpy(), on_dask["power"].to_numpy()), "backends disagree"
    table = serial.pivot_table(index=["improvement_ratio", "followup_weeks"], columns="endpoint", values="power")
    print(f"{len(grid)} cells x {N_TRIALS} trials, {N_PER_ARM} per arm; load average {load:.1f} before the run\n")
    print(table[list(ENDPOINTS)].round(3).to_markdown())
    print(f"\nlargest Monte Carlo SE {serial['mc_se'].max():.3f}")
    print(f"\n| backend | wall time | ratio |\n|---|---|---|\n| serial | {t_serial:.1f} s | 1 |")
    print(f"| Dask, 2 processes | {t_dask:.1f} s | {t_serial / t_dask:.2f}x |")
    print(f"\nload average after: {os.getloadavg()[0]:.1f}; the same power in every cell on both backends")


if __name__ == "__main__":
    main()
