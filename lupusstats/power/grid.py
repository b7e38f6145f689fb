"""Scenario grids of simulated power on the serial, processes and Dask backends.

The public name :func:`power_grid` is re-exported by :mod:`lupusstats.power`.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from lupusstats._core import validation as _v
from lupusstats._core.types import RNGLike
from lupusstats.model.scenario import Scenario
from lupusstats.power.formula import power_rate_ratio
from lupusstats.power.simulation import _formula_for, _sim_iv, _two_arm, simulate_power

if TYPE_CHECKING:
    import pandas as pd

_BACKENDS = ("serial", "processes", "dask")


# =========================================================================== grids
def _apply_change(scenario, key, value, arm):
    """Apply one `vary` entry: a Scenario field, ``"<arm>:<field>"`` or ``"*:<field>"``."""
    if ":" in key:
        who, field = key.split(":", 1)
        names = scenario.arm_names if who == "*" else [arm if who == "<treated>" else who]
        for name in names:
            scenario = scenario.with_arm(name, **{field: value})
        return scenario
    return scenario.replace(**{key: value})


def _grid_cell(payload):
    """Simulate one grid cell (runs in a worker): its PowerResult and the formula power of the same design.

    The PowerResult itself is returned (pickled back from a process or Dask
    worker), so every backend hands :func:`power_grid` the same objects.
    """
    sc, changes, options, stream = payload
    arm = options["arm"]
    for key, value in changes.items():
        if key == "rate_ratio":
            continue
        if key == "n_per_arm":
            sc = sc.replace(n_per_arm=value)
        else:
            sc = _apply_change(sc, key, value, arm)
    if "rate_ratio" in changes:
        sc = sc.with_arm(arm, flare_rate_ratio=changes["rate_ratio"])
    res = simulate_power(
        sc,
        n_trials=options["n_trials"],
        endpoint=options["endpoint"],
        model=options["model"],
        alpha=options["alpha"],
        rng=stream,
        arm=arm,
        alternative=options["alternative"],
    )
    formula = math.nan
    if options["endpoint"] == "flare_rate" and options["model"] == "negbin":
        f = _formula_for(_two_arm(sc, arm)[0])
        formula = float(  # scalar inputs: already a float
            power_rate_ratio(
                f.pop("rate_ratio"),
                n_per_arm=_two_arm(sc, arm)[0].n_per_arm[0],
                alpha=options["alpha"],
                alternative=options["alternative"],
                **f,
            )
        )
    return res, formula


def _grid_cell_kept(payload):
    """:func:`_grid_cell`, with a failure returned as its message so that one cell cannot sink the grid."""
    try:
        return _grid_cell(payload)
    except Exception as err:  # any failure of this cell's design: reported with the cell, the others go on
        return None, f"{type(err).__name__}: {err}"


def _row(res, formula):
    """The grid row of one cell, from its PowerResult."""
    return {
        "power": res.power,
        "mc_se": res.mc_se,
        "ci_low": res.ci_low,
        "ci_high": res.ci_high,
        "n_trials": res.n_trials,
        "n_undefined": res.n_undefined,
        "power_formula": formula,
    }


def power_grid(
    scenario: Scenario,
    *,
    n_per_arm: Sequence[int | Sequence[int]],
    rate_ratio: Sequence[float],
    n_trials: int,
    rng: RNGLike = None,
    backend: str = "serial",
    vary: Mapping[str, Sequence[Any]] | None = None,
    endpoint: str = "flare_rate",
    model: str = "negbin",
    alpha: float = 0.05,
    arm: str | None = None,
    alternative: str = "two-sided",
    n_workers: int | None = None,
    client: Any = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Simulated power over a grid of designs: n per arm x rate ratio (x any scenario parameter).

    Every cell is an independent :func:`simulate_power` run with its own random
    stream, spawned from `rng` in grid order (``SeedSequence.spawn``), so the
    table is the same whatever the backend and the number of workers.

    Parameters
    ----------
    scenario : Scenario
        The base design; grid values replace its parameters cell by cell.
    n_per_arm : list of int (or of per-arm tuples)
        Sizes; an int gives every arm that many patients.
    rate_ratio : list of float
        Flare rate ratios (> 0), set on the compared arm (`arm`); other
        non-reference arms are not simulated.
    n_trials : int
        Simulated trials per cell.
    rng : None, int, SeedSequence or Generator
    backend : {"serial", "processes", "dask"}
        ``"processes"``: ``concurrent.futures.ProcessPoolExecutor`` on
        `n_workers` local processes (default: all cores).  ``"dask"``: the
        ``dask.distributed`` `client` passed in (a cluster of any size), or a
        temporary ``LocalCluster`` with `n_workers` processes.  Dask is the
        optional extra ``pip install lupusstats[dask]``.
    vary : mapping of str to list, optional
        More grid axes.  Keys: a Scenario parameter (``"dispersion"``,
        ``"followup_years"``, ``"baseline_flare_rate"`` ...); ``"<arm name>:<arm
        parameter>"`` for one arm (e.g. ``"standard care:dropout_rate"``);
        ``"*:<arm parameter>"`` for every arm (e.g. ``"*:dropout_rate"``);
        ``"<treated>:<arm parameter>"`` for the compared arm (e.g.
        ``"<treated>:severity_odds_ratio"``).  Grid columns carry these keys.
    endpoint, model, alpha, arm, alternative
        As in :func:`simulate_power`.
    n_workers : int, optional
    client : dask.distributed.Client, optional
    progress : bool
        tqdm bar over cells (serial and processes backends).

    Returns
    -------
    DataFrame
        One row per cell: ``n_per_arm, rate_ratio``, one column per `vary` key,
        then ``power, mc_se, ci_low, ci_high`` (95% Wilson), ``n_trials,
        n_undefined`` and ``power_formula`` (:func:`power_rate_ratio` for the
        same design; NaN unless ``endpoint="flare_rate"`` and ``model="negbin"``;
        treatment-related deaths are not in the formula), ``endpoint``,
        ``model``, and last ``result``: the cell's :class:`PowerResult` (per-trial
        ``pvalues``, ``confidence_interval(level)``), the same on every backend.
        A cell that fails (its design raises) does not stop the grid: its
        numbers are NaN, its ``result`` None, a last column ``error`` (present
        only then) holds the message, and a ``RuntimeWarning`` names the cells.

    Raises
    ------
    RuntimeError
        A worker process died (``BrokenProcessPool``: a script without the
        ``if __name__ == "__main__":`` guard, or a worker killed when memory
        ran out), or the Dask scheduler of `client` is not reachable; the
        message says which and what to do.

    Examples
    --------
    >>> import lupusstats as ls
    >>> sc = ls.Scenario([ls.Arm("standard care"), ls.Arm("new drug")], n_per_arm=50,
    ...                  baseline_flare_rate=1.0, dispersion=0.5, followup_years=1.0)
    >>> grid = ls.power_grid(sc, n_per_arm=[50, 100], rate_ratio=[0.6, 0.8], n_trials=200, rng=1)
    >>> grid.shape[0], list(grid.columns[:4])
    (4, ['n_per_arm', 'rate_ratio', 'power', 'mc_se'])
    """
    import pandas as pd

    n_trials, endpoint, model, alpha, alternative = _sim_iv(n_trials, endpoint, model, alpha, alternative)
    backend = _v.check_choice("backend", backend, _BACKENDS)
    _, arm = _two_arm(scenario, arm)
    axes = {"n_per_arm": _grid_values("n_per_arm", n_per_arm), "rate_ratio": _grid_values("rate_ratio", rate_ratio)}
    for r in axes["rate_ratio"]:
        _v.check_positive("rate_ratio", r)
    for n in axes["n_per_arm"]:
        if isinstance(n, (tuple, list)):
            for i, m in enumerate(n):
                _v.check_int(f"n_per_arm[{i}]", m, minimum=1)
        else:
            _v.check_int("n_per_arm", n, minimum=1)
    if vary is not None:
        if not isinstance(vary, Mapping):
            raise TypeError(
                f"`vary` must be a mapping of parameter name to a list of values, got {type(vary).__name__}."
            )
        for key, values in vary.items():
            if key in axes:
                raise ValueError(f"`vary` must not repeat {key!r}; pass it as its own argument.")
            axes[key] = _grid_values(f"vary[{key!r}]", values)
            _apply_change(scenario, key, axes[key][0], arm)  # fail early on an unknown parameter
    if n_workers is not None:
        n_workers = _v.check_int("n_workers", n_workers, minimum=1)
    cells = [dict(zip(axes, combo, strict=True)) for combo in itertools.product(*axes.values())]
    _v.check_rng(rng)
    streams = np.random.default_rng(rng).spawn(len(cells))
    options = {
        "arm": arm,
        "n_trials": n_trials,
        "endpoint": endpoint,
        "model": model,
        "alpha": alpha,
        "alternative": alternative,
    }
    payloads = [
        (scenario, cell, options, stream) for cell, stream in zip(cells, streams, strict=True)
    ]  # Scenario pickles
    outcomes = _run(payloads, backend, n_workers, client, progress)
    failed = {i: o[1] for i, o in enumerate(outcomes) if o[0] is None}
    empty = dict.fromkeys(("power", "mc_se", "ci_low", "ci_high", "n_trials", "n_undefined", "power_formula"), math.nan)
    frame = pd.DataFrame(
        [
            {
                **{k: (v if not isinstance(v, list) else tuple(v)) for k, v in c.items()},
                **(empty if i in failed else _row(*o)),
            }
            for i, (c, o) in enumerate(zip(cells, outcomes, strict=True))
        ]
    )
    frame["endpoint"] = endpoint
    frame["model"] = model
    frame["result"] = pd.Series([o[0] for o in outcomes], index=frame.index, dtype=object)
    if failed:
        import warnings

        frame["error"] = [failed.get(i, "") for i in range(len(cells))]
        shown = "; ".join(f"cell {cells[i]}: {msg}" for i, msg in list(failed.items())[:5])
        warnings.warn(
            f"power_grid: {len(failed)} of {len(cells)} cell(s) failed and have NaN power (column `error`); "
            f"the other cells are complete. {shown}",
            RuntimeWarning,
            stacklevel=2,
        )
    return frame


