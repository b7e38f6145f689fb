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
from typing import TYPE_CHECKING

import numpy as np

from lupusstats.cohort import columns as C
from lupusstats.model.scenario import _WEEK, Scenario

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["visit_weeks"]

#: BILAG-2004 column of each flare organ domain (ORGAN_DOMAINS order -> BILAG_DOMAINS index).
_ORGAN_TO_BILAG_INDEX = np.array([C.BILAG_DOMAINS.index(C.ORGAN_TO_BILAG[o]) for o in C.ORGAN_DOMAINS])
#: Points per domain below which the int16 sum over the domains cannot overflow.
_SAFE16 = np.iinfo(np.int16).max // len(C.ORGAN_DOMAINS)
#: Organ domains whose activity is "major organ" activity in LLDAS (renal, CNS, cardiopulmonary; fever is
#: in the constitutional domain).
_MAJOR = np.array([o in ("renal", "neuropsychiatric", "cardiopulmonary", "constitutional") for o in C.ORGAN_DOMAINS])
_CONSTITUTIONAL = C.ORGAN_DOMAINS.index("constitutional")
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
) -> dict[str, np.ndarray]:
    """Visit arrays for trials of `scenario` given the patient draws and the flares.

    `frailty`, `followup` and `baseline_sledai` have shape (n_trials,
    n_patients); `code` is the arm code per patient.  The flares are flat
    arrays: `flare_index` the flat (trial, patient) position, `flare_time` in
    years, `flare_severity` 0 mild / 1 moderate / 2 severe, `flare_organ` the
    ORGAN_DOMAINS code, `flare_increase` the SLEDAI increase.
    """
    act = scenario.activity
    shape = frailty.shape
    weeks = visit_weeks(scenario)
    n_visits = weeks.size
    n_dom = len(C.ORGAN_DOMAINS)
    n_cells = frailty.size
    dt = act.visit_weeks * _WEEK
    # Layout: the organ domains are the FIRST axis of every per-domain array (domain-major,
    # (n_dom, *shape)), so that "any domain", "worst domain" and "sum over domains" reduce over 7
    # contiguous rows instead of numpy's slow reductions over a short last axis.  Random draws keep
    # the (*shape, n_dom) shape of the model's definition (the same calls in the same order: the
    # output is bit-identical to the domain-last code, tests/test_activity_identity.py); their
    # comparisons are made in that layout and the boolean result is transposed.

    def by_domain(a: np.ndarray) -> np.ndarray:
        """(*shape, n_dom) -> contiguous (n_dom, *shape)."""
        return np.ascontiguousarray(np.moveaxis(a, -1, 0))

    # Flares by the visit they show at: a flare in (w[k-1], w[k]] shows at visit k.  They are applied
    # sparsely, visit by visit, to the flat (domain, trial, patient) cell of the state arrays; `bounds`
    # delimits each visit's flares (a stable radix sort on the small visit number).
    k = np.ceil(flare_time / dt - 1e-9).astype(np.int64)
    keep = (k >= 1) & (k < n_visits)
    order = np.argsort(k[keep].astype(np.int16 if n_visits < 2**15 else np.int64), kind="stable")
    f_patient = flare_index[keep][order]
    f_cell = flare_organ[keep][order] * n_cells + f_patient
    f_severity = flare_severity[keep][order]
    f_increase = flare_increase[keep][order].astype(np.int16)
    bounds = np.concatenate([[0], np.cumsum(np.bincount(k[keep], minlength=n_visits))])

    # Baseline: serology, active domains, their grades and SLEDAI points.
    sero = 2 * (rng.random(shape) < act.serology_prevalence[0]) + 2 * (rng.random(shape) < act.serology_prevalence[1])
    sero = np.minimum(sero, baseline_sledai - baseline_sledai % 2)  # serology items score 2 each
    clinical0 = baseline_sledai - sero
    prev = np.asarray(act.domain_prevalence)
    active = by_domain(rng.random((*shape, n_dom)) < prev)
    # A patient with clinical activity but no domain drawn active gets one, chosen with
    # probability proportional to the prevalences (exponential race).
    race = rng.standard_exponential((*shape, n_dom))
    none = (clinical0 > 0) & ~np.logical_or.reduce(active, axis=0)
    if none.any():
        with np.errstate(divide="ignore", invalid="ignore"):
            first = np.argmin(race[none] / prev, axis=-1)
        active[(first, *np.nonzero(none))] = True
    active &= clinical0 > 0
    # the clinical SLEDAI shared among the active domains in proportion to their points: the running
    # sum of the weights over the domains (the order of the domain-last code's cumsum), rounded and
    # differenced; row by row, so that each step works on one (trial, patient) array
    cum_weights = [act.domain_points[0] * active[0]]
    for d in range(1, n_dom):
        cum_weights.append(cum_weights[-1] + act.domain_points[d] * active[d])
    total = cum_weights[-1]
    no_share = total == 0  # no active domain: 0 / 0, the only non-finite case (nan_to_num made it 0)
    points = np.empty((n_dom, *shape), dtype=np.int16)
    previous = np.zeros(shape, dtype=np.int16)
    with np.errstate(invalid="ignore", divide="ignore"):
        for d, cum_weight in enumerate(cum_weights):
            cum = np.rint(clinical0 * cum_weight / total)
            cum[no_share] = 0.0
            cum16 = cum.astype(np.int16)
            points[d] = cum16 - previous
            previous = cum16
    is_active = rng.random((*shape, n_dom)) < act.grade_a_share
    is_d = rng.random((*shape, n_dom)) < prev
    # active: A if drawn so, else B; inactive: D if drawn so, else E (the codes are consecutive)
    grade = np.where(active, np.int8(_B) - by_domain(is_active), np.int8(_E) - by_domain(is_d)).astype(np.int8)

    # Per-patient improvement probability per visit interval.
    ratio = np.array([a.activity_response_ratio for a in scenario.arms])[code]
    hazard = act.improvement_rate * ratio * frailty ** (-act.response_frailty_power)
    p_improve = -np.expm1(-hazard * dt)
    p_inactive = -math.expm1(-act.inactive_rate * dt)

    # Glucocorticoids and other drugs at baseline.
    on_gc = rng.random(shape) < act.prednisone_use
    dose = np.where(on_gc, np.exp(act.prednisone_log_mean + act.prednisone_log_sd * rng.standard_normal(shape)), 0.0)
    # doses are prescribed in 2.5 mg steps; entry doses above the severe-flare level are truncated to it
    # (trials excluded higher doses: BLISS allowed at most 40 mg/day [R])
    dose = np.minimum(np.round(dose / 2.5) * 2.5, act.flare_prednisone_mg[2]) * on_gc
    on_is = rng.random(shape) < act.immunosuppressant_use
    on_am = rng.random(shape) < act.antimalarial_use

    # Outputs.  Those that change at every visit are written visit by visit: the float ones into
    # visit-major grids (contiguous rows, moved to the last axis at the end), the small integer and
    # boolean ones straight into their (trial, patient, visit) place.  The BILAG grades go into a
    # (visit, BILAG domain, trial * patient) grid that one 2-D transpose turns into (trial, patient,
    # visit, BILAG domain).  Rescue is recorded as the visit it starts at.
    grid = (n_visits, *shape)
    final = (*shape, n_visits)
    clinical_out = np.empty(final, dtype=np.int16)
    pga_out = np.empty(grid)
    dose_out = np.empty(grid)
    major_out = np.empty(final, dtype=bool)
    new_out = np.zeros(final, dtype=bool)
    n_bilag = len(C.BILAG_DOMAINS)
    bilag_grid = np.empty((n_visits, n_bilag, n_cells), dtype=np.int8)
    unused = np.setdiff1d(np.arange(n_bilag), _ORGAN_TO_BILAG_INDEX)
    bilag_grid[:, unused] = _E  # BILAG domains no flare organ maps to (filled once; the others at each visit)
    # ORGAN_DOMAINS -> BILAG_DOMAINS as runs of consecutive rows (organ rows lo:hi -> BILAG rows at:at + hi - lo)
    runs = [(0, 1, int(_ORGAN_TO_BILAG_INDEX[0]))]
    for i, b in enumerate(_ORGAN_TO_BILAG_INDEX[1:], start=1):
        if b == runs[-1][2] + i - runs[-1][0]:
            runs[-1] = (runs[-1][0], i + 1, runs[-1][2])
        else:
            runs.append((i, i + 1, int(b)))
    rescue_visit = np.full(shape, n_visits, dtype=np.int64)
    step_up = act.flare_prednisone_mg
    dose_step = np.array([0.0, *step_up[:2], 0.0])
    pga_noise = rng.standard_normal(grid)
    pga_noise *= act.pga_sd  # in place: the same products as act.pga_sd * draws
    major_rows = [int(i) for i in np.flatnonzero(_MAJOR)]
    sero16 = sero.astype(np.int16)  # 0, 2 or 4

    def record(v: int, active: np.ndarray, any_a: np.ndarray) -> None:
        # clinical SLEDAI: the sum over the domain rows, in int16 when no sum can overflow it (the
        # stored SLEDAI is int16 anyway; the PGA needs the exact value)
        if points.min() >= -_SAFE16 and points.max() <= _SAFE16:
            clinical = points[0] + points[1]
            for row in points[2:]:
                clinical += row
        else:
            clinical = np.add.reduce(points, axis=0, dtype=np.int64)
        clinical_out[..., v] = clinical
        # PGA: ((intercept + per_point * clinical) + per_grade_a * any_a) + noise, in that order
        pga = np.multiply(clinical, act.pga_per_point)
        pga += act.pga_intercept
        pga += act.pga_per_grade_a * any_a
        pga += pga_noise[v]
        np.round(pga, 1, out=pga)
        np.clip(pga, 0.0, 3.0, out=pga)
        np.add(pga, 0.0, out=pga_out[v])  # + 0.0: no negative zero
        dose_out[v] = dose
        major = active[major_rows[0]].copy()
        for row in major_rows[1:]:
            major |= active[row]
        major_out[..., v] = major
        target = bilag_grid[v]
        for lo, hi, at in runs:
            target[at : at + hi - lo] = grade[lo:hi].reshape(hi - lo, -1)

    active = grade <= _B
    record(0, active, np.logical_or.reduce(grade == _A, axis=0))
    # p_improve repeated over the domains, so that the draws are compared in one contiguous pass
    p_improve_flat = np.repeat(p_improve.reshape(-1), n_dom)
    grade_flat, points_flat = grade.reshape(-1), points.reshape(-1)  # views
    constitutional = grade[_CONSTITUTIONAL].reshape(-1)  # a view
    marker = np.zeros(grade.size, dtype=bool)  # scratch, all False between visits
    for v in range(1, n_visits):
        was_active = active
        # improvement over the interval (A -> B, B -> C; points clear at C), then C -> D
        draw = rng.random((*shape, n_dom)).reshape(-1) < p_improve_flat
        improve = by_domain(draw.reshape(*shape, n_dom))
        improve &= was_active
        grade += improve
        is_c = grade == _C
        np.multiply(points, ~(improve & is_c), out=points)
        to_d = by_domain(rng.random((*shape, n_dom)) < p_inactive)
        to_d &= is_c
        to_d &= ~improve
        grade += to_d
        # flares in the interval: severe -> A, mild or moderate -> B (+ constitutional B if moderate);
        # written mildest first so that a severe flare in the same cell wins
        lo, hi = bounds[v], bounds[v + 1]
        cells, sev, patients = f_cell[lo:hi], f_severity[lo:hi], f_patient[lo:hi]
        severe = sev == 2
        mild_moderate = cells[~severe]
        grade_flat[mild_moderate] = np.minimum(grade_flat[mild_moderate], _B)
        grade_flat[cells[severe]] = _A
        np.add.at(points_flat, cells, f_increase[lo:hi])
        # the constitutional domain follows a cell whose worst flare is moderate (a moderate and a
        # severe flare in one cell make a severe cell): mark moderate cells, unmark severe ones
        moderate = sev == 1
        moderate_cells = cells[moderate]
        marker[moderate_cells] = True
        marker[cells[severe]] = False
        moderate_patients = patients[moderate][marker[moderate_cells]]
        marker[moderate_cells] = False
        constitutional[moderate_patients] = np.minimum(constitutional[moderate_patients], _B)
        worst = np.zeros(n_cells, dtype=np.int8)  # 0 none, 1 mild, 2 moderate, 3 severe
        for level in range(3):
            worst[patients[sev == level]] = level + 1
        active = grade <= _B
        new = np.logical_or.reduce(active & ~was_active, axis=0)
        new.reshape(-1)[patients] = True
        new_out[..., v] = new
        # glucocorticoids: raised at a flare (severe: to the severe level), tapered at quiet visits
        # (only patients who flared change: for the others worst is 0 and dose + 0.0 == dose)
        dose_flat = dose.reshape(-1)
        w, d = worst[patients], dose_flat[patients]
        dose_flat[patients] = np.where(w == 3, np.maximum(d, step_up[2]), d + dose_step[w])
        any_a = np.logical_or.reduce(grade == _A, axis=0)
        quiet = ~new & ~any_a & (dose > act.taper_floor_mg)
        taper = quiet & (rng.random(shape) < act.taper_probability)
        dose = np.where(taper, np.maximum(dose - act.taper_step_mg, act.taper_floor_mg), dose)
        rescued = (worst.reshape(shape) == 3) & (rng.random(shape) < act.rescue_probability)
        np.minimum(rescue_visit, v, out=rescue_visit, where=rescued)
        record(v, active, any_a)

    def last(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.moveaxis(a, 0, len(shape)))

    rescue = np.arange(n_visits) >= rescue_visit[..., None]
    out = {
        "sledai": clinical_out + sero16[..., None],  # int16 wrap-around as the int64 sum stored in int16
        "clinical_sledai": clinical_out,
        "pga": last(pga_out),
        "prednisone_mg": last(dose_out),
        "on_immunosuppressant": rescue | on_is[..., None],
        "on_antimalarial": np.repeat(on_am[..., None], n_visits, axis=-1),
        "rescue": rescue,
        "major_organ_activity": major_out,
        "new_activity": new_out,
        "bilag": np.ascontiguousarray(bilag_grid.reshape(n_visits * n_bilag, n_cells).T).reshape(
            *shape, n_visits, n_bilag
        ),
    }
    out["attended"] = weeks * _WEEK <= followup[..., None] + 1e-9
    out["week"] = weeks
    return out


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
    return pd.DataFrame(table)
