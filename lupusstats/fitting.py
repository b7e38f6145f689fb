"""Calibrate a scenario to published trial results by simulation, and check the fit.

A trial preset (``ls.preset("bliss52")``, ``"tulip"``) has free parameters
that no paper reports -- how fast active disease improves, how much a drug
speeds that up, how often a quiet patient's prednisone is tapered.  They are
fitted here to published arm-level results (SRI-4, BICLA, steroid taper, the
share with a BILAG A at baseline ...) by the **method of simulated moments**
with common random numbers: each parameter is paired with one published number
that it moves monotonically, and a root finder (Brent) solves
``simulated(parameter) = published`` on one fixed simulated population, in
turn, for a few rounds (the pairs interact weakly).  With common random
numbers the simulated value is a monotone step function of the parameter, so
the root is well defined to the simulation's resolution.  Each solve first
brackets the root locally, stepping outward from the parameter's current value
(so a refit from a fitted value costs a few simulations, not a sweep of the
whole search interval).

:func:`check_targets` then simulates a large trial and compares every
published number -- the fitted ones and the held-out ones that were *not* used
in the fit -- with its 95% confidence interval.  The fitted values live in
:mod:`lupusstats.model.presets` (tag D, the targets named);
``tests/test_fitting.py`` checks that the presets still reproduce them.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from lupusstats._core import validation as _v
from lupusstats._core.types import RNGLike
from lupusstats.endpoints.activity import sri_criteria
from lupusstats.endpoints.flares import bilag_flare_kernel, selena_flare_kernel
from lupusstats.endpoints.responders import responder_kernel
from lupusstats.endpoints.states import drug_free_state, ever_sustained, lldas_criteria
from lupusstats.endpoints.visits import VisitArrays
from lupusstats.model.presets import preset
from lupusstats.model.scenario import Scenario
from lupusstats.model.simulate import TrialBatch, simulate_trials
from lupusstats.model.targets import PRESET_TARGETS, Target
from lupusstats.survival import cox_hazard_ratio

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FitResult", "check_targets", "fit_preset", "fit_scenario", "preset_calibration"]


@dataclasses.dataclass(frozen=True)
class FitResult:
    """A scenario fitted to published targets (:func:`fit_scenario`).

    Attributes
    ----------
    scenario : Scenario
        The scenario with the fitted values (they show as ``user`` in its
        sources until stored in a preset with their tag D).
    values : dict of str to float
        Fitted value per parameter key.
    table : pandas.DataFrame
        One row per fitted pair: ``parameter, value, endpoint, arm,
        published, simulated`` (the simulated value at the fit, on the fitting
        population).
    n_per_arm : int
    seed : int

    Examples
    --------
    >>> import lupusstats as ls
    >>> target = ls.Target("baseline_bilag_a", "placebo", 0.19, 865)
    >>> fit = ls.fit_scenario(ls.preset("bliss52"), {"activity.grade_a_share": target}, n_per_arm=500, rounds=1)
    >>> list(fit.values), fit.n_per_arm
    (['activity.grade_a_share'], 500)
    """

    scenario: Scenario
    values: dict[str, float]
    table: Any
    n_per_arm: int
    seed: int

    def __repr__(self) -> str:
        fitted = ", ".join(f"{k} = {v:.4g}" for k, v in self.values.items())
        return f"FitResult({fitted}; {self.n_per_arm} patients per arm, seed {self.seed})"


# SRI-4 component targets -> the criterion of lupusstats.endpoints.activity.sri_criteria (True = met)
_SRI_COMPONENTS = {
    "sledai_reduction_4": "SLEDAI reduction < 4",
    "no_bilag_worsening": "new BILAG A",
    "no_pga_worsening": "PGA increase >= 0.3",
}


def _set(scenario: Scenario, key: str, value: float) -> Scenario:
    """Return `scenario` with parameter `key` set: ``activity.<name>``, ``<arm>:<name>`` or a scenario field."""
    if key.startswith("activity."):
        return scenario.replace(activity=scenario.activity.replace(**{key.split(".", 1)[1]: value}))
    if ":" in key:
        arm, name = key.split(":", 1)
        return scenario.with_arm(arm, **{name: value})
    return scenario.replace(**{key: value})


def _get(scenario: Scenario, key: str) -> float:
    if key.startswith("activity."):
        return float(getattr(scenario.activity, key.split(".", 1)[1]))
    if ":" in key:
        arm, name = key.split(":", 1)
        return float(getattr(scenario.arm(arm), name))
    return float(getattr(scenario, key))


def _simulate(scenario: Scenario, n_per_arm: int, seed: int) -> TrialBatch:
    return simulate_trials(scenario.replace(n_per_arm=n_per_arm), 1, rng=seed, visits=True)


def _week_index(arrays: VisitArrays, week: int) -> int:
    weeks = list(np.asarray(arrays.week))
    if week not in weeks:
        raise ValueError(f"target week {week} is not a scheduled visit of the scenario; visits: {weeks}.")
    return weeks.index(week)


def _value(batch: TrialBatch, target: Target) -> tuple[float, int, float | None]:
    """Simulated value of `target`, its denominator and (for a hazard ratio) its standard error."""
    in_arm = batch.in_arm(target.arm)
    if target.endpoint == "any_flare":
        weeks = target.week * 7.0 / 365.25  # weeks in years, as the simulator counts them
        flared = batch.first_flare_years[:, in_arm] <= weeks + 1e-9
        return float(flared.mean()), int(flared.size), None
    if target.endpoint == "first_flare_hazard_ratio":
        reference = batch.arm_names[0] if target.arm != batch.arm_names[0] else batch.arm_names[1]
        pair = in_arm | batch.in_arm(reference)
        first = batch.first_flare_years[0, pair]
        follow = batch.followup_years[0, pair]
        event = ~np.isnan(first)
        time = np.where(event, first, follow)
        group = np.where(in_arm[pair], target.arm, reference)
        other = reference if target.arm == batch.arm_names[0] else batch.arm_names[0]
        if not (event[group == target.arm].any() and event[group == other].any()):
            warnings.warn(
                f"target {target.endpoint} ({target.arm}): an arm has no simulated flare, so the hazard ratio is "
                "not estimable (NaN); simulate more patients (`n_per_arm`).",
                RuntimeWarning,
                stacklevel=3,
            )
            return math.nan, int(pair.sum()), math.nan
        hr = cox_hazard_ratio(time, event, group, reference=other, treatment=target.arm)
        return float(hr.estimate), int(pair.sum()), float(hr.estimate * hr.se)  # delta method
    if target.endpoint == "flare_rate":
        events = batch.n_flares[:, in_arm].sum()
        exposure = batch.followup_years[:, in_arm].sum()
        return float(events / exposure), int(in_arm.sum()), None
    assert batch.visits is not None
    arrays = VisitArrays(**batch.visits)  # type: ignore[arg-type]
    if target.endpoint == "baseline_bilag_a":
        any_a = (arrays.bilag[:, in_arm, 0, :] == 0).any(axis=-1)
        return float(any_a.mean()), int(any_a.size), None
    if target.endpoint == "baseline_pga":
        pga = arrays.pga[:, in_arm, 0]
        return float(pga.mean()), int(pga.size), None
    k = _week_index(arrays, target.week)
    if target.endpoint == "prednisone_at_most_7_5":
        seen = arrays.attended[:, in_arm, k]
        low = seen & (arrays.prednisone_mg[:, in_arm, k] <= 7.5 + 1e-9)
        return float(low.mean()), int(low.size), None
    if target.endpoint in ("drug_free_ever", "drug_free_ever_hcq_allowed"):
        hcq = target.endpoint == "drug_free_ever_hcq_allowed"
        state = drug_free_state(arrays, allow_antimalarials=hcq) & np.asarray(arrays.attended, dtype=bool)
        ever = ever_sustained(state, arrays, sustained_weeks=target.sustained_weeks, by_week=target.week)
        return float(ever[:, in_arm].mean()), int(in_arm.sum()), None
    if target.endpoint == "lldas_activity_criterion":
        crit = lldas_criteria(arrays, k)
        met = arrays.attended[..., k] & crit["SLEDAI-2K > 4"] & crit["major organ activity"]
        return float(met[:, in_arm].mean()), int(in_arm.sum()), None
    if target.endpoint in _SRI_COMPONENTS:
        crit = sri_criteria(arrays, k)
        met = arrays.attended[..., k] & crit[_SRI_COMPONENTS[target.endpoint]]
        if target.endpoint == "no_bilag_worsening":
            met = met & crit["more than one new BILAG B"]
        return float(met[:, in_arm].mean()), int(in_arm.sum()), None
    if target.endpoint in ("sfi_mild_moderate_flare", "bilag_moderate_severe_flare"):
        if target.endpoint == "sfi_mild_moderate_flare":
            flares = selena_flare_kernel(arrays)[..., 1 : k + 1] == 1
        else:
            flares = bilag_flare_kernel(arrays)[..., 1 : k + 1] >= 2
        return float(flares.any(axis=-1)[:, in_arm].mean()), int(in_arm.sum()), None
    if target.endpoint == "lldas_among_sri4":
        resp, _ = responder_kernel(arrays, "sri4", k)
        in_lldas, _ = responder_kernel(arrays, "lldas", k)
        base = resp[:, in_arm]
        return float(in_lldas[:, in_arm][base].mean()) if base.any() else math.nan, int(base.sum()), None
    resp, eligible = responder_kernel(arrays, target.endpoint, k)
    el = eligible[:, in_arm]
    return float(resp[:, in_arm][el].sum() / max(el.sum(), 1)), int(el.sum()), None


def _search_scale(low: float, high: float) -> tuple[Callable[[float], float], Callable[[float], float]]:
    """Coordinate of the local bracket search and its inverse: logit, log or identity.

    Logit when the bounds lie inside (0, 1) (a probability), log when they are
    positive (a rate or ratio), the parameter itself otherwise (an intercept).
    """
    if low > 0.0 and high < 1.0:
        return (lambda x: math.log(x / (1.0 - x))), (lambda u: 1.0 / (1.0 + math.exp(-u)))
    if low > 0.0:
        return math.log, math.exp
    return (lambda x: x), (lambda u: u)


def _local_bracket(
    gap: Callable[[float], float], x0: float, low: float, high: float, first_step: float = 0.05
) -> tuple[float, float] | None:
    """A sign change of `gap` found by stepping outward from `x0`, or None if the search reaches the bounds.

    The steps are taken in the coordinate of :func:`_search_scale`, start at
    `first_step` (5% of a rate, 0.05 on the logit or intercept scale) and
    double.  `gap` is monotone but of unknown direction, and a step function
    under common random numbers: while the probes on both sides give the value
    at `x0` the search widens on both sides; once a probe differs (same sign),
    it goes on only towards smaller ``|gap|``.  Returns ``(a, b)`` with
    ``a <= b`` and ``gap(a) * gap(b) <= 0`` (``(x0, x0)`` when ``gap(x0) == 0``).
    """
    fwd, inv = _search_scale(low, high)
    g0 = gap(x0)
    if g0 == 0.0:
        return x0, x0
    u_bound = {1: fwd(high), -1: fwd(low)}
    x_bound = {1: high, -1: low}
    ends = {1: (fwd(x0), x0), -1: (fwd(x0), x0)}  # farthest probe on each side, all with the sign of g0
    direction = 0  # +1 / -1 once a probe shows on which side |gap| decreases
    step = first_step
    while True:
        sides = (direction,) if direction else (1, -1)
        if all(ends[d][1] == x_bound[d] for d in sides):
            return None  # no sign change between x0 and the bound(s) the root can lie towards
        for d in sides:
            u, x = ends[d]
            if x == x_bound[d]:
                continue
            u_new = u + d * step
            if d * (u_new - u_bound[d]) >= 0:
                u_new, x_new = u_bound[d], x_bound[d]
            else:
                x_new = min(max(inv(u_new), low), high)
            g_new = gap(x_new)
            if g_new == 0.0 or (g_new > 0.0) != (g0 > 0.0):
                return (x, x_new) if x < x_new else (x_new, x)
            ends[d] = (u_new, x_new)
            if not direction and g_new != g0:
                direction = d if abs(g_new) < abs(g0) else -d
                break
        step *= 2.0


def fit_scenario(
    scenario: Scenario,
    pairs: Mapping[str, Target],
    *,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    n_per_arm: int = 10_000,
    rng: int = 0,
    rounds: int = 3,
    xtol: float = 1e-4,
) -> FitResult:
    """Fit scenario parameters to published targets by simulated moments (one parameter per target).

    Parameters
    ----------
    scenario : Scenario
        The starting scenario (its values are the starting points).
    pairs : mapping of str to Target
        Parameter key -> the published number it is fitted to.  Keys:
        ``"activity.<name>"`` (a parameter of :class:`lupusstats.Activity`),
        ``"<arm name>:<name>"`` (an arm parameter such as
        ``activity_response_ratio``) or a scenario parameter.  Each parameter
        must move its target monotonically.
    bounds : mapping of str to (float, float), optional
        Search interval per key (default: probabilities (0, 1), intercepts
        (-3, 3), rates and ratios (0.01, 50)).
    n_per_arm : int, default 10000
        Patients per arm of the fitting population (Monte Carlo SE of a
        proportion near 0.4: 0.005).
    rng : int, default 0
        Seed of the common random numbers (one population for every
        evaluation).
    rounds : int, default 3
        Passes over the pairs (later pairs change what earlier ones fitted).
    xtol : float
        Tolerance of the root finder on the parameter.

    Notes
    -----
    Each solve starts from the parameter's current value (clipped into its
    bounds) and steps outward for a change of sign of ``simulated -
    published``: on the log scale for positive bounds (rates, ratios), the
    logit scale for bounds inside (0, 1) (probabilities) and the parameter's
    own scale otherwise (intercepts), with a first step of 0.05 that doubles
    each time.  Brent's method then solves inside that bracket to `xtol`.  If
    the search reaches the bounds without a crossing, the solve is Brent's
    method on the whole of `bounds` (a ValueError when the simulated value
    does not cross the published one there).  A starting value at which the
    simulated value equals the published one exactly is a root and is kept.
    No parameter value is simulated twice within a solve.

    Returns
    -------
    FitResult

    Examples
    --------
    Fit the placebo improvement rate of BLISS-52 to its SRI-4 rate (a small
    fitting population, for speed):

    >>> import lupusstats as ls
    >>> target = ls.Target("sri4", "placebo", 125 / 287, 287, source="Oon 2019")
    >>> fit = ls.fit_scenario(ls.preset("bliss52"), {"activity.improvement_rate": target},
    ...                       n_per_arm=2000, rounds=1)
    >>> bool(abs(fit.table["simulated"][0] - 125 / 287) < 0.01)
    True
    """
    from scipy.optimize import brentq

    if not isinstance(scenario, Scenario):
        raise TypeError(f"`scenario` must be a lupusstats.Scenario, got {type(scenario).__name__}.")
    if not isinstance(pairs, Mapping) or not pairs:
        raise ValueError(f"`pairs` must be a non-empty mapping of parameter key to Target, got {pairs!r}.")
    for key, target in pairs.items():
        if not isinstance(target, Target):
            raise TypeError(f"`pairs[{key!r}]` must be a Target, got {type(target).__name__}.")
        _get(scenario, key)  # unknown keys fail here, naming the key
        scenario.arm(target.arm)
    n_per_arm = _v.check_int("n_per_arm", n_per_arm, minimum=10)
    seed = _v.check_int("rng", rng, minimum=0)
    rounds = _v.check_int("rounds", rounds, minimum=1)
    bounds = dict(bounds or {})

    def default_bounds(key: str) -> tuple[float, float]:
        name = key.split(".", 1)[-1].split(":", 1)[-1]
        if name.endswith(("share", "probability", "use")):
            return 1e-6, 1 - 1e-6
        if name.endswith("intercept"):
            return -3.0, 3.0
        if name == "withdrawal_flare_ratio":  # a rise: >= 1 (Arm refuses less)
            return 1.0, 50.0
        return 0.01, 50.0

    current = scenario
    for _ in range(rounds):
        for key, target in pairs.items():
            low, high = bounds.get(key, default_bounds(key))

            def gap(x: float, key: str = key, target: Target = target, base: Scenario = current) -> float:
                return _value(_simulate(_set(base, key, x), n_per_arm, seed), target)[0] - target.value

            seen: dict[float, float] = {}

            def cached(x: float, gap: Callable[[float], float] = gap, seen: dict[float, float] = seen) -> float:
                x = float(x)
                if x not in seen:
                    seen[x] = gap(x)
                return seen[x]

            x0 = min(max(_get(current, key), low), high)
            bracket = _local_bracket(cached, x0, low, high)
            if bracket is None:  # no crossing near x0: the whole interval, as a plain Brent solve
                bracket = (low, high)
                g_low, g_high = cached(low), cached(high)
                if g_low * g_high > 0:
                    raise ValueError(
                        f"cannot fit {key!r} to {target.endpoint} = {target.value:.4g} in arm {target.arm!r}: the "
                        f"simulated value is {g_low + target.value:.4g} at {low:g} and {g_high + target.value:.4g} "
                        f"at {high:g} (no crossing within `bounds`)."
                    )
            a, b = bracket
            root = a if a == b else float(brentq(cached, a, b, xtol=xtol))
            current = _set(current, key, root)

    final = _simulate(current, n_per_arm, seed)
    rows = []
    values = {}
    for key, target in pairs.items():
        values[key] = _get(current, key)
        rows.append(
            {
                "parameter": key,
                "value": values[key],
                "endpoint": target.endpoint,
                "arm": target.arm,
                "published": target.value,
                "simulated": _value(final, target)[0],
            }
        )
    import pandas as pd

    return FitResult(current, values, pd.DataFrame(rows), n_per_arm, seed)


def check_targets(
    scenario: Scenario,
    targets: Sequence[Target],
    *,
    n_per_arm: int = 20_000,
    rng: RNGLike = None,
    fitted: Sequence[Target] = (),
    confidence_level: float = 0.95,
) -> pd.DataFrame:
    """Simulate a large trial of `scenario` and compare it with published numbers.

    Parameters
    ----------
    scenario : Scenario
    targets : sequence of Target
        The published numbers to compare with.
    n_per_arm : int, default 20000
        Patients per arm (Monte Carlo error small against the published
        intervals; it is reported).
    rng : None, int, SeedSequence or Generator
    fitted : sequence of Target
        The targets that were used in the fit (marked ``role="fitted"``; the
        others are ``"held out"``: predictions).
    confidence_level : float, default 0.95

    Returns
    -------
    pandas.DataFrame
        One row per target: ``endpoint, arm, role, published, ci_low, ci_high,
        simulated, mc_se, within_ci, n, source``.

    Examples
    --------
    >>> import lupusstats as ls
    >>> t = ls.Target("baseline_bilag_a", "placebo", 0.19, 865, source="BLISS-52 Table 1")
    >>> row = ls.check_targets(ls.preset("bliss52"), [t], n_per_arm=2000, rng=1).iloc[0]
    >>> bool(row["within_ci"])
    True
    """
    if not isinstance(scenario, Scenario):
        raise TypeError(f"`scenario` must be a lupusstats.Scenario, got {type(scenario).__name__}.")
    n_per_arm = _v.check_int("n_per_arm", n_per_arm, minimum=10)
    confidence_level = _v.check_confidence_level(confidence_level)
    for i, t in enumerate(targets):
        if not isinstance(t, Target):
            raise TypeError(f"`targets[{i}]` must be a Target, got {type(t).__name__}.")
        scenario.arm(t.arm)
    batch = simulate_trials(scenario.replace(n_per_arm=n_per_arm), 1, rng=rng, visits=True)
    fitted_set = set(fitted)
    rows = []
    for t in targets:
        value, m, se = _value(batch, t)
        if t.endpoint == "baseline_pga":
            arrays = VisitArrays(**batch.visits)  # type: ignore[arg-type]
            mc_se = float(arrays.pga[:, batch.in_arm(t.arm), 0].std() / math.sqrt(max(m, 1)))
        elif se is not None:
            mc_se = se  # the hazard ratio's SE in the simulated trial (delta method on the log scale)
        elif t.endpoint == "flare_rate":
            exposure = batch.followup_years[:, batch.in_arm(t.arm)].sum()
            mc_se = math.sqrt(value * (1 + scenario.dispersion * value) / exposure)  # NB variance per exposure
        else:
            mc_se = math.sqrt(max(value * (1 - value), 0.0) / max(m, 1))
        low, high = t.interval(confidence_level)
        rows.append(
            {
                "endpoint": t.endpoint,
                "arm": t.arm,
                "role": "fitted" if t in fitted_set else "held out",
                "published": t.value,
                "ci_low": low,
                "ci_high": high,
                "simulated": value,
                "mc_se": mc_se,
                "within_ci": bool(low <= value <= high),
                "n": t.n,
                "source": t.source,
            }
        )
    import pandas as pd

    return pd.DataFrame(rows)


def _preset_targets(name: str) -> tuple[dict[str, Target], list[Target]]:
    if name not in PRESET_TARGETS:
        raise ValueError(
            f"`name` {name!r} is not a preset with published targets; presets with targets: {sorted(PRESET_TARGETS)}."
        )
    entry = PRESET_TARGETS[name]
    return dict(entry["fitted"]), list(entry["held_out"])  # type: ignore[call-overload]


def fit_preset(name: str, *, n_per_arm: int = 10_000, rng: int = 0, rounds: int = 3) -> FitResult:
    """Refit a trial preset's free parameters to its published targets (``PRESET_TARGETS``).

    The values stored in the preset came from this call with the seed and size
    its sources name; rerunning it reproduces them (to the root finder's
    tolerance).

    Parameters
    ----------
    name : str
        A trial preset with targets: ``"bliss52"`` or ``"tulip"``.
    n_per_arm, rng, rounds
        As :func:`fit_scenario`.

    Returns
    -------
    FitResult

    Examples
    --------
    >>> import lupusstats as ls
    >>> fit = ls.fit_preset("tulip", n_per_arm=1000, rounds=1)  # small, for speed
    >>> sorted(fit.values)[0]
    'activity.grade_a_share'
    """
    pairs, _ = _preset_targets(name)
    return fit_scenario(preset(name), pairs, n_per_arm=n_per_arm, rng=rng, rounds=rounds)


def preset_calibration(name: str, *, n_per_arm: int = 20_000, rng: RNGLike = None) -> pd.DataFrame:
    """Compare a trial preset with every published number it was fitted to or predicts.

    Parameters
    ----------
    name : str
        ``"bliss52"`` or ``"tulip"``.
    n_per_arm : int, default 20000
    rng : None, int, SeedSequence or Generator

    Returns
    -------
    pandas.DataFrame
        As :func:`check_targets`: the fitted targets (``role="fitted"``)
        first, then the held-out predictions.

    Examples
    --------
    >>> import lupusstats as ls
    >>> table = ls.preset_calibration("bliss52", n_per_arm=2000, rng=1)
    >>> list(table["role"].unique())
    ['fitted', 'held out']
    """
    pairs, held_out = _preset_targets(name)
    fitted = list(pairs.values())
    return check_targets(preset(name), fitted + held_out, n_per_arm=n_per_arm, rng=rng, fitted=fitted)
