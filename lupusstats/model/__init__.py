"""The generative model: arms and scenarios with their published sources, presets, the simulators.

Modules: ``scenario`` (:class:`Arm`, :class:`Scenario`, :class:`Source` and the
evidence tags), ``presets`` (the named scenarios built from published numbers),
``activity`` (the disease-activity model behind the visits table),
``simulate`` (:func:`simulate_cohort` for one study as tables,
:func:`simulate_trials` for many trials as arrays), ``targets`` (published
trial results the trial presets are fitted to and checked against).
"""

from __future__ import annotations

from lupusstats._core.exports import export
from lupusstats.model.presets import list_presets, preset, preset_sensitivity
from lupusstats.model.scenario import Activity, Arm, Scenario, Source
from lupusstats.model.simulate import TrialBatch, simulate_cohort, simulate_trials
from lupusstats.model.targets import PRESET_TARGETS, Target

__all__ = [
    "PRESET_TARGETS",
    "Activity",
    "Arm",
    "Scenario",
    "Source",
    "Target",
    "TrialBatch",
    "list_presets",
    "preset",
    "preset_sensitivity",
    "simulate_cohort",
    "simulate_trials",
]

export(globals(), __all__)
