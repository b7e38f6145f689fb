"""The effect card: benefits and harms of every arm against a reference, one row per endpoint.

:func:`effect_card` composes the analyses -- flare rates (:mod:`lupusstats.rates`),
flare severity (:mod:`lupusstats.severity`), time to first flare
(:mod:`lupusstats.survival`) and the effect sizes of :mod:`lupusstats.effects`
-- into one tidy table, so it sits on top of the analysis families (beside
``power`` and ``calibration``), not inside one of them.  Import it as
``ls.effect_card`` (``lupusstats.effects`` does not have it).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from lupusstats._core import validation as _v
from lupusstats.cohort import Cohort
from lupusstats.cohort import columns as C
from lupusstats.effects import adjust_pvalues, hedges_g, number_needed_to_treat, risk_difference, risk_ratio
from lupusstats.endpoints import responders
from lupusstats.rates import compare_rates
from lupusstats.severity import compare_severity
from lupusstats.survival import cox_hazard_ratio, time_to_first_flare

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["AssumedEffectWarning", "decision_rule", "effect_card"]


class AssumedEffectWarning(UserWarning):
    """The cohort was simulated with treatment effects that are assumptions (tag A), not published numbers."""


# ---------------------------------------------------------------------------
# the effect card
# ---------------------------------------------------------------------------

_CARD_COLUMNS = [
    "arm",
    "reference",
    "domain",
    "family",
    "endpoint",
    "measure",
    "estimate",
    "ci_low",
    "ci_high",
    "null_value",
    "pvalue",
    "pvalue_adjusted",
    "favours_treatment_if",
    "favours",
    "method",
    "label",
]

_FAMILIES = ("separate", "joint", "none")
# Endpoints a user's tables may lack, with the column each needs (patients or flares table).
_OPTIONAL_ENDPOINTS = (
    ("severe flare rate", C.N_SEVERE_FLARES),
    ("time to first flare", C.FIRST_FLARE_YEARS),
    ("time to first severe flare", C.FIRST_SEVERE_FLARE_YEARS),
    ("flare severity", C.SEVERITY),
    ("SLEDAI increase from flares", C.SLEDAI_INCREASE),
    ("drug-free remission", C.DRUG_FREE_REMISSION),
)
_FAMILY_NAMES = {"benefit": "efficacy", "harm": "safety"}


#: Responder endpoints the card reports when the cohort has a visits table: (endpoint key, label).
_RESPONDER_ROWS = (("sri4", "SRI-4"), ("bicla", "BICLA"), ("lldas", "LLDAS"))


def _decide(estimate, null, lower_is_better, p_adjusted, alpha):
    """The card's one decision rule: adjusted p < alpha, direction from the estimate."""
    if not (np.isfinite(estimate) and np.isfinite(p_adjusted)):
        return "not estimable"
    if p_adjusted >= alpha or estimate == null:
        return "neither"
    return "treatment" if (estimate < null) == lower_is_better else "reference"


def decision_rule(confidence_level=0.95, families="separate") -> str:
    """The sentence that states how :func:`effect_card` decides its ``favours`` column.

    Parameters
    ----------
    confidence_level : float
        The card's confidence level; the significance level is ``1 - confidence_level``.
    families : {"separate", "joint", "none"}
        As in :func:`effect_card`.

    Returns
    -------
    str

    Examples
    --------
    >>> from lupusstats.card import decision_rule
    >>> decision_rule(0.95)  # doctest: +NORMALIZE_WHITESPACE
    'An endpoint favours an arm when its Holm-adjusted p-value is below 0.05 (Holm within each comparison,
    separately for the efficacy and the safety endpoints); the estimate gives the direction.'
    """
    cl = _v.check_confidence_level(confidence_level)
    families = _v.check_choice("families", families, _FAMILIES)
    alpha = f"{1 - cl:.3g}"
    if families == "none":
        return (
            f"An endpoint favours an arm when its unadjusted p-value is below {alpha}; "
            "the estimate gives the direction."
        )
    within = (
        "separately for the efficacy and the safety endpoints"
        if families == "separate"
        else "one family of all efficacy and safety endpoints"
    )
    return (
        f"An endpoint favours an arm when its Holm-adjusted p-value is below {alpha} (Holm within each comparison, "
        f"{within}); the estimate gives the direction."
    )


