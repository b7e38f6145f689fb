"""power_grid's parallel backends: the kept worker pool and the chunking of cells (issue 17)."""

from __future__ import annotations

import numpy as np

import lupusstats as ls
import lupusstats.power.grid as grid


def _scenario():
    return ls.Scenario(
        [ls.Arm("standard care"), ls.Arm("new drug")],
        n_per_arm=20,
        baseline_flare_rate=1.0,
        dispersion=0.5,
        followup_years=1.0,
    )


def test_chunks_deal_every_cell_once_in_round_robin():
    payloads = [("sc", {"cell": i}, "options", f"stream{i}") for i in range(11)]
    chunks = grid._chunks(payloads, 4)
    assert len(chunks) == 4
    assert all(c[0] == "sc" and c[1] == "options" for c in chunks)
    dealt = [[i for i, _, _ in c[2]] for c in chunks]
    assert dealt == [[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7]]
    # each cell keeps its own stream; more chunks than cells gives one cell per chunk
    assert all(stream == f"stream{i}" for c in chunks for i, _, stream in c[2])
    assert [len(c[2]) for c in grid._chunks(payloads, 50)] == [1] * 11
    # results come back in grid order whatever the chunking
    results = [[(i, f"out{i}") for i, _, _ in c[2]] for c in reversed(chunks)]
    assert grid._in_order(results, 11) == [f"out{i}" for i in range(11)]


def test_processes_pool_is_kept_and_tables_do_not_depend_on_workers():
    kw = dict(n_per_arm=[10, 20, 30], rate_ratio=[0.6, 0.9], n_trials=40, rng=3, vary={"dispersion": [0.3, 0.8]})
    serial = ls.power_grid(_scenario(), **kw)
    first = ls.power_grid(_scenario(), backend="processes", n_workers=2, **kw)
    pool = grid._POOL["pool"]
    again = ls.power_grid(_scenario(), backend="processes", n_workers=2, **kw)
    assert grid._POOL["pool"] is pool  # reused: no new workers for the second grid
    one = ls.power_grid(_scenario(), backend="processes", n_workers=1, **kw)
    assert grid._POOL["pool"] is not pool  # another size: a new pool replaces the old one
    for other in (first, again, one):
        assert other.drop(columns="result").equals(serial.drop(columns="result"))
        for a, b in zip(serial["result"], other["result"], strict=True):
            assert np.array_equal(a.pvalues, b.pvalues, equal_nan=True)
    grid._drop_process_pool()
    assert "pool" not in grid._POOL
