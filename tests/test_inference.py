"""Tests for lupusstats._core.inference: each helper against scipy, statsmodels, R reference values and
hand-checkable cases; bad input; the statsmodels delegation of poisson_rate_ci, the Wilson interval and the
negative-binomial power formula; and that each formula is written once in the package.
"""

from __future__ import annotations

import ast
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from scipy import special, stats

import lupusstats as ls
from lupusstats._core import inference as inf

HERE = Path(__file__).parent
PACKAGE = HERE.parent / "lupusstats"
EFFECTS_REF = json.loads((HERE / "reference" / "effects_reference.json").read_text())
SEVERITY_REF = json.loads((HERE / "reference" / "severity_reference.json").read_text())

ALTERNATIVES = ("two-sided", "less", "greater")


# --------------------------------------------------------------------------- alternative
@pytest.mark.parametrize("bad", ["two.sided", "two_sided", "smaller", "larger", ""])
def test_bad_alternative_is_a_clear_value_error(bad):
    for call in (
        lambda: inf.check_alternative(bad),
        lambda: inf.critical_value(0.95, bad),
        lambda: inf.pvalue_from_z(1.0, bad),
        lambda: inf.wald_interval(0.0, 1.0, 0.95, bad),
        lambda: inf.statsmodels_alternative(bad),
    ):
        with pytest.raises(ValueError, match=r"`alternative` must be one of \['two-sided', 'less', 'greater'\]"):
            call()


def test_alternative_must_be_a_string():
    with pytest.raises(TypeError, match="`alternative` must be a string"):
        inf.check_alternative(None)
    with pytest.raises(ValueError, match="`alternative` must be one of"):
        ls.risk_ratio(15, 100, 30, 100, alternative="two.sided")


def test_alternatives_and_statsmodels_names():
    assert inf.ALTERNATIVES == ALTERNATIVES
    assert [inf.statsmodels_alternative(a) for a in ALTERNATIVES] == ["two-sided", "smaller", "larger"]


def test_two_sided_level_and_one_sided():
    assert inf.two_sided_level(0.95, "two-sided") == 0.95
    assert inf.two_sided_level(0.95, "less") == pytest.approx(0.9, abs=1e-15)
    assert inf.two_sided_level(0.95, "greater") == inf.two_sided_level(0.95, "less")
    assert inf.one_sided(1.0, 2.0, "two-sided") == (1.0, 2.0)
    assert inf.one_sided(1.0, 2.0, "less") == (-math.inf, 2.0)
    assert inf.one_sided(1.0, 2.0, "greater", 0.0, 1.0) == (1.0, 1.0)
    _, high = inf.one_sided(np.array([1.0, 2.0]), np.array([3.0, 4.0]), "greater", upper_limit=9.0)
    np.testing.assert_array_equal(high, [9.0, 9.0])


# --------------------------------------------------------------------------- critical values
def test_critical_value_hand_values():
    # R: qnorm(0.975), qnorm(0.95), qt(0.975, 10), qt(0.95, 10)
    assert inf.critical_value(0.95) == pytest.approx(1.959963984540054, rel=1e-15)
    assert inf.critical_value(0.95, "less") == pytest.approx(1.6448536269514722, rel=1e-15)
    assert inf.critical_value(0.95, "greater") == inf.critical_value(0.95, "less")
    assert inf.critical_value(0.95, df=10) == pytest.approx(2.228138851986274, rel=1e-14)
    assert inf.critical_value(0.95, "less", df=10) == pytest.approx(stats.t.ppf(0.95, 10), rel=1e-14)
    assert isinstance(inf.critical_value(0.95), float)


