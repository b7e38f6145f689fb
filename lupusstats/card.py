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

import numpy as np

from lupusstats._core import validation as _v
from lupusstats.cohort import columns as C
from lupusstats.effects import adjust_pvalues, hedges_g, number_needed_to_treat, risk_difference, risk_ratio
from lupusstats.rates import compare_rates
from lupusstats.severity import compare_severity
from lupusstats.survival import cox_hazard_ratio, time_to_first_flare

__all__ = ["AssumedEffectWarning", "effect_card"]


class AssumedEffectWarning(UserWarning):
    """The cohort was simulated with treatment effects that are assumptions (tag A), not published numbers."""


# ---------------------------------------------------------------------------
# the effect card
# ---------------------------------------------------------------------------

_CARD_COLUMNS = [
    "arm",
    "reference",
    "domain",
    "endpoint",
    "measure",
    "estimate",
    "ci_low",
    "ci_high",
    "null_value",
    "pvalue",
    "pvalue_holm",
    "favours_treatment_if",
    "favours",
    "method",
    "label",
]


def _favours(estimate, low, high, null, lower_is_better):
    """'treatment' / 'reference' when the interval excludes the null, else 'neither'."""
    if not (np.isfinite(low) and np.isfinite(high)) and not (low > null or high < null):
        return "neither (CI includes null)"
    if high < null:
        return "treatment" if lower_is_better else "reference"
    if low > null:
        return "reference" if lower_is_better else "treatment"
    return "neither (CI includes null)"


