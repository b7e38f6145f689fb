"""What the published stem-cell evidence supports, computed from ``data/`` (behind :mod:`lupusstats.evidence`).

One place for the claims the project makes about the promotional statement that
stem-cell therapy lets lupus patients "cope without drugs":

* :func:`pool_independent` -- the only pooling step the evidence notebook uses:
  one study per overlapping patient pool (or a refusal), no mixing of
  randomised and single-arm designs, REML/Knapp-Hartung beside a Bayesian
  half-normal(0.5) pool, and one stated rule for the interval quoted.
* :func:`hsct_durable_remission`, :func:`hsct_treatment_mortality` -- the full
  ranges over the HSCT series, never trimmed to one end.
* :func:`certainty_table` -- a GRADE-spirit table of benefits and harms for each
  therapy x outcome, each judgement stated with its reason by explicit rules.
* :func:`short_answer` -- the Markdown paragraph that the README and notebook
  05 both show, every number computed here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lupusstats._core import validation as _v
from lupusstats._core.inference import wald_interval
from lupusstats.effects import risk_ratio
from lupusstats.evidence.bayes import bayes_meta_analysis
from lupusstats.evidence.datasets import distinct_patients, load_dataset, one_per_overlap_group, overlap_groups
from lupusstats.evidence.effect_sizes import back_transform
from lupusstats.evidence.meta import meta_analysis

if TYPE_CHECKING:
    import pandas as pd


#: Below this many studies the Knapp-Hartung interval and the Bayesian interval are both shown and
#: the text quotes the wider of the two (see :class:`IndependentPool`).
_OVERLAP_MODES = ("one_per_group", "refuse", "ignore")
_HALF_NORMAL_SCALE = 0.5


def _design_kind(design) -> str:
    text = str(design).lower()
    return "randomised" if text.startswith("rct") or "randomi" in text else "non-randomised"


# ---------------------------------------------------------------------------
# pooling that respects overlapping patient pools
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IndependentPool:
    """A pool of independent studies: REML/Knapp-Hartung beside a Bayesian pool, and the interval the text quotes.

    Attributes
    ----------
    studies : pandas.DataFrame
        The rows pooled (one per overlap group unless ``overlap="ignore"``).
    excluded : pandas.DataFrame
        Rows left out because their patient pool is already in (``overlap="one_per_group"``).
    frequentist : MetaAnalysisResult or None
        REML with Knapp-Hartung (None when one study is left).
    bayes : BayesMetaResult or None
        Half-normal(0.5) prior on tau, uniform prior on mu (None when one study is left).
    overlap : str
        How overlap groups were handled.
    measure : str
        The effect-size measure (for :func:`back_transform`).
    confidence_level : float

    Notes
    -----
    **The rule for the quoted interval.**  With few studies neither interval is
    the obvious one: Knapp-Hartung's t with k - 1 df is wide and unstable, the
    Bayesian interval leans on its prior for tau.  The text quotes the *wider*
    of the two (on the measure's scale), so it never picks the more
    precise-looking one; :attr:`quoted` names it.  With one study there is no
    pool: the study's own Wald interval is quoted.

    Examples
    --------
    >>> import pandas as pd, lupusstats as ls
    >>> d = pd.DataFrame({"study": ["A", "B"], "overlap_group": ["a", "b"], "xi": [23, 9], "ni": [83, 12]})
    >>> pool = ls.pool_independent(ls.effect_sizes(d, measure="PLO"))
    >>> pool.k, pool.quoted in ("Knapp-Hartung", "Bayesian")
    (2, True)
    """

    studies: Any
    excluded: Any
    frequentist: Any
    bayes: Any
    overlap: str
    measure: str
    confidence_level: float

    @property
    def k(self) -> int:
        """Number of studies pooled."""
        return len(self.studies)

    @property
    def quoted(self) -> str:
        """``"Knapp-Hartung"``, ``"Bayesian"`` or ``"single study"``: the wider interval, by the rule above."""
        if self.k == 1:
            return "single study"
        if self.bayes is None:
            return "Knapp-Hartung"
        f = np.subtract(*self.frequentist.confidence_interval()[::-1])
        b = np.subtract(*self.bayes.confidence_interval()[::-1])
        return "Knapp-Hartung" if f >= b else "Bayesian"

    def quoted_estimate(self) -> tuple[float, float, float]:
        """(estimate, low, high) of the quoted interval, back on the natural scale of the measure."""
        if self.k == 1:
            row = self.studies.iloc[0]
            se = math.sqrt(float(row["vi"]))
            lo, hi = wald_interval(float(row["yi"]), se, self.confidence_level)
            values = [float(row["yi"]), lo, hi]
        else:
            res = self.frequentist if self.quoted == "Knapp-Hartung" else self.bayes
            values = [res.estimate, *res.confidence_interval()]
        est, lo, hi = (float(x) for x in np.asarray(back_transform(np.asarray(values), measure=self.measure)))
        return est, lo, hi

    def to_frame(self) -> pd.DataFrame:
        """One row per method (Knapp-Hartung, Bayesian), natural scale, with ``quoted`` marking the text's interval."""
        import pandas as pd

        rows = []
        if self.k == 1:
            est, lo, hi = self.quoted_estimate()
            rows.append({"method": "single study (Wald)", "k": 1, "estimate": est, "ci_low": lo, "ci_high": hi})
        else:
            for name, res in (("Knapp-Hartung", self.frequentist), ("Bayesian", self.bayes)):
                if res is None:
                    continue
                lo, hi = res.confidence_interval()
                est, lo, hi = np.asarray(back_transform(np.array([res.estimate, lo, hi]), measure=self.measure))
                rows.append({"method": name, "k": self.k, "estimate": est, "ci_low": lo, "ci_high": hi})
        out = pd.DataFrame(rows)
        out["quoted"] = out["method"].str.startswith(self.quoted)
        return out


def pool_independent(
    es: pd.DataFrame,
    *,
    overlap: str = "one_per_group",
    size: str = "ni",
    labels: str = "study",
    confidence_level: float = 0.95,
    tau_prior_scale: float = _HALF_NORMAL_SCALE,
) -> IndependentPool:
    """Pool effect sizes of independent patient pools only (REML/Knapp-Hartung and Bayesian, side by side).

    Parameters
    ----------
    es : pandas.DataFrame
        The output of :func:`effect_sizes` (columns ``yi``, ``vi``) with an
        ``overlap_group`` column (one label per patient pool, as in the data
        sets) and, when present, a ``design`` column.
    overlap : {"one_per_group", "refuse", "ignore"}, default "one_per_group"
        ``"one_per_group"`` keeps, in each overlap group, the row with the
        largest `size` (ties: the later row); ``"refuse"`` raises if a group
        has two rows; ``"ignore"`` pools every row -- only for a sensitivity
        analysis that shows what double counting does, never for a headline.
    size : str, default "ni"
        Column with each row's number of patients.
    labels : str, default "study"
        Column with study labels.
    confidence_level : float, default 0.95
    tau_prior_scale : float, default 0.5
        Scale of the half-normal prior on tau for the Bayesian pool.

    Returns
    -------
    IndependentPool

    Raises
    ------
    ValueError
        No ``overlap_group`` column; rows of randomised and non-randomised
        designs mixed (they answer different questions: a controlled effect
        and an uncontrolled single-arm proportion); an overlap group with two
        rows under ``overlap="refuse"``.

    Examples
    --------
    >>> import pandas as pd, lupusstats as ls
    >>> d = pd.DataFrame({"study": ["A 2010", "A 2013", "B 2017"], "overlap_group": ["a", "a", "b"],
    ...                   "xi": [10, 23, 9], "ni": [15, 83, 12]})
    >>> pool = ls.pool_independent(ls.effect_sizes(d, measure="PLO"))
    >>> pool.studies["study"].tolist(), pool.excluded["study"].tolist()
    (['A 2013', 'B 2017'], ['A 2010'])
    >>> ls.pool_independent(ls.effect_sizes(d, measure="PLO"), overlap="refuse")
    Traceback (most recent call last):
    ...
    ValueError: overlap group 'a' has 2 rows (A 2010, A 2013): they share patients and must not be pooled ...
    """
    import pandas as pd

    if not isinstance(es, pd.DataFrame):
        raise TypeError(f"`es` must be the DataFrame returned by effect_sizes, got {type(es).__name__}.")
    overlap = _v.check_choice("overlap", overlap, _OVERLAP_MODES)
    confidence_level = _v.check_confidence_level(confidence_level)
    for col in ("yi", "vi", "overlap_group", size, labels):
        if col not in es.columns:
            raise ValueError(f"`es` has no column {col!r}; it has {list(es.columns)}.")
    if "design" in es.columns:
        kinds = sorted({_design_kind(d) for d in es["design"]})
        if len(kinds) > 1:
            raise ValueError(
                f"`es` mixes designs {kinds}: a randomised comparison and uncontrolled single-arm series "
                "answer different questions; pool them separately."
            )
    measure = es.attrs.get("measure")
    if measure is None:
        raise ValueError("`es` carries no measure (frame.attrs['measure']); pass the output of effect_sizes.")
    keep: list = []
    for group, part in es.groupby("overlap_group", sort=False):
        if len(part) > 1 and overlap == "refuse":
            names = ", ".join(map(str, part[labels]))
            raise ValueError(
                f"overlap group {group!r} has {len(part)} rows ({names}): they share patients and must not be "
                "pooled as independent studies; keep one (overlap='one_per_group')."
            )
        if overlap == "ignore":
            keep.extend(part.index)
        else:
            order = np.argsort(np.asarray(part[size], dtype=float), kind="stable")
            keep.append(part.index[order[-1]])
    studies = es.loc[[i for i in es.index if i in set(keep)]]
    excluded = es.loc[[i for i in es.index if i not in set(keep)]]
    freq = bayes = None
    if len(studies) >= 2:
        freq = meta_analysis(studies, labels=labels, method="REML", test="knha", confidence_level=confidence_level)
        bayes = (
            None
            if bayes_meta_analysis is None
            else bayes_meta_analysis(
                studies["yi"].to_numpy(float),
                studies["vi"].to_numpy(float),
                tau_prior="half-normal",
                tau_prior_scale=tau_prior_scale,
                labels=list(map(str, studies[labels])),
                credible_level=confidence_level,
            )
        )
    return IndependentPool(studies, excluded, freq, bayes, overlap, measure, confidence_level)


# ---------------------------------------------------------------------------
# facts from the data
# ---------------------------------------------------------------------------

_DURABLE = {
    "disease_free_survival": "disease-free survival",
    "progression_free_survival": "progression-free survival",
    "remission_survival": "remission survival",
}
_MORTALITY = {
    "treatment_related_mortality": "treatment-related mortality",
    "non_relapse_mortality": "non-relapse mortality",
}


def hsct_durable_remission() -> pd.DataFrame:
    """Every HSCT series' longest-term share of patients still disease-free (or in remission), one row per series.

    Disease-free, progression-free and remission survival as each series
    publishes it, and Burt 2018's drug-free remission (no immunosuppressants
    except hydroxychloroquine and prednisone <= 10 mg/day) at its last time
    point.  Series of one overlap group are all listed (their ``overlap_group``
    says which share patients): the range is quoted over all of them, never
    trimmed to one end.

    Returns
    -------
    pandas.DataFrame
        ``study, overlap_group, outcome, definition, timepoint_years, proportion, n``,
        sorted by ``proportion``.

    Examples
    --------
    >>> from lupusstats.evidence.claims import hsct_durable_remission
    >>> t = hsct_durable_remission()
    >>> t.iloc[0]["study"], t.iloc[-1]["study"]
    ('Alchi 2013', 'Leng 2017')
    """
    import pandas as pd

    hsct = load_dataset("hsct_sle_studies")
    rows = hsct[hsct["outcome"].isin(_DURABLE)].copy()
    rows["definition"] = rows["outcome"].map(_DURABLE)
    rem = hsct[(hsct["outcome"] == "remission") & hsct["proportion"].notna() & hsct["timepoint_years"].notna()]
    rem = rem[rem["note"].fillna("").str.contains("no immunosuppressive drugs|As the", regex=True)]
    if len(rem):
        last = rem.sort_values("timepoint_years").groupby("study", sort=False).tail(1).copy()
        last["definition"] = "remission off immunosuppressants (hydroxychloroquine and prednisone <= 10 mg/day allowed)"
        rows = pd.concat([rows, last])
    out = rows.assign(n=rows["n_analysed"])[
        ["study", "overlap_group", "outcome", "definition", "timepoint_years", "proportion", "n"]
    ]
    return out.sort_values(["proportion", "study"]).reset_index(drop=True)


def hsct_treatment_mortality() -> pd.DataFrame:
    """Treatment-related and non-relapse mortality of every HSCT series, as counts where published.

    Returns
    -------
    pandas.DataFrame
        ``study, overlap_group, outcome, definition, timepoint_years, events, total, proportion,
        proportion_as_published``; ``proportion`` is ``events / total`` when counts exist (Jayne 2004:
        7/53, published as 12%), otherwise the published share. Sorted by ``proportion``.

    Examples
    --------
    >>> from lupusstats.evidence.claims import hsct_treatment_mortality
    >>> t = hsct_treatment_mortality()
    >>> r = t.iloc[0]
    >>> str(r["study"]), int(r["events"]), int(r["total"])
    ('Burt 2018', 0, 30)
    >>> t.iloc[-1][["study", "outcome"]].tolist()
    ['Alchi 2013', 'non_relapse_mortality']
    """
    hsct = load_dataset("hsct_sle_studies")
    rows = hsct[hsct["outcome"].isin(_MORTALITY)].copy()
    rows["definition"] = rows["outcome"].map(_MORTALITY)
    counted = rows["events"].notna() & rows["total"].notna()
    rows["proportion"] = np.where(
        counted, rows["events"].astype(float) / rows["total"].astype(float), rows["proportion"].astype(float)
    )
    cols = ["study", "overlap_group", "outcome", "definition", "timepoint_years", "events", "total"]
    out = rows[[*cols, "proportion", "proportion_as_published"]]
    return out.sort_values(["proportion", "study"]).reset_index(drop=True)


def cart_drug_free_remission() -> dict:
    """CD19 CAR-T: distinct patients in DORIS remission off all immunosuppression, each overlap group once.

    Returns
    -------
    dict
        ``patients`` (distinct, by :func:`distinct_patients`), ``reports`` (rows counted
        before removing overlap), ``naive_sum`` (what adding the reports would give: wrong),
        ``studies`` (labels), ``groups`` (number of independent pools), ``crs_grade_max``.

    Examples
    --------
    >>> from lupusstats.evidence.claims import cart_drug_free_remission
    >>> f = cart_drug_free_remission()
    >>> f["patients"], f["naive_sum"]
    (8, 13)
    """
    cart = load_dataset("cart_sle_cases")
    doris = cart[(cart["outcome_definition"] == "DORIS") & (cart["drug_free"] == True)]  # noqa: E712
    in_remission = doris[doris["outcome_events"] == doris["n_sle"]]
    groups = overlap_groups(in_remission)
    return {
        "patients": distinct_patients(in_remission),
        "reports": len(in_remission),
        "naive_sum": int(in_remission["n_sle"].sum()),
        "studies": list(in_remission["study"]),
        "groups": len(groups),
        "crs_grade_max": float(np.nanmax(cart["crs_grade_max"].astype(float))),
    }


def msc_randomised(outcome: str = "remission", *, confidence_level: float = 0.95) -> dict:
    """The randomised MSC evidence for one binary outcome: trials, patients and each trial's risk ratio.

    Returns
    -------
    dict
        ``trials`` (labels), ``n_trials``, ``patients`` (all arms), and for a single
        trial ``events_msc, total_msc, events_control, total_control`` and ``rr`` (an
        :class:`EstimateResult` of :func:`lupusstats.risk_ratio`).

    Examples
    --------
    >>> from lupusstats.evidence.claims import msc_randomised
    >>> f = msc_randomised()
    >>> f["trials"], f["patients"], round(f["rr"].estimate, 2)
    (['Deng 2017'], 18, 0.9)
    """
    msc = load_dataset("msc_sle_studies")
    rct = msc[msc["design"].map(_design_kind) == "randomised"]
    trials = list(dict.fromkeys(rct["study"]))
    out: dict[str, Any] = {
        "trials": trials,
        "n_trials": len(trials),
        "patients": int(rct.groupby(["study", "arm"])["n_enrolled"].max().sum()),
    }
    rows = rct[rct["outcome"] == outcome].set_index("arm")
    if len(trials) == 1 and {"MSC", "placebo"} <= set(rows.index):
        a, n1 = _as_int(rows.loc["MSC", "events"]), _as_int(rows.loc["MSC", "total"])
        c, n2 = _as_int(rows.loc["placebo", "events"]), _as_int(rows.loc["placebo", "total"])
        out.update(events_msc=a, total_msc=n1, events_control=c, total_control=n2)
        out["rr"] = risk_ratio(a, n1, c, n2, confidence_level=confidence_level)
    return out


def msc_single_arm_reports() -> dict:
    """Single-arm MSC reports and the independent patient pools they come from."""
    msc = load_dataset("msc_sle_studies")
    single = msc[msc["design"].map(_design_kind) == "non-randomised"]
    groups = overlap_groups(single)
    biggest = groups.sort_values("n_studies").iloc[-1]
    return {
        "reports": single["study"].nunique(),
        "pools": len(groups),
        "largest_pool": str(biggest["overlap_group"]),
        "largest_pool_reports": int(biggest["n_studies"]),
        "drug_free_measured": False,
    }


def _isna(x) -> bool:
    import pandas as pd

    return bool(pd.isna(x))


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _range_text(table, *, count_first: bool = False) -> tuple[str, str]:
    lo, hi = table.iloc[0], table.iloc[-1]

    def one(r):
        if count_first and "events" in r.index and not _isna(r["events"]):
            return f"{int(r['events'])}/{int(r['total'])} ({r['study']})"
        t = r["timepoint_years"]
        when = f" at {t:g} years" if not _isna(t) and t >= 1 else ""
        return f"{_pct(r['proportion'])} ({r['study']}, {r['definition']}{when})"

    return one(lo), one(hi)


def short_answer(*, confidence_level: float = 0.95) -> str:
    """The short answer to "do stem cells let lupus patients cope without drugs?", as Markdown, from the data.

    Every number is computed here from the data sets: distinct CAR-T patients in
    drug-free DORIS remission (each overlap group once), the randomised MSC
    evidence and its risk ratio, the full ranges of HSCT durable remission and
    treatment-related mortality.  The README's "Short answer" and the findings
    of notebook 05 show this text (``tests/test_evidence_claims.py`` checks).

    Parameters
    ----------
    confidence_level : float, default 0.95
        Level of the quoted intervals.

    Returns
    -------
    str

    Examples
    --------
    >>> from lupusstats.evidence.claims import short_answer
    >>> "in 8 distinct patients" in short_answer()
    True
    """
    confidence_level = _v.check_confidence_level(confidence_level)
    cart = cart_drug_free_remission()
    rct = msc_randomised(confidence_level=confidence_level)
    single = msc_single_arm_reports()
    durable = hsct_durable_remission()
    trm = hsct_treatment_mortality()
    d_lo, d_hi = _range_text(durable)
    t_lo, t_hi = _range_text(trm, count_first=True)
    burt = durable[durable["outcome"] == "remission"].iloc[0]
    grade = certainty_table(confidence_level=confidence_level).set_index(["therapy", "outcome"])["certainty"]
    c_cart = grade[("CD19 CAR-T", "drug-free remission (DORIS)")]
    c_hsct = sorted({grade[("autologous HSCT", o)] for o in grade.loc["autologous HSCT"].index})
    c_msc = grade[("MSC", "remission vs placebo on standard immunosuppression")]
    rr = rct["rr"]
    lo, hi = rr.confidence_interval()
    level = f"{100 * confidence_level:g}%"
    n_words = {1: "one", 2: "two", 3: "three"}
    if single["largest_pool_reports"] == single["reports"]:
        pools = f"all {single['reports']} single-arm reports come from one overlapping patient pool"
    else:
        pools = f"{single['largest_pool_reports']} of the {single['reports']} single-arm reports share one patient pool"
    trials = n_words.get(rct["n_trials"], str(rct["n_trials"]))
    return (
        "**Short answer.** Drug-free remission is documented only for CD19 CAR-T cells, which are engineered "
        f"T cells, not stem cells: DORIS remission with all immunosuppression stopped in {cart['patients']} distinct "
        f"patients ({' and '.join(cart['studies'])}, one programme counted once), with no control group "
        f"({c_cart} certainty). After autologous haematopoietic stem-cell transplantation (HSCT) some patients stay "
        f"in remission off immunosuppressants ({burt['study']}: {_pct(burt['proportion'])} at "
        f"{burt['timepoint_years']:g} years, hydroxychloroquine and prednisone up to 10 mg/day allowed), but across "
        f"the series durable remission ranges from {d_lo} to {d_hi}, and treatment-related or non-relapse "
        f"mortality from {t_lo} to {t_hi}; the conditioning is itself high-dose cyclophosphamide "
        f"({' to '.join(c_hsct)} "
        "certainty, no randomised comparison). For mesenchymal stem cells (MSC) no study measured drug-free "
        f"remission: the {trials} randomised trial ({', '.join(rct['trials'])}, {rct['patients']} patients, cells "
        f"added to cyclophosphamide, mycophenolate and steroids) found a remission risk ratio of {rr.estimate:.2f} "
        f"({level} CI {lo:.2f} to {hi:.2f}), too small to show or exclude a benefit ({c_msc} certainty), and {pools}. "
        "The evidence does "
        'not support the claim that stem cells let lupus patients "cope without drugs" (notebook 05).'
    )


# ---------------------------------------------------------------------------
# certainty of the evidence, GRADE spirit
# ---------------------------------------------------------------------------

_LEVELS = ("very low", "low", "moderate", "high")
#: Distinct patients below which imprecision is "very serious", and below which it is "serious"
#: (GRADE's optimal-information-size rule of thumb: a few hundred patients for a binary outcome).
_VERY_IMPRECISE, _IMPRECISE = 50, 300


def _imprecision(patients: int, interval=None, null: float = 1.0) -> str:
    crosses = interval is not None and interval[0] < null < interval[1]
    if patients < _VERY_IMPRECISE:
        why = f"very serious: {patients} patients (< {_VERY_IMPRECISE})"
        return why + (f", interval includes {null:g}" if crosses else "")
    if patients < _IMPRECISE or crosses:
        return f"serious: {patients} patients" + (f", interval includes {null:g}" if crosses else f" (< {_IMPRECISE})")
    return f"not serious: {patients} patients"


def _certainty(start: str, *judgements: str) -> str:
    level = _LEVELS.index(start)
    for j in judgements:
        level -= 2 if j.startswith("very serious") else 1 if j.startswith("serious") else 0
    return _LEVELS[max(level, 0)]


def certainty_table(*, confidence_level: float = 0.95) -> pd.DataFrame:
    """Benefits and harms of each therapy x outcome with the certainty of the evidence (GRADE spirit), from the data.

    Rules (each cell states its judgement and the reason):

    * **Design**: evidence from randomised comparisons starts at *high*, single-arm series and registries at
      *low* (GRADE).
    * **Risk of bias**: a single-arm series or registry is *serious* (no concurrent control: background
      immunosuppression, regression to the mean and selection cannot be told apart from the therapy); a randomised
      trial is *not assessed* item by item (the data hold no risk-of-bias items) and not downgraded.
    * **Inconsistency**: *not assessable* with one independent patient pool; *serious* when the independent pools'
      results span more than 30 percentage points or an I² above 50% is published; otherwise *not serious*.
    * **Indirectness** (to the claim "cope without drugs"): *serious* for a benefit outcome that is not drug-free
      remission, or for a comparison against a different drug; *not serious* for drug-free remission and for harms.
    * **Imprecision**: *very serious* below 50 distinct patients, *serious* below 300 or when the interval of a
      ratio includes 1, else *not serious*.
    * **Overlap**: reports against independent patient pools (never a downgrade by itself: overlap is removed
      before counting patients).
    * **Certainty**: the start level, one step down per *serious* and two per *very serious*, floor *very low*.
      An outcome no study measured is *no evidence*.

    Parameters
    ----------
    confidence_level : float, default 0.95
        Level of the intervals quoted in ``result``.

    Returns
    -------
    pandas.DataFrame
        One row per therapy x outcome: ``therapy, outcome, kind`` (benefit or harm), ``result``, ``design``,
        ``risk_of_bias``, ``inconsistency``, ``indirectness``, ``imprecision``, ``overlap``, ``certainty``.

    Examples
    --------
    >>> from lupusstats.evidence.claims import certainty_table
    >>> t = certainty_table().set_index(["therapy", "outcome"])
    >>> t.loc[("CD19 CAR-T", "drug-free remission (DORIS)"), "certainty"]
    'very low'
    >>> t.loc[("MSC", "drug-free remission"), "certainty"]
    'no evidence'
    """
    import pandas as pd

    confidence_level = _v.check_confidence_level(confidence_level)
    level = f"{100 * confidence_level:g}%"
    rows = []

    def add(therapy, outcome, kind, result, design, rob, incon, indirect, imprec, overlap):
        start = "high" if design.startswith("randomised") else "low"
        certainty = "no evidence" if design.startswith("none") else _certainty(start, rob, incon, indirect, imprec)
        rows.append(
            {
                "therapy": therapy,
                "outcome": outcome,
                "kind": kind,
                "result": result,
                "design": design,
                "risk_of_bias": rob,
                "inconsistency": incon,
                "indirectness": indirect,
                "imprecision": imprec,
                "overlap": overlap,
                "certainty": certainty,
            }
        )

    uncontrolled = "serious: no concurrent control (background drugs and regression to the mean not separable)"
    not_assessed = "not assessed: no risk-of-bias items in the data; not downgraded"
    na = "not applicable"

    # MSC ------------------------------------------------------------------------------------------
    rct = msc_randomised(confidence_level=confidence_level)
    rr = rct["rr"]
    lo, hi = rr.confidence_interval()
    add(
        "MSC",
        "remission vs placebo on standard immunosuppression",
        "benefit",
        f"{', '.join(rct['trials'])}: {rct['events_msc']}/{rct['total_msc']} vs {rct['events_control']}/"
        f"{rct['total_control']}, RR {rr.estimate:.2f} ({level} CI {lo:.2f} to {hi:.2f})",
        f"randomised: {rct['n_trials']} trial",
        not_assessed,
        "not assessable: one independent source",
        "serious: remission on background drugs, not drug-free remission",
        _imprecision(rct["patients"], (lo, hi)),
        f"{rct['n_trials']} report, 1 pool",
    )
    msc = load_dataset("msc_sle_studies")
    single = msc[(msc["design"].map(_design_kind) == "non-randomised") & msc["outcome"].str.contains("remission")]
    one = one_per_overlap_group(single)
    first = one.sort_values("timepoint_months").iloc[0]
    add(
        "MSC",
        "remission in single-arm series (no comparator)",
        "benefit",
        f"{first['study']}: {first['outcome'].replace('_', ' ')} {int(first['events'])}/{int(first['total'])} at "
        f"{first['timepoint_months']:g} months (largest series of its pool)",
        "single-arm series",
        uncontrolled,
        "not assessable: one independent source",
        "serious: remission on background drugs, not drug-free remission",
        _imprecision(int(overlap_groups(single)["patients"].sum())),
        f"{single['study'].nunique()} reports, {len(overlap_groups(single))} pool",
    )
    add(
        "MSC",
        "drug-free remission",
        "benefit",
        "not measured by any study in the data",
        "none",
        na,
        na,
        na,
        na,
        na,
    )
    death = msc[(msc["outcome"] == "death")].set_index("arm")
    zhou = load_dataset("msc_meta_pooled")
    ae = zhou[zhou["outcome"] == "adverse_events"].iloc[0]
    add(
        "MSC",
        "deaths and adverse events",
        "harm",
        f"deaths {_as_int(death.loc['MSC', 'events'])}/{_as_int(death.loc['MSC', 'total'])} vs "
        f"{_as_int(death.loc['placebo', 'events'])}/{_as_int(death.loc['placebo', 'total'])} (Deng 2017); "
        "adverse events "
        f"OR {ae['estimate']:.2f} ({level} CI {ae['ci_low']:.2f} to {ae['ci_high']:.2f}, {ae['meta']}, "
        f"{int(ae['k_studies'])} RCTs, includes Deng 2017)",
        "randomised: small trials",
        not_assessed,
        "not assessable: the meta-analysis publishes no I² for this outcome",
        "not serious: harms",
        _imprecision(rct["patients"]),
        "Deng 2017 is in both sources",
    )

    # HSCT -----------------------------------------------------------------------------------------
    durable = hsct_durable_remission()
    span = durable["proportion"].max() - durable["proportion"].min()
    pools = durable["overlap_group"].nunique()
    d_lo, d_hi = _range_text(durable)
    add(
        "autologous HSCT",
        "durable remission (disease-free, progression-free, remission survival)",
        "benefit",
        f"{d_lo} to {d_hi}",
        "single-arm series and registries",
        uncontrolled,
        f"serious: independent pools span {100 * span:.0f} percentage points" if span > 0.3 else "not serious",
        "serious: mostly disease-free survival, drug-free only in Burt 2018",
        _imprecision(int(durable.drop_duplicates("overlap_group")["n"].sum())),
        f"{durable['study'].nunique()} reports, {pools} pools",
    )
    trm = hsct_treatment_mortality()
    t_lo, t_hi = _range_text(trm, count_first=True)
    tspan = trm["proportion"].max() - trm["proportion"].min()
    hsct = load_dataset("hsct_sle_studies")
    trm_n = int(
        hsct[hsct["outcome"].isin(_MORTALITY)]
        .sort_values("n_enrolled")
        .groupby("overlap_group")["n_enrolled"]
        .max()
        .sum()
    )
    add(
        "autologous HSCT",
        "treatment-related or non-relapse mortality",
        "harm",
        f"{t_lo} to {t_hi}",
        "single-arm series and registries",
        uncontrolled,
        f"serious: series span {100 * tspan:.0f} percentage points" if tspan > 0.3 else "not serious: within 30 points",
        "not serious: harms",
        _imprecision(trm_n),
        f"{trm['study'].nunique()} reports, {trm['overlap_group'].nunique()} pools",
    )

    # CAR-T ----------------------------------------------------------------------------------------
    cart = cart_drug_free_remission()
    add(
        "CD19 CAR-T",
        "drug-free remission (DORIS)",
        "benefit",
        f"{cart['patients']} of {cart['patients']} distinct patients, all immunosuppression stopped",
        "single-arm series",
        uncontrolled,
        "not assessable: one independent source",
        "not serious: drug-free remission, the claim's own outcome (but CAR-T cells are not stem cells)",
        _imprecision(cart["patients"]),
        f"{cart['reports']} reports, {cart['groups']} pool ({cart['naive_sum']} if added up: wrong)",
    )
    add(
        "CD19 CAR-T",
        "cytokine-release syndrome; ICANS and infections",
        "harm",
        f"highest cytokine-release-syndrome grade recorded {cart['crs_grade_max']:g}"
        "; ICANS and infections are not recorded in the data (notes only)",
        "single-arm series",
        uncontrolled,
        "not assessable: one independent source",
        "not serious: harms",
        _imprecision(cart["patients"]),
        f"{cart['reports']} reports, {cart['groups']} pool",
    )

    # cyclophosphamide (HSCT conditioning and standard induction) -----------------------------------
    cyc = load_dataset("cyc_adverse_events")
    meta = cyc[cyc["effect_type"] == "RR"].set_index("adverse_event")
    names = {"amenorrhoea": "ovarian failure (amenorrhoea)", "infection": "infection", "death": "death"}
    for event, label in names.items():
        r = meta.loc[event]
        i2 = r["i2"]
        add(
            "cyclophosphamide (vs mycophenolate)",
            label,
            "harm",
            f"RR {r['effect']:.2f} ({level} CI {r['ci_low']:.2f} to {r['ci_high']:.2f}), {r['trial']}",
            "randomised: meta-analysis of trials",
            not_assessed,
            (f"serious: I² {i2:.0f}%" if i2 > 50 else "not serious") if not _isna(i2) else "not assessable: no I²",
            "serious: induction-dose cyclophosphamide, lower than HSCT conditioning",
            "serious: interval includes 1" if r["ci_low"] < 1 < r["ci_high"] else "not serious: interval excludes 1",
            "not applicable",
        )
    add(
        "cyclophosphamide (vs mycophenolate)",
        "malignancy",
        "harm",
        "not recorded in the data",
        "none",
        na,
        na,
        na,
        na,
        na,
    )
    return pd.DataFrame(rows)


def _as_int(value: object) -> int:
    """A count read from a table cell (pandas types it as any scalar)."""
    return int(value)  # type: ignore[call-overload]
