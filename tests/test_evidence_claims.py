"""The claims about the stem-cell evidence are made in one place (lupusstats.evidence.claims) and repeated verbatim.

* The README's short answer (between the ``short-answer`` markers) is ``short_answer()``.
* Notebook 05's committed findings output contains it.
* Both name 8 distinct CD19 CAR-T patients, never 13 (Mackensen 2022's 5 are among Mueller 2024's 8).
* No pooled analysis mixes rows of one overlap group: the pooling helper the notebook uses keeps one
  study per group or refuses, and refuses to mix randomised and single-arm designs.
"""

from __future__ import annotations

import pathlib
import re

import nbformat
import numpy as np
import pandas as pd
import pytest

import lupusstats as ls
from lupusstats.cli.report import findings_markdown
from lupusstats.evidence import claims

ROOT = pathlib.Path(__file__).resolve().parents[1]
NB05 = ROOT / "notebooks" / "05_published_stem_cell_evidence.ipynb"


def _norm(text: str) -> str:
    return " ".join(text.split())


def _readme_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- short-answer:start -->(.*?)<!-- short-answer:end -->", text, re.S)
    assert m, "README.md has no <!-- short-answer:start --> ... <!-- short-answer:end --> block"
    return m.group(1)


def test_readme_short_answer_is_the_library_text():
    assert _norm(_readme_block()) == _norm(ls.short_answer())


def test_notebook_05_findings_render_the_short_answer():
    rendered = findings_markdown(nbformat.read(NB05, as_version=4))
    assert _norm(ls.short_answer()) in _norm(rendered)


@pytest.mark.parametrize("text", ["readme", "notebook", "library"])
def test_eight_cart_patients_never_thirteen(text):
    body = {
        "readme": lambda: _readme_block(),
        "notebook": lambda: findings_markdown(nbformat.read(NB05, as_version=4)),
        "library": ls.short_answer,
    }[text]()
    assert re.search(r"\b8 distinct patients\b", body)
    assert not re.search(r"\b13\s+(?:distinct\s+)?patients\b", body)


def test_cart_distinct_patients_counts_erlangen_once():
    facts = claims.cart_drug_free_remission()
    assert (facts["patients"], facts["naive_sum"], facts["groups"]) == (8, 13, 1)


def _nanjing_and_deng():
    msc = ls.load_dataset("msc_sle_studies")
    rows = msc[(msc.outcome.isin(["complete_remission", "total_remission"])) & (msc.arm == "MSC")]
    rows = rows[rows.timepoint_months.isin([12, 60])]
    return rows.rename(columns={"events": "xi", "total": "ni"}).astype({"xi": int, "ni": int})


def test_pool_keeps_one_study_per_overlap_group():
    single = _nanjing_and_deng()
    single = single[single.design.str.startswith("single")]
    assert single.overlap_group.nunique() == 1 and len(single) >= 2
    pool = ls.pool_independent(ls.effect_sizes(single, measure="PLO"))
    assert pool.k == 1 and pool.studies.overlap_group.is_unique
    assert pool.studies.study.tolist() == ["Wang 2013"]  # the largest Nanjing series
    assert set(pool.excluded.study) == set(single.study) - {"Wang 2013"}
    with pytest.raises(ValueError, match="share patients"):
        ls.pool_independent(ls.effect_sizes(single, measure="PLO"), overlap="refuse")


def test_pool_of_several_groups_has_each_group_once():
    d = pd.DataFrame(
        {
            "study": ["A1", "A2", "B", "C"],
            "overlap_group": ["a", "a", "b", "c"],
            "xi": [5, 20, 9, 14],
            "ni": [10, 40, 12, 30],
        }
    )
    pool = ls.pool_independent(ls.effect_sizes(d, measure="PLO"))
    assert pool.studies.overlap_group.is_unique and pool.k == 3
    assert pool.studies.study.tolist() == ["A2", "B", "C"]
    direct = ls.meta_analysis(ls.effect_sizes(d.iloc[1:], measure="PLO"), method="REML", test="knha")
    assert np.isclose(pool.frequentist.estimate, direct.estimate)
    assert pool.quoted in ("Knapp-Hartung", "Bayesian")
    table = pool.to_frame()
    assert table.quoted.sum() == 1
    q = table[table.quoted].iloc[0]
    assert np.allclose(pool.quoted_estimate(), (q.estimate, q.ci_low, q.ci_high))
    widths = table.ci_high - table.ci_low
    assert np.isclose(widths[table.quoted].iloc[0], widths.max())  # the rule: the wider interval is quoted


def test_pool_refuses_to_mix_randomised_and_single_arm():
    rows = _nanjing_and_deng()
    deng = ls.load_dataset("msc_sle_studies")
    deng = deng[(deng.study == "Deng 2017") & (deng.arm == "MSC") & (deng.outcome == "remission")]
    deng = deng.rename(columns={"events": "xi", "total": "ni"}).astype({"xi": int, "ni": int})
    mixed = pd.concat([rows[rows.study == "Wang 2013"], deng])
    with pytest.raises(ValueError, match="mixes designs"):
        ls.pool_independent(ls.effect_sizes(mixed, measure="PLO"))


def test_ranges_are_quoted_in_full():
    durable = claims.hsct_durable_remission()
    hsct = ls.load_dataset("hsct_sle_studies")
    for outcome in ("disease_free_survival", "progression_free_survival", "remission_survival"):
        assert set(hsct.loc[hsct.outcome == outcome, "study"]) <= set(durable.study)
    assert {"Song 2011", "Burt 2018"} <= set(durable.study)
    trm = claims.hsct_treatment_mortality()
    assert trm.iloc[0][["events", "total"]].tolist() == [0, 30]
    assert trm.proportion.iloc[-1] == trm.proportion.max()
    jayne = trm[trm.study == "Jayne 2004"].iloc[0]
    assert np.isclose(jayne.proportion, 7 / 53) and jayne.proportion_as_published == 0.12
    text = ls.short_answer()
    assert "0/30 (Burt 2018)" in text and f"{100 * trm.proportion.max():.0f}%" in text
    assert f"{100 * durable.proportion.min():.0f}%" in text and f"{100 * durable.proportion.max():.0f}%" in text


def test_certainty_table_states_every_judgement_with_a_reason():
    t = ls.certainty_table()
    domains = ["risk_of_bias", "inconsistency", "indirectness", "imprecision"]
    measured = t[t.design != "none"]
    for col in domains:
        assert measured[col].str.match(r"^(not serious|serious|very serious|not assessable|not assessed): .+").all()
    assert set(t.certainty) <= {"high", "moderate", "low", "very low", "no evidence"}
    assert {"benefit", "harm"} == set(t.kind)
    assert {"MSC", "autologous HSCT", "CD19 CAR-T", "cyclophosphamide (vs mycophenolate)"} <= set(t.therapy)
    cart = t.set_index(["therapy", "outcome"]).loc[("CD19 CAR-T", "drug-free remission (DORIS)")]
    assert cart.certainty == "very low" and "8 patients" in cart.imprecision
    # a single-arm series can never be above low; a randomised trial of 18 patients is downgraded twice
    assert not t[(t.design.str.startswith("single")) & t.certainty.isin(["moderate", "high"])].shape[0]
