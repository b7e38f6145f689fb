"""The one cohort class: patients, flares and visits tables, simulated or read from a user's files."""

from __future__ import annotations

import dataclasses
import html
from typing import Any

__all__ = ["Cohort"]


@dataclasses.dataclass(frozen=True, repr=False)
class Cohort:
    """One study: a patients table, a flares table and a visits table.

    :func:`lupusstats.simulate_cohort` returns one (with its ``scenario``), and so
    does :func:`lupusstats.read_cohort` for a user's own data (with ``source``
    and ``computed``); every analysis takes either.

    Attributes
    ----------
    patients : pandas.DataFrame
        One row per patient, columns as ``lupusstats.columns.PATIENT_COLUMNS``
        (without ``trial``) plus one ``ae_<event>`` count column per adverse
        event; ``arm`` is a Categorical whose first category is the reference.
    flares : pandas.DataFrame or None
        One row per flare (``severity`` ordered ``mild < moderate < severe``);
        None when a user gave no flares table.
    visits : pandas.DataFrame or None
        One row per patient per scheduled visit attended (week 0 = baseline),
        columns as ``lupusstats.columns.VISIT_COLUMNS`` (without ``trial``);
        the input of the trial endpoints (``lupusstats.endpoints``).  None when
        a user gave no visits table.
    scenario : Scenario or None
        The scenario that generated the data (None for observed data).
    arm_names : tuple of str
        Arms in order, the first being the reference (from the scenario, else
        from the categories of ``patients["arm"]``).
    source : tuple of str
        Where the tables came from (``("simulated",)`` for simulated data).
    computed : tuple of str
        Patient columns computed from the flares table because the patients
        table did not have them.
    notes : tuple of str
        What :func:`lupusstats.read_cohort` did to read the files, one line
        each: a detected separator or decimal comma, a removed byte-order
        mark, an Excel sheet, dates converted to years (with the rule), a
        missing severity column.  Empty for simulated data.

    Examples
    --------
    >>> import lupusstats as ls
    >>> cohort = ls.simulate_cohort(ls.preset("general_cohort", n_per_arm=20), rng=1)
    >>> cohort.arm_names, cohort.source
    (('standard care',), ('simulated',))
    """

    patients: Any
    flares: Any = None
    scenario: Any = None
    arm_names: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    computed: tuple[str, ...] = ()
    visits: Any = None
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.arm_names:
            if self.scenario is not None:
                names = tuple(self.scenario.arm_names)
            else:
                arm = self.patients["arm"] if "arm" in getattr(self.patients, "columns", ()) else None
                names = tuple(str(c) for c in arm.cat.categories) if arm is not None and hasattr(arm, "cat") else ()
            object.__setattr__(self, "arm_names", names)
        if not self.source:
            object.__setattr__(self, "source", ("simulated",) if self.scenario is not None else ())
        object.__setattr__(self, "arm_names", tuple(self.arm_names))
        object.__setattr__(self, "source", tuple(self.source))
        object.__setattr__(self, "computed", tuple(self.computed))
        object.__setattr__(self, "notes", tuple(self.notes))

    def __repr__(self) -> str:
        n_flares = "no flares table" if self.flares is None else f"{len(self.flares)} flares"
        where = f"scenario {self.scenario.name or '(custom)'}" if self.scenario is not None else ", ".join(self.source)
        return f"Cohort({len(self.patients)} patients in arms {list(self.arm_names)}, {n_flares}; from {where})"

    def _repr_html_(self) -> str:
        return f"<div><strong>{html.escape(repr(self))}</strong>{self.patients.head().to_html(index=False)}</div>"
