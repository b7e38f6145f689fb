"""Robust at the edges (issue 18): numerical edges with defined answers, files never overwritten or
half-written, CSV injection, power_grid faults explained, determinism across backends and settings."""

from __future__ import annotations

import math
import os
import pathlib
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pandas as pd
import pytest

import lupusstats as ls
from lupusstats.cli import files
from lupusstats.cli.main import main

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _scenario(n=20):
    return ls.Scenario(
        [ls.Arm("standard care"), ls.Arm("new drug", flare_rate_ratio=0.7)],
        n_per_arm=n,
        baseline_flare_rate=1.0,
        dispersion=0.5,
        followup_years=1.0,
    )


# ------------------------------------------------------------------------------ numerical edges
ZERO_ARM = pd.DataFrame(
    {"arm": ["a"] * 10 + ["b"] * 10, "n_flares": [1, 0, 2, 1, 3, 0, 1, 2, 0, 1] + [0] * 10, "followup_years": 1.0}
)


@pytest.mark.parametrize("model", ["poisson", "negbin"])
def test_arm_with_zero_flares_gives_rate_ratio_zero_and_says_so(model):
    # Formula: the MLE of the arm's rate is 0/exposure = 0, so the rate ratio is 0 and log RR = -inf; the
    # likelihood is monotone (R glm(poisson) drifts to a coefficient near -20 with a huge SE and a Wald
    # p near 1), so the interval is [0, inf), the Wald test is undefined (p set to 1) and the note says why.
    row = ls.compare_rates(ZERO_ARM, model=model).iloc[0]
    assert row["rate_ratio"] == 0.0 and row["ci_low"] == 0.0 and row["ci_high"] == math.inf
    assert row["pvalue"] == 1.0
    assert "no events in arm 'b'" in row["note"]
    # the exact conditional test still answers: 0 of 11 events in arm b when half are expected,
    # p = 2 * 0.5**11 (binomial, R poisson.test(c(0, 11), c(10, 10)))
    assert ls.rate_ratio_test(0, 10.0, 11, 10.0).pvalue == pytest.approx(2 * 0.5**11, rel=1e-12)


def test_dispersion_at_the_poisson_boundary_and_very_large():
    # NB2 fitted to under-dispersed counts: the ML dispersion is on the boundary 0 and the NB fit is the
    # Poisson fit (MASS::glm.nb's theta -> inf); the note says so.
    row = ls.compare_rates(ZERO_ARM, model="negbin").iloc[0]
    assert row["dispersion"] == 0.0 and "Poisson boundary" in row["note"]
    assert ls.overdispersion_test(ZERO_ARM).pvalue == 1.0  # LR statistic 0: chi-bar-square p = 1
    # The power formula is continuous at dispersion 0 (Var log RR = (1/mu0 + 1/mu1)/n + 2k/n, Zhu & Lakkis
    # 2014), and as k -> inf the effect is swamped: power -> alpha.
    kw = dict(n_per_arm=100, baseline_rate=1.0, followup_years=1.0)
    assert ls.power_rate_ratio(0.7, dispersion=0.0, **kw) == pytest.approx(
        ls.power_rate_ratio(0.7, dispersion=1e-12, **kw), abs=1e-9
    )
    assert ls.power_rate_ratio(0.7, dispersion=1e6, **kw) == pytest.approx(0.05, abs=1e-3)


def test_meta_analysis_identical_estimates_and_zero_variance():
    # Identical estimates: Q = 0, so tau^2 = 0 (REML and DL), I^2 = 0 and the pooled estimate is the
    # common value with SE = 1/sqrt(sum 1/vi) (inverse-variance formula; metafor::rma agrees).
    m = ls.meta_analysis([0.3, 0.3, 0.3], [0.1, 0.1, 0.1])
    assert m.estimate == pytest.approx(0.3) and m.tau2 == 0.0 and m.q == pytest.approx(0.0, abs=1e-12)
    assert m.i2 == 0.0 and m.se == pytest.approx(math.sqrt(0.1 / 3))
    # A zero within-study variance has an infinite inverse-variance weight: refused, naming `vi`.
    with pytest.raises(ValueError, match="`vi` must be > 0"):
        ls.meta_analysis([0.3, 0.5, 0.1], [0.1, 0.0, 0.1])


