"""Figures of a scenario's calibration against published trial results."""

from __future__ import annotations

import numpy as np

from lupusstats._core import validation as _v

from ._common import _axes

__all__ = ["plot_calibration"]

_ROLE_COLOURS = {"fitted": "#1f77b4", "held out": "#d95f02"}


def plot_calibration(table, *, ax=None):
    """Published arm-level results against the simulated ones, each with its interval.

    One row per published number: the published value with its 95% interval
    (grey bar and square) and the simulated value with its Monte Carlo
    interval (+/- 1.96 SE; circle), blue for the numbers the scenario was
    fitted to and orange for the held-out ones it predicts.  A filled circle
    lies inside the published interval, an open one outside.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`lupusstats.preset_calibration` or
        :func:`lupusstats.check_targets` (several tables concatenated with a
        ``preset`` column are labelled by preset).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import lupusstats as ls
    >>> table = ls.preset_calibration("bliss52", n_per_arm=1000, rng=1)
    >>> ax = ls.plots.plot_calibration(table)
    >>> len(ax.get_yticks()) == len(table)
    True
    """
    _v.check_columns(
        "table", table, ["endpoint", "arm", "role", "published", "ci_low", "ci_high", "simulated", "mc_se", "within_ci"]
    )
    if len(table) == 0:
        raise ValueError("`table` has no rows.")
    part = table.reset_index(drop=True)
    ax = _axes(ax, figsize=(7.0, 0.9 + 0.32 * len(part)))
    y = np.arange(len(part))[::-1].astype(float)
    for yi, (_, r) in zip(y, part.iterrows(), strict=True):
        colour = _ROLE_COLOURS.get(str(r["role"]), "black")
        ax.plot([r["ci_low"], r["ci_high"]], [yi + 0.12, yi + 0.12], color="#999999", lw=3, solid_capstyle="butt")
        ax.plot(r["published"], yi + 0.12, "s", color="#555555", ms=5)
        half = 1.96 * float(r["mc_se"])
        ax.plot([r["simulated"] - half, r["simulated"] + half], [yi - 0.12, yi - 0.12], color=colour, lw=2)
        ax.plot(r["simulated"], yi - 0.12, "o", ms=6, color=colour, mfc=colour if r["within_ci"] else "white", mew=1.5)
    prefix = part["preset"].astype(str) + ": " if "preset" in part.columns else ""
    labels = prefix + part["endpoint"].astype(str) + ", " + part["arm"].astype(str)
    ax.set_yticks(y, list(labels), fontsize="small")
    ax.set_ylim(-0.7, len(part) - 0.3)
    ax.set_xlabel("proportion, rate or mean (grey: published with 95% CI; circle: simulated +/- 1.96 MC SE)")
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color="#555555", marker="s", lw=3, label="published, 95% CI"),
        Line2D([], [], color=_ROLE_COLOURS["fitted"], marker="o", label="simulated: fitted to it"),
        Line2D([], [], color=_ROLE_COLOURS["held out"], marker="o", label="simulated: held-out prediction"),
        Line2D([], [], color="#777777", marker="o", mfc="white", ls="", label="outside the published CI"),
    ]
    ax.legend(handles=handles, frameon=False, fontsize="x-small", loc="best")
    return ax
