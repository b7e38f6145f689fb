"""Drug-free remission of simulated patients: at time points, sustained, and ever in follow-up.

The question the project started from -- can lupus patients "cope without
drugs"? -- is a question about drug-free remission: no disease activity, no
glucocorticoid, no immunosuppressant (and, in the strictest definition, no
antimalarial), held for a stated time.  :func:`drug_free_remission_rates`
simulates a scenario with its visits (so its drug-withdrawal protocols,
:class:`lupusstats.Arm` ``withdraw=...``, act) and reports, per arm, the share
in drug-free remission at given weeks and the share that was ever in it for a
sustained period, each with its Monte Carlo standard error.  The definitions
are those of :mod:`lupusstats.endpoints.states`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from lupusstats._core import validation as _v
from lupusstats._core.types import RNGLike
from lupusstats.endpoints.states import drug_free_state, ever_sustained
from lupusstats.endpoints.visits import VisitArrays
from lupusstats.model.scenario import Scenario
from lupusstats.model.simulate import simulate_trials

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["drug_free_remission_rates"]


def drug_free_remission_rates(
    scenario: Scenario,
    *,
    weeks: Sequence[int] = (52,),
    sustained_weeks: int = 52,
    allow_antimalarials: bool = False,
    definition: str = "clinical_sledai",
    n_per_arm: int | None = None,
    rng: RNGLike = None,
) -> pd.DataFrame:
    """Share of patients in drug-free remission per arm, by simulation.

    Parameters
    ----------
    scenario : Scenario
        Its follow-up must reach the last of `weeks`.
    weeks : sequence of int
        Scheduled visits at which the state is counted (``at_week_<w>``): in
        drug-free remission at that visit, among all randomised patients (death
        and dropout count as not in remission).
    sustained_weeks : int, default 52
        Duration for ``ever_sustained``: in drug-free remission at every visit
        of some window of this length during follow-up (Urowitz 2005 counted
        remissions of at least one year at any time).
    allow_antimalarials : bool, default False
        False is the strict definition (Urowitz 2005: no steroids,
        antimalarials or immunosuppressants); True allows hydroxychloroquine.
    definition : {"clinical_sledai", "doris"}
        The activity criterion (clinical SLEDAI 0, or DORIS remission).
    n_per_arm : int, optional
        Patients per arm (default: the scenario's).
    rng : None, int, SeedSequence or Generator

    Returns
    -------
    pandas.DataFrame
        One row per arm and measure: ``arm, measure, proportion, mc_se, n``
        (``measure`` ``"at_week_<w>"`` or ``"ever_sustained_<s>_weeks"``).

    Examples
    --------
    >>> import lupusstats as ls
    >>> sc = ls.preset("general_cohort", followup_years=2.0)
    >>> table = ls.drug_free_remission_rates(sc, weeks=[52, 104], n_per_arm=300, rng=1)
    >>> list(table["measure"])
    ['at_week_52', 'at_week_104', 'ever_sustained_52_weeks']
    """
    if not isinstance(scenario, Scenario):
        raise TypeError(f"`scenario` must be a lupusstats.Scenario, got {type(scenario).__name__}.")
    if isinstance(weeks, (str, bytes)) or not isinstance(weeks, Sequence) or not weeks:
        raise TypeError(f"`weeks` must be a non-empty list of visit weeks, got {weeks!r}.")
    weeks = [_v.check_int("weeks", w, minimum=0) for w in weeks]
    sustained_weeks = _v.check_int("sustained_weeks", sustained_weeks, minimum=0)
    if not isinstance(allow_antimalarials, bool):
        raise TypeError(f"`allow_antimalarials` must be True or False, got {allow_antimalarials!r}.")
    if n_per_arm is not None:
        scenario = scenario.replace(n_per_arm=_v.check_int("n_per_arm", n_per_arm, minimum=1))
    batch = simulate_trials(scenario, 1, rng=rng, visits=True)
    assert batch.visits is not None
    arrays = VisitArrays(**batch.visits)  # type: ignore[arg-type]
    for w in weeks:
        if w not in set(arrays.week.tolist()):
            raise ValueError(
                f"`weeks` holds {w}, which is not a scheduled visit of the scenario (visits: "
                f"{arrays.week.tolist()[0]}..{arrays.week.tolist()[-1]} every {scenario.activity.visit_weeks} weeks)."
            )
    state = drug_free_state(arrays, definition=definition, allow_antimalarials=allow_antimalarials)
    state = state & np.asarray(arrays.attended, dtype=bool)
    measures = {f"at_week_{w}": state[..., arrays.week_index(w)] for w in weeks}
    measures[f"ever_sustained_{sustained_weeks}_weeks"] = ever_sustained(state, arrays, sustained_weeks=sustained_weeks)
    rows = []
    for name in scenario.arm_names:
        in_arm = batch.in_arm(name)
        for measure, values in measures.items():
            x = values[0, in_arm]
            p = float(x.mean())
            rows.append(
                {
                    "arm": name,
                    "measure": measure,
                    "proportion": p,
                    "mc_se": math.sqrt(p * (1 - p) / x.size),
                    "n": int(x.size),
                }
            )
    import pandas as pd

    return pd.DataFrame(rows)
