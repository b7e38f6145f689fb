"""Tests for lupusstats.power: formula against statsmodels, simulation against the formula,
grids identical on every backend, reproducible seeds, bad input (the vectorised log-rank
is tested in test_survival.py).

Simulation checks use Monte Carlo bounds with a stated failure probability
(z = 4.4: two-sided 1e-5 per check), never numbers drawn from one seed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import lupusstats as ls
from lupusstats.power.formula import _info_per_patient

Z_FAIL = 4.4  # two-sided failure probability ~1e-5 per Monte Carlo check


def two_arm(rate_ratio=0.7, n=100, rate=1.0, dispersion=0.5, followup=1.0, dropout=0.0, **arm):
    return ls.Scenario(
        [
            ls.Arm("standard care", dropout_rate=dropout),
            ls.Arm("new drug", flare_rate_ratio=rate_ratio, dropout_rate=dropout, **arm),
        ],
        n_per_arm=n,
        baseline_flare_rate=rate,
        dispersion=dispersion,
        followup_years=followup,
    )


# --------------------------------------------------------------------------- formula
@pytest.mark.parametrize("method_var", ["alt", "ftotal"])
@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_power_formula_against_statsmodels(method_var, alternative):
    # statsmodels.stats.rates.power_negbin_ratio_2indep: group 1 = treated (rate1, nobs1),
    # nobs2 = nobs_ratio * nobs1 = reference
    from statsmodels.stats.rates import power_negbin_ratio_2indep

    sm_alt = {"two-sided": "two-sided", "less": "smaller", "greater": "larger"}[alternative]
    for rr in (0.5, 0.75, 1.4):
        for alloc in (1.0, 2.0, 0.5):
            for disp in (0.0, 0.42, 1.0):
                ours = ls.power_rate_ratio(
                    rr,
                    n_per_arm=80,
                    baseline_rate=1.8,
                    followup_years=0.75,
                    dispersion=disp,
                    allocation=alloc,
                    alternative=alternative,
                    method_var=method_var,
                )
                ref = power_negbin_ratio_2indep(
                    1.8 * rr,
                    1.8,
                    80 * alloc,
                    nobs_ratio=1 / alloc,
                    exposure=0.75,
                    dispersion=disp,
                    alternative=sm_alt,
                    method_var=method_var,
                    return_results=False,
                )
                assert ours == pytest.approx(float(ref), rel=1e-10, abs=1e-12)


def test_power_formula_vectorised_and_monotone():
    n = np.array([50, 100, 200, 400])
    p = ls.power_rate_ratio(0.7, n_per_arm=n, baseline_rate=1.0, followup_years=1.0, dispersion=0.5)
    assert p.shape == (4,) and np.all(np.diff(p) > 0)
    grid = ls.power_rate_ratio(
        np.array([0.5, 0.7])[:, None], n_per_arm=n, baseline_rate=1.0, followup_years=1.0, dispersion=0.5
    )
    assert grid.shape == (2, 4) and np.all(grid[0] > grid[1])
    # over-dispersion and dropout cost power
    base = dict(n_per_arm=150, baseline_rate=1.0, followup_years=1.0)
    assert (
        ls.power_rate_ratio(0.7, dispersion=0.0, **base)
        > ls.power_rate_ratio(0.7, dispersion=0.5, **base)
        > ls.power_rate_ratio(0.7, dispersion=0.5, dropout_rate=0.5, **base)
    )


def test_expected_information_under_dropout_and_variable_followup():
    # E[mu t / (1 + a mu t)] with t = min(Exp(d), T): Gauss-Legendre against scipy.integrate.quad
    from scipy.integrate import quad

    mu, a, d, T = 1.7, 0.5, 0.4, 2.0
    g = lambda t: mu * t / (1 + a * mu * t)  # noqa: E731
    exact = quad(lambda s: g(s) * d * math.exp(-d * s), 0, T)[0] + g(T) * math.exp(-d * T)
    assert float(_info_per_patient(mu, [T], a, d)) == pytest.approx(exact, rel=1e-10)
    # variable follow-up: equally weighted planned follow-ups
    fus = np.array([0.5, 1.0, 2.0])
    assert float(_info_per_patient(mu, fus, a, 0.0)) == pytest.approx(np.mean(g(fus)), rel=1e-12)
    # with a single follow-up, variable-follow-up power equals the fixed one
    kw = dict(n_per_arm=90, baseline_rate=1.0, dispersion=0.5)
    assert ls.power_rate_ratio(0.7, followup_years=[1.0, 1.0], **kw) == pytest.approx(
        ls.power_rate_ratio(0.7, followup_years=1.0, **kw)
    )


def test_sample_size_is_the_smallest_reaching_the_target():
    kw = dict(baseline_rate=1.0, followup_years=1.0, dispersion=0.5, dropout_rate=(0.1, 0.2), allocation=1.5)
    res = ls.sample_size_rate_ratio(0.7, power=0.9, **kw)
    n0, n1 = res.n_per_arm
    assert n1 == math.ceil(1.5 * n0) and res.n_total == n0 + n1
    assert res.power >= 0.9
    below = ls.power_rate_ratio(
        0.7,
        n_per_arm=n0 - 1,
        allocation=math.ceil(1.5 * (n0 - 1)) / (n0 - 1),
        **{k: v for k, v in kw.items() if k != "allocation"},
    )
    assert below < 0.9
    frame = res.to_frame()
    assert list(frame.columns[:3]) == ["n_reference", "n_treated", "n_total"]


def test_sample_size_closed_form_zhu_lakkis():
    # fixed follow-up, equal allocation: n = (z_a/2 + z_b)^2 (2/(mu t) ... ) / log(RR)^2 (Zhu & Lakkis 2014, method 1)
    r0, rr, t, a = 1.2, 0.75, 1.0, 0.6
    v = 1 / (r0 * t) + 1 / (r0 * rr * t) + 2 * a
    n = (stats.norm.isf(0.025) + stats.norm.isf(0.2)) ** 2 * v / math.log(rr) ** 2
    res = ls.sample_size_rate_ratio(rr, power=0.8, baseline_rate=r0, followup_years=t, dispersion=a)
    assert res.n_per_arm[0] in (math.ceil(n) - 1, math.ceil(n))  # the opposite tail can save one patient


# --------------------------------------------------------------------------- simulation vs formula
@pytest.mark.parametrize("dropout,followup", [(0.0, 1.0), (0.5, 1.5)])
def test_simulated_power_agrees_with_formula(dropout, followup):
    # Large arms, NB counts, exponential dropout: the formula's assumptions hold.
    sc = two_arm(rate_ratio=0.75, n=150, dispersion=0.5, followup=followup, dropout=dropout)
    res = ls.simulate_power(sc, n_trials=2000, rng=np.random.SeedSequence(11))
    f = ls.power_rate_ratio(
        0.75, n_per_arm=150, baseline_rate=1.0, followup_years=followup, dispersion=0.5, dropout_rate=dropout
    )
    se = math.sqrt(f * (1 - f) / res.n_trials)
    assert abs(res.power - f) < Z_FAIL * se, (res.power, f)
    assert res.mc_se == pytest.approx(math.sqrt(res.power * (1 - res.power) / 2000))
    lo, hi = res.confidence_interval()
    assert lo < res.power < hi


@pytest.mark.parametrize("endpoint", ["time_to_first_flare", "severity", "severe_flare_rate"])
def test_type_one_error_of_the_other_endpoints(endpoint):
    sc = two_arm(rate_ratio=1.0, n=80, dispersion=0.5, dropout=0.3)
    res = ls.simulate_power(sc, n_trials=2000, endpoint=endpoint, rng=5)
    se = math.sqrt(0.05 * 0.95 / 2000)
    assert abs(res.power - 0.05) < Z_FAIL * se + 0.01, res.power  # +0.01: asymptotic tests at n = 80


def test_endpoints_detect_their_effects():
    sc = two_arm(rate_ratio=0.6, n=100, dispersion=0.3)
    for endpoint in ("flare_rate", "time_to_first_flare", "severity"):
        res = ls.simulate_power(sc, n_trials=300, endpoint=endpoint, rng=1, alternative="less")
        assert res.power > 0.5, endpoint
        assert ls.simulate_power(sc, n_trials=300, endpoint=endpoint, rng=1, alternative="greater").power < 0.05


def test_arm_option_and_other_arms_ignored():
    sc = ls.preset("nephritis_induction", n_per_arm=60)
    res = ls.simulate_power(sc, n_trials=50, arm="MSC + standard care", rng=1)
    assert res.arm == "MSC + standard care" and res.reference == "standard care"
    assert ls.simulate_power(sc, n_trials=50, rng=1).arm == "IV cyclophosphamide"


# --------------------------------------------------------------------------- sample size by simulation
def test_simulated_sample_size_near_formula():
    sc = two_arm(rate_ratio=0.6, n=50, dispersion=0.5)
    res = ls.simulate_sample_size(sc, power=0.8, n_trials=400, rng=4)
    f = ls.sample_size_rate_ratio(0.6, power=0.8, baseline_rate=1.0, followup_years=1.0, dispersion=0.5)
    # the fitted curve pools every evaluation (>= 1600 trials): within 10% of the formula here
    assert abs(res.n_per_arm[0] - f.n_per_arm[0]) < 0.1 * f.n_per_arm[0], (res.n_per_arm, f.n_per_arm)
    assert res.slope > 0 and res.n_per_arm[0] in set(res.steps["n_reference"])
    assert (res.steps["power"] < 0.8).any() and (res.steps["power"] >= 0.8).any()  # bracketed
    fitted = ls.power_rate_ratio(0.6, n_per_arm=res.n_per_arm[0], baseline_rate=1.0, followup_years=1.0, dispersion=0.5)
    assert abs(fitted - 0.8) < 0.05


# --------------------------------------------------------------------------- seeds and backends
def test_seeds_reproducible():
    sc = two_arm(n=60)
    a = ls.simulate_power(sc, n_trials=300, rng=7)
    b = ls.simulate_power(sc, n_trials=300, rng=7)
    c = ls.simulate_power(sc, n_trials=300, rng=8)
    assert np.array_equal(a.pvalues, b.pvalues)
    assert not np.array_equal(a.pvalues, c.pvalues)
    d = ls.simulate_power(sc, n_trials=300, rng=np.random.default_rng(7), progress=True)
    e = ls.simulate_power(sc, n_trials=300, rng=np.random.default_rng(7))
    assert np.array_equal(d.pvalues, e.pvalues)  # the progress bar does not change the numbers


def test_grid_identical_on_every_backend():
    from dask.distributed import Client, LocalCluster

    sc = two_arm(n=40)
    kw = dict(n_per_arm=[40, 80], rate_ratio=[0.6, 0.9], n_trials=150, rng=21, vary={"dispersion": [0.3, 0.8]})
    serial = ls.power_grid(sc, **kw)
    assert len(serial) == 8 and serial["power"].nunique() > 1
    processes = ls.power_grid(sc, backend="processes", n_workers=2, **kw)
    # threads keep the test fast; processes=True is the same code path for dask (cloud-pickled cells)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        dask2 = ls.power_grid(sc, backend="dask", client=client, **kw)
    with (
        LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        dask1 = ls.power_grid(sc, backend="dask", client=client, **kw)
    for other in (processes, dask2, dask1):
        assert other.equals(serial)


def test_grid_sends_a_preset_scenario_to_worker_processes():
    # presets carry read-only mappings (provenance, adverse events): the Scenario itself is pickled
    sc = ls.preset("nephritis_induction", n_per_arm=30)
    kw = dict(
        n_per_arm=[30],
        rate_ratio=[0.6],
        n_trials=40,
        rng=5,
        arm="MSC + standard care",
        vary={"<treated>:dropout_rate": [0.0, 0.2]},
    )
    assert ls.power_grid(sc, backend="processes", n_workers=2, **kw).equals(ls.power_grid(sc, **kw))


def test_grid_cells_match_simulate_power_and_formula_column():
    sc = two_arm(n=50, dropout=0.2)
    grid = ls.power_grid(
        sc,
        n_per_arm=[50],
        rate_ratio=[0.7],
        n_trials=100,
        rng=3,
        vary={"*:dropout_rate": [0.0, 0.4], "followup_years": [1.0]},
    )
    assert list(grid.columns[:4]) == ["n_per_arm", "rate_ratio", "*:dropout_rate", "followup_years"]
    f = ls.power_rate_ratio(0.7, n_per_arm=50, baseline_rate=1.0, followup_years=1.0, dispersion=0.5, dropout_rate=0.4)
    assert grid["power_formula"].iloc[1] == pytest.approx(f)
    # cell i draws from the i-th spawned stream
    stream = np.random.default_rng(3).spawn(2)[1]
    direct = ls.simulate_power(
        sc.replace(
            arms=[a.replace(dropout_rate=0.4, flare_rate_ratio=r) for a, r in zip(sc.arms, (1.0, 0.7), strict=True)]
        ),
        n_trials=100,
        rng=stream,
    )
    assert grid["power"].iloc[1] == direct.power


# --------------------------------------------------------------------------- plots and results
def test_plots_and_result_frames():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sc = two_arm(n=40)
    grid = ls.power_grid(
        sc,
        n_per_arm=[40, 80],
        rate_ratio=[0.6, 0.8],
        n_trials=40,
        rng=1,
        vary={"<treated>:severity_odds_ratio": [1.0, 0.5]},
        endpoint="severity",
    )
    assert grid["power_formula"].isna().all()  # no formula for the severity endpoint
    one = grid[grid["<treated>:severity_odds_ratio"] == 0.5]
    ax = ls.plots.plot_power_curve(one)
    assert len(ax.get_lines()) >= 1 and ax.get_ylabel() == "power"
    ax = ls.plots.plot_power_heatmap(one, value="power")
    assert len(ax.texts) == 4
    with pytest.raises(ValueError, match="several rows per"):
        ls.plots.plot_power_heatmap(grid)
    plt.close("all")
    res = ls.simulate_power(sc, n_trials=30, rng=1)
    frame = res.to_frame()
    assert {"power", "mc_se", "ci_low", "ci_high", "n_trials"} <= set(frame.columns)
    assert "pvalues" not in frame.columns and "<strong>PowerResult" in res._repr_html_()
    lo, hi = res.confidence_interval(0.99)
    assert lo <= res.confidence_interval().low and hi >= res.confidence_interval().high


# --------------------------------------------------------------------------- bad input
FORMULA = dict(n_per_arm=100, baseline_rate=1.0, followup_years=1.0, dispersion=0.5)


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.1, 1.5])
def test_bad_power(bad):
    with pytest.raises(ValueError, match="`power` must be > 0.0 and < 1.0"):
        ls.sample_size_rate_ratio(0.7, power=bad, baseline_rate=1.0, followup_years=1.0, dispersion=0.5)
    with pytest.raises(ValueError, match="`power` must be"):
        ls.simulate_sample_size(two_arm(), power=bad, n_trials=10)
    with pytest.raises(ValueError, match="`n_trials` must be an integer >= 1"):
        ls.simulate_sample_size(two_arm(), n_trials=0)


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.05, 2.0])
def test_bad_alpha(bad):
    with pytest.raises(ValueError, match="`alpha` must be > 0.0 and < 1.0"):
        ls.power_rate_ratio(0.7, alpha=bad, **FORMULA)
    with pytest.raises(ValueError, match="`alpha` must be"):
        ls.simulate_power(two_arm(), n_trials=10, alpha=bad)


def test_bad_n_trials():
    with pytest.raises(ValueError, match="`n_trials` must be an integer >= 1, got 0"):
        ls.simulate_power(two_arm(), n_trials=0)
    with pytest.raises(TypeError, match="`n_trials` must be an integer"):
        ls.power_grid(two_arm(), n_per_arm=[10], rate_ratio=[0.5], n_trials=10.0)


@pytest.mark.parametrize("bad", [0.0, -0.5])
def test_bad_rate_ratio(bad):
    with pytest.raises(ValueError, match="`rate_ratio` must be > 0"):
        ls.power_rate_ratio(bad, **FORMULA)
    with pytest.raises(ValueError, match="`rate_ratio` must be > 0"):
        ls.power_grid(two_arm(), n_per_arm=[10], rate_ratio=[0.5, bad], n_trials=10)
    with pytest.raises(ValueError, match="`rate_ratio` must be > 0"):
        ls.sample_size_rate_ratio(bad, baseline_rate=1.0, followup_years=1.0, dispersion=0.5)


def test_bad_dispersion_and_other_values():
    with pytest.raises(ValueError, match="`dispersion` must be >= 0.0, got -0.1"):
        ls.power_rate_ratio(0.7, n_per_arm=100, baseline_rate=1.0, followup_years=1.0, dispersion=-0.1)
    with pytest.raises(ValueError, match="`rate_ratio` must differ from 1"):
        ls.sample_size_rate_ratio(1.0, baseline_rate=1.0, followup_years=1.0, dispersion=0.5)
    with pytest.raises(ValueError, match="`n_per_arm` must be >= 2"):
        ls.power_rate_ratio(0.7, n_per_arm=1, baseline_rate=1.0, followup_years=1.0, dispersion=0.5)
    with pytest.raises(ValueError, match="`dropout_rate` must be one number or a pair"):
        ls.power_rate_ratio(0.7, dropout_rate=[0.1, 0.2, 0.3], **FORMULA)
    with pytest.raises(ValueError, match="`endpoint` must be one of"):
        ls.simulate_power(two_arm(), n_trials=10, endpoint="sledai")
    with pytest.raises(ValueError, match="`arm` must be a non-reference arm"):
        ls.simulate_power(two_arm(), n_trials=10, arm="standard care")
    with pytest.raises(TypeError, match="`scenario` must be a lupusstats.Scenario"):
        ls.simulate_power("nephritis_induction", n_trials=10)
    with pytest.raises(ValueError, match="`backend` must be one of"):
        ls.power_grid(two_arm(), n_per_arm=[10], rate_ratio=[0.5], n_trials=10, backend="spark")
    with pytest.raises(TypeError, match="Scenario has no parameter"):
        ls.power_grid(two_arm(), n_per_arm=[10], rate_ratio=[0.5], n_trials=10, vary={"dispersal": [0.1]})
    with pytest.raises(TypeError, match="`n_per_arm` must be a list"):
        ls.power_grid(two_arm(), n_per_arm=10, rate_ratio=[0.5], n_trials=10)


# --------------------------------------------------------------------------- binary endpoint: two proportions
def _exact_score_power(n0, n1, p0, p1, alpha=0.05):
    """Exact power of the two-sided score z-test by enumerating both binomials (independent of the formula)."""
    x0, x1 = np.arange(n0 + 1), np.arange(n1 + 1)
    e1, e0 = np.meshgrid(x1, x0, indexing="ij")
    pooled = (e0 + e1) / (n0 + n1)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n0 + 1 / n1))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (e1 / n1 - e0 / n0) / se
    reject = np.abs(np.nan_to_num(z)) > stats.norm.isf(alpha / 2)
    return float((np.outer(stats.binom.pmf(x1, n1, p1), stats.binom.pmf(x0, n0, p0)) * reject).sum())


def two_arm_response(p0=0.562, p1=0.712, n=150, dropout=0.0):
    return ls.Scenario(
        [
            ls.Arm("standard care", remission_probability=p0, dropout_rate=dropout),
            ls.Arm("new therapy", remission_probability=p1, dropout_rate=dropout),
        ],
        n_per_arm=n,
        baseline_flare_rate=1.0,
        dispersion=0.5,
        followup_years=0.5,
    )


@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_power_proportions_against_statsmodels(alternative):
    # statsmodels power_proportions_2indep: sample 1 = treated (nobs1), prop2 = reference, nobs2 = ratio * nobs1
    from statsmodels.stats.proportion import power_proportions_2indep

    sm_alt = {"two-sided": "two-sided", "less": "smaller", "greater": "larger"}[alternative]
    for p0, p1 in ((0.562, 0.70), (0.32, 0.43), (0.5, 0.4), (0.2, 0.0)):
        for alloc in (1.0, 2.0, 0.5):
            for n in (20, 150):
                ours = ls.power_proportions(p1, p_reference=p0, n_per_arm=n, allocation=alloc, alternative=alternative)
                ref = power_proportions_2indep(
                    p1 - p0, p0, alloc * n, ratio=1 / alloc, alternative=sm_alt, return_results=False
                )
                assert ours == pytest.approx(float(ref), rel=1e-12, abs=1e-14)
    # vectorised, and dropout counts as non-response
    p = ls.power_proportions(np.array([0.65, 0.7]), p_reference=0.562, n_per_arm=[[100], [200]])
    assert p.shape == (2, 2) and np.all(np.diff(p, axis=0) > 0) and np.all(np.diff(p, axis=1) > 0)
    assert ls.power_proportions(0.7, p_reference=0.5, n_per_arm=80, dropout=(0.1, 0.2)) == pytest.approx(
        ls.power_proportions(0.7 * 0.8, p_reference=0.5 * 0.9, n_per_arm=80), rel=1e-12
    )


def test_power_proportions_formula_close_to_exact_binomial_power():
    # the normal approximation against exact enumeration of the score test (an independent computation)
    for n, p0, p1 in ((150, 0.562, 0.712), (223, 0.32, 0.43), (80, 0.3, 0.55)):
        exact = _exact_score_power(n, n, p0, p1)
        assert abs(ls.power_proportions(p1, p_reference=p0, n_per_arm=n) - exact) < 0.015, (n, exact)


def test_sample_size_proportions_closed_form_and_smallest():
    # Fleiss (no continuity correction), equal arms: n = (z_a sqrt(2 pbar qbar) + z_b sqrt(p1 q1 + p0 q0))^2 / d^2
    for p0, p1, target in ((0.5, 0.75, 0.9), (0.562, 0.712, 0.8), (0.32, 0.43, 0.8)):
        pbar = (p0 + p1) / 2
        n = (
            stats.norm.isf(0.025) * math.sqrt(2 * pbar * (1 - pbar))
            + stats.norm.isf(1 - target) * math.sqrt(p1 * (1 - p1) + p0 * (1 - p0))
        ) ** 2 / (p1 - p0) ** 2
        res = ls.sample_size_proportions(p1, p_reference=p0, power=target)
        assert res.n_per_arm[0] in (math.ceil(n) - 1, math.ceil(n))  # the opposite tail can save one patient
        assert res.power >= target > ls.power_proportions(p1, p_reference=p0, n_per_arm=res.n_per_arm[0] - 1)
    # unequal allocation, dropout: the smallest reference arm that reaches the target
    kw = dict(p_reference=0.4, allocation=1.5, dropout=(0.1, 0.2))
    res = ls.sample_size_proportions(0.65, power=0.9, **kw)
    n0, n1 = res.n_per_arm
    assert n1 == math.ceil(1.5 * n0) and res.n_total == n0 + n1 and res.power >= 0.9
    below = ls.power_proportions(
        0.65, n_per_arm=n0 - 1, p_reference=0.4, allocation=math.ceil(1.5 * (n0 - 1)) / (n0 - 1), dropout=(0.1, 0.2)
    )
    assert below < 0.9
    assert res.risk_difference == pytest.approx(0.65 * 0.8 - 0.4 * 0.9)
    assert res.expected_responders == pytest.approx(n0 * 0.36 + n1 * 0.52)
    frame = res.to_frame()
    assert list(frame.columns[:3]) == ["n_reference", "n_treated", "n_total"] and "dropout_treated" in frame


def test_bad_proportions_input():
    with pytest.raises(ValueError, match="`p_reference` must be > 0.0 and < 1.0"):
        ls.power_proportions(0.5, p_reference=1.0, n_per_arm=50)
    with pytest.raises(ValueError, match="`p_treated` must be a probability"):
        ls.power_proportions([0.5, 1.2], p_reference=0.5, n_per_arm=50)
    with pytest.raises(ValueError, match="`dropout` must be >= 0.0 and < 1.0"):
        ls.power_proportions(0.5, p_reference=0.4, n_per_arm=50, dropout=1.0)
    with pytest.raises(ValueError, match="`dropout` must be one number or a pair"):
        ls.power_proportions(0.5, p_reference=0.4, n_per_arm=50, dropout=[0.1, 0.1, 0.1])
    with pytest.raises(ValueError, match="`n_per_arm` must be >= 2"):
        ls.power_proportions(0.5, p_reference=0.4, n_per_arm=1)
    with pytest.raises(ValueError, match="no difference needs infinitely many patients"):
        ls.sample_size_proportions(0.4, p_reference=0.4)
    with pytest.raises(ValueError, match="wrong side"):
        ls.sample_size_proportions(0.3, p_reference=0.4, alternative="greater")
    with pytest.raises(TypeError, match="single number"):
        ls.sample_size_proportions([0.5, 0.6], p_reference=0.4)


def test_simulated_remission_power_agrees_with_formula_and_exact_power():
    # non-completers (dropout) are non-remitters: the arms' remission_probability is of all randomised patients
    sc = two_arm_response(dropout=0.3)
    res = ls.simulate_power(sc, n_trials=3000, endpoint="remission", rng=np.random.SeedSequence(21))
    assert res.model == "score" and res.endpoint == "remission"
    exact = _exact_score_power(150, 150, 0.562, 0.712)
    se = math.sqrt(exact * (1 - exact) / res.n_trials)
    assert abs(res.power - exact) < Z_FAIL * se, (res.power, exact)
    f = ls.power_proportions(0.712, p_reference=0.562, n_per_arm=150)
    assert abs(res.power - f) < Z_FAIL * se + 0.015, (res.power, f)
    assert abs(res.median_estimate - 0.15) < 0.03  # the median risk difference


def test_type_one_error_of_remission():
    sc = two_arm_response(p0=0.4, p1=0.4, n=120, dropout=0.2)
    res = ls.simulate_power(sc, n_trials=3000, endpoint="remission", rng=9)
    size = _exact_score_power(120, 120, 0.4, 0.4)  # the exact size of the score test here
    assert abs(size - 0.05) < 0.01
    se = math.sqrt(size * (1 - size) / 3000)
    assert abs(res.power - size) < Z_FAIL * se, (res.power, size)


def test_simulated_sample_size_for_remission_and_its_interval():
    sc = two_arm_response(n=50)
    res = ls.simulate_sample_size(
        sc, endpoint="remission", n_trials=1000, rng=np.random.SeedSequence(3), confidence_level=0.9999
    )
    f = ls.sample_size_proportions(0.712, p_reference=0.562)
    low, high = res.confidence_interval()
    # a 99.99% interval: fails with probability ~1e-4 (plus the formula's own error, a patient or two here)
    assert low - 2 <= f.n_per_arm[0] <= high + 2, (low, high, f.n_per_arm)
    assert low < res.n_per_arm[0] < high and (res.ci_low, res.ci_high) == (low, high)
    narrow = res.confidence_interval(0.8)
    assert low < narrow.low < res.n_per_arm[0] < narrow.high < high
    assert res.steps["n_reference"].iloc[0] == f.n_per_arm[0]  # the formula answer is the first size tried


def test_sample_size_interval_covers_by_simulation():
    # the Fieller-type interval of the probit fit, on binomial counts drawn from a known power curve
    from scipy.special import ndtr, ndtri

    from lupusstats.power.simulation import _n_interval, _probit_covariance, _probit_fit

    a, b, target, m = -2.4, 0.25, 0.8, 400
    n_true = ((ndtri(target) - a) / b) ** 2
    sizes = np.array([80, 160, 140, 150, 155])
    rng = np.random.default_rng(2026)
    reps, covered = 400, 0
    for _ in range(reps):
        k = rng.binomial(m, ndtr(a + b * np.sqrt(sizes)))
        ah, bh = _probit_fit(sizes, k, [m] * sizes.size)
        lo, hi = _n_interval(ah, bh, _probit_covariance(ah, bh, sizes, [m] * sizes.size), target, 0.95)
        covered += lo <= n_true <= hi
    low, high = stats.binom.ppf(1e-5, reps, 0.95) / reps, stats.binom.isf(1e-5, reps, 0.95) / reps
    assert low - 0.02 <= covered / reps <= high, covered / reps


# --------------------------------------------------------------------------- renal response from the visits
def _equal_nephritis_arms(n):
    """nephritis_induction's MMF and IVC arms made identical (response ratio, dropout, deaths): a true null."""
    sc = ls.preset("nephritis_induction", n_per_arm=n)
    care = sc.arm("standard care")
    return sc.with_arm(
        "IV cyclophosphamide",
        activity_response_ratio=1.0,
        dropout_rate=care.dropout_rate,
        treatment_mortality=care.treatment_mortality,
    )


@pytest.mark.parametrize("endpoint", ["alms_response", "renal_response"])
def test_type_one_error_of_renal_response(endpoint):
    res = ls.simulate_power(_equal_nephritis_arms(100), n_trials=1500, endpoint=endpoint, rng=11)
    assert res.endpoint == endpoint and res.model == "score"
    se = math.sqrt(0.05 * 0.95 / res.n_trials)
    assert abs(res.power - 0.05) < Z_FAIL * se + 0.01, res.power  # +0.01: the score test's own size at n = 100


def test_renal_response_power_grows_with_the_effect_and_needs_renal_visits():
    sc = _equal_nephritis_arms(100).with_arm("IV cyclophosphamide", activity_response_ratio=2.0)
    up = ls.simulate_power(sc, n_trials=300, endpoint="alms_response", rng=2, alternative="greater")
    down = ls.simulate_power(sc, n_trials=300, endpoint="alms_response", rng=2, alternative="less")
    assert up.power > 0.5 and up.median_estimate > 0 and down.power < 0.05
    with pytest.raises(ValueError, match="`endpoint` 'alms_response' needs a nephritis scenario"):
        ls.simulate_power(ls.preset("bliss52", n_per_arm=20), n_trials=5, endpoint="alms_response")
