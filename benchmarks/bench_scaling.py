"""Scaling of simulate + analyse: time and peak memory against trials and patients; power_grid on 2 workers.

* ``ls.simulate_power`` (NB flare-rate endpoint, the ``bench_power`` scenario) for 10^3 to 10^6
  trials of 200 patients, and for 100 to 10,000 patients per trial (1,000 trials).  Trials are
  simulated and analysed in chunks of about 500,000 patient-trials, so memory should stay flat in
  the number of trials.  Each run is a **fresh subprocess**: its peak resident memory is the
  process's ``ru_maxrss``; "above import" subtracts the resident memory after ``import lupusstats``
  and a 10-trial warm-up (so imports are not counted).
* ``ls.power_grid`` (4 x 4 cells x ``GRID_TRIALS`` trials) on the serial, processes and Dask
  backends with ``n_workers=2``.  ``power_grid`` keeps its process pool and its own Dask
  LocalCluster between calls, so only the first 1-cell, 10-trial grid ("start-up") starts the
  workers; the repeats after it measure warm workers (``bench_power.py --grid`` times a cold and a
  warm call side by side).  The tables must be identical
  (each cell has its own spawned stream).

The machine may be shared: the 1-minute load average is recorded before every run and printed
beside it; each configuration runs ``REPEATS`` times (10^6 trials: once) and the median is shown.

Run: ``python benchmarks/bench_scaling.py`` (markdown tables);
``python benchmarks/bench_scaling.py --figure`` also writes ``docs/figures/scaling.png`` and
``benchmarks/scaling.json``; ``--quick`` stops at 10^5 trials and 1,000 patients.
"""

from __future__ import annotations

import json
import os
import pathlib
import resource
import subprocess
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
REPEATS = 3
TRIALS = [1_000, 10_000, 100_000, 1_000_000]
PATIENTS = [100, 1_000, 10_000]  # per trial (two equal arms)
PATIENT_TRIALS = 1_000
GRID_TRIALS = 2_000


def _scenario(n_per_arm):
    import lupusstats as ls

    return ls.Scenario(
        [ls.Arm("standard care", dropout_rate=0.2), ls.Arm("stem cells", flare_rate_ratio=0.7, dropout_rate=0.2)],
        n_per_arm=n_per_arm,
        baseline_flare_rate=1.0,
        dispersion=0.5,
        followup_years=1.0,
    )


def _rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _child(n_trials: int, n_per_arm: int) -> None:
    import lupusstats as ls

    sc = _scenario(n_per_arm)
    ls.simulate_power(sc, n_trials=10, rng=0)  # warm-up: lazy imports
    before = _rss_mib()
    t0 = time.perf_counter()
    res = ls.simulate_power(sc, n_trials=n_trials, rng=1)
    elapsed = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB -> MiB on Linux
    print(json.dumps({"time": elapsed, "peak_mib": peak, "above_import_mib": peak - before, "power": res.power}))


def _run(n_trials: int, n_per_arm: int) -> dict:
    load = os.getloadavg()[0]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(n_trials), str(n_per_arm)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return {**json.loads(out.stdout.strip().splitlines()[-1]), "load": load}


def _measure(n_trials: int, n_per_arm: int) -> dict:
    repeats = 1 if n_trials >= 1_000_000 else REPEATS
    runs = [_run(n_trials, n_per_arm) for _ in range(repeats)]
    summary = {k: float(np.median([r[k] for r in runs])) for k in ("time", "peak_mib", "above_import_mib")}
    summary["loads"] = [round(r["load"], 2) for r in runs]
    summary["repeats"] = repeats
    summary["n_trials"], summary["n_patients"] = n_trials, 2 * n_per_arm
    return summary


def _row(m: dict, per: str) -> str:
    rate = m["n_trials"] * m["n_patients"] / m["time"] / 1e6
    loads = ", ".join(f"{x:.1f}" for x in m["loads"])
    return (
        f"| {m['n_trials']:,} | {m['n_patients']:,} | {m['time']:.2f} s | {per} | {rate:.2f} M/s | "
        f"{m['peak_mib']:.0f} MiB | {m['above_import_mib']:.0f} MiB | {m['repeats']} | {loads} |"
    )


