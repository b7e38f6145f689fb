"""lupusstats: simulate and analyse lupus (SLE) flare frequency, flare severity
and treatment effects with statistical tests.

The one flow: a :class:`Scenario` (arms plus published parameters) is simulated
into a cohort (patients and flares tables) or many trials at once (arrays); the
analysis modules take those tables -- or a user's own data in the same shape --
and return small result objects and tidy DataFrames.

>>> import lupusstats as ls
>>> cohort = ls.simulate_cohort(ls.preset("nephritis_induction"), rng=1)
>>> cohort.patients.shape[0]
555

Heavy libraries (statsmodels, seaborn, dask) are imported only by the functions
that need them; ``lupusstats.plots`` is imported on first use.
"""

from __future__ import annotations

from . import columns
from .calibration import *  # noqa: F403
from .calibration import __all__ as _calibration_all
from .card import *  # noqa: F403
from .card import __all__ as _card_all
from .datasets import *  # noqa: F403
from .datasets import __all__ as _datasets_all
from .effects import *  # noqa: F403
from .effects import __all__ as _effects_all
from .meta import *  # noqa: F403
from .meta import __all__ as _meta_all
from .power import *  # noqa: F403
from .power import __all__ as _power_all
from .rates import *  # noqa: F403
from .readers import *  # noqa: F403
from .readers import __all__ as _readers_all
from .rates import __all__ as _rates_all
from .presets import list_presets, preset
from .scenarios import Arm, Scenario, Source
from .severity import *  # noqa: F403
from .severity import __all__ as _severity_all
from .simulate import Cohort, TrialBatch, simulate_cohort, simulate_trials
from .survival import *  # noqa: F403
from .survival import __all__ as _survival_all

__version__ = "0.1.0"

__all__ = [
    "columns",
    "plots",
    "Arm",
    "Scenario",
    "Source",
    "preset",
    "list_presets",
    "Cohort",
    "TrialBatch",
    "simulate_cohort",
    "simulate_trials",
    *_rates_all,
    *_severity_all,
    *_effects_all,
    *_card_all,
    *_survival_all,
    *_meta_all,
    *_power_all,
    *_datasets_all,
    *_calibration_all,
    *_readers_all,
]


def __getattr__(name: str):
    # ``ls.plots`` imports matplotlib, so it is loaded on first use only.
    if name == "plots":
        import importlib

        return importlib.import_module(".plots", __name__)
    raise AttributeError(f"module 'lupusstats' has no attribute {name!r}")
