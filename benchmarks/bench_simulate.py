"""Simulation throughput, measured as ratios against baselines run in the same process.

* ``simulate_trials``: 10,000 trials x 200 patients, against the floor -- bare numpy
  gamma + Poisson draws of the same size (what any NB simulator must at least do).
* ``simulate_cohort``: 100,000 patients (tables), wall time and peak traced memory.

Run: ``python benchmarks/bench_simulate.py`` (or ``make bench``).  Prints a
markdown table; nothing is written to disk.
"""

from __future__ import annotations

import time
import tracemalloc

import numpy as np

import lupusstats as ls

N_TRIALS, N_PATIENTS = 10_000, 200


def best_of(fn, repeat=5):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def floor(rng):
    shape = (N_TRIALS, N_PATIENTS)
    u = rng.gamma(2.0, 0.5, size=shape)
    return rng.poisson(1.0 * u)


def main() -> None:
    rng = np.random.default_rng(0)
    simple = ls.Scenario(
        [ls.Arm("standard care"), ls.Arm("treatment", flare_rate_ratio=0.7)],
        n_per_arm=N_PATIENTS // 2,
        baseline_flare_rate=1.0,
        dispersion=0.5,
        followup_years=1.0,
    )
    full = ls.preset("nephritis_induction", n_per_arm=N_PATIENTS // 2)
    full = full.replace(arms=full.arms[:2])  # SOC vs IV CYC: dropout, deaths, remission, 4 AEs
    t_floor = best_of(lambda: floor(rng))
    t_simple = best_of(lambda: ls.simulate_trials(simple, N_TRIALS, rng=rng))
    t_full = best_of(lambda: ls.simulate_trials(full, N_TRIALS, rng=rng))

    big = ls.preset("nephritis_induction", n_per_arm=100_000 // 3 + 1)
    t_cohort = best_of(lambda: ls.simulate_cohort(big, rng=rng), repeat=3)
    tracemalloc.start()
    cohort = ls.simulate_cohort(big, rng=rng)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print("| benchmark | time | ratio to floor |")
    print("|---|---|---|")
    print(f"| floor: numpy gamma + Poisson, {N_TRIALS:,} x {N_PATIENTS} | {t_floor:.3f} s | 1.0x |")
    print(
        f"| simulate_trials, 2 arms, NB counts + severity + first-flare times | {t_simple:.3f} s | {t_simple / t_floor:.1f}x |"
    )
    print(
        f"| simulate_trials, nephritis preset (dropout, deaths, remission, 4 AEs) | {t_full:.3f} s | {t_full / t_floor:.1f}x |"
    )
    print(
        f"| simulate_cohort, {big.n_patients:,} patients, {len(cohort.flares):,} flares | {t_cohort:.3f} s | peak traced memory {peak / 2**20:.0f} MiB |"
    )


if __name__ == "__main__":
    main()
