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


def _grid_chunk(payload):
    """Several cells in one task: the scenario and options travel once per chunk, not once per cell.

    Returns ``(index, outcome)`` pairs, the outcome as :func:`_grid_cell_kept`.
    """
    scenario, options, items = payload
    return [(i, _grid_cell_kept((scenario, cell, options, stream))) for i, cell, stream in items]


def _chunks(payloads, n_chunks):
    """Cells dealt round-robin into at most `n_chunks` tasks ``(scenario, options, [(index, cell, stream)])``.

    Dealing (not slicing) spreads every grid axis over the chunks, so cells of
    different cost (e.g. sizes) balance across workers.  The results are put
    back in grid order by index, so the table does not depend on the chunking.
    """
    scenario, _, options, _ = payloads[0]
    n_chunks = max(1, min(n_chunks, len(payloads)))
    items = [(i, cell, stream) for i, (_, cell, _, stream) in enumerate(payloads)]
    return [(scenario, options, items[j::n_chunks]) for j in range(n_chunks)]


def _in_order(chunk_results, n):
    out: list[Any] = [None] * n
    for pairs in chunk_results:
        for i, outcome in pairs:
            out[i] = outcome
    return out


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
        ``LocalCluster`` with `n_workers` processes.  Dask is the
        optional extra ``pip install lupusstats[dask]``.  The process pool and
        the own ``LocalCluster`` are kept for the next call with as many
        workers (starting workers costs seconds) and closed at exit; cells go
        to the workers in a few chunks per worker (the scenario is sent once
        per chunk), dealt round-robin so that costly cells are spread.
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
        from concurrent.futures.process import BrokenProcessPool

        workers = n_workers or os.cpu_count() or 1
        pool, method = _process_pool(workers)
        # a few chunks per worker: few tasks (the scenario pickled once per chunk), still balanced
        chunks = _chunks(payloads, _CHUNKS_PER_WORKER * workers)
        try:
            it = pool.map(_grid_chunk, chunks)
            if progress:
                from tqdm.auto import tqdm

                bar = tqdm(total=len(payloads), desc="power_grid", unit="cell")
                it = (bar.update(len(pairs)) or pairs for pairs in it)
            return _in_order(it, len(payloads))
        except BrokenProcessPool:
            _drop_process_pool()
            raise RuntimeError(_broken_pool_message(method)) from None
        except BaseException:  # e.g. interrupted: a pool in an unknown state is not kept
            _drop_process_pool()
            raise
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ImportError("backend='dask' needs dask.distributed: pip install 'lupusstats[dask]'.") from None
    if client is not None:
        if not isinstance(client, Client):
            raise TypeError(f"`client` must be a dask.distributed.Client, got {type(client).__name__}.")
        try:
            return _dask_run(client, payloads, _dask_workers(client))
        except (OSError, TimeoutError) as err:  # CommClosedError is an OSError
            address = getattr(getattr(client, "scheduler", None), "address", None) or "(unknown address)"
            raise RuntimeError(
                f"power_grid(backend='dask'): the Dask scheduler {address} is not reachable ({type(err).__name__}: "
                f"{err}). Start the scheduler and its workers (or a LocalCluster) and pass a connected Client, "
                "or use backend='processes' to run on this machine."
            ) from None
    workers = n_workers or os.cpu_count() or 1
    if _DASK.get("workers") != workers or _DASK["client"].status != "running":
        _drop_dask_cluster()
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        _DASK.update(workers=workers, cluster=cluster, client=Client(cluster))
        if not _DASK.get("atexit"):
            import atexit

            atexit.register(_drop_dask_cluster)
            _DASK["atexit"] = True
    return _dask_run(_DASK["client"], payloads, workers)


_CHUNKS_PER_WORKER = 4
# The worker pool of the processes backend, kept for the next call with as many workers: starting
# workers (each imports numpy, scipy, pandas and lupusstats) costs about a second, often more than
# a small grid.  Workers are forked from a forkserver that has imported lupusstats once ("warm").
_POOL: dict[str, Any] = {}
# What a cell imports lazily (NB power: scipy.stats and the statsmodels proportion intervals).
_WARM_MODULES = ("lupusstats.power.grid", "pandas", "scipy.stats", "scipy.optimize", "statsmodels.stats.proportion")
# The LocalCluster of the dask backend when no client is passed, kept likewise (start-up: seconds).
_DASK: dict[str, Any] = {}


def _process_pool(workers):
    """The kept ``ProcessPoolExecutor`` with `workers` workers (made, or remade, on demand)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # "forkserver"/"spawn" avoid forking a process that may hold threads (BLAS, Jupyter)
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    key = (ProcessPoolExecutor, workers, method)  # the class too: a replaced executor gets a new pool
    if _POOL.get("key") != key or getattr(_POOL.get("pool"), "_broken", False):
        _drop_process_pool()
        context = multiprocessing.get_context(method)
        if method == "forkserver":
            # imported once in the fork server (only if it is not running yet), inherited by every worker
            context.set_forkserver_preload(list(_WARM_MODULES))
        _POOL.update(key=key, pool=ProcessPoolExecutor(max_workers=workers, mp_context=context))
        if not _POOL.get("atexit"):
            import atexit

            atexit.register(_drop_process_pool)
            _POOL["atexit"] = True
    return _POOL["pool"], method


def _drop_process_pool():
    pool = _POOL.pop("pool", None)
    _POOL.pop("key", None)
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def _drop_dask_cluster():
    client, cluster = _DASK.pop("client", None), _DASK.pop("cluster", None)
    _DASK.pop("workers", None)
    if client is not None:
        client.close()
    if cluster is not None:
        cluster.close()


def _dask_workers(client):
    try:
        return max(1, len(client.scheduler_info().get("workers", {})))
    except Exception:  # unknown (e.g. not connected yet): the map below reports an unreachable scheduler
        return 1


def _dask_run(client, payloads, workers):
    """Chunks of cells as Dask tasks (the scenario travels once per chunk), results in grid order."""
    futures = client.map(_grid_chunk, _chunks(payloads, _CHUNKS_PER_WORKER * workers), pure=False)
    return _in_order(client.gather(futures), len(payloads))


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
