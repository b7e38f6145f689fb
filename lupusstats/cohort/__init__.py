"""The data model: column names, the :class:`Cohort` (patients and flares tables) and reading a user's files.

Modules: ``columns`` (the table shapes: every column name, imported by the
simulator and the analyses alike), ``cohort`` (the one cohort class, simulated
or read), ``readers`` (:func:`read_cohort`: CSV files or DataFrames in, a checked
:class:`Cohort` out, no row ever dropped).
"""

from __future__ import annotations

from lupusstats._core.exports import export
from lupusstats.cohort import columns
from lupusstats.cohort.cohort import Cohort
from lupusstats.cohort.readers import read_cohort

__all__ = ["Cohort", "columns", "read_cohort"]

export(globals(), __all__)
