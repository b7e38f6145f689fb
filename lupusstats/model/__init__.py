"""The generative model: arms and scenarios with their published sources, presets, the simulators.

Modules: ``scenario`` (:class:`Arm`, :class:`Scenario`, :class:`Source` and the
evidence tags), ``presets`` (the named scenarios built from published numbers),
``simulate`` (:func:`simulate_cohort` for one study as tables,
:func:`simulate_trials` for many trials as arrays).
"""

from __future__ import annotations

from lupusstats._core.exports import export
from lupusstats.model.presets import list_presets, preset
from lupusstats.model.scenario import Arm, Scenario, Source
from lupusstats.model.simulate import TrialBatch, simulate_cohort, simulate_trials

__all__ = ["Arm", "Scenario", "Source", "TrialBatch", "list_presets", "preset", "simulate_cohort", "simulate_trials"]

export(globals(), __all__)
