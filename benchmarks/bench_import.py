"""How long `import lupusstats` takes, and which heavy libraries it pulls in.

Each measurement is a fresh interpreter (``python -c "import lupusstats"``), so
nothing is cached in the process; the time reported is the best of several
runs (the least disturbed by other work on the machine), measured inside the
child with ``time.perf_counter`` around the import, plus the wall time of the
whole child process (interpreter start-up included) for comparison with
``python -c pass``.  The goal is under 0.5 s: statsmodels, matplotlib,
seaborn, scipy.stats and dask must load only when a function needs them.

Run: ``python benchmarks/bench_import.py [--repeat N]``.  Prints a markdown
table and the slowest modules of one ``-X importtime`` run; exits with status 1
when the best import time is 0.5 s or more or a heavy library was imported.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

HEAVY = (
    "statsmodels",
    "matplotlib",
    "seaborn",
    "scipy",
    "scipy.stats",
    "pandas",
    "dask",
    "nbformat",
    "nbclient",
    "jupyter_client",
    "PIL",
)
# Loaded on first use, never by the import itself (pandas and scipy are allowed but measured).
FORBIDDEN = ("statsmodels", "matplotlib", "seaborn", "scipy.stats", "dask", "nbformat", "nbclient")
LIMIT = 0.5

_CHILD = (
    "import sys, time, json; t = time.perf_counter(); import lupusstats; dt = time.perf_counter() - t; "
    f"print(json.dumps({{'seconds': dt, 'heavy': [m for m in {HEAVY!r} if m in sys.modules], "
    "'modules': len(sys.modules)}))"
)


def _child(code: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return time.perf_counter() - start, done.stdout


def importtime_top(n: int = 12) -> list[tuple[float, str]]:
    """The `n` slowest top-level packages (cumulative seconds) of one ``-X importtime`` run."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import lupusstats"], capture_output=True, text=True, check=True
    )
    best: dict[str, float] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self_us, cumulative_us, name = line[len("import time:") :].split("|", 2)
        name = name.strip()
        if "." in name:  # submodules are inside their package's cumulative time
            continue
        best[name] = max(best.get(name, 0.0), int(cumulative_us) / 1e6)
    return sorted(((t, name) for name, t in best.items()), reverse=True)[:n]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="fresh interpreters to run (default 7)")
    args = parser.parse_args(argv)

    baseline = min(_child("pass")[0] for _ in range(args.repeat))
    runs = []
    for _ in range(args.repeat):
        wall, out = _child(_CHILD)
        runs.append((json.loads(out), wall))
    best = min(r["seconds"] for r, _ in runs)
    median = sorted(r["seconds"] for r, _ in runs)[len(runs) // 2]
    best_wall = min(w for _, w in runs)
    heavy = runs[0][0]["heavy"]
    forbidden = [m for m in heavy if m in FORBIDDEN]

    print(f"`import lupusstats` in a fresh interpreter (best of {args.repeat}); Python {sys.version.split()[0]}\n")
    print("| measure | seconds |")
    print("|---|---|")
    print(f"| import lupusstats, best | {best:.3f} |")
    print(f"| import lupusstats, median | {median:.3f} |")
    print(f"| whole process `python -c 'import lupusstats'`, best | {best_wall:.3f} |")
    print(f"| whole process `python -c pass`, best | {baseline:.3f} |")
    print(f"\nmodules loaded: {runs[0][0]['modules']}; heavy libraries loaded: {', '.join(heavy) or 'none'}")
    print("\nslowest packages imported (one `-X importtime` run, cumulative seconds):")
    for seconds, name in importtime_top():
        print(f"  {seconds:7.3f}  {name}")

    ok = best < LIMIT and not forbidden
    if forbidden:
        print(f"\nFAIL: `import lupusstats` loads {', '.join(forbidden)}; import them inside the functions")
    if best >= LIMIT:
        print(f"\nFAIL: best import time {best:.3f} s is not under {LIMIT} s")
    if ok:
        print(f"\nOK: under {LIMIT} s and no heavy library at import")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
