"""Flare tables of simulated trials, the log-rank power formula under gamma-Poisson flares, and the comparison
of every-flare analyses on the same trials (lupusstats/power/recurrent.py), and the design explorer."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import lupusstats as ls


def _scenario(rr=0.7, n=60, dispersion=0.5, dropout=0.3, followup=1.0, rate=1.5):
    return ls.Scenario(
        [ls.Arm("standard care", dropout_rate=dropout), ls.Arm("new drug", flare_rate_ratio=rr, dropout_rate=dropout)],
        n_per_arm=n,
        baseline_flare_rate=rate,
        dispersion=dispersion,
        followup_years=followup,
    )


def test_trial_tables_agree_with_the_batch_and_the_times_are_uniform():
    batch = ls.simulate_trials(_scenario(), 40, rng=1)
    scaled = []
    for i in range(batch.n_trials):
        patients, flares = ls.trial_tables(batch, i, rng=i)
        assert len(patients) == batch.n_patients and len(flares) == batch.n_flares[i].sum()
        counts = flares.groupby("patient").size().reindex(patients["patient"], fill_value=0).to_numpy()
        np.testing.assert_array_equal(counts, batch.n_flares[i])
        first = flares.groupby("patient")["time_years"].min()
        has = batch.n_flares[i] > 0
        np.testing.assert_array_equal(first.to_numpy(), batch.first_flare_years[i][has])
        follow = patients.set_index("patient")["followup_years"].reindex(flares["patient"]).to_numpy()
        t = flares["time_years"].to_numpy()
        assert ((t > 0) & (t <= follow)).all()
        assert (flares.groupby("patient")["time_years"].diff().dropna() >= 0).all()  # sorted within patient
        scaled.append(t / follow)
    # all n flare times of a patient are iid uniform on the follow-up: pooled t / F is Uniform(0, 1)
    # (about 4000 times; the KS test rejects a correct model with probability 0.001)
    assert stats.kstest(np.concatenate(scaled), "uniform").pvalue > 0.001


def test_trial_tables_rejects_bad_input():
    batch = ls.simulate_trials(_scenario(), 3, rng=1)
    with pytest.raises(ValueError, match="trial"):
        ls.trial_tables(batch, 3)
    with pytest.raises(TypeError, match="batch"):
        ls.trial_tables("batch", 0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rr", "n", "dispersion", "dropout"),
    [(0.7, 120, 0.5, 0.3), (0.6, 80, 1.0, 0.0), (0.8, 200, 0.0, 0.2), (1.0, 100, 0.5, 0.3)],
)
def test_first_flare_formula_agrees_with_simulated_logrank_power(rr, n, dispersion, dropout):
    """Formula vs 3000 simulated log-rank tests: inside the 99.9% Wilson interval (a large-sample formula at
    these sizes; a miss has probability 0.001 if it were exact)."""
    sc = _scenario(rr=rr, n=n, dispersion=dispersion, dropout=dropout)
    sim = ls.simulate_power(sc, n_trials=3000, endpoint="time_to_first_flare", rng=7)
    formula = ls.power_time_to_first_flare(
        rr, n_per_arm=n, baseline_rate=1.5, followup_years=1.0, dispersion=dispersion, dropout_rate=dropout
    )
    low, high = sim.confidence_interval(0.999)
    assert low <= formula <= high, (formula, sim.power, low, high)


def test_first_flare_formula_null_one_sided_and_poisson_limit():
    kw = dict(n_per_arm=150, baseline_rate=1.0, followup_years=1.0)
    assert ls.power_time_to_first_flare(1.0, dispersion=0.5, **kw) == pytest.approx(0.05, abs=1e-12)
    one = ls.power_time_to_first_flare(0.7, dispersion=0.5, alternative="less", **kw)
    assert one > ls.power_time_to_first_flare(0.7, dispersion=0.5, **kw)
    assert ls.power_time_to_first_flare(0.7, dispersion=0.5, alternative="greater", **kw) < 0.05
    # no frailty, no dropout: exponential times, proportional hazards -> close to Schoenfeld with the expected events
    p = ls.power_time_to_first_flare(0.7, dispersion=0.0, **kw)
    events = 150 * ((1 - np.exp(-1.0)) + (1 - np.exp(-0.7)))
    schoenfeld = stats.norm.cdf(np.sqrt(events / 4) * abs(np.log(0.7)) - stats.norm.isf(0.025))
    assert p == pytest.approx(schoenfeld, abs=0.02)
    assert ls.power_time_to_first_flare(0.7, dispersion=0.0, **kw) == pytest.approx(
        ls.power_time_to_first_flare(0.7, dispersion=1e-13, **kw), abs=1e-6
    )
    with pytest.raises(ValueError, match="rate_ratio"):
        ls.power_time_to_first_flare(0.0, dispersion=0.5, **kw)
    with pytest.raises(ValueError, match="dropout_rate"):
        ls.power_time_to_first_flare(0.7, dispersion=0.5, dropout_rate=(0.1, 0.2, 0.3), **kw)  # type: ignore[arg-type]


def test_simulate_power_recurrent_shares_the_trials():
    sc = _scenario(rr=0.6, n=50)
    table = ls.simulate_power_recurrent(sc, n_trials=60, rng=3).set_index("analysis")
    # the NB and log-rank rows are the vectorised analyses of the very same batch
    batch = ls.simulate_trials(sc, 60, rng=np.random.default_rng(3).spawn(2)[0])
    nb = ls.compare_rates_batch(batch.n_flares, batch.followup_years, batch.arm == 1)
    assert table.loc["NB rate ratio", "n_rejected"] == int((nb.pvalue < 0.05).sum())
    assert (table["n_trials"] == 60).all()
    assert ((table["ci_low"] <= table["power"]) & (table["power"] <= table["ci_high"])).all()


def test_simulate_power_recurrent_type_one_error():
    """Under no effect each analysis rejects about 5%: 300 shared trials, inside the 99.9% Clopper-Pearson interval."""
    table = ls.simulate_power_recurrent(_scenario(rr=1.0, n=40), n_trials=300, rng=11)
    for row in table.itertuples():
        ci = stats.binomtest(row.n_rejected, row.n_trials).proportion_ci(0.999)
        assert ci.low <= 0.05 <= ci.high, row


# ------------------------------------------------------------------------------------------ the explorer


def test_explorer_display_has_a_static_fallback_and_reacts():
    pytest.importorskip("ipywidgets")
    from lupusstats.explorer import ExplorerDesign, design_explorer, explorer_power

    ex = design_explorer(ExplorerDesign(n_per_arm=100), n_trials=100, rng=1)
    bundle = ex._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle and bundle["image/png"]
    png = ex.image.value
    ex.controls["endpoint"].value = "responder"
    assert ex.design.endpoint == "responder" and ex.controls["rate_ratio"].disabled
    assert not ex.controls["response_treated"].disabled and ex.image.value != png
    assert float(explorer_power(ex.design)) == pytest.approx(
        ls.power_proportions(ex.design.response_treated, p_reference=ex.design.response_reference, n_per_arm=100)
    )
    sim = ex.simulate(200, rng=5)
    assert sim.design == ex.design and ex.progress.value == 200 and "simulated" in ex.status.value
    ex.controls["n_per_arm"].value = 150  # a new design: the old simulation is no longer shown
    assert "simulated" not in ex.status.value


def test_explorer_formula_matches_the_power_functions():
    from lupusstats.explorer import ExplorerDesign, explorer_power

    d = ExplorerDesign(rate_ratio=0.6, dispersion=0.8, n_per_arm=90, followup_years=1.5, dropout=0.25)
    assert float(explorer_power(d)) == pytest.approx(
        ls.power_rate_ratio(0.6, n_per_arm=90, baseline_rate=1.0, followup_years=1.5, dispersion=0.8,
                            dropout_rate=d.dropout_rate)
    )  # fmt: skip
    f = d.replace(endpoint="time_to_first_flare")
    assert float(explorer_power(f)) == pytest.approx(
        ls.power_time_to_first_flare(0.6, n_per_arm=90, baseline_rate=1.0, followup_years=1.5, dispersion=0.8,
                                     dropout_rate=d.dropout_rate)
    )  # fmt: skip
    with pytest.raises(ValueError, match="endpoint"):
        d.replace(endpoint="sledai")
