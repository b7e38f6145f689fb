"""Pieces shared by every figure module: the Axes helper and the severity colours."""

from __future__ import annotations

from lupusstats._core import validation as _v

#: Colours for mild / moderate / severe (colour-blind safe, light to dark).
SEVERITY_PALETTE = {"mild": "#fdd49e", "moderate": "#fc8d59", "severe": "#b30000"}


def _axes(ax, figsize=None):
    """Return `ax`, or a new Axes (of `figsize`) when it is None."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _group_column(frame, group, name):
    """The column of `frame` that holds the arms: `group`, or by default the first column.

    The analyses name that column after their `group` argument (``arm`` by
    default) and put it first, so a table made with ``group="treatment"`` is
    plotted without repeating the name.
    """
    _v.check_columns(name, frame, [] if group is None else [group])
    return frame.columns[0] if group is None else group
