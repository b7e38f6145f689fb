"""The effect card's decision rule, multiplicity families and deaths row; its figure and the Kaplan-Meier plot.

Checked against direct computations that do not go through the card: Holm by
statsmodels, the deaths risk difference by statsmodels' Newcombe interval and
scipy's Pearson chi-square, the numbers at risk by counting the times.
"""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep

import lupusstats as ls
from lupusstats.card import AssumedEffectWarning, decision_rule

matplotlib.use("Agg")

REFERENCE = "standard care"


@pytest.fixture(scope="module")
def cohort():
    return ls.simulate_cohort(ls.preset("nephritis_induction"), rng=2025)


def _card(cohort, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AssumedEffectWarning)
        return ls.effect_card(cohort, reference=REFERENCE, **kwargs)


@pytest.fixture(scope="module")
def cards(cohort):
    return {families: _card(cohort, families=families) for families in ("separate", "joint", "none")}


def _expected_favours(row, alpha=0.05):
    if not np.isfinite(row["pvalue_adjusted"]):
        return "not estimable"
    if row["pvalue_adjusted"] >= alpha:
        return "neither"
    lower_is_better = row["favours_treatment_if"].startswith("<")
    below = row["estimate"] < row["null_value"]
    return "treatment" if below == lower_is_better else "reference"


# ---------------------------------------------------------------------------
# one decision rule
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("families", ["separate", "joint", "none"])
def test_favours_follows_the_adjusted_p_for_every_row(cards, families):
    card = cards[families]
    tested = card[card["measure"] != "NNT"]
    assert (tested.apply(_expected_favours, axis=1) == tested["favours"]).all()
    # an NNT row restates the tested row of its endpoint (the row just before it)
    for i in np.flatnonzero(card["measure"] == "NNT"):
        row, above = card.iloc[i], card.iloc[i - 1]
        assert above["endpoint"] == row["endpoint"] and above["measure"] != "NNT"
        assert row["favours"] == above["favours"]
        assert row["pvalue_adjusted"] == above["pvalue_adjusted"] or np.isnan(above["pvalue_adjusted"])
    assert card.attrs["decision_rule"] == decision_rule(0.95, families)


def test_the_seed_2025_time_to_first_flare_row_no_longer_favours_msc(cards):
    # the example: HR 0.729 (0.534-0.995) was 'favours treatment' by its raw interval while the marker
    # followed Holm; under the one rule a raw interval may exclude 1 and the row favour neither
    card = cards["separate"]
    # rows whose interval lies wholly on the treatment side of a lower-is-better measure (a row of a
    # higher-is-better measure, e.g. remission, below the null favours the reference instead)
    lower_better = card["favours_treatment_if"].astype(str).str.startswith("<")
    rows = card[(card["measure"] != "NNT") & lower_better & (card["ci_high"] < card["null_value"])]
    for _, r in rows.iterrows():
        assert r["favours"] == ("treatment" if r["pvalue_adjusted"] < 0.05 else "neither")


@pytest.mark.parametrize("families", ["separate", "none"])
def test_figure_markers_and_text_match_favours_for_every_row(cards, families):
    import matplotlib.pyplot as plt

    card = cards[families]
    for arm in card["arm"].cat.categories:
        ax = ls.plots.plot_effect_card(card, arm=arm)
        part = card[(card["arm"] == arm) & (card["measure"] != "NNT")]
        markers = {ln.get_gid().split(":", 1)[1]: ln for ln in ax.lines if (ln.get_gid() or "").startswith("estimate:")}
        texts = {
            t.get_gid().split(":", 1)[1]: t.get_text() for t in ax.texts if (t.get_gid() or "").startswith("favours:")
        }
        assert set(texts) == set(part["endpoint"])
        for _, r in part.iterrows():
            assert texts[r["endpoint"]] == r["favours"]
            if r["measure"] in ("rate ratio", "hazard ratio", "risk ratio") and np.isfinite(r["estimate"]):
                filled = matplotlib.colors.to_rgba(markers[r["endpoint"]].get_markerfacecolor()) != (1, 1, 1, 1)
                assert filled == (r["favours"] in ("treatment", "reference")), r["endpoint"]
        plt.close(ax.figure)


