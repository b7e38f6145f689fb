"""Disease activity at scheduled visits: the model behind the visits table.

The flares the simulator draws (time, organ, severity, SLEDAI increase) drive
an organ-domain activity state per patient; at every scheduled visit the model
records SLEDAI-2K (total and clinical), the nine BILAG-2004 domain grades, the
physician global assessment, the prednisone dose, immunosuppressant and
antimalarial use, protocol-prohibited rescue, major-organ activity and new
activity.  :class:`lupusstats.Activity` documents the model and its
parameters; this module simulates it, vectorised over trials and patients
(the only Python loop is over the visits of the schedule).

The output is a dictionary of arrays of shape ``(n_trials, n_patients,
n_visits)`` (``bilag``: ``(..., 9)``, grades coded 0 = A ... 4 = E in the order
of ``lupusstats.columns.BILAG_DOMAINS``), with the field names of
``lupusstats.endpoints.VisitArrays``; :func:`visits_table` turns one trial of
it into the tidy visits table.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from lupusstats.cohort import columns as C
from lupusstats.model.scenario import _WEEK, Scenario

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["visit_weeks"]

#: BILAG-2004 column of each flare organ domain (ORGAN_DOMAINS order -> BILAG_DOMAINS index).
_ORGAN_TO_BILAG_INDEX = np.array([C.BILAG_DOMAINS.index(C.ORGAN_TO_BILAG[o]) for o in C.ORGAN_DOMAINS])
#: Organ domains whose activity is "major organ" activity in LLDAS (renal, CNS, cardiopulmonary; fever is
#: in the constitutional domain).
_MAJOR = np.array([o in ("renal", "neuropsychiatric", "cardiopulmonary", "constitutional") for o in C.ORGAN_DOMAINS])
_CONSTITUTIONAL = C.ORGAN_DOMAINS.index("constitutional")
_RENAL = C.ORGAN_DOMAINS.index("renal")
_A, _B, _C, _D, _E = range(5)


def visit_weeks(scenario: Scenario) -> np.ndarray:
    """Scheduled visit weeks of `scenario`: 0, visit_weeks, ... up to the planned follow-up.

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    ndarray of int

    Examples
    --------
    >>> import lupusstats as ls
    >>> visit_weeks(ls.preset("bliss52"))[-3:]
    array([44, 48, 52])
    """
    step = scenario.activity.visit_weeks
    last = math.floor(scenario.followup_years / _WEEK + 1e-6)
    return np.arange(0, last + 1, step, dtype=np.int64)


def simulate_visits(
    scenario: Scenario,
    *,
    code: np.ndarray,
    frailty: np.ndarray,
    followup: np.ndarray,
    baseline_sledai: np.ndarray,
    flare_index: np.ndarray,
    flare_time: np.ndarray,
    flare_severity: np.ndarray,
    flare_organ: np.ndarray,
    flare_increase: np.ndarray,
    rng: np.random.Generator,
    withdrawal_years: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Visit arrays for trials of `scenario` given the patient draws and the flares.

    `frailty`, `followup` and `baseline_sledai` have shape (n_trials,
    n_patients); `code` is the arm code per patient.  The flares are flat
    arrays: `flare_index` the flat (trial, patient) position, `flare_time` in
    years, `flare_severity` 0 mild / 1 moderate / 2 severe, `flare_organ` the
    ORGAN_DOMAINS code, `flare_increase` the SLEDAI increase.

    `withdrawal_years`, if given (shape of `frailty`), is filled with each
    patient's withdrawal time in years (``inf`` = never withdrawn): the arm's
    `withdrawal_week` for an unconditional withdrawal (the visits record the
    stop at the next scheduled visit), the visit at which the condition was
    met for a conditional one.  A flare after it shows at a later visit, so
    it cannot move the withdrawal: the flare rise after withdrawal
    (``Arm.withdrawal_flare_ratio``) adds flares after it and re-runs the
    visits with the same stream.
    """
    act = scenario.activity
    shape = frailty.shape
    weeks = visit_weeks(scenario)
    n_visits = weeks.size
    n_dom = len(C.ORGAN_DOMAINS)
    dt = act.visit_weeks * _WEEK

    # Flares into (visit, domain) cells: a flare in (w[k-1], w[k]] shows at visit k.
    k = np.ceil(flare_time / dt - 1e-9).astype(np.int64)
    keep = (k >= 1) & (k < n_visits)
    cell = (flare_index[keep] * n_visits + k[keep]) * n_dom + flare_organ[keep]
    flare_sev = np.zeros((*shape, n_visits, n_dom), dtype=np.int8)  # 0 none, 1 mild, 2 moderate, 3 severe
    np.maximum.at(flare_sev.reshape(-1), cell, (flare_severity[keep] + 1).astype(np.int8))
    flare_pts = np.zeros((*shape, n_visits, n_dom), dtype=np.int16)
    np.add.at(flare_pts.reshape(-1), cell, flare_increase[keep].astype(np.int16))

    # Baseline: serology, active domains, their grades and SLEDAI points.
    sero = 2 * (rng.random(shape) < act.serology_prevalence[0]) + 2 * (rng.random(shape) < act.serology_prevalence[1])
    sero = np.minimum(sero, baseline_sledai - baseline_sledai % 2)  # serology items score 2 each
    clinical0 = baseline_sledai - sero
    prev = np.asarray(act.domain_prevalence)
    active = rng.random((*shape, n_dom)) < prev
    # A patient with clinical activity but no domain drawn active gets one, chosen with
    # probability proportional to the prevalences (exponential race).
    race = rng.standard_exponential((*shape, n_dom))
    with np.errstate(divide="ignore"):
        first = np.argmin(race / prev, axis=-1)
    none = (clinical0 > 0) & ~active.any(axis=-1)
    active[none, first[none]] = True
    active &= (clinical0 > 0)[..., None]
    weight = np.asarray(act.domain_points) * active
    total = weight.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        cum = np.rint(clinical0[..., None] * np.cumsum(weight, axis=-1) / total)
    cum = np.nan_to_num(cum).astype(np.int16)
    points = np.diff(cum, axis=-1, prepend=np.int16(0)).astype(np.int16)
    grade = np.where(
        active,
        np.where(rng.random((*shape, n_dom)) < act.grade_a_share, _A, _B),
        np.where(rng.random((*shape, n_dom)) < prev, _D, _E),
    ).astype(np.int8)

    # Persistent activity: an active baseline domain that does not improve over follow-up (drawn
    # from a child stream, so the other draws do not depend on it).
    persistent = active & (rng.spawn(1)[0].random((*shape, n_dom)) < act.persistent_share)

    # Proteinuria and kidney function (nephritis scenarios), from their own child stream.
    if act.renal:
        renal_rng = rng.spawn(1)[0]
        upcr_level = np.exp(act.upcr_log_mean + act.upcr_log_sd * renal_rng.standard_normal(shape))
        egfr_level = np.clip(act.egfr_mean + act.egfr_sd * renal_rng.standard_normal(shape), 5.0, 150.0)
        upcr_noise = np.exp(act.upcr_visit_sd * renal_rng.standard_normal((n_visits, *shape)))
        egfr_noise = act.egfr_visit_sd * renal_rng.standard_normal((n_visits, *shape))
        upcr_out = np.empty((n_visits, *shape))
        egfr_out = np.empty((n_visits, *shape))
        upcr_out[0] = upcr_level
        egfr_out[0] = egfr_level
    # Per-patient improvement probability per visit interval.
    ratio = np.array([a.activity_response_ratio for a in scenario.arms])[code]
    hazard = act.improvement_rate * ratio * frailty ** (-act.response_frailty_power)
    p_improve = (-np.expm1(-hazard * dt))[..., None]
    p_inactive = -math.expm1(-act.inactive_rate * dt)

    # Glucocorticoids and other drugs at baseline.
    on_gc = rng.random(shape) < act.prednisone_use
    dose = np.where(on_gc, np.exp(act.prednisone_log_mean + act.prednisone_log_sd * rng.standard_normal(shape)), 0.0)
    # doses are prescribed in 2.5 mg steps; entry doses above the severe-flare level are truncated to it
    # (trials excluded higher doses: BLISS allowed at most 40 mg/day [R])
    dose = np.minimum(np.round(dose / 2.5) * 2.5, act.flare_prednisone_mg[2]) * on_gc
    on_is = rng.random(shape) < act.immunosuppressant_use
    on_am = rng.random(shape) < act.antimalarial_use
    rescue = np.zeros(shape, dtype=bool)

    # Arm protocols: a fixed glucocorticoid dose, scheduled or conditional drug withdrawal (no random
    # draws: the stream is the same with or without them).
    plan = _withdrawal_plan(scenario, code)
    fixed = ~np.isnan(plan["prednisone_mg"])
    if fixed.any():
        dose = np.where(fixed, plan["prednisone_mg"], dose)
    floor = np.where(fixed, plan["prednisone_mg"], act.taper_floor_mg) * np.ones(shape)
    withdrawn = np.zeros(shape, dtype=bool)
    withdrawn_week = np.full(shape, np.inf)
    start_dose = np.zeros(shape)
    held_weeks = np.zeros(shape)
    failed = np.zeros(shape, dtype=bool)

    # Per-visit outputs are filled visit-major (contiguous slices), then moved to the last axis.
    grid = (n_visits, *shape)
    sledai = np.empty(grid, dtype=np.int16)
    clinical_out = np.empty(grid, dtype=np.int16)
    pga_out = np.empty(grid)
    dose_out = np.empty(grid)
    is_out = np.empty(grid, dtype=bool)
    rescue_out = np.empty(grid, dtype=bool)
    major_out = np.empty(grid, dtype=bool)
    new_out = np.zeros(grid, dtype=bool)
    am_out = np.empty(grid, dtype=bool)
    am_out[0] = on_am
    bilag = np.full((n_visits, *shape, len(C.BILAG_DOMAINS)), _E, dtype=np.int8)
    flare_sev = np.moveaxis(flare_sev, -2, 0).copy()  # (visit, trial, patient, domain)
    flare_pts = np.moveaxis(flare_pts, -2, 0).copy()
    step_up = act.flare_prednisone_mg
    pga_noise = act.pga_sd * rng.standard_normal(grid)

    def record(v: int) -> None:
        clinical = points.sum(axis=-1)
        clinical_out[v] = clinical
        sledai[v] = clinical + sero
        any_a = (grade == _A).any(axis=-1)
        pga = act.pga_intercept + act.pga_per_point * clinical + act.pga_per_grade_a * any_a + pga_noise[v]
        pga_out[v] = np.clip(np.round(pga, 1), 0.0, 3.0) + 0.0  # + 0.0: no negative zero
        dose_out[v] = dose
        is_out[v] = on_is
        rescue_out[v] = rescue
        active_now = grade <= _B
        major_out[v] = (active_now & _MAJOR).any(axis=-1)
        bilag[v][..., _ORGAN_TO_BILAG_INDEX] = grade

    record(0)
    for v in range(1, n_visits):
        was_active = grade <= _B
        # improvement over the interval (A -> B, B -> C; points clear at C), then C -> D
        improve = was_active & (rng.random((*shape, n_dom)) < p_improve) & ~persistent
        grade = grade + improve
        points = points * ~(improve & (grade == _C))
        to_d = (grade == _C) & ~improve & (rng.random((*shape, n_dom)) < p_inactive)
        grade = grade + to_d
        # flares in the interval: severe -> A, mild or moderate -> B (+ constitutional B if moderate)
        fs = flare_sev[v]
        flared = fs > 0
        grade = np.minimum(grade, np.where(fs == 3, _A, np.where(flared, _B, _E))).astype(np.int8)
        points = points + flare_pts[v]
        moderate = (fs == 2).any(axis=-1)
        grade[..., _CONSTITUTIONAL] = np.minimum(grade[..., _CONSTITUTIONAL], np.where(moderate, _B, _E))
        new_out[v] = (flared | ((grade <= _B) & ~was_active)).any(axis=-1)
        # glucocorticoids: raised at a flare (severe: to the severe level), tapered at quiet visits
        worst = fs.max(axis=-1)
        dose = np.where(worst == 3, np.maximum(dose, step_up[2]), dose + np.take([0.0, *step_up[:2], 0.0], worst))
        quiet = ~new_out[v] & ~(grade == _A).any(axis=-1) & (dose > floor)
        taper = quiet & (rng.random(shape) < act.taper_probability)
        dose = np.where(taper, np.maximum(dose - act.taper_step_mg, floor), dose)
        rescued = (worst == 3) & (rng.random(shape) < act.rescue_probability)
        rescue = rescue | rescued
        on_is = on_is | rescued
        if plan["any"]:
            week = float(weeks[v])
            clinical = points.sum(axis=-1)
            active_any = (grade <= _B).any(axis=-1)
            if plan["condition"] is not None:
                remission = (clinical == 0) & ~active_any
                lldas_activity = (clinical + sero <= 4) & ~((grade <= _B) & _MAJOR).any(axis=-1) & (dose <= 7.5)
                state = np.where(plan["condition"] == 1, remission, lldas_activity)
                held_weeks = np.where(state, held_weeks + act.visit_weeks, 0.0)
                met = (plan["condition"] == 0) | (held_weeks >= plan["condition_weeks"])
            else:
                met = np.ones(shape, dtype=bool)
            start = plan["withdraws"] & ~withdrawn & (week >= plan["week"]) & met
            withdrawn_week = np.where(start, week, withdrawn_week)
            start_dose = np.where(start, dose, start_dose)
            withdrawn = withdrawn | start
            if start.any():
                on_is = np.where(start & plan["immunosuppressants"], False, on_is)
                on_am = np.where(start & plan["antimalarials"], False, on_am)
            gc = withdrawn & plan["glucocorticoids"]
            if gc.any():
                floor = np.where(gc, 0.0, floor)
                with np.errstate(divide="ignore", invalid="ignore"):
                    left = np.where(plan["taper_weeks"] > 0, 1.0 - (week - withdrawn_week) / plan["taper_weeks"], 0.0)
                scheduled = start_dose * np.clip(left, 0.0, 1.0)
                # the withdrawal schedule caps the dose until a flare: then the patient is treated again
                # (the flare's dose, tapered at quiet visits down to 0)
                failed = failed | (gc & (worst > 0))
                capped = gc & ~failed
                dose = np.where(capped, np.minimum(dose, np.round(scheduled / 2.5) * 2.5), dose)
        am_out[v] = on_am
        if act.renal:
            # proteinuria falls at the arm's rate; a renal flare multiplies it
            upcr_level = upcr_level * np.exp(-act.upcr_decline_rate * ratio * dt)
            renal_flare = flare_sev[v][..., _RENAL] > 0
            upcr_level = np.where(renal_flare, upcr_level * act.renal_flare_upcr_factor, upcr_level)
            upcr_out[v] = upcr_level * upcr_noise[v]
            egfr_out[v] = np.clip(egfr_level + egfr_noise[v], 5.0, 150.0)
        record(v)

    def last(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.moveaxis(a, 0, len(shape)))

    out = {
        "sledai": last(sledai),
        "clinical_sledai": last(clinical_out),
        "pga": last(pga_out),
        "prednisone_mg": last(dose_out),
        "on_immunosuppressant": last(is_out),
        "on_antimalarial": last(am_out),
        "rescue": last(rescue_out),
        "major_organ_activity": last(major_out),
        "new_activity": last(new_out),
        "bilag": np.ascontiguousarray(np.moveaxis(bilag, 0, len(shape))),
    }
    if act.renal:
        out["upcr"] = last(np.round(upcr_out, 3))
        out["egfr"] = last(np.round(egfr_out, 1))
    out["attended"] = weeks * _WEEK <= followup[..., None] + 1e-9
    out["week"] = weeks
    if withdrawal_years is not None:
        # unconditional: the drug stops at the protocol's week (week 0 = randomisation)
        unconditional = True if plan["condition"] is None else plan["condition"] == 0
        stop = np.where(unconditional, np.minimum(plan["week"], withdrawn_week), withdrawn_week)
        withdrawal_years[...] = np.where(withdrawn, stop * _WEEK, np.inf)
    return out