@pytest.mark.parametrize("level", [0.5, 0.8, 0.9, 0.95, 0.99, 0.999999])
def test_critical_value_against_scipy(level):
    # upper-tail form: exact for the tail 1 - level, also at levels near 1 (where 0.5 + level / 2 rounds)
    assert inf.critical_value(level) == stats.norm.isf((1 - level) / 2)
    assert inf.critical_value(level, "greater") == stats.norm.isf(1 - level)
    assert inf.critical_value(level) == pytest.approx(stats.norm.ppf(0.5 + level / 2), rel=1e-10)
    assert inf.critical_value(level, "greater") == pytest.approx(stats.norm.ppf(level), rel=1e-10)
    for df in (1, 3.5, 30):
        assert inf.critical_value(level, df=df) == stats.t.isf((1 - level) / 2, df)
        assert inf.critical_value(level, df=df) == pytest.approx(stats.t.ppf(0.5 + level / 2, df), rel=1e-9)
    # a one-sided interval at level c is one end of the two-sided one at 2c - 1
    assert inf.critical_value(level, "less") == pytest.approx(inf.critical_value(2 * level - 1), rel=1e-12)


def test_critical_value_vectorised_and_infinite_df_is_normal():
    q = inf.critical_value(0.95, df=np.array([5.0, np.inf, 40.0]))
    assert q.shape == (3,)
    assert q[1] == inf.critical_value(0.95)  # exactly the normal quantile, not t at df = inf
    assert q[0] == pytest.approx(stats.t.ppf(0.975, 5), rel=1e-14)
    levels = inf.critical_value(np.array([0.9, 0.95]))
    np.testing.assert_allclose(levels, stats.norm.isf([0.05, 0.025]), rtol=1e-15)
    assert inf.critical_value(0.95, df=np.array([np.inf, np.inf])).shape == (2,)


# --------------------------------------------------------------------------- p-values
def test_pvalue_hand_values():
    # R: 2 * pnorm(-1.96), pnorm(-1.96), 2 * pt(-2, 10)
    assert inf.pvalue_from_z(1.96) == pytest.approx(0.04999579029644087, rel=1e-13)
    assert inf.pvalue_from_z(-1.96) == inf.pvalue_from_z(1.96)
    assert inf.pvalue_from_z(1.96, "greater") == pytest.approx(0.024997895148220435, rel=1e-13)
    assert inf.pvalue_from_z(1.96, "less") == pytest.approx(1 - 0.024997895148220435, rel=1e-13)
    assert inf.pvalue_from_z(2.0, df=10) == pytest.approx(0.07338803477074479, rel=1e-12)
    assert inf.pvalue_from_z(0.0) == 1.0


@pytest.mark.parametrize("df", [math.inf, 4.0, 25.0])
def test_pvalue_against_scipy(df):
    dist = stats.norm if math.isinf(df) else stats.t(df)
    z = np.array([-3.1, -1.0, -0.2, 0.0, 0.7, 2.5])
    two = inf.pvalue_from_z(z, df=df)
    np.testing.assert_array_equal(two, 2 * dist.sf(np.abs(z)))  # the same bits, not only close
    np.testing.assert_allclose(inf.pvalue_from_z(z, "greater", df=df), dist.sf(z), rtol=1e-15)
    np.testing.assert_allclose(inf.pvalue_from_z(z, "less", df=df), dist.cdf(z), rtol=1e-15)
    np.testing.assert_allclose(inf.pvalue_from_z(z, "less", df=df) + inf.pvalue_from_z(z, "greater", df=df), 1.0)


def test_pvalue_nan_inf_and_broadcasting():
    assert math.isnan(inf.pvalue_from_z(math.nan))
    assert inf.pvalue_from_z(math.inf) == 0.0 and inf.pvalue_from_z(-math.inf, "less") == 0.0
    assert inf.pvalue_from_z(math.inf, "less") == 1.0
    p = inf.pvalue_from_z(np.array([1.0, 1.0]), df=np.array([5.0, np.inf]))
    assert p[1] == inf.pvalue_from_z(1.0) and p[0] == pytest.approx(2 * stats.t.sf(1.0, 5), rel=1e-14)
    assert inf.pvalue_from_z(np.array([1.0, 2.0]), df=np.array([np.inf, np.inf])).shape == (2,)