def test_card_figure_is_legible_at_its_default_size(cards):
    import matplotlib.pyplot as plt

    ax = ls.plots.plot_effect_card(cards["separate"], arm="MSC + standard care")
    fig = ax.figure
    fig.canvas.draw()
    sizes = [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text) if t.get_visible() and t.get_text().strip()]
    assert len(sizes) > 40 and min(sizes) >= 10
    assert any(t.get_text().startswith("An endpoint favours an arm when its Holm-adjusted") for t in ax.texts)
    plt.close(fig)


# ---------------------------------------------------------------------------
# multiplicity families
# ---------------------------------------------------------------------------


def test_families_separate_joint_none(cards):
    sep, joint, none = cards["separate"], cards["joint"], cards["none"]
    for col in ("estimate", "ci_low", "ci_high", "pvalue"):
        np.testing.assert_array_equal(sep[col], joint[col])
    assert set(sep["family"]) == {"efficacy", "safety"}
    assert (sep["family"] == sep["domain"].map({"benefit": "efficacy", "harm": "safety"})).all()
    assert set(joint["family"]) == {"efficacy + safety"} and set(none["family"]) == {"none"}
    for arm in sep["arm"].cat.categories:
        for card, groups in ((sep, ["benefit", "harm"]), (joint, [["benefit", "harm"]])):
            for domains in groups:
                rows = card[
                    (card["arm"] == arm) & card["domain"].isin(np.atleast_1d(domains)) & (card["measure"] != "NNT")
                ]
                # a row whose test is undefined (0/0 drug-free remission: no arm of this preset has any) is
                # not a hypothesis tested: no adjusted p-value, and not counted in the family
                assert rows.loc[rows["pvalue"].isna(), "pvalue_adjusted"].isna().all()
                rows = rows[rows["pvalue"].notna()]
                expected = multipletests(rows["pvalue"].to_numpy(), method="holm")[1]
                np.testing.assert_allclose(rows["pvalue_adjusted"], expected)
    tested = none["measure"] != "NNT"
    np.testing.assert_array_equal(none.loc[tested, "pvalue_adjusted"], none.loc[tested, "pvalue"])
    # separate families never adjust more than one joint family: a harm signal is not diluted by efficacy rows
    defined = sep["pvalue_adjusted"].notna()
    assert (defined == joint["pvalue_adjusted"].notna()).all()
    assert (sep.loc[defined, "pvalue_adjusted"] <= joint.loc[defined, "pvalue_adjusted"] + 1e-12).all()
    assert (none.loc[defined, "pvalue_adjusted"] <= sep.loc[defined, "pvalue_adjusted"] + 1e-12).all()


def test_families_bad_value(cohort):
    with pytest.raises(ValueError, match=r"`families` must be one of \['separate', 'joint', 'none'\], got 'both'"):
        _card(cohort, families="both")


# ---------------------------------------------------------------------------
# the deaths row
# ---------------------------------------------------------------------------


def test_deaths_row_equals_a_direct_computation(cohort, cards):
    p = cohort.patients
    card = cards["separate"]
    ref = p[p["arm"] == REFERENCE]
    for arm in card["arm"].cat.categories:
        treat = p[p["arm"] == arm]
        e1, n1, e2, n2 = int(treat["died"].sum()), len(treat), int(ref["died"].sum()), len(ref)
        rows = card[(card["arm"] == arm) & (card["endpoint"] == "death")].set_index("measure")
        assert list(rows.index) == ["risk difference", "NNT"]
        rd = rows.loc["risk difference"]
        assert rd["domain"] == "harm" and rd["family"] == "safety" and rd["label"] == f"{e1}/{n1} vs {e2}/{n2}"
        assert rd["estimate"] == pytest.approx(e1 / n1 - e2 / n2, abs=1e-15)
        low, high = confint_proportions_2indep(e1, n1, e2, n2, method="newcomb", compare="diff")
        assert (rd["ci_low"], rd["ci_high"]) == pytest.approx((low, high), rel=1e-12)
        chi2 = stats.chi2_contingency([[e1, n1 - e1], [e2, n2 - e2]], correction=False)
        assert rd["pvalue"] == pytest.approx(chi2.pvalue, rel=1e-9)
        nnh = rows.loc["NNT"]
        assert nnh["estimate"] == pytest.approx(-1 / (e1 / n1 - e2 / n2))  # signed: < 0 is a number needed to harm
        assert nnh["favours"] == rd["favours"]