def _withdrawal_plan(scenario: Scenario, code: np.ndarray) -> dict[str, Any]:
    """Each patient's arm protocol: fixed prednisone dose (NaN = none) and drug withdrawal."""
    arms = scenario.arms

    def per(values, dtype=float) -> np.ndarray:
        return np.asarray(values, dtype=dtype)[code]

    conditions = {"none": 0, "remission": 1, "lldas": 2}
    plan: dict[str, Any] = {
        "prednisone_mg": per([np.nan if a.prednisone_mg is None else a.prednisone_mg for a in arms]),
        "withdraws": per([bool(a.withdraw) for a in arms], bool),
        "glucocorticoids": per(["glucocorticoids" in a.withdraw for a in arms], bool),
        "antimalarials": per(["antimalarials" in a.withdraw for a in arms], bool),
        "immunosuppressants": per(["immunosuppressants" in a.withdraw for a in arms], bool),
        "week": per([a.withdrawal_week for a in arms]),
        "taper_weeks": per([a.withdrawal_taper_weeks for a in arms]),
        "condition_weeks": per([a.withdrawal_condition_weeks for a in arms]),
    }
    codes = per([conditions[a.withdrawal_condition] for a in arms], int)
    plan["condition"] = codes if codes.any() else None
    plan["any"] = bool(plan["withdraws"].any())
    return plan