# --------------------------------------------------------------------------- Wald intervals
def test_wald_interval_plain_log_and_clip():
    est, se = 0.3, 0.1
    z = inf.critical_value(0.95)
    assert inf.wald_interval(est, se, 0.95) == (est - z * se, est + z * se)
    low, high = inf.wald_interval(math.log(0.5), 0.2, 0.95, back=np.exp)
    assert (low, high) == pytest.approx((0.5 * math.exp(-z * 0.2), 0.5 * math.exp(z * 0.2)), rel=1e-14)
    # one-sided intervals are open: -inf/inf on the working scale, 0/inf after exp
    assert inf.wald_interval(math.log(0.5), 0.2, 0.95, "less", back=np.exp)[0] == 0.0
    assert inf.wald_interval(math.log(0.5), 0.2, 0.95, "greater", back=np.exp)[1] == math.inf
    assert inf.wald_interval(est, se, 0.95, "greater") == (est - inf.critical_value(0.95, "greater") * se, math.inf)
    assert inf.wald_interval(0.9, 0.2, 0.95, clip=(0.0, 1.0)) == (0.9 - z * 0.2, 1.0)
    assert inf.wald_interval(0.9, 0.2, 0.95, "less", clip=(0.0, 1.0)) == (0.0, 1.0)
    t = stats.t.ppf(0.975, 4)
    assert inf.wald_interval(1.0, 0.5, 0.95, df=4) == pytest.approx((1 - t * 0.5, 1 + t * 0.5), rel=1e-14)
    lo, hi = inf.wald_interval(np.zeros(3), np.array([1.0, 2.0, np.inf]), 0.9, back=np.exp)
    assert lo.shape == hi.shape == (3,) and lo[2] == 0.0 and hi[2] == math.inf


@pytest.mark.parametrize("alternative", ALTERNATIVES)
def test_wald_interval_and_pvalue_agree(alternative):
    # duality: the interval excludes 0 exactly when p < 1 - level
    rng = np.random.default_rng(7)
    est, se = rng.normal(size=200), rng.uniform(0.2, 2.0, size=200)
    for df in (math.inf, 6.0):
        low, high = inf.wald_interval(est, se, 0.9, alternative, df=df)
        p = inf.pvalue_from_z(est / se, alternative, df=df)
        np.testing.assert_array_equal((low > 0) | (high < 0), p < 0.1)