def test_deaths_follow_the_preset_and_only_deaths_end_follow_up_early_without_completing():
    sc = ls.preset("nephritis_induction")
    batch = ls.simulate_trials(sc, 400, rng=11)
    assert not (batch.died & batch.completed).any()
    assert (batch.followup_years[batch.died] < sc.followup_years).all()
    for k, a in enumerate(sc.arms):
        d = batch.died[:, batch.arm == k]
        lo, hi = stats.binom.interval(1 - 1e-4, d.size, a.treatment_mortality)
        assert lo <= d.sum() <= hi, a.name
    table = batch.to_patients()
    np.testing.assert_array_equal(table["died"], batch.died.ravel())


def test_no_deaths_row_without_a_died_column(cohort):
    read = ls.read_cohort(cohort.patients.drop(columns="died"), cohort.flares)
    card = ls.effect_card(read, reference=REFERENCE)
    assert "death" not in set(card["endpoint"])


def test_read_cohort_refuses_a_death_that_completed(cohort):
    bad = cohort.patients.copy()
    bad.loc[0, "died"] = True
    bad.loc[0, "completed"] = True
    with pytest.raises(ValueError, match="died during follow-up but `completed` is true"):
        ls.read_cohort(bad, cohort.flares)


# ---------------------------------------------------------------------------
# Kaplan-Meier: numbers at risk, full axis
# ---------------------------------------------------------------------------


def test_km_numbers_at_risk_equal_the_km_table_and_a_direct_count(cohort):
    import matplotlib.pyplot as plt

    tte = ls.time_to_first_flare(cohort.patients, severe=True)
    km = ls.kaplan_meier(tte["time"], tte["event"], tte["arm"], method="log-log")
    times = [0.0, 0.1, 0.2, 0.3, 0.4]
    ax = ls.plots.plot_kaplan_meier(km, at_risk_times=times)
    assert tuple(float(v) for v in ax.get_ylim()) == (0.0, 1.02)
    shown = {t.get_gid(): int(t.get_text()) for t in ax.texts if (t.get_gid() or "").startswith("at-risk:")}
    for arm, part in km.groupby("arm", observed=True):
        t_arm = tte.loc[tte["arm"] == arm, "time"].to_numpy()
        for t in times:
            direct = int((t_arm >= t).sum())
            later = part[part["time"] >= t]
            from_table = int(later["n_risk"].iloc[0]) if len(later) else 0
            assert shown[f"at-risk:{arm}:{t:g}"] == direct == from_table, (arm, t)
    np.testing.assert_allclose(ax.get_xticks(), times)
    plt.close(ax.figure)
    ax = ls.plots.plot_kaplan_meier(km, ylim=(0.6, 1.01), at_risk=False)
    assert tuple(float(v) for v in ax.get_ylim()) == (0.6, 1.01)
    assert not [t for t in ax.texts if (t.get_gid() or "").startswith("at-risk:")]
    plt.close(ax.figure)


def test_km_plot_bad_input():
    km = ls.kaplan_meier([1, 2, 3, 4], [1, 0, 1, 1], ["a", "a", "b", "b"])
    with pytest.raises(ValueError, match="`ylim` must be"):
        ls.plots.plot_kaplan_meier(km, ylim=(1, 0))
    with pytest.raises(ValueError, match="`at_risk_times` must be finite"):
        ls.plots.plot_kaplan_meier(km, at_risk_times=[-1, 2])
    with pytest.raises(ValueError, match="no 'n_risk' column"):
        ls.plots.plot_kaplan_meier(pd.DataFrame(km).drop(columns="n_risk"))


def test_assumed_effect_warning_names_the_assumed_effect(cohort):
    with pytest.warns(AssumedEffectWarning, match=r"MSC \+ standard care activity_response_ratio .* \(tag A\)"):
        card = ls.effect_card(cohort, reference=REFERENCE)
    assert card.attrs["assumed_effects"].startswith("Assumed, not published")
