"""Run every benchmark in this folder in turn (``make bench``).

Each benchmark measures ratios against a baseline run in the same process and
prints a markdown table; see docs/benchmarks.md for the figures.
"""

from __future__ import annotations

import pathlib
import runpy
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent


def main() -> int:
    scripts = sorted(p for p in HERE.glob("bench_*.py"))
    for script in scripts:
        print(f"\n## {script.name}\n", flush=True)
        start = time.perf_counter()
        runpy.run_path(str(script), run_name="__main__")
        print(f"\n({script.name} took {time.perf_counter() - start:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
