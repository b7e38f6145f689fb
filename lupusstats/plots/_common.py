"""Pieces shared by every figure module: the Axes helper and the severity colours."""

from __future__ import annotations

#: Colours for mild / moderate / severe (colour-blind safe, light to dark).
SEVERITY_PALETTE = {"mild": "#fdd49e", "moderate": "#fc8d59", "severe": "#b30000"}


def _axes(ax, figsize=None):
    """Return `ax`, or a new Axes (of `figsize`) when it is None."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax
