"""One API for tables: group columns named after the caller's `group`, one keyword name per meaning
(old names still accepted with a DeprecationWarning), and compare_survival on a time-to-event table."""

from __future__ import annotations

import inspect
import math
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest

import lupusstats as ls
from lupusstats._core.validation import renamed_keyword


@pytest.fixture(scope="module")
def cohort():
    return ls.simulate_cohort(ls.preset("nephritis_induction", n_per_arm=60), rng=11)


@pytest.fixture(scope="module")
def renamed(cohort):
    return cohort.patients.rename(columns={"arm": "treatment"}), cohort.flares.rename(columns={"arm": "treatment"})


# Every table-taking function with a group column: (name, call(patients, flares, **group_kw)).
GROUPED = {
    "flare_rates": lambda p, f, **kw: ls.flare_rates(p, **kw),
    "compare_rates": lambda p, f, **kw: ls.compare_rates(p, **kw),
    "compare_rates_poisson_covariate": lambda p, f, **kw: ls.compare_rates(
        p, model="poisson", covariates="baseline_sledai", **kw
    ),
    "mean_cumulative_function": lambda p, f, **kw: ls.mean_cumulative_function(p, f, **kw),
    "compare_severity": lambda p, f, **kw: ls.compare_severity(f, **kw),
    "compare_severity_patient": lambda p, f, **kw: ls.compare_severity(f, p, unit="patient", **kw),
    "compare_severity_bootstrap": lambda p, f, **kw: ls.compare_severity(
        f, inference="bootstrap", n_resamples=200, rng=1, **kw
    ),
    "proportional_odds": lambda p, f, **kw: ls.proportional_odds(f, **kw),
    "severity_table": lambda p, f, **kw: ls.severity_table(f, **kw),
    "organ_table": lambda p, f, **kw: ls.organ_table(f, p, **kw),
    "patient_severity": lambda p, f, **kw: ls.patient_severity(f, p, **kw),
    "sledai_summary": lambda p, f, **kw: ls.sledai_summary(f, **kw),
    "sledai_ecdf": lambda p, f, **kw: ls.sledai_ecdf(f, **kw),
    "time_to_first_flare": lambda p, f, **kw: ls.time_to_first_flare(p, **kw),
    "compare_survival": lambda p, f, **kw: ls.compare_survival(
        ls.time_to_first_flare(p, **kw), treatment="MSC + standard care", **kw
    ).to_frame(),
}


@pytest.mark.parametrize("name", sorted(GROUPED))
def test_output_group_column_is_named_after_group(cohort, renamed, name):
    call = GROUPED[name]
    default = call(cohort.patients, cohort.flares)
    out = call(*renamed, group="treatment")
    assert "treatment" in out.columns and "arm" not in out.columns
    assert "arm" in default.columns
    pd.testing.assert_frame_equal(out, default.rename(columns={"arm": "treatment"}))


def test_group_is_the_first_column_of_comparison_tables(renamed):
    p, f = renamed
    for out in (
        ls.flare_rates(p, group="treatment"),
        ls.compare_rates(p, group="treatment"),
        ls.mean_cumulative_function(p, f, group="treatment"),
        ls.compare_severity(f, group="treatment"),
        ls.proportional_odds(f, group="treatment"),
    ):
        assert out.columns[0] == "treatment"


def test_grouped_results_without_a_group_column_are_unchanged(cohort, renamed):
    p, f = renamed
    pd.testing.assert_frame_equal(ls.count_frequencies(p, group="treatment"), ls.count_frequencies(cohort.patients))
    assert ls.overdispersion_test(p, group="treatment") == ls.overdispersion_test(cohort.patients)
    counts = ls.severity_counts(f, group="treatment")
    assert counts.index.name == "treatment"
    np.testing.assert_array_equal(counts.to_numpy(), ls.severity_counts(cohort.flares).to_numpy())


def test_kaplan_meier_names_the_group_column_after_a_named_series(cohort, renamed):
    tte = ls.time_to_first_flare(cohort.patients)
    default = ls.kaplan_meier(tte["time"].to_numpy(), tte["event"].to_numpy(), tte["arm"].to_numpy())
    assert default.columns[0] == "group"
    named = ls.kaplan_meier(tte["time"], tte["event"], tte["arm"])
    assert named.columns[0] == "arm"
    tte2 = ls.time_to_first_flare(renamed[0], group="treatment")
    out = ls.kaplan_meier(tte2["time"], tte2["event"], tte2["treatment"])
    assert "treatment" in out.columns and "group" not in out.columns and "arm" not in out.columns
    pd.testing.assert_frame_equal(out, named.rename(columns={"arm": "treatment"}))
    # a Series whose name is an output column keeps the neutral name
    clash = ls.kaplan_meier(tte["time"], tte["event"], tte["arm"].rename("time"))
    assert clash.columns[0] == "group"
    without = ls.kaplan_meier(tte["time"], tte["event"])
    assert without.columns[0] == "time"


def test_group_clashing_with_an_output_column_is_an_error(cohort):
    p = cohort.patients.rename(columns={"arm": "rate"})
    with pytest.raises(ValueError, match="`group` 'rate' clashes"):
        ls.flare_rates(p, group="rate")
    p = cohort.patients.rename(columns={"arm": "reference"})
    with pytest.raises(ValueError, match="`group` 'reference' clashes"):
        ls.compare_rates(p, group="reference")
    f = cohort.flares.rename(columns={"arm": "pvalue"})
    with pytest.raises(ValueError, match="`group` 'pvalue' clashes"):
        ls.compare_severity(f, group="pvalue")
    with pytest.raises(ValueError, match="`group` 'se' clashes"):
        ls.proportional_odds(cohort.flares.rename(columns={"arm": "se"}), group="se")


def test_plots_read_the_group_column(cohort, renamed):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    p, f = renamed
    tte = ls.time_to_first_flare(p, group="treatment")
    arms = [str(a) for a in cohort.arm_names]
    try:
        ax = ls.plots.plot_flare_rates(ls.flare_rates(p, group="treatment"))
        assert sorted(t.get_text() for t in ax.get_yticklabels()) == sorted(arms)
        ax = ls.plots.plot_rate_ratios(ls.compare_rates(p, group="treatment"))
        assert sorted(t.get_text() for t in ax.get_yticklabels()) == sorted(arms[1:])
        ax = ls.plots.plot_mcf(ls.mean_cumulative_function(p, f, group="treatment"))
        assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == sorted(arms)
        ax = ls.plots.plot_kaplan_meier(ls.kaplan_meier(tte["time"], tte["event"], tte["treatment"]))
        assert sorted(t.get_text() for t in ax.get_legend().get_texts()) == sorted(arms)
        ax = ls.plots.plot_flare_rates(ls.flare_rates(p, group="treatment"), group="treatment")
        with pytest.raises(ValueError, match="missing column"):
            ls.plots.plot_mcf(ls.mean_cumulative_function(p, f, group="treatment"), group="arm")
    finally:
        plt.close("all")


# ---------------------------------------------------------------------------
# renamed keywords
# ---------------------------------------------------------------------------


RENAMED = [
    # (function, old keyword, new keyword, call(kwargs) -> comparable output)
    (
        "compare_severity",
        "n_boot",
        "n_resamples",
        lambda c, **kw: ls.compare_severity(c.flares, inference="bootstrap", rng=2, **kw),
        300,
    ),
    (
        "kaplan_meier",
        "conf_type",
        "method",
        lambda c, **kw: ls.kaplan_meier(c.patients["followup_years"], c.patients["completed"], **kw),
        "log",
    ),
    (
        "time_to_first_flare",
        "followup",
        "exposure",
        lambda c, **kw: ls.time_to_first_flare(c.patients, **kw),
        "followup_years",
    ),
]


@pytest.mark.parametrize(("func", "old", "new", "call", "value"), RENAMED, ids=[r[0] for r in RENAMED])
def test_old_keyword_still_works_with_a_deprecation_warning(cohort, func, old, new, call, value):
    expected = call(cohort, **{new: value})
    with pytest.warns(DeprecationWarning, match=f"`{old}` is deprecated; use `{new}` instead") as caught:
        got = call(cohort, **{old: value})
    pd.testing.assert_frame_equal(got, expected)
    assert caught[0].filename == __file__  # attributed to the caller's line
    assert new in inspect.signature(getattr(ls, func)).parameters
    assert old not in inspect.signature(getattr(ls, func)).parameters
    with pytest.raises(TypeError, match=f"both `{old}` \\(deprecated\\) and `{new}`"):
        call(cohort, **{old: value, new: value})


def test_new_keywords_do_not_warn(cohort):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ls.kaplan_meier([1, 2, 3], [1, 0, 1], method="plain")
        ls.time_to_first_flare(cohort.patients, exposure="followup_years")
        ls.compare_severity(cohort.flares, inference="bootstrap", n_resamples=100, rng=1)


def test_renamed_functions_keep_their_identity():
    for f in (ls.kaplan_meier, ls.time_to_first_flare, ls.compare_severity):
        assert f.__module__ in ("lupusstats.survival", "lupusstats.severity")
        assert pickle.loads(pickle.dumps(f)) is f
        assert ">>>" in f.__doc__


def test_renamed_keyword_decorator():
    @renamed_keyword(old="B", new="n_resamples")
    @renamed_keyword(old="n_boot", new="n_resamples_x")
    def f(x, *, n_resamples=10, n_resamples_x=20):
        """Doc."""
        return x, n_resamples, n_resamples_x

    assert f.__doc__ == "Doc." and f.__name__ == "f"
    assert list(inspect.signature(f).parameters) == ["x", "n_resamples", "n_resamples_x"]
    assert f(1) == (1, 10, 20)
    with pytest.warns(DeprecationWarning) as caught:
        assert f(1, B=3, n_boot=4) == (1, 3, 4)
    assert len(caught) == 2 and {w.filename for w in caught} == {__file__}  # one wrapper: both from here
    with pytest.raises(TypeError, match="cannot rename `x`"):
        renamed_keyword(old="x", new="n_resamples")(f)
    with pytest.raises(TypeError, match="cannot rename `old` to `missing`"):
        renamed_keyword(old="old", new="missing")(f)
    with pytest.raises(TypeError, match="keyword names"):
        renamed_keyword(old="n boot", new="n_resamples")


# ---------------------------------------------------------------------------
# compare_survival
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tte(cohort):
    return ls.time_to_first_flare(cohort.patients)


@pytest.fixture(scope="module")
def two(tte):
    d = tte[tte["arm"] != "MSC + standard care"].copy()
    d["arm"] = d["arm"].cat.remove_unused_categories()
    return d


def test_compare_survival_agrees_with_the_array_functions(two):
    res = ls.compare_survival(two)
    lr = ls.logrank(two["time"], two["event"], two["arm"])
    hr = ls.cox_hazard_ratio(two["time"], two["event"], two["arm"].astype(str), reference="standard care")
    assert (res.arm, res.reference) == ("IV cyclophosphamide", "standard care")
    assert res.pvalue == lr.pvalue and res.logrank_statistic == lr.statistic
    assert res.hazard_ratio == hr.estimate and res.estimate == hr.estimate
    assert (res.ci_low, res.ci_high) == tuple(hr.confidence_interval())
    assert res.confidence_interval() == hr.confidence_interval()
    assert res.se == hr.se and res.cox_statistic == hr.statistic and res.cox_pvalue == hr.pvalue
    assert res.n_patients + res.n_patients_reference == len(two)
    assert res.n_events + res.n_events_reference == int(two["event"].sum())
    assert res.expected_events + res.expected_events_reference == pytest.approx(two["event"].sum())
    assert res.note == "" and res.group == "arm"


def test_compare_survival_with_more_arms_compares_the_pair(tte, two):
    with pytest.raises(ValueError, match="has 3 arms .*pass `treatment=`"):
        ls.compare_survival(tte)
    res = ls.compare_survival(tte, treatment="IV cyclophosphamide")
    assert res == ls.compare_survival(two)
    keep = tte["arm"] != "IV cyclophosphamide"
    lr = ls.logrank(tte["time"][keep], tte["event"][keep], tte["arm"][keep].astype(str))
    msc = ls.compare_survival(tte, treatment="MSC + standard care")
    assert msc.pvalue == pytest.approx(lr.pvalue, rel=1e-12)


def test_compare_survival_group_naming(two):
    d = two.rename(columns={"arm": "treatment"})
    res = ls.compare_survival(d, group="treatment")
    frame = res.to_frame()
    assert frame.columns[0] == "treatment" and "arm" not in frame.columns
    pd.testing.assert_frame_equal(frame, ls.compare_survival(two).to_frame().rename(columns={"arm": "treatment"}))
    other = two.rename(columns={"time": "years", "event": "flared"})
    assert ls.compare_survival(other, time="years", event="flared") == ls.compare_survival(two)


def test_compare_survival_reference_flips_the_hazard_ratio(two):
    a = ls.compare_survival(two)
    b = ls.compare_survival(two, reference="IV cyclophosphamide")
    assert (b.arm, b.reference) == (a.reference, a.arm)
    assert b.hazard_ratio == pytest.approx(1 / a.hazard_ratio, rel=1e-8)
    assert b.ci_low == pytest.approx(1 / a.ci_high, rel=1e-8) and b.ci_high == pytest.approx(1 / a.ci_low, rel=1e-8)
    assert b.pvalue == pytest.approx(a.pvalue, rel=1e-12)
    assert b.cox_pvalue == pytest.approx(a.cox_pvalue, rel=1e-8)
    assert (b.n_events, b.n_events_reference) == (a.n_events_reference, a.n_events)


def test_compare_survival_one_sided_and_other_levels(two):
    a = ls.compare_survival(two)
    less = ls.compare_survival(two, alternative="less")
    greater = ls.compare_survival(two, alternative="greater")
    assert less.pvalue + greater.pvalue == pytest.approx(1.0)
    assert min(less.pvalue, greater.pvalue) == pytest.approx(a.pvalue / 2, rel=1e-10)
    assert less.cox_pvalue + greater.cox_pvalue == pytest.approx(1.0)
    assert less.ci_low == 0.0 and greater.ci_high == math.inf
    # the one-sided 95% bound is the two-sided 90% bound
    assert less.ci_high == pytest.approx(a.confidence_interval(0.90).high, rel=1e-12)
    assert greater.ci_low == pytest.approx(a.confidence_interval(0.90).low, rel=1e-12)
    c99 = ls.compare_survival(two, confidence_level=0.99)
    assert a.confidence_interval(0.99) == pytest.approx(tuple(c99.confidence_interval()), rel=1e-12)
    assert a.confidence_interval(0.95) == (a.ci_low, a.ci_high)


def test_compare_survival_result_is_picklable_and_tidy(two):
    res = ls.compare_survival(two)
    assert type(res).__module__ == "lupusstats.survival"
    back = pickle.loads(pickle.dumps(res))
    assert back == res and back.confidence_interval(0.8) == res.confidence_interval(0.8)
    frame = res.to_frame()
    assert list(frame.columns[:6]) == ["arm", "reference", "hazard_ratio", "ci_low", "ci_high", "pvalue"]
    assert len(frame) == 1
    assert "<strong>SurvivalComparison</strong>" in res._repr_html_()


def test_compare_survival_arm_without_events_reports_hr_zero_as_r_warns():
    # Arm b has no events: the Cox likelihood is monotone (R coxph warns "beta may be infinite").  The hazard ratio
    # is 0, its interval profile likelihood (0, finite upper end), the log-rank test is unchanged, and a one-sided
    # interval at 95% has the upper end of the two-sided 90% one.
    d = pd.DataFrame({"time": [1.0, 2, 3, 4, 5, 6], "event": [1, 1, 0, 0, 0, 0], "arm": list("aaabbb")})
    with pytest.warns(RuntimeWarning, match="monotone"):
        res = ls.compare_survival(d)
        less = ls.compare_survival(d, alternative="less")
    assert res.hazard_ratio == 0.0 and res.ci_low == 0.0 and 0 < res.ci_high < math.inf and "monotone" in res.note
    assert res.pvalue == ls.logrank(d["time"], d["event"], d["arm"]).pvalue
    assert res.log_hazard_ratio == -math.inf and res.se == math.inf
    assert less.ci_high == pytest.approx(res.confidence_interval(0.90).high, rel=1e-12) and less.ci_low == 0.0
    assert less.cox_pvalue == pytest.approx(res.cox_pvalue / 2, rel=1e-12)
    back = pickle.loads(pickle.dumps(res))
    assert back.confidence_interval(0.8) == res.confidence_interval(0.8)


def test_compare_survival_neither_arm_with_events_is_an_error():
    # the two compared arms have no event between them: no test and no hazard ratio (0/0), a clear ValueError
    d = pd.DataFrame({"time": [1.0, 2, 3, 4, 5, 6], "event": [0, 0, 0, 0, 1, 1], "arm": list("aabbcc")})
    with pytest.raises(ValueError, match="all 4 observations are censored"):
        ls.compare_survival(d, reference="a", treatment="b")


def test_compare_survival_bad_input(two):
    with pytest.raises(ValueError, match=r"missing column\(s\) \['years'\]"):
        ls.compare_survival(two, time="years")
    with pytest.raises(ValueError, match=r"missing column\(s\) \['treatment'\]"):
        ls.compare_survival(two, group="treatment")
    with pytest.raises(TypeError, match="`time` must be a column name"):
        ls.compare_survival(two, time=2)
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        ls.compare_survival(two.to_numpy())
    with pytest.raises(ValueError, match="`reference` must be one of the groups .* got 'placebo'"):
        ls.compare_survival(two, reference="placebo")
    with pytest.raises(ValueError, match="`treatment` must be one of"):
        ls.compare_survival(two, treatment="standard care")
    with pytest.raises(ValueError, match="`alternative` must be one of"):
        ls.compare_survival(two, alternative="two.sided")
    with pytest.raises(ValueError, match="`confidence_level` must be"):
        ls.compare_survival(two, confidence_level=95)
    with pytest.raises(ValueError, match="column `time` must hold finite times >= 0"):
        ls.compare_survival(two.assign(time=-two["time"]))
    with pytest.raises(ValueError, match="missing"):
        ls.compare_survival(two.assign(time=np.where(two.index == two.index[0], np.nan, two["time"])))
    with pytest.raises(ValueError, match="column `event` must be 0/1"):
        ls.compare_survival(two.assign(event=2))
    with pytest.raises(TypeError, match="column `event` of `patients` must hold numbers"):
        ls.compare_survival(two.assign(event="yes"))
    with pytest.raises(ValueError, match="column `arm` has 1 missing"):
        ls.compare_survival(two.assign(arm=two["arm"].astype(object).where(two.index != two.index[0])))
    with pytest.raises(ValueError, match="at least two arms"):
        ls.compare_survival(two[two["arm"] == "standard care"])
    with pytest.raises(ValueError, match="all .* censored"):
        ls.compare_survival(two.assign(event=0))
    with pytest.raises(ValueError, match="`group` 'pvalue' clashes"):
        ls.compare_survival(two.rename(columns={"arm": "pvalue"}), group="pvalue")
