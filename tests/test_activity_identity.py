"""simulate_visits is bit-identical to the implementation it replaced (issue 17, speed).

The visits model was rewritten for speed (domains as separate arrays, bitwise
reductions); the rewrite must not change a single output value: the random
draws are the same calls, in the same order, with the same shapes.  Two checks:

* ``test_equals_the_reference``: the current code against the pre-speed-up code,
  kept verbatim below (``_reference_simulate_visits``), on several scenarios,
  sizes and seeds -- platform independent;
* ``test_pinned_hashes``: SHA-256 of every output array of one fixed run, recorded
  from the pre-speed-up code (commit 0386948) before the rewrite.  It pins the
  output against changes to both copies at once; it depends on numpy's
  ``Generator`` streams (stable by numpy's policy) and on the platform's ``exp``
  (x86-64 Linux when recorded).
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pytest

import lupusstats as ls
from lupusstats.cohort import columns as C
from lupusstats.model.activity import simulate_visits, visit_weeks
from lupusstats.model.scenario import _WEEK, Scenario

_A, _B, _C, _D, _E = range(5)
_ORGAN_TO_BILAG_INDEX = np.array([C.BILAG_DOMAINS.index(C.ORGAN_TO_BILAG[o]) for o in C.ORGAN_DOMAINS])
_MAJOR = np.array([o in ("renal", "neuropsychiatric", "cardiopulmonary", "constitutional") for o in C.ORGAN_DOMAINS])
_CONSTITUTIONAL = C.ORGAN_DOMAINS.index("constitutional")

#: Every parameter written out, so that the pinned run does not move when preset defaults change.
_ACTIVITY = dict(
    visit_weeks=4,
    domain_prevalence=(0.019, 0.819, 0.027, 0.654, 0.062, 0.159, 0.077),
    domain_points=(1.0, 2.0, 8.0, 4.0, 2.0, 4.0, 1.0),
    grade_a_share=0.35,
    serology_prevalence=(0.694, 0.561),
    improvement_rate=2.0,
    inactive_rate=2.0,
    response_frailty_power=0.5,
    pga_intercept=0.5,
    pga_per_point=0.1,
    pga_per_grade_a=0.3,
    pga_sd=0.25,
    prednisone_use=0.863,
    prednisone_log_mean=2.0,
    prednisone_log_sd=0.6,
    taper_probability=0.25,
    taper_step_mg=2.5,
    taper_floor_mg=5.0,
    flare_prednisone_mg=(5.0, 10.0, 40.0),
    rescue_probability=0.5,
    immunosuppressant_use=0.487,
    antimalarial_use=0.672,
)


def _pinned_scenario() -> Scenario:
    return ls.Scenario(
        [ls.Arm("placebo", dropout_rate=0.2), ls.Arm("drug", flare_rate_ratio=0.7, activity_response_ratio=1.5)],
        n_per_arm=50,
        baseline_flare_rate=1.5,
        dispersion=0.8,
        followup_years=1.0,
        activity=ls.Activity(**_ACTIVITY),
    )


def _inputs(scenario: Scenario, n_trials: int, seed: int) -> dict[str, np.ndarray]:
    """Patient draws and flares for simulate_visits, drawn here so that they do not depend on the simulator.

    The flares include times at 0 and past the last visit (both ignored by the model), several flares
    in one (visit, domain) cell, and patients with baseline SLEDAI 0, odd and below the serology points.
    """
    g = np.random.default_rng(seed)
    code = np.repeat(np.arange(len(scenario.arms)), np.asarray(scenario.n_per_arm))
    shape = (n_trials, code.size)
    frailty = g.gamma(1.25, 0.8, size=shape)
    followup = np.where(g.random(shape) < 0.2, g.random(shape), 1.0) * scenario.followup_years
    baseline = g.choice([0, 1, 2, 3, 4, 6, 8, 10, 12, 16, 20, 30], size=shape)
    n_flares = g.poisson(2.0 * frailty)
    index = np.repeat(np.arange(n_flares.size), n_flares.ravel())
    time = g.random(index.size) * followup.ravel()[index]
    time[:: max(1, index.size // 7)] = 0.0
    time[3 :: max(1, index.size // 5)] = scenario.followup_years * 1.5
    severity = g.choice(3, size=index.size, p=[0.5, 0.35, 0.15]).astype(np.int8)
    organ = g.choice(len(C.ORGAN_DOMAINS), size=index.size)
    increase = g.poisson(4.0, size=index.size) + 1
    return dict(
        code=code,
        frailty=frailty,
        followup=followup,
        baseline_sledai=baseline,
        flare_index=index,
        flare_time=time,
        flare_severity=severity,
        flare_organ=organ,
        flare_increase=increase,
    )


def _digest(array: np.ndarray) -> str:
    a = np.ascontiguousarray(array)
    head = f"{a.dtype.str}{a.shape}".encode()
    return hashlib.sha256(head + a.tobytes()).hexdigest()[:16]


#: Recorded from the pre-speed-up code (commit 0386948), before the rewrite.
PINNED: dict[str, str] = {
    "sledai": "e5e9e3fb0df6c830",
    "clinical_sledai": "422dd2cdd68ab43f",
    "pga": "4b699c98a6350e10",
    "prednisone_mg": "ffd9178bb384252d",
    "on_immunosuppressant": "a5b0f7fdb3c96301",
    "on_antimalarial": "78be8282bc492f47",
    "rescue": "882396067b01dd51",
    "major_organ_activity": "a1f947aa7bd81cf2",
    "new_activity": "7ac24023a8576b4f",
    "bilag": "6e7af51ca5086f7a",
    "attended": "03fe764a824a3b97",
    "week": "423d4df764f95f22",
}


def test_pinned_hashes():
    sc = _pinned_scenario()
    out = simulate_visits(sc, **_inputs(sc, 30, seed=1), rng=np.random.default_rng(2026))
    assert {name: _digest(a) for name, a in out.items()} == PINNED


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert a[name].dtype == b[name].dtype, name
        assert a[name].shape == b[name].shape, name
        assert a[name].flags.c_contiguous == b[name].flags.c_contiguous, name
        assert np.array_equal(a[name], b[name]), name


@pytest.mark.parametrize(
    ("preset", "changes", "n_trials", "seed"),
    [
        ("bliss52", {}, 7, 0),
        ("tulip", {"n_per_arm": 33}, 5, 1),
        ("bliss52", {"n_per_arm": 1}, 3, 2),
        ("pinned", {}, 4, 3),
        ("pinned_2weekly", {}, 4, 4),
        ("pinned_odd_weights", {}, 6, 5),
        ("pinned_huge_increase", {}, 3, 6),
    ],
)
def test_equals_the_reference(preset, changes, n_trials, seed):
    if preset.startswith("pinned"):
        sc = _pinned_scenario()
        if preset == "pinned_2weekly":
            sc = sc.replace(activity=sc.activity.replace(visit_weeks=2))
        if preset == "pinned_odd_weights":  # non-integer weights (rounding order) and a domain never active
            sc = sc.replace(
                activity=sc.activity.replace(
                    domain_points=(0.7, 1.3, 2.9, 3.1, 0.4, 5.5, 1.1),
                    domain_prevalence=(0.0, 0.3, 0.1, 0.2, 0.0, 0.05, 0.01),
                    visit_weeks=3,
                )
            )
    else:
        sc = ls.preset(preset, **changes)
    inputs = _inputs(sc, n_trials, seed)
    if preset == "pinned_huge_increase":  # SLEDAI points past the int16 range: the same wrap-around as before
        inputs["flare_increase"] = inputs["flare_increase"] * 3000
    new = simulate_visits(sc, **inputs, rng=np.random.default_rng(seed))
    old = _reference_simulate_visits(sc, **inputs, rng=np.random.default_rng(seed))
    _same(new, old)


def test_rng_left_in_the_same_state():
    """The same draws: after the call the generator is where the reference leaves it."""
    sc = _pinned_scenario()
    inputs = _inputs(sc, 3, 5)
    g_new, g_old = np.random.default_rng(9), np.random.default_rng(9)
    simulate_visits(sc, **inputs, rng=g_new)
    _reference_simulate_visits(sc, **inputs, rng=g_old)
    assert g_new.bit_generator.state == g_old.bit_generator.state


def test_simulate_trials_visits_equal_the_reference(monkeypatch):
    """End to end through simulate_trials: swapping in the reference gives the same batch."""
    import lupusstats.model.simulate as sim

    sc = ls.preset("bliss52", n_per_arm=40)
    new = ls.simulate_trials(sc, 6, rng=17, visits=True)
    monkeypatch.setattr(sim, "simulate_visits", _reference_simulate_visits)
    old = ls.simulate_trials(sc, 6, rng=17, visits=True)
    _same(new.visits, old.visits)


# ---------------------------------------------------------------------------------------------------
# The implementation before the speed-up, verbatim (only renamed); do not edit.


def _reference_simulate_visits(
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
    """simulate_visits as of commit 0386948 (before the speed-up), kept verbatim as the reference."""
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
        improve = was_active & (rng.random((*shape, n_dom)) < p_improve)
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
        quiet = ~new_out[v] & ~(grade == _A).any(axis=-1) & (dose > act.taper_floor_mg)
        taper = quiet & (rng.random(shape) < act.taper_probability)
        dose = np.where(taper, np.maximum(dose - act.taper_step_mg, act.taper_floor_mg), dose)
        rescued = (worst == 3) & (rng.random(shape) < act.rescue_probability)
        rescue = rescue | rescued
        on_is = on_is | rescued
        record(v)

    def last(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.moveaxis(a, 0, len(shape)))

    out = {
        "sledai": last(sledai),
        "clinical_sledai": last(clinical_out),
        "pga": last(pga_out),
        "prednisone_mg": last(dose_out),
        "on_immunosuppressant": last(is_out),
        "on_antimalarial": np.repeat(on_am[..., None], n_visits, axis=-1),
        "rescue": last(rescue_out),
        "major_organ_activity": last(major_out),
        "new_activity": last(new_out),
        "bilag": np.ascontiguousarray(np.moveaxis(bilag, 0, len(shape))),
    }
    out["attended"] = weeks * _WEEK <= followup[..., None] + 1e-9
    out["week"] = weeks
    return out