def visits_table(arrays: dict[str, np.ndarray], *, trial: int, arm_codes: np.ndarray, arm_names) -> pd.DataFrame:
    """The tidy visits table of one trial of :func:`simulate_visits` output (attended visits only)."""
    import pandas as pd

    weeks = arrays["week"]
    attended = arrays["attended"][trial]
    pid, vid = np.nonzero(attended)
    arm_cat = pd.CategoricalDtype(list(arm_names), ordered=False)
    grade_cat = pd.CategoricalDtype(list(C.BILAG_GRADES), ordered=True)
    table: dict[str, object] = {
        C.PATIENT: pid + 1,
        C.ARM: pd.Categorical.from_codes(arm_codes[pid], dtype=arm_cat),
        C.WEEK: weeks[vid],
    }
    for name in (
        C.SLEDAI,
        C.CLINICAL_SLEDAI,
        C.PGA,
        C.PREDNISONE_MG,
        C.ON_IMMUNOSUPPRESSANT,
        C.ON_ANTIMALARIAL,
        C.RESCUE,
    ):
        values = arrays[name][trial][pid, vid]
        table[name] = values.astype(np.int64) if values.dtype.kind == "i" else values
    bilag = arrays["bilag"][trial][pid, vid]
    for j, column in enumerate(C.BILAG_COLUMNS):
        table[column] = pd.Categorical.from_codes(bilag[:, j], dtype=grade_cat)
    table[C.MAJOR_ORGAN_ACTIVITY] = arrays["major_organ_activity"][trial][pid, vid]
    table[C.NEW_ACTIVITY] = arrays["new_activity"][trial][pid, vid]
    for name in C.RENAL_VISIT_COLUMNS:
        if name in arrays:
            table[name] = arrays[name][trial][pid, vid]
    return pd.DataFrame(table)