def effect_card(cohort, *, reference=None, confidence_level=0.95, adverse_events=None):
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
    drug-free remission       risk difference, Newcombe interval                     > 0
    drug-free remission       NNT (signed; > 0 is NNTB), from the same interval      > 0
    adverse event <name>      risk ratio of patients with >= 1 event, Katz           < 1
    adverse event <name>      NNT (signed; < 0 is NNTH = NNH), Newcombe              > 0
    ========================  =====================================================  ===================

    The SLEDAI endpoint: the simulated (and most cohort) tables hold a baseline
    SLEDAI and the SLEDAI rise at each flare, not a SLEDAI at the end of
    follow-up, so the patient-level endpoint is the sum of ``sledai_increase``
    over the patient's flares (the same as ``ls.compare_severity(...,
    patient_outcome="total_sledai_increase")``).  It is not the change of
    SLEDAI from baseline reported by trials, which would also count improvement.

    ``pvalue_holm`` adjusts, within each arm's comparison, the p-values of all
    rows except the NNT rows: an NNT row displays the risk difference behind it
    (its ``pvalue`` is that difference's score test) and is not a separate
    hypothesis, so its ``pvalue_holm`` is NaN.  For NNT rows ``null_value`` is
    inf and ``favours`` follows the sign of the interval.  Holm controls the family-wise error under any
    dependence between endpoints (flare rate and time to first flare are
    strongly dependent).

    Parameters
    ----------
    cohort : object with ``.patients`` and ``.flares`` DataFrames
        E.g. the result of :func:`ls.simulate_cohort` (one trial only).
    reference : str, optional
        Reference arm; default the first arm (category order of ``arm``).
    confidence_level : float
    adverse_events : list of str, optional
        Adverse-event names (``ae_<name>`` columns); default every ``ae_`` column.

    Returns
    -------
    DataFrame
        Columns ``arm, reference, domain ("benefit"/"harm"), endpoint, measure,
        estimate, ci_low, ci_high, null_value, pvalue, pvalue_holm,
        favours_treatment_if, favours, method, label`` (``label``: Altman's
        display for NNT rows).  ``card.attrs["assumed_effects"]`` holds one
        line naming the treatment effects that the cohort's scenario assumes
        rather than takes from a publication (``""`` if none, or for observed
        data); when it is not empty an :class:`AssumedEffectWarning` shows
        that line, because the card then reports what the assumption implies,
        not what any study found (see ``Scenario.assumed_effects``).

    Raises
    ------
    TypeError
        `cohort` without ``patients`` and ``flares`` tables.
    ValueError
        Unknown `reference`, several trials in one table, unknown adverse event.

    Examples
    --------
    >>> import lupusstats as ls
    >>> cohort = ls.simulate_cohort(ls.preset("nephritis_induction"), rng=1)
    >>> card = ls.effect_card(cohort, reference="standard care")
    >>> card.groupby("arm", observed=True).size().tolist()
    [16, 16]
    >>> card["endpoint"].iloc[:3].tolist()
    ['flare rate', 'severe flare rate', 'time to first flare']
    """
    import pandas as pd

    patients = getattr(cohort, "patients", None)
    flares = getattr(cohort, "flares", None)
    if not isinstance(patients, pd.DataFrame) or not isinstance(flares, pd.DataFrame):
        raise TypeError(
            "`cohort` must have `.patients` and `.flares` DataFrames (e.g. ls.simulate_cohort(...)), "
            f"got {type(cohort).__name__}."
        )
    cl = _v.check_confidence_level(confidence_level)
    needed = [
        C.ARM,
        C.PATIENT,
        C.FOLLOWUP_YEARS,
        C.N_FLARES,
        C.N_SEVERE_FLARES,
        C.FIRST_FLARE_YEARS,
        C.FIRST_SEVERE_FLARE_YEARS,
        C.DRUG_FREE_REMISSION,
    ]
    _v.check_columns("cohort.patients", patients, needed)
    _v.check_columns("cohort.flares", flares, [C.ARM, C.PATIENT, C.SEVERITY, C.SLEDAI_INCREASE])
    for name, frame in (("patients", patients), ("flares", flares)):
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

    def add(arm, domain, endpoint, measure, est, low, high, null, p, lower_is_better, method, label="", group=None):
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
                "favours": _favours(est, low, high, null, lower_is_better),
                "method": method,
                "label": label,
                "_group": group if group is not None else len(rows),
                "_nnt": nnt,
            }
        )

    # NB rate ratios (ls.compare_rates), both flare counts
    rate_rows = {}
    for count, endpoint in ((C.N_FLARES, "flare rate"), (C.N_SEVERE_FLARES, "severe flare rate")):
        res = compare_rates(patients, model="negbin", reference=reference, count=count, confidence_level=cl)
        rate_rows[endpoint] = res.set_index("arm")

    tte = {sev: time_to_first_flare(patients, severe=sev) for sev in (False, True)}
    severity = compare_severity(
        flares, patients, unit="flare", inference="cluster", reference=reference, confidence_level=cl
    ).set_index("arm")
    sledai_total = (
        flares.groupby(C.PATIENT, observed=True)[C.SLEDAI_INCREASE]
        .sum()
        .reindex(patients[C.PATIENT])
        .fillna(0.0)
        .to_numpy()
    )
    remission = patients[C.DRUG_FREE_REMISSION].to_numpy(dtype=bool)
    ref_mask = (arms == reference).to_numpy()

    for arm in [lvl for lvl in levels if lvl != reference]:
        mask = (arms == arm).to_numpy()
        for endpoint in ("flare rate", "severe flare rate"):
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
                    "Cox PH (Efron ties), this arm and the reference, Wald",
                )
            except ValueError as err:  # no events / monotone likelihood: say so, do not invent a number
                add(
                    arm,
                    "benefit",
                    endpoint,
                    "hazard ratio",
                    math.nan,
                    math.nan,
                    math.nan,
                    1.0,
                    math.nan,
                    True,
                    f"not estimable: {err}",
                )
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
        e1, n1, e2, n2 = (
            int(remission[mask].sum()),
            int(mask.sum()),
            int(remission[ref_mask].sum()),
            int(ref_mask.sum()),
        )
        rd = risk_difference(e1, n1, e2, n2, confidence_level=cl, method="newcombe")
        group = len(rows)
        add(
            arm,
            "benefit",
            "drug-free remission",
            "risk difference",
            rd.estimate,
            *rd.confidence_interval(),
            0.0,
            rd.pvalue,
            False,
            "risk difference, Newcombe hybrid score interval",
            group=group,
        )
        nnt = number_needed_to_treat(e1, n1, e2, n2, confidence_level=cl, method="newcombe", outcome="desirable")
        add(
            arm,
            "benefit",
            "drug-free remission",
            "NNT",
            nnt.estimate,
            *nnt.confidence_interval(),
            0.0,
            nnt.pvalue,
            False,
            "signed NNT (> 0 NNTB, < 0 NNTH) from the Newcombe RD interval, Altman"
            + ("; the interval passes through infinity (see label)" if nnt.includes_infinity else ""),
            label=nnt.label,
            group=group,
        )
        for event in adverse_events:
            had = patients[C.ae_column(event)].to_numpy() > 0
            e1, e2 = int(had[mask].sum()), int(had[ref_mask].sum())
            endpoint = f"adverse event: {event}"
            group = len(rows)
            try:
                rr = risk_ratio(e1, n1, e2, n2, confidence_level=cl)
                add(
                    arm,
                    "harm",
                    endpoint,
                    "risk ratio",
                    rr.estimate,
                    *rr.confidence_interval(),
                    1.0,
                    rr.pvalue,
                    True,
                    "risk ratio of patients with >= 1 event, " + rr.method.split(", ", 1)[1],
                    group=group,
                )
            except ValueError as err:
                add(
                    arm,
                    "harm",
                    endpoint,
                    "risk ratio",
                    math.nan,
                    math.nan,
                    math.nan,
                    1.0,
                    math.nan,
                    True,
                    f"not estimable: {err}",
                    group=group,
                )
            nnh = number_needed_to_treat(e1, n1, e2, n2, confidence_level=cl, method="newcombe", outcome="undesirable")
            add(
                arm,
                "harm",
                endpoint,
                "NNT",
                nnh.estimate,
                *nnh.confidence_interval(),
                0.0,
                nnh.pvalue,
                False,
                "signed NNT (< 0 NNTH = number needed to harm) from the Newcombe RD interval, Altman"
                + ("; the interval passes through infinity (see label)" if nnh.includes_infinity else ""),
                label=nnh.label,
                group=group,
            )

    card = pd.DataFrame(rows)
    card["pvalue_holm"] = np.nan
    for _arm, part in card.groupby("arm", sort=False):
        family = part[~part["_nnt"] & part["pvalue"].notna()]
        if len(family):
            card.loc[family.index, "pvalue_holm"] = adjust_pvalues(family["pvalue"].to_numpy(), "holm")
    card["arm"] = pd.Categorical(card["arm"], categories=[lvl for lvl in levels if lvl != reference])
    card = card[_CARD_COLUMNS].reset_index(drop=True)
    card.attrs["confidence_level"] = cl
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