def test_kaplan_meier_all_censored():
    # R: survfit(Surv(1:4, rep(0, 4)) ~ 1) gives surv 1, std.err 0, lower = upper = 1 at every time.
    km = ls.kaplan_meier([1, 2, 3, 4], [0, 0, 0, 0])
    assert (km["survival"] == 1.0).all() and (km["std_err"] == 0.0).all()
    assert (km["ci_low"] == 1.0).all() and (km["ci_high"] == 1.0).all()
    assert km["n_event"].sum() == 0 and km["n_censor"].sum() == 4


def test_cox_complete_separation_warns_with_an_infinite_estimate():
    # R coxph here warns "Loglik converged before variable 1; beta may be infinite" and prints coef -22
    # (HR 2.5e-10, CI 0 to Inf): the coefficient is where the iterations stopped, and the estimate is really 0.
    # lupusstats warns in the same way and returns HR 0 with a profile-likelihood interval (0, 0.313) and the
    # likelihood-ratio p-value (chi-square 8.497, R's "Likelihood ratio test"); tests/test_survival.py checks
    # these numbers against R for five data sets.
    time, event, group = list(range(1, 9)), [1, 1, 1, 1, 0, 0, 0, 0], list("aaaabbbb")
    with pytest.warns(RuntimeWarning, match="monotone"):
        r = ls.cox_hazard_ratio(time, event, group, reference="a")
    assert r.estimate == 0.0 and r.ci_low == 0.0 and 0 < r.ci_high < 1 and r.pvalue < 0.05


def test_nnt_when_the_risk_difference_is_exactly_zero():
    # NNT = 1 / RD = 1 / 0: infinite, and the interval passes through infinity (Altman 1998, BMJ 317:1309).
    r = ls.number_needed_to_treat(10, 100, 10, 100)
    assert r.estimate == math.inf and r.includes_infinity and r.pvalue == 1.0


def test_zero_events_everywhere_warns_instead_of_a_silent_nan():
    # R prop.test(c(0, 0), c(60, 125)): p-value NA with a warning; lupusstats: NaN with a RuntimeWarning.
    with pytest.warns(RuntimeWarning, match="undefined"):
        assert math.isnan(ls.risk_difference(0, 60, 0, 125, method="newcombe").pvalue)
    with pytest.warns(RuntimeWarning, match="0/0"):
        assert math.isnan(ls.rate_ratio_test(0, 1.0, 0, 1.0).estimate)
    with pytest.warns(RuntimeWarning, match="tied"):
        assert math.isnan(ls.mann_whitney([0, 0], [0, 0]).pvalue)


# ------------------------------------------------------------------------------ nothing overwritten
def _run(*argv):
    return main([str(a) for a in argv])


def test_simulate_refuses_to_overwrite_unless_forced(tmp_path, capsys):
    out = tmp_path / "trial"
    assert _run("simulate", "--preset", "general_cohort", "--n-per-arm", 5, "--seed", 1, "--out", out) == 0
    first = (out / "patients.csv").read_bytes()
    (out / "patients.csv").write_text("mine")
    assert _run("simulate", "--preset", "general_cohort", "--n-per-arm", 5, "--seed", 2, "--out", out) == 1
    err = capsys.readouterr().err
    assert "would overwrite" in err and "--force" in err
    assert (out / "patients.csv").read_text() == "mine"  # untouched, nothing else written either
    assert _run("simulate", "--preset", "general_cohort", "--n-per-arm", 5, "--seed", 1, "--out", out, "--force") == 0
    assert (out / "patients.csv").read_bytes() == first


def test_analyze_refuses_to_overwrite_the_card_unless_forced(tmp_path, capsys):
    out = tmp_path / "trial"
    assert _run("simulate", "--preset", "nephritis_induction", "--n-per-arm", 8, "--seed", 1, "--out", out) == 0
    (out / "effect_card.csv").write_text("my notes")
    assert _run("analyze", out) == 1
    assert "would overwrite" in capsys.readouterr().err
    assert (out / "effect_card.csv").read_text() == "my notes"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _run("analyze", out, "--force") == 0
    assert pd.read_csv(out / "effect_card.csv").shape[0] > 0