def _grid_values(name, values):
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
        raise TypeError(f"`{name}` must be a list of values, got {values!r}.")
    values = list(values.tolist() if isinstance(values, np.ndarray) else values)
    if not values:
        raise ValueError(f"`{name}` must hold at least one value, got an empty list.")
    return values


def _run(payloads, backend, n_workers, client, progress):
    if backend == "serial":
        it: Iterator[Any] = map(_grid_cell_kept, payloads)
        if progress:
            from tqdm.auto import tqdm

            it = tqdm(it, total=len(payloads), desc="power_grid", unit="cell")
        return list(it)
    if backend == "processes":
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        workers = n_workers or os.cpu_count() or 1
        # "spawn"/"forkserver" avoid forking a process that may hold threads (BLAS, Jupyter)
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
        try:
            with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(method)) as pool:
                it = pool.map(_grid_cell_kept, payloads)
                if progress:
                    from tqdm.auto import tqdm

                    it = tqdm(it, total=len(payloads), desc="power_grid", unit="cell")
                return list(it)
        except BrokenProcessPool:
            raise RuntimeError(_broken_pool_message(method)) from None
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ImportError("backend='dask' needs dask.distributed: pip install 'lupusstats[dask]'.") from None
    if client is not None:
        if not isinstance(client, Client):
            raise TypeError(f"`client` must be a dask.distributed.Client, got {type(client).__name__}.")
        try:
            futures = client.map(_grid_cell_kept, payloads, pure=False)
            return client.gather(futures)
        except (OSError, TimeoutError) as err:  # CommClosedError is an OSError
            address = getattr(getattr(client, "scheduler", None), "address", None) or "(unknown address)"
            raise RuntimeError(
                f"power_grid(backend='dask'): the Dask scheduler {address} is not reachable ({type(err).__name__}: "
                f"{err}). Start the scheduler and its workers (or a LocalCluster) and pass a connected Client, "
                "or use backend='processes' to run on this machine."
            ) from None
    workers = n_workers or os.cpu_count() or 1
    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as own,
    ):
        futures = own.map(_grid_cell_kept, payloads, pure=False)
        return own.gather(futures)


def _broken_pool_message(method):
    """What a BrokenProcessPool means for power_grid, and what to do."""
    import sys

    main = sys.modules.get("__main__")
    script = getattr(main, "__file__", None)
    guard = (
        f' The usual cause from a script ({script}): the call is not under `if __name__ == "__main__":`. '
        f"With the {method!r} start method every worker imports the script, so put the code that calls "
        "power_grid inside that block."
        if script
        else ""
    )
    return (
        "power_grid(backend='processes'): a worker process died before finishing its cells (BrokenProcessPool)."
        + guard
        + " A worker can also be killed by the system when memory runs out: use fewer `n_workers`, fewer "
        "`n_trials` per cell, or backend='serial'. No results were kept from this run; nothing was written."
    )