# --------------------------------------------------------------------------- Wilson
def test_wilson_against_R():
    # R: prop.test(x, n, correct = FALSE)$conf.int (tests/reference/severity_reference.R)
    ref = SEVERITY_REF["wilson"]
    low, high = inf.wilson_interval(ref["x"], ref["n"], 0.95)
    np.testing.assert_allclose(low, ref["low"], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(high, ref["high"], rtol=1e-13)
    assert low[0] == 0.0 and high[-1] == 1.0  # exactly, as R


def test_wilson_is_statsmodels_with_exact_ends():
    from statsmodels.stats.proportion import proportion_confint

    for level in (0.8, 0.95, 0.99):
        for n in (1, 2, 7, 40, 12.5, 333.3):
            x = np.append(np.arange(0, math.floor(n) + 1, dtype=float), n)
            low, high = inf.wilson_interval(x, n, level)
            sm_low, sm_high = proportion_confint(x, np.full(x.shape, n), alpha=1 - level, method="wilson")
            np.testing.assert_allclose(low, sm_low, rtol=0, atol=1e-15)
            np.testing.assert_allclose(high, sm_high, rtol=0, atol=1e-15)
            assert low[0] == 0.0 and high[-1] == 1.0
            assert np.all((low <= x / n) & (x / n <= high))
    # by hand: (p + z^2/2n -/+ z sqrt(p q / n + z^2/4n^2)) / (1 + z^2/n)
    z, p, n = inf.critical_value(0.95), 0.3, 10
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    by_hand = ((p + z**2 / (2 * n) - half) / (1 + z**2 / n), (p + z**2 / (2 * n) + half) / (1 + z**2 / n))
    assert inf.wilson_interval(3, 10, 0.95) == pytest.approx(by_hand, rel=1e-14)


# --------------------------------------------------------------------------- Clopper-Pearson
def test_clopper_pearson_defining_equations_and_statsmodels():
    from statsmodels.stats.proportion import proportion_confint

    for level in (0.8, 0.95, 0.99):
        for n in (1, 2, 7, 40, 4000):
            x = np.arange(n + 1) if n < 100 else np.array([0, 1, 5, 200, 3999, 4000])
            low, high = inf.clopper_pearson_interval(x, n, level)
            sm_low, sm_high = proportion_confint(x, np.full(x.shape, n), alpha=1 - level, method="beta")
            np.testing.assert_allclose(low, sm_low, rtol=1e-10, atol=1e-15)
            np.testing.assert_allclose(high, sm_high, rtol=1e-10, atol=1e-15)
            assert low[0] == 0.0 and high[-1] == 1.0
            # the ends solve P(X >= x | low) = (1 - level) / 2 = P(X <= x | high)
            tail = (1 - level) / 2
            inner = (x > 0) & (x < n)
            np.testing.assert_allclose(stats.binom.sf(x[inner] - 1, n, low[inner]), tail, rtol=1e-8)
            np.testing.assert_allclose(stats.binom.cdf(x[inner], n, high[inner]), tail, rtol=1e-8)
    # R: binom.test(3, 10)$conf.int
    assert inf.clopper_pearson_interval(3, 10, 0.95) == pytest.approx((0.06673951, 0.65245285), abs=5e-9)


def test_clopper_pearson_covers_at_least_its_level():
    # exact coverage: sum over x of P(X = x) for the x whose interval holds p
    n, level = 60, 0.95
    x = np.arange(n + 1)
    low, high = inf.clopper_pearson_interval(x, n, level)
    for p in np.linspace(0.005, 0.995, 67):
        covered = (low <= p) & (p <= high)
        assert stats.binom.pmf(x[covered], n, p).sum() >= level - 1e-12


def test_clopper_pearson_nan_propagates_without_warnings():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        low, high = inf.clopper_pearson_interval(np.array([np.nan, 1.0]), np.array([10.0, np.nan]), 0.95)
        assert np.isnan(low).all() and np.isnan(high).all()
        assert inf.clopper_pearson_interval(0, 1, 0.95) == (0.0, 0.975)


def test_wilson_nan_propagates_without_warnings():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        low, high = inf.wilson_interval(np.array([np.nan, 1.0]), np.nan, 0.95)
        assert np.isnan(low).all() and np.isnan(high).all()
        low, high = inf.wilson_interval(0.0, 0.0, 0.95)
        assert low == 0.0 and high == 1.0  # 0 of 0: the whole range (x = 0 and x = n)


# --------------------------------------------------------------------------- Hedges' J
def test_hedges_j_against_gamma_form_and_R():
    for df in (2, 3, 8, 20, 57):
        exact = special.gamma(df / 2) / (math.sqrt(df / 2) * special.gamma((df - 1) / 2))
        assert inf.hedges_j(df) == pytest.approx(exact, rel=1e-13)
    # large df: J ~ 1 - 3 / (4 df - 1) (Hedges 1981)
    assert inf.hedges_j(400) == pytest.approx(1 - 3 / (4 * 400 - 1), rel=1e-6)
    # R effectsize: hedges_g / cohens_d = J(n1 + n2 - 2)
    for case in EFFECTS_REF["smd"].values():
        if case["d"][0] == 0:
            continue
        df = len(case["x"]) + len(case["y"]) - 2
        assert inf.hedges_j(df) == pytest.approx(case["g"][0] / case["d"][0], rel=1e-12)
    np.testing.assert_allclose(inf.hedges_j(np.array([8, 20])), [inf.hedges_j(8), inf.hedges_j(20)], rtol=1e-15)


# --------------------------------------------------------------------------- 2x2 tables
@pytest.mark.parametrize("name", list(EFFECTS_REF["tables"]))
def test_two_by_two_formulas_against_R_escalc(name):
    # R: metafor::escalc(measure = "RR" / "OR" / "RD", ai, n1i, ci, n2i) with its default add = 1/2, to = "only0"
    ref = EFFECTS_REF["tables"][name]
    e1, n1, e2, n2 = ref["counts"]
    cells, _ = inf.zero_cell_correction([e1, n1 - e1, e2, n2 - e2])
    for formula, est, var in (
        (inf.log_risk_ratio, "log_rr", "var_log_rr"),
        (inf.log_odds_ratio, "log_or", "var_log_or"),
        (inf.risk_difference, "rd", "var_rd"),
    ):
        if ref.get(est) is None:
            continue
        y, v = formula(*cells)
        assert (y, v) == pytest.approx((ref[est], ref[var]), rel=1e-12, abs=1e-14)


def test_two_by_two_formulas_against_statsmodels():
    from statsmodels.stats.contingency_tables import Table2x2

    a, b, c, d = 15.0, 85.0, 30.0, 70.0
    t = Table2x2(np.array([[a, b], [c, d]]))
    assert inf.log_risk_ratio(a, b, c, d) == pytest.approx((t.log_riskratio, t.log_riskratio_se**2), rel=1e-13)
    assert inf.log_odds_ratio(a, b, c, d) == pytest.approx((t.log_oddsratio, t.log_oddsratio_se**2), rel=1e-13)
    # hand: RR = 0.5, Var = 1/15 - 1/100 + 1/30 - 1/100 = 0.08; RD = -0.15
    assert inf.log_risk_ratio(a, b, c, d) == pytest.approx((math.log(0.5), 0.08), rel=1e-14)
    assert inf.risk_difference(a, b, c, d) == pytest.approx((-0.15, 0.15 * 0.85 / 100 + 0.3 * 0.7 / 100), rel=1e-14)
    # vectorised
    y, v = inf.log_odds_ratio(np.array([a, 3.0]), np.array([b, 7.0]), np.array([c, 4.0]), np.array([d, 6.0]))
    assert y.shape == v.shape == (2,) and y[1] == pytest.approx(math.log(3 * 6 / (7 * 4)), rel=1e-14)


def test_zero_cell_correction_rules():
    a, b, c, d = np.array([0.0, 3.0]), np.array([10.0, 7.0]), np.array([5.0, 4.0]), np.array([5.0, 6.0])
    cells, flag = inf.zero_cell_correction([a, b, c, d])
    np.testing.assert_array_equal(flag, [True, False])
    np.testing.assert_array_equal(cells[0], [0.5, 3.0])
    np.testing.assert_array_equal(cells[3], [5.5, 6.0])
    _, flag = inf.zero_cell_correction([a, b, c, d], to="all")
    np.testing.assert_array_equal(flag, [True, True])
    cells, flag = inf.zero_cell_correction([a, b, c, d], add=1.0, to="if0all")
    np.testing.assert_array_equal(cells[1], [11.0, 8.0])
    for kwargs in ({"to": "none"}, {"add": 0.0}):
        cells, flag = inf.zero_cell_correction([a, b, c, d], **kwargs)
        assert not flag.any() and np.array_equal(cells[0], a)
    cells, flag = inf.zero_cell_correction([3, 7, 0, 12])
    assert [float(x) for x in cells] == [3.5, 7.5, 0.5, 12.5] and bool(flag)
    with pytest.raises(ValueError, match="`to` must be one of"):
        inf.zero_cell_correction([a, b], to="only1")


def test_callers_use_the_shared_two_by_two_formulas():
    # risk_ratio / odds_ratio / risk_difference and effect_sizes give the same numbers from one formula
    import pandas as pd

    d = pd.DataFrame({"ai": [15, 0], "n1i": [100, 20], "ci": [30, 5], "n2i": [100, 20]})
    for measure, fn, method in (
        ("RR", ls.risk_ratio, "katz"),
        ("OR", ls.odds_ratio, "woolf"),
        ("RD", ls.risk_difference, "wald"),
    ):
        es = ls.effect_sizes(d, measure=measure)
        for i, row in d.iterrows():
            r = fn(int(row.ai), int(row.n1i), int(row.ci), int(row.n2i), method=method)
            est = r.estimate if measure == "RD" else math.log(r.estimate)
            assert est == pytest.approx(es.yi[i], rel=1e-14) and r.se**2 == pytest.approx(es.vi[i], rel=1e-14)


# --------------------------------------------------------------------------- statsmodels delegation
def test_poisson_rate_ci_is_statsmodels_confint_poisson():
    from statsmodels.stats.rates import confint_poisson

    x, t = np.array([0, 1, 4, 17, 250]), np.array([2.0, 0.7, 3.0, 12.5, 180.0])
    for method, sm in (("exact", "exact-c"), ("score", "score"), ("wald", "wald")):
        for level in (0.9, 0.95):
            low, high = ls.poisson_rate_ci(x, t, method=method, confidence_level=level)
            ref_low, ref_high = confint_poisson(x, t, method=sm, alpha=1 - level)
            np.testing.assert_array_equal(low, ref_low)
            np.testing.assert_array_equal(high, ref_high)
        # scalars, and a single zero count as a 1-element array (statsmodels returns a float there)
        assert ls.poisson_rate_ci(0, 2.0, method=method) == tuple(
            float(v) for v in confint_poisson(0, 2.0, method=sm, alpha=1 - 0.95)
        )
        low, high = ls.poisson_rate_ci(np.array([0]), np.array([2.0]), method=method)
        assert low.shape == high.shape == (1,) and low[0] == 0.0


def test_poisson_rate_ci_midp_extension_inside_exact():
    x, t = np.array([0, 1, 4, 17, 250]), np.array([2.0, 0.7, 3.0, 12.5, 180.0])
    mid_low, mid_high = ls.poisson_rate_ci(x, t, method="midp")
    ex_low, ex_high = ls.poisson_rate_ci(x, t, method="exact")
    assert mid_low[0] == 0.0
    assert np.all(mid_low >= ex_low) and np.all(mid_high <= ex_high)


@pytest.mark.parametrize("alternative", ALTERNATIVES)
@pytest.mark.parametrize("method_var", ["alt", "ftotal"])
def test_power_formula_is_statsmodels_and_extension_reduces_to_it(alternative, method_var):
    from statsmodels.stats.rates import power_negbin_ratio_2indep

    rr = np.array([0.5, 0.8, 1.3])
    kw = dict(
        n_per_arm=70, baseline_rate=1.4, dispersion=0.6, allocation=1.5, alternative=alternative, method_var=method_var
    )
    ref = power_negbin_ratio_2indep(
        1.4 * rr,
        1.4,
        70 * 1.5,
        nobs_ratio=1 / 1.5,
        exposure=0.8,
        dispersion=0.6,
        alternative=inf.statsmodels_alternative(alternative),
        method_var=method_var,
        return_results=False,
    )
    # fixed follow-up, no dropout: statsmodels' own number
    np.testing.assert_array_equal(ls.power_rate_ratio(rr, followup_years=0.8, **kw), ref)
    # the package's extension (expected information over follow-up and dropout) reduces to it
    np.testing.assert_allclose(ls.power_rate_ratio(rr, followup_years=[0.8, 0.8], **kw), ref, rtol=1e-12)
    np.testing.assert_allclose(ls.power_rate_ratio(rr, followup_years=0.8, dropout_rate=1e-12, **kw), ref, rtol=1e-9)
    # and dropout costs power (in the direction of the alternative)
    i = 2 if alternative == "greater" else 0
    assert ls.power_rate_ratio(rr[i], followup_years=0.8, dropout_rate=0.5, **kw) < ref[i]


# --------------------------------------------------------------------------- each formula written once
def _sources():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(PACKAGE).as_posix(), path.read_text()


def _code(text: str) -> str:
    """The module's code without comments and docstrings, in ast.unparse's one spelling."""
    tree = ast.parse(text)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return ast.unparse(tree)


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def _enclosing_functions(tree: ast.AST) -> dict[int, str]:
    """Line -> name of the outermost function defined at module or class level."""
    owner = {}
    for top in ast.walk(tree):
        if isinstance(top, (ast.Module, ast.ClassDef)):
            for node in top.body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    for line in range(node.lineno, node.end_lineno + 1):
                        owner[line] = node.name
    return owner


_NORMAL_OR_T = re.compile(r"(^|\.)(stats\.(norm|t)|norm|ndtri|ndtr|log_ndtr)$")

#: Where the normal and t distributions may still be used outside _core/inference.py, and why.
NORMAL_T_ALLOWED = {
    # inverse-CDF sampling of a truncated normal baseline SLEDAI: simulation, not inference
    ("model/simulate.py", "_baseline_sledai"),
    # the probit fit of power against sqrt(n) (_probit_fit, simulate_sample_size) is a model, not an interval
    ("power/simulation.py", "_probit_fit"),
    ("power/simulation.py", "simulate_sample_size"),
    # the same model's Fisher information (probit weights) and its probit of the target power, behind the
    # interval for the simulated sample size (whose critical value comes from critical_value)
    ("power/simulation.py", "_probit_covariance"),
    ("power/simulation.py", "_n_interval"),
}


def test_normal_and_t_quantiles_and_tails_only_in_inference():
    found = set()
    for rel, text in _sources():
        if rel == "_core/inference.py":
            continue
        tree = ast.parse(text)
        owner = _enclosing_functions(tree)
        for node in ast.walk(tree):
            name = None
            if isinstance(node, (ast.Attribute, ast.Name)):
                name = _dotted(node)
            elif isinstance(node, ast.ImportFrom):
                hits = [a.name for a in node.names if a.name in ("norm", "t", "ndtri", "ndtr", "log_ndtr")]
                name = hits[0] if hits and (node.module or "").startswith("scipy") else None
            if name and _NORMAL_OR_T.search(name):
                found.add((rel, owner.get(node.lineno, "<module>")))
    assert found - NORMAL_T_ALLOWED == set(), "use lupusstats._core.inference (critical_value, pvalue_from_z)"
    # the allow-list has no stale entries
    assert NORMAL_T_ALLOWED - found == set()


def test_one_wilson_one_hedges_j_one_two_by_two_variance_one_zero_cell_rule():
    # (pattern in ast.unparse spelling, whether _core/inference.py itself has it)
    patterns = {
        "Wilson interval": (r"def \w*wilson\w*\(|proportion_confint|method='wilson'\)", True),
        "Hedges' J (gamma form)": (r"gammaln\(\w+ / 2\)", True),
        "Katz variance of log RR": (r"1 / a - 1 / ", True),
        "Woolf variance of log OR": (r"1 / a \+ 1 / b \+ 1 / c \+ 1 / d", True),
        "Wald variance of RD": (r"p1 \* \(1 - p1\) / ", True),
        "zero-cell rule": (r"\bhas0\b|\+ add \* flag", True),
        "one-sided level 2c - 1": (r"2 \* \w*(level|confidence)\w* - 1\b", True),
        "statsmodels' alternative names": (r"'smaller'|'larger'", True),
        "normal quantile from 0.5 + level / 2 (use critical_value)": (r"0\.5 \+ \w*(level|cl)\w* / 2", False),
    }
    allowed: set[tuple[str, str]] = set()  # (what, module) exceptions, each with its reason; none today
    code = {rel: _code(text) for rel, text in _sources()}
    for what, (pattern, in_inference) in patterns.items():
        where = {rel for rel, text in code.items() if re.search(pattern, text)}
        assert ("_core/inference.py" in where) == in_inference, what
        assert where - {"_core/inference.py"} - {rel for w, rel in allowed if w == what} == set(), what


def test_one_list_of_rate_models_and_constants_in_their_modules():
    from lupusstats.power import formula, grid, simulation
    from lupusstats.rates import regression

    assert simulation.RATE_MODELS is regression.RATE_MODELS is ls.RATE_MODELS
    assert grid._BACKENDS == ("serial", "processes", "dask") and not hasattr(formula, "_BACKENDS")
    # each constant lives in the module that uses it
    assert ls.ENDPOINTS is simulation.ENDPOINTS and not hasattr(formula, "ENDPOINTS")
    models = {"negbin", "poisson", "quasipoisson", "robust"}
    places = []
    for rel, text in _sources():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Tuple) and {getattr(e, "value", None) for e in node.elts} == models:
                places.append(rel)
    assert sorted(places) == ["rates/regression.py"]