def _grid() -> list[str]:
    import lupusstats as ls

    sc = _scenario(100)
    kw = dict(n_per_arm=[50, 100, 150, 200], rate_ratio=[0.5, 0.6, 0.7, 0.8], n_trials=GRID_TRIALS, rng=1)
    tiny = dict(n_per_arm=[50], rate_ratio=[0.7], n_trials=10, rng=0)
    ls.power_grid(sc, **tiny)  # warm-up
    times: dict[str, list[float]] = {}
    startup: dict[str, list[float]] = {}
    loads: dict[str, list[float]] = {}
    ref = None
    same = True
    for _ in range(REPEATS):
        for backend in ("serial", "processes", "dask"):
            workers = None if backend == "serial" else 2
            t0 = time.perf_counter()
            ls.power_grid(sc, backend=backend, n_workers=workers, **tiny)
            startup.setdefault(backend, []).append(time.perf_counter() - t0)
            loads.setdefault(backend, []).append(os.getloadavg()[0])
            t0 = time.perf_counter()
            grid = ls.power_grid(sc, backend=backend, n_workers=workers, **kw)
            times.setdefault(backend, []).append(time.perf_counter() - t0)
            ref = grid if ref is None else ref
            same = same and grid.equals(ref)
    serial = float(np.median(times["serial"]))
    lines = [
        f"\n`power_grid`, 16 cells x {GRID_TRIALS:,} trials, median of {REPEATS}; tables identical on every "
        f"backend: {same}\n",
        "| backend | workers | time | speed-up vs serial | start-up (1 cell, 10 trials) | speed-up net of start-up "
        "| load (1 min) at each run |",
        "|---|---|---|---|---|---|---|",
    ]
    for backend in ("serial", "processes", "dask"):
        t, s0 = float(np.median(times[backend])), float(np.median(startup[backend]))
        workers = 1 if backend == "serial" else 2
        load_text = ", ".join(f"{x:.1f}" for x in loads[backend])
        net = serial / max(t - s0, 1e-9) if backend != "serial" else 1.0
        lines.append(
            f"| {backend} | {workers} | {t:.2f} s | {serial / t:.2f}x | {s0:.2f} s | {net:.2f}x | {load_text} |"
        )
    return lines


def _figure(trials: list[dict], patients: list[dict]) -> pathlib.Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), constrained_layout=True)
    for ax, rows, key, label in (
        (axes[0], trials, "n_trials", "trials (200 patients each)"),
        (axes[1], patients, "n_patients", f"patients per trial ({PATIENT_TRIALS:,} trials)"),
    ):
        x = [r[key] for r in rows]
        ax.loglog(x, [r["time"] for r in rows], "o-", color="C0", label="time (s)")
        ax.set_xlabel(label)
        ax.set_ylabel("time (s)", color="C0")
        ax.grid(True, which="major", alpha=0.3)
        mem = ax.twinx()
        mem.semilogx(x, [r["above_import_mib"] for r in rows], "s--", color="C3", label="peak memory above import")
        mem.set_ylabel("peak memory above import (MiB)", color="C3")
        mem.set_ylim(bottom=0)
    loads = [x for r in trials + patients for x in r["loads"]]
    fig.suptitle(
        "simulate_power (NB), simulate + analyse in chunks: time and peak memory "
        f"(2 cores, load {min(loads):.1f}-{max(loads):.1f})",
        fontsize=10,
    )
    path = ROOT / "docs" / "figures" / "scaling.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main() -> None:
    quick = "--quick" in sys.argv
    trials_sizes = [n for n in TRIALS if not (quick and n > 100_000)]
    patient_sizes = [n for n in PATIENTS if not (quick and n > 1_000)]
    print(f"{os.cpu_count()} cores; load average at start: " + " ".join(f"{x:.2f}" for x in os.getloadavg()) + "\n")
    header = [
        "| trials | patients | time | per trial | patient-trials / s | peak RSS | peak above import | runs | "
        "load (1 min) at each run |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    print("\n".join(header))
    trials = []
    for n in trials_sizes:
        m = _measure(n, 100)
        trials.append(m)
        print(_row(m, f"{m['time'] / n * 1e6:.0f} us"), flush=True)
    base = trials[0]
    for m in trials[1:]:
        print(
            f"| ratio {m['n_trials']:,} / {base['n_trials']:,} trials | | time x{m['time'] / base['time']:.1f} "
            f"(size x{m['n_trials'] // base['n_trials']}) | | | memory x{m['peak_mib'] / base['peak_mib']:.2f} | | | |"
        )
    patients = []
    for n in patient_sizes:
        m = _measure(PATIENT_TRIALS, n // 2)
        patients.append(m)
        print(_row(m, f"{m['time'] / PATIENT_TRIALS * 1e6:.0f} us"), flush=True)
    base = patients[0]
    for m in patients[1:]:
        print(
            f"| ratio {m['n_patients']:,} / {base['n_patients']:,} patients | | time x{m['time'] / base['time']:.1f} "
            f"(size x{m['n_patients'] // base['n_patients']}) | | | "
            f"memory x{m['peak_mib'] / base['peak_mib']:.2f} | | | |"
        )
    print("\n".join(_grid()))
    if "--figure" in sys.argv:
        (ROOT / "benchmarks" / "scaling.json").write_text(
            json.dumps({"trials": trials, "patients": patients}, indent=1) + "\n"
        )
        print(f"\nfigure: {_figure(trials, patients).relative_to(ROOT)}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(int(sys.argv[2]), int(sys.argv[3]))
    else:
        main()
