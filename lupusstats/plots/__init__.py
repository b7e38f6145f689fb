"""Figures for lupusstats results: seaborn/matplotlib, ``ax=None`` in, ``Axes`` out.

No function here changes global matplotlib style.  Each topic lives in its own
private module and is re-exported here, so ``ls.plots.plot_forest`` and friends
are one namespace.  Importing this subpackage imports matplotlib; importing
``lupusstats`` alone does not.
"""

from __future__ import annotations

from . import _cohort, _effects, _meta, _power, _rates, _severity
from ._cohort import *  # noqa: F401,F403
from ._effects import *  # noqa: F401,F403
from ._meta import *  # noqa: F401,F403
from ._power import *  # noqa: F401,F403
from ._rates import *  # noqa: F401,F403
from ._severity import *  # noqa: F401,F403

__all__ = [*_cohort.__all__, *_rates.__all__, *_severity.__all__, *_effects.__all__, *_meta.__all__, *_power.__all__]
