"""Figures for lupusstats results: seaborn/matplotlib, ``ax=None`` in, ``Axes`` out.

No function here changes global matplotlib style.  Each topic lives in its own
private module and is re-exported here, so ``ls.plots.plot_forest`` and friends
are one namespace.  Importing this subpackage imports matplotlib; importing
``lupusstats`` alone does not.
"""

from __future__ import annotations

from ._cohort import *  # noqa: F401,F403
from ._cohort import __all__ as _cohort_all

__all__ = [*_cohort_all]
