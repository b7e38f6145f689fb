"""The disease-activity (visits) model: ``simulate_visits`` against the code it replaced, and an SRI-4 power run.

* ``simulate_visits``, 200 trials x 300 patients x 14 visits (the BLISS-52 schedule), the current
  code against the pre-speed-up implementation kept verbatim in
  ``tests/test_activity_identity.py`` (same inputs, same seed: the outputs are checked equal), and
  against the **random-number floor**: the very same generator calls (recorded from a run, replayed
  on a fresh generator) with no model around them.  The model must make those draws, so
  ``old / floor`` bounds any speed-up.
* ``ls.simulate_power(endpoint="sri4")``, 2,000 trials x 300 patients, end to end, with the current
  visits model and with the old one swapped in (p-values checked identical); the NB endpoint for scale.

Rounds alternate current / old / floor and the medians are reported, with wall time and the
process's CPU time (``time.thread_time``: less sensitive to other jobs on a shared machine), and
the load average before and after.

Run: ``python benchmarks/bench_visits.py`` (prints a markdown table).
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import time

import numpy as np

import lupusstats as ls
import lupusstats.model.simulate as _sim
from lupusstats.model.activity import simulate_visits

ROOT = pathlib.Path(__file__).resolve().parents[1]
N_TRIALS, N_PER_ARM, ROUNDS = 200, 150, 7
POWER_TRIALS, POWER_ROUNDS = 2000, 3


def _identity_module():
    spec = importlib.util.spec_from_file_location("_activity_identity", ROOT / "tests" / "test_activity_identity.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Recorder:
    """A Generator stand-in that forwards every call and records (method, args, kwargs)."""

    def __init__(self, rng):
        self._rng, self.calls = rng, []

    def __getattr__(self, name):
        method = getattr(self._rng, name)

        def call(*args, **kwargs):
            self.calls.append((name, args, kwargs))
            return method(*args, **kwargs)

        return call


def _replay(calls, seed):
    rng = np.random.default_rng(seed)
    for name, args, kwargs in calls:
        getattr(rng, name)(*args, **kwargs)


def _timed(fn):
    w0, c0 = time.perf_counter(), time.thread_time()
    result = fn()
    return result, time.perf_counter() - w0, time.thread_time() - c0


def _load() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def main() -> None:
    ident = _identity_module()
    old_visits = ident._reference_simulate_visits
    sc = ls.preset("bliss52", n_per_arm=N_PER_ARM)
    inputs = ident._inputs(sc, N_TRIALS, seed=1)
    recorder = _Recorder(np.random.default_rng(0))
    simulate_visits(sc, **inputs, rng=recorder)
    calls = recorder.calls

    load0 = _load()
    times: dict[str, list[tuple[float, float]]] = {"current": [], "old": [], "floor": []}
    for r in range(ROUNDS):
        new, w, c = _timed(lambda r=r: simulate_visits(sc, **inputs, rng=np.random.default_rng(r)))
        times["current"].append((w, c))
        old, w, c = _timed(lambda r=r: old_visits(sc, **inputs, rng=np.random.default_rng(r)))
        times["old"].append((w, c))
        _, w, c = _timed(lambda r=r: _replay(calls, r))
        times["floor"].append((w, c))
        assert all(np.array_equal(new[k], old[k]) for k in old), "current and old visits differ"
    load1 = _load()
    med = {k: np.median(np.array(v), axis=0) for k, v in times.items()}
    n_visits = new["week"].size
    print(f"load average (1, 5, 15 min) before: {load0}; after: {load1}; {os.cpu_count()} cores\n")
    print(f"simulate_visits, {N_TRIALS} trials x {2 * N_PER_ARM} patients x {n_visits} visits, median of {ROUNDS}")
    print(f"({len(calls)} generator calls)\n")
    print("| code | wall | CPU |")
    print("|---|---|---|")
    for k, label in (("current", "current"), ("old", "old (before issue 17)"), ("floor", "random-number floor")):
        print(f"| {label} | {med[k][0] * 1e3:.0f} ms | {med[k][1] * 1e3:.0f} ms |")
    for num, den, label in (
        ("old", "current", "speed-up, old / current"),
        ("current", "floor", "current / floor"),
        ("old", "floor", "old / floor (the most any speed-up can give)"),
    ):
        print(f"| {label} | {med[num][0] / med[den][0]:.2f}x | {med[num][1] / med[den][1]:.2f}x |")

    # end to end: SRI-4 power with the current and the old visits model
    sc_power = ls.preset("bliss52", n_per_arm=N_PER_ARM)
    runs: dict[str, list[tuple[float, float]]] = {"current": [], "old": [], "nb": []}
    load0 = _load()
    for r in range(POWER_ROUNDS):
        res_new, w, c = _timed(lambda r=r: ls.simulate_power(sc_power, n_trials=POWER_TRIALS, endpoint="sri4", rng=r))
        runs["current"].append((w, c))
        original = _sim.simulate_visits
        _sim.simulate_visits = old_visits  # type: ignore[assignment]
        try:
            res_old, w, c = _timed(
                lambda r=r: ls.simulate_power(sc_power, n_trials=POWER_TRIALS, endpoint="sri4", rng=r)
            )
        finally:
            _sim.simulate_visits = original  # type: ignore[assignment]
        runs["old"].append((w, c))
        assert np.array_equal(res_new.pvalues, res_old.pvalues), "SRI-4 p-values differ"
        _, w, c = _timed(lambda r=r: ls.simulate_power(sc_power, n_trials=POWER_TRIALS, rng=r))
        runs["nb"].append((w, c))
    load1 = _load()
    pm = {k: np.median(np.array(v), axis=0) for k, v in runs.items()}
    print(f"\nload average before: {load0}; after: {load1}\n")
    print(f"ls.simulate_power, bliss52, {POWER_TRIALS:,} trials x {2 * N_PER_ARM} patients, median of {POWER_ROUNDS}\n")
    print("| endpoint | wall | CPU | note |")
    print("|---|---|---|---|")
    print(
        f"| sri4, current visits model | {pm['current'][0]:.2f} s | {pm['current'][1]:.2f} s | "
        f"power {res_new.power:.3f} |"
    )
    print(f"| sri4, old visits model | {pm['old'][0]:.2f} s | {pm['old'][1]:.2f} s | identical p-values |")
    print(
        f"| sri4 speed-up, old / current | {pm['old'][0] / pm['current'][0]:.2f}x | "
        f"{pm['old'][1] / pm['current'][1]:.2f}x | |"
    )
    print(
        f"| flare_rate (NB), for scale | {pm['nb'][0]:.2f} s | {pm['nb'][1]:.2f} s | sri4 = "
        f"{pm['current'][0] / pm['nb'][0]:.1f}x the NB time (wall) |"
    )


if __name__ == "__main__":
    main()