def effect_card(
    cohort: Cohort,
    *,
    reference: str | None = None,
    confidence_level: float = 0.95,
    adverse_events: str | Sequence[str] | None = None,
    families: str = "separate",
) -> pd.DataFrame:
    """Benefits and harms of every arm against a reference, one tidy row per endpoint.

    Endpoints (one row each per non-reference arm):

    ========================  =====================================================  ===================
    endpoint                  measure (method)                                       favours treatment if
    ========================  =====================================================  ===================
    flare rate                rate ratio, NB2 with log follow-up offset              < 1
                              (``ls.compare_rates(model="negbin")``)
    severe flare rate         same, on ``n_severe_flares``                           < 1
    time to first flare       hazard ratio, Cox with Efron ties                      < 1
    time to first severe      hazard ratio, Cox with Efron ties                      < 1
    flare
    flare severity            P(X > Y) + 0.5 P(X = Y) per flare, cluster-robust      < 0.5
                              by patient (``ls.compare_severity``)
    SLEDAI increase from      Hedges' g of each patient's total SLEDAI increase      < 0
    flares                    over its observed follow-up (0 without flares)
    drug-free remission       risk difference, Newcombe interval, score test         > 0
    drug-free remission       NNT (signed; > 0 is NNTB), from the same interval      > 0
    death                     risk difference of patients who died during            < 0
                              follow-up, Newcombe hybrid score interval, score
                              test (only when the patients table has ``died``)
    death                     NNT (signed; < 0 is NNTH = NNH), same interval         > 0
    adverse event <name>      risk ratio of patients with >= 1 event, Katz           < 1
    adverse event <name>      NNT (signed; < 0 is NNTH = NNH), Newcombe              > 0
    ========================  =====================================================  ===================

    **One decision rule.**  ``favours`` is ``"treatment"`` or ``"reference"``
    when the row's ``pvalue_adjusted`` is below ``1 - confidence_level``, in the
    direction of the estimate, and ``"neither"`` otherwise (``"not estimable"``
    without an estimate).  With the default ``families="separate"``,
    ``pvalue_adjusted`` is Holm's adjustment within each arm's comparison,
    separately for the efficacy (benefit) endpoints and the safety (harm)
    endpoints, so that a long list of efficacy endpoints does not dilute a
    harm signal (nor the reverse); ``"joint"`` puts all of them in one Holm
    family per comparison, ``"none"`` leaves the p-values unadjusted.  Holm
    controls the family-wise error under any dependence between endpoints
    (flare rate and time to first flare are strongly dependent).  The interval
    columns are the unadjusted intervals at `confidence_level`: an interval can
    exclude the null while the adjusted p-value is not below the level, and
    such a row favours neither arm.  ``card.attrs["decision_rule"]`` holds the
    rule as a sentence (:func:`decision_rule`); :func:`ls.plots.plot_effect_card`
    fills a marker exactly when ``favours`` names an arm.

    An NNT row restates the tested row of its endpoint (the risk difference for
    remission and death, the risk ratio for an adverse event): its ``pvalue``,
    ``pvalue_adjusted`` and ``favours`` are that row's, it is not a separate
    hypothesis, and its ``null_value`` is inf.

    The SLEDAI endpoint: the simulated (and most cohort) tables hold a baseline
    SLEDAI and the SLEDAI rise at each flare, not a SLEDAI at the end of
    follow-up, so the patient-level endpoint is the sum of ``sledai_increase``
    over the patient's flares (the same as ``ls.compare_severity(...,
    patient_outcome="total_sledai_increase")``).  It is not the change of
    SLEDAI from baseline reported by trials, which would also count improvement.

    Parameters
    ----------
    cohort : object with ``.patients`` and ``.flares`` DataFrames
        E.g. the result of :func:`ls.simulate_cohort` (one trial only).
    reference : str, optional
        Reference arm; default the first arm (category order of ``arm``).
    confidence_level : float
        Level of the intervals; ``1 - confidence_level`` is the significance
        level of the decision rule.
    adverse_events : list of str, optional
        Adverse-event names (``ae_<name>`` columns); default every ``ae_`` column.
    families : {"separate", "joint", "none"}
        Multiplicity families of the Holm adjustment, within each arm's
        comparison: efficacy and safety apart (default), together, or no
        adjustment.

    Returns
    -------
    DataFrame
        Columns ``arm, reference, domain ("benefit"/"harm"), family (the Holm
        family: "efficacy", "safety", "efficacy + safety" or "none"), endpoint,
        measure, estimate, ci_low, ci_high, null_value, pvalue,
        pvalue_adjusted, favours_treatment_if, favours, method, label``
        (``label``: Altman's display for NNT rows, the counts for the death
        row).  ``card.attrs`` holds ``confidence_level``, ``families``,
        ``decision_rule`` and ``assumed_effects``: one line naming the
        treatment effects that the cohort's scenario assumes rather than takes
        from a publication (``""`` if none, or for observed data); when it is
        not empty an :class:`AssumedEffectWarning` shows that line, because the
        card then reports what the assumption implies, not what any study found
        (see ``Scenario.assumed_effects``).  ``card.attrs["left_out"]`` is one
        line naming the endpoints left out because the tables lack their
        columns (``""`` if none): a user's minimal tables (patients ``patient,
        arm, followup_years``, flares ``patient, time_years``) give the flare
        rate and time to first flare rows and leave out severe flares,
        severity, SLEDAI and drug-free remission rather than fail.

    Raises
    ------
    TypeError
        `cohort` without ``patients`` and ``flares`` tables.
    ValueError
        Unknown `reference` or `families`, several trials in one table, unknown adverse event.

    Examples
    --------
    >>> import warnings
    >>> import lupusstats as ls
    >>> cohort = ls.simulate_cohort(ls.preset("nephritis_induction"), rng=1)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     card = ls.effect_card(cohort, reference="standard care")
    >>> print(caught[0].message)
    Assumed, not published: MSC + standard care remission_probability 0.506 (tag A)
    >>> card.groupby("arm", observed=True).size().tolist()
    [24, 24]
    >>> card["endpoint"].iloc[:3].tolist()
    ['flare rate', 'severe flare rate', 'time to first flare']
    >>> deaths = card[(card["endpoint"] == "death") & (card["measure"] == "risk difference")]
    >>> deaths["label"].tolist(), deaths["favours"].tolist()
    (['1/185 vs 1/185', '19/185 vs 1/185'], ['neither', 'reference'])
    """
    import pandas as pd

    patients = getattr(cohort, "patients", None)
    flares = getattr(cohort, "flares", None)
    if not isinstance(patients, pd.DataFrame) or not (flares is None or isinstance(flares, pd.DataFrame)):
        raise TypeError(
            "`cohort` must have `.patients` and `.flares` DataFrames (e.g. ls.simulate_cohort(...)), "
            f"got {type(cohort).__name__}."
        )
    cl = _v.check_confidence_level(confidence_level)
    families = _v.check_choice("families", families, _FAMILIES)
    _v.check_columns("cohort.patients", patients, [C.ARM, C.PATIENT, C.FOLLOWUP_YEARS, C.N_FLARES])
    if flares is not None:
        _v.check_columns("cohort.flares", flares, [C.ARM, C.PATIENT])
    # endpoints whose columns a user's (minimal) tables lack are left out, and the card says which
    present = {str(c) for c in patients.columns} | (set() if flares is None else {str(c) for c in flares.columns})
    # severity and sledai_increase are flare columns, the others patient columns (disjoint names)
    left_out = [(endpoint, col) for endpoint, col in _OPTIONAL_ENDPOINTS if col not in present]
    skip = {endpoint for endpoint, _ in left_out}
    for name, frame in (("patients", patients), ("flares", flares)):
        if frame is None:
            continue
        if C.TRIAL in frame.columns and frame[C.TRIAL].nunique() > 1:
            raise ValueError(f"`cohort.{name}` holds {frame[C.TRIAL].nunique()} trials; pass one trial at a time.")
    arms = patients[C.ARM]
    levels = list(arms.cat.categories) if isinstance(arms.dtype, pd.CategoricalDtype) else sorted(arms.unique())
    levels = [lvl for lvl in levels if (arms == lvl).any()]
    if reference is None:
        reference = levels[0]
    if reference not in levels:
        raise ValueError(f"`reference` must be one of the arms {levels}, got {reference!r}.")
    ae_all = [c[len(C.AE_PREFIX) :] for c in patients.columns if c.startswith(C.AE_PREFIX)]
    if adverse_events is None:
        adverse_events = ae_all
    else:
        if isinstance(adverse_events, str):
            adverse_events = [adverse_events]
        unknown = [a for a in adverse_events if a not in ae_all]
        if unknown:
            raise ValueError(f"`adverse_events` {unknown} have no ae_ column; the table has {ae_all}.")

    rows = []

    def add(arm, domain, endpoint, measure, est, low, high, null, p, lower_is_better, method, label="", tested=None):
        """One row; an NNT row passes `tested`, the index of the row whose test it restates."""
        nnt = measure == "NNT"
        rows.append(
            {
                "arm": arm,
                "reference": reference,
                "domain": domain,
                "endpoint": endpoint,
                "measure": measure,
                "estimate": float(est),
                "ci_low": float(low),
                "ci_high": float(high),
                "null_value": math.inf if nnt else null,
                "pvalue": float(p),
                "favours_treatment_if": "> 0 (NNTB)" if nnt else ("< " if lower_is_better else "> ") + f"{null:g}",
                "method": method,
                "label": label,
                "_tested": tested,
                "_null": null,
                "_lower_is_better": lower_is_better,
            }
        )
        return len(rows) - 1

    def add_binary(arm, domain, endpoint, e1, n1, e2, n2, *, desirable, ratio, label=""):
        """A binary endpoint: its tested row (risk ratio or difference) and the NNT row restating it.

        With no events (or only events) in both arms the test is undefined: the row says so in
        ``favours`` ("not estimable"), so the 2x2 functions' RuntimeWarning is not repeated here.
        """
        with warnings.catch_warnings():
            if (e1 in (0, n1)) and (e2 in (0, n2)):
                warnings.simplefilter("ignore", RuntimeWarning)
            _add_binary(arm, domain, endpoint, e1, n1, e2, n2, desirable=desirable, ratio=ratio, label=label)

    def _add_binary(arm, domain, endpoint, e1, n1, e2, n2, *, desirable, ratio, label=""):
        if ratio:
            try:
                rr = risk_ratio(e1, n1, e2, n2, confidence_level=cl)
                tested = add(
                    arm,
                    domain,
                    endpoint,
                    "risk ratio",
                    rr.estimate,
                    *rr.confidence_interval(),
                    1.0,
                    rr.pvalue,
                    not desirable,
                    "risk ratio of patients with >= 1 event, " + rr.method.split(", ", 1)[1],
                    label=label,
                )
            except ValueError as err:  # say so, do not invent a number
                nan = math.nan
                tested = add(
                    arm, domain, endpoint, "risk ratio", nan, nan, nan, 1.0, nan, True, f"not estimable: {err}"
                )
        else:
            rd = risk_difference(e1, n1, e2, n2, confidence_level=cl, method="newcombe")
            tested = add(
                arm,
                domain,
                endpoint,
                "risk difference",
                rd.estimate,
                *rd.confidence_interval(),
                0.0,
                rd.pvalue,
                not desirable,
                "risk difference, Newcombe hybrid score interval, score test",
                label=label,
            )
        nnt = number_needed_to_treat(
            e1, n1, e2, n2, confidence_level=cl, method="newcombe", outcome="desirable" if desirable else "undesirable"
        )
        kind = "> 0 NNTB, < 0 NNTH" if desirable else "< 0 NNTH = number needed to harm"
        add(
            arm,
            domain,
            endpoint,
            "NNT",
            nnt.estimate,
            *nnt.confidence_interval(),
            0.0,
            math.nan,
            False,
            f"signed NNT ({kind}) from the Newcombe RD interval, Altman; p and decision: the {rows[tested]['measure']} "
            "row" + ("; the interval passes through infinity (see label)" if nnt.includes_infinity else ""),
            label=nnt.label,
            tested=tested,
        )

    # NB rate ratios (ls.compare_rates), both flare counts
    rate_rows = {}
    for count, endpoint in ((C.N_FLARES, "flare rate"), (C.N_SEVERE_FLARES, "severe flare rate")):
        if endpoint in skip:
            continue
        res = compare_rates(patients, model="negbin", reference=reference, count=count, confidence_level=cl)
        rate_rows[endpoint] = res.set_index("arm")

    tte = {
        sev: time_to_first_flare(patients, severe=sev)
        for sev, endpoint in ((False, "time to first flare"), (True, "time to first severe flare"))
        if endpoint not in skip
    }
    if "flare severity" not in skip:
        assert flares is not None  # severity is a flares column
        severity = compare_severity(
            flares, patients, unit="flare", inference="cluster", reference=reference, confidence_level=cl
        ).set_index("arm")
    if "SLEDAI increase from flares" not in skip:
        assert flares is not None
        sledai_total = (
            flares.groupby(C.PATIENT, observed=True)[C.SLEDAI_INCREASE]
            .sum()
            .reindex(patients[C.PATIENT])
            .fillna(0.0)
            .to_numpy()
        )
    if "drug-free remission" not in skip:
        remission = patients[C.DRUG_FREE_REMISSION].to_numpy(dtype=bool)
    died = patients[C.DIED].to_numpy(dtype=bool) if C.DIED in patients.columns else None
    ref_mask = (arms == reference).to_numpy()
    # Responder endpoints from the visits table, at its last scheduled visit, composite estimand
    # (death, dropout and rescue count as non-response), as the trials report them.
    responder_counts = {}
    visits = getattr(cohort, "visits", None)
    if visits is not None and len(visits):
        last_week = int(visits[C.WEEK].max())
        for key, label in _RESPONDER_ROWS:
            table = responders(cohort, key, week=last_week)
            by_arm = table[table["eligible"]].groupby(C.ARM, observed=True)["responder"]
            responder_counts[f"{label} at week {last_week}"] = by_arm.agg(["sum", "count"])

    for arm in [lvl for lvl in levels if lvl != reference]:
        mask = (arms == arm).to_numpy()
        for endpoint in rate_rows:
            r = rate_rows[endpoint].loc[arm]
            note = f"; {r['note']}" if isinstance(r.get("note"), str) and r["note"] else ""
            add(
                arm,
                "benefit",
                endpoint,
                "rate ratio",
                r["rate_ratio"],
                r["ci_low"],
                r["ci_high"],
                1.0,
                r["pvalue"],
                True,
                f"negative binomial (NB2) rate ratio, Wald (ls.compare_rates){note}",
            )
        for sev, endpoint in ((False, "time to first flare"), (True, "time to first severe flare")):
            if sev not in tte:
                continue
            d = tte[sev]
            keep = mask | ref_mask
            try:
                hr = cox_hazard_ratio(
                    d["time"][keep],
                    d["event"][keep],
                    d[C.ARM][keep].astype(str),
                    reference=str(reference),
                    confidence_level=cl,
                )
                add(
                    arm,
                    "benefit",
                    endpoint,
                    "hazard ratio",
                    hr.estimate,
                    *hr.confidence_interval(),
                    1.0,
                    hr.pvalue,
                    True,
                    "Cox PH (Efron ties), this arm and the reference, Wald"
                    if math.isfinite(hr.se)
                    else "Cox PH (Efron ties), this arm and the reference; monotone likelihood (an arm without events "
                    "or complete separation): HR 0 or infinite, profile-likelihood interval, likelihood-ratio test",
                )
            except ValueError as err:  # neither arm with an event (0/0): say so, do not invent a number
                nan = math.nan
                add(arm, "benefit", endpoint, "hazard ratio", nan, nan, nan, 1.0, nan, True, f"not estimable: {err}")
        if "flare severity" not in skip:
            s = severity.loc[arm]
            add(
                arm,
                "benefit",
                "flare severity",
                "P(X>Y)",
                s["probability_superiority"],
                s["ci_low"],
                s["ci_high"],
                0.5,
                s["pvalue"],
                True,
                "probability of superiority per flare, cluster-robust by patient (ls.compare_severity)",
            )
        if "SLEDAI increase from flares" not in skip:
            g = hedges_g(sledai_total[mask], sledai_total[ref_mask], confidence_level=cl)
            add(
                arm,
                "benefit",
                "SLEDAI increase from flares",
                "Hedges' g",
                g.estimate,
                *g.confidence_interval(),
                0.0,
                g.pvalue,
                True,
                "Hedges' g of total SLEDAI increase per patient, noncentral-t CI",
            )
        n1, n2 = int(mask.sum()), int(ref_mask.sum())
        if "drug-free remission" not in skip:
            add_binary(
                arm,
                "benefit",
                "drug-free remission",
                int(remission[mask].sum()),
                n1,
                int(remission[ref_mask].sum()),
                n2,
                desirable=True,
                ratio=False,
            )
        for name, counts in responder_counts.items():
            if arm in counts.index and reference in counts.index:
                add_binary(
                    arm,
                    "benefit",
                    name,
                    int(counts["sum"].to_dict()[arm]),
                    int(counts["count"].to_dict()[arm]),
                    int(counts["sum"].to_dict()[reference]),
                    int(counts["count"].to_dict()[reference]),
                    desirable=True,
                    ratio=False,
                )
        if died is not None:
            e1, e2 = int(died[mask].sum()), int(died[ref_mask].sum())
            add_binary(
                arm, "harm", "death", e1, n1, e2, n2, desirable=False, ratio=False, label=f"{e1}/{n1} vs {e2}/{n2}"
            )
        for event in adverse_events:
            had = patients[C.ae_column(event)].to_numpy() > 0
            e1, e2 = int(had[mask].sum()), int(had[ref_mask].sum())
            add_binary(arm, "harm", f"adverse event: {event}", e1, n1, e2, n2, desirable=False, ratio=True)

    card = pd.DataFrame(rows)
    nnt = card["_tested"].notna().to_numpy()
    if families == "separate":
        card["family"] = card["domain"].map(_FAMILY_NAMES)
    else:
        card["family"] = "efficacy + safety" if families == "joint" else "none"
    card["pvalue_adjusted"] = np.nan
    tested = card[~nnt & card["pvalue"].notna()]
    if families == "none":
        card.loc[tested.index, "pvalue_adjusted"] = tested["pvalue"]
    else:
        for _key, part in tested.groupby(["arm", "family"], sort=False):
            card.loc[part.index, "pvalue_adjusted"] = adjust_pvalues(part["pvalue"].to_numpy(), "holm")
    alpha = 1.0 - cl
    card["favours"] = [
        _decide(est, null, lower, p, alpha)
        for est, null, lower, p in zip(
            card["estimate"], card["_null"], card["_lower_is_better"], card["pvalue_adjusted"], strict=True
        )
    ]
    source = card["_tested"][nnt].astype(int).to_numpy()
    for col in ("pvalue", "pvalue_adjusted", "favours"):
        card.loc[nnt, col] = card[col].to_numpy()[source]
    card["arm"] = pd.Categorical(card["arm"], categories=[lvl for lvl in levels if lvl != reference])
    card = card[_CARD_COLUMNS].reset_index(drop=True)
    card.attrs["confidence_level"] = cl
    card.attrs["families"] = families
    card.attrs["decision_rule"] = decision_rule(cl, families)
    card.attrs["left_out"] = (
        "left out, their columns are absent: " + ", ".join(f"{e} ({c})" for e, c in left_out) if left_out else ""
    )
    line = _assumed_effects_line(cohort)
    card.attrs["assumed_effects"] = line
    if line:
        warnings.warn(line, AssumedEffectWarning, stacklevel=2)
    return card


def _assumed_effects_line(cohort) -> str:
    """'Assumed, not published: ...' for a simulated cohort whose scenario assumes effects; '' otherwise."""
    scenario = getattr(cohort, "scenario", None)
    line_of = getattr(scenario, "assumed_effects_line", None)
    return line_of() if callable(line_of) else ""