def test_csv_cells_cannot_start_a_formula_but_numbers_stay_numbers(tmp_path):
    frame = pd.DataFrame(
        {
            "arm": ['=HYPERLINK("http://x")', "+1+2", "@SUM(A1)", "-cmd", "plain", "-1.5"],
            "value": [-1.5, -2.0, 3.0, 0.0, -1e-3, 2.0],
            "count": [-1, 2, 3, 4, 5, 6],
        }
    )
    path = tmp_path / "out.csv"
    files.write_csv(frame, path)
    back = pd.read_csv(path)
    assert back["arm"].tolist() == ['\'=HYPERLINK("http://x")', "'+1+2", "'@SUM(A1)", "'-cmd", "plain", "-1.5"]
    assert back["value"].tolist() == [-1.5, -2.0, 3.0, 0.0, -1e-3, 2.0]  # numeric columns untouched
    assert back["count"].tolist() == [-1, 2, 3, 4, 5, 6]
    assert frame["arm"].iloc[0].startswith("=")  # the caller's frame is not modified


def test_interrupted_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "card.csv"
    path.write_text("old")

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        files.write_csv(pd.DataFrame({"a": [1, 2]}), path)
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["card.csv"]


def test_report_writes_only_under_its_output_folder(tmp_path):
    pytest.importorskip("nbclient")
    import nbformat

    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# T\n\nx"), nbformat.v4.new_code_cell("1+1")])
    nbformat.write(nb, notebooks / "a.ipynb")
    before = {p for p in tmp_path.rglob("*")}
    from lupusstats.cli.report import build_report

    build_report([notebooks / "a.ipynb"], tmp_path / "reports", progress=None)
    new = {p for p in tmp_path.rglob("*")} - before
    assert new and all(p.is_relative_to(tmp_path / "reports") for p in new), sorted(map(str, new))
    assert not [p for p in new if p.name.endswith(".tmp")]


# ------------------------------------------------------------------------------ faults explained
def test_a_failing_cell_is_reported_and_the_others_kept():
    with pytest.warns(RuntimeWarning, match=r"1 of 2 cell\(s\) failed.*dispersion"):
        grid = ls.power_grid(
            _scenario(), n_per_arm=[20], rate_ratio=[0.7], n_trials=20, rng=1, vary={"dispersion": [0.5, -1.0]}
        )
    assert np.isfinite(grid.loc[0, "power"]) and grid.loc[0, "error"] == ""
    assert math.isnan(grid.loc[1, "power"]) and "dispersion" in grid.loc[1, "error"]
    assert grid.loc[1, "result"] is None


def test_missing_main_guard_gives_one_message(tmp_path):
    script = tmp_path / "no_guard.py"
    script.write_text(
        textwrap.dedent(
            """
            import lupusstats as ls
            sc = ls.Scenario([ls.Arm("standard care"), ls.Arm("new drug")], n_per_arm=10,
                             baseline_flare_rate=1.0, dispersion=0.5, followup_years=1.0)
            ls.power_grid(sc, n_per_arm=[10], rate_ratio=[0.7], n_trials=5, rng=1, backend="processes", n_workers=1)
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=180, env=env)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("RuntimeError: power_grid(backend='processes'): a worker process died")
    assert 'if __name__ == "__main__":' in last and "n_workers" in last


def test_killed_worker_gives_the_same_message(monkeypatch):
    from concurrent.futures.process import BrokenProcessPool

    import lupusstats.power.grid as grid

    class Dying:
        def __init__(self, *a, **k):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def map(self, *a, **k):
            raise BrokenProcessPool("A process in the process pool was terminated abruptly")

        def shutdown(self, *a, **k):  # power_grid drops a broken pool it kept for reuse
            pass

    monkeypatch.setattr("concurrent.futures.ProcessPoolExecutor", Dying)
    with pytest.raises(RuntimeError, match=r"worker process died.*memory runs out"):
        grid.power_grid(_scenario(), n_per_arm=[10], rate_ratio=[0.7], n_trials=5, rng=1, backend="processes")


def test_unreachable_dask_scheduler_gives_one_message():
    distributed = pytest.importorskip("dask.distributed")

    class Gone(distributed.Client):
        def __init__(self):  # no connection at all: a scheduler that went away
            pass

        def map(self, *a, **k):
            raise OSError("Timed out trying to connect to tcp://10.0.0.1:8786 after 30 s")

        def __del__(self):
            pass

        def __repr__(self):
            return "Gone()"

    with pytest.raises(RuntimeError, match=r"Dask scheduler .* not reachable .*backend='processes'"):
        ls.power_grid(_scenario(), n_per_arm=[10], rate_ratio=[0.7], n_trials=5, rng=1, backend="dask", client=Gone())


# ------------------------------------------------------------------------------ determinism
def _grid(**kw):
    return ls.power_grid(_scenario(), n_per_arm=[10, 20], rate_ratio=[0.6, 0.9], n_trials=30, rng=7, **kw)


def _pvalues(grid):
    return np.concatenate([r.pvalues for r in grid["result"]])


def test_same_seed_same_numbers_whatever_the_progress_setting():
    pytest.importorskip("tqdm")
    assert np.array_equal(_pvalues(_grid()), _pvalues(_grid(progress=True)), equal_nan=True)


def test_same_seed_same_numbers_whatever_the_backend_and_workers():
    serial = _pvalues(_grid())
    assert np.array_equal(serial, _pvalues(_grid(backend="processes", n_workers=1)), equal_nan=True)
    assert np.array_equal(serial, _pvalues(_grid(backend="processes", n_workers=2)), equal_nan=True)
    pytest.importorskip("dask.distributed")
    assert np.array_equal(serial, _pvalues(_grid(backend="dask", n_workers=1)), equal_nan=True)


@pytest.mark.parametrize("endpoint", ["flare_rate", "sri4"])
@pytest.mark.parametrize("chunk_blocks", [1, 3, 1000])
def test_same_seed_same_numbers_whatever_the_chunk_size(monkeypatch, endpoint, chunk_blocks):
    # simulate_power draws the trials in blocks with their own streams (power/simulation.py _CELLS_PER_STREAM)
    # and a chunk is a whole number of blocks: a chunk of 1, 3 or all blocks gives the same trials.  A small
    # stream block (5 trials) makes 50 trials span 10 blocks, so chunks of 3 end mid-run.
    import lupusstats.power.simulation as simulation

    sc = _scenario() if endpoint == "flare_rate" else ls.preset("bliss52", n_per_arm=20)
    monkeypatch.setattr(simulation, "_CELLS_PER_STREAM", 5 * sc.n_patients)
    default = ls.simulate_power(sc, n_trials=50, endpoint=endpoint, rng=3)
    for name in ("_CELLS_PER_CHUNK", "_VISIT_CELLS_PER_CHUNK"):
        monkeypatch.setattr(simulation, name, chunk_blocks * 5 * sc.n_patients)
    again = ls.simulate_power(sc, n_trials=50, endpoint=endpoint, rng=3)
    assert np.array_equal(default.pvalues, again.pvalues, equal_nan=True)
    assert np.array_equal(default.median_estimate, again.median_estimate, equal_nan=True)


def test_concatenated_blocks_equal_the_blocks():
    # the chunk is the blocks joined in order: every per-trial array (visits included) and nothing per patient
    from lupusstats.power.simulation import _concat_batches

    sc = ls.preset("bliss52", n_per_arm=10)
    parts = [ls.simulate_trials(sc, n, rng=s, visits=True) for n, s in ((2, 1), (3, 2))]
    joined = _concat_batches(parts)
    assert joined.n_trials == 5 and np.array_equal(joined.arm, parts[0].arm)
    assert np.array_equal(joined.n_flares[2:], parts[1].n_flares)
    assert np.array_equal(joined.visits["sledai"][:2], parts[0].visits["sledai"])
    assert np.array_equal(joined.visits["week"], parts[0].visits["week"])
    for k in parts[0].adverse_events:
        assert np.array_equal(joined.adverse_events[k][2:], parts[1].adverse_events[k])
