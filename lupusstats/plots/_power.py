"""Figures for power results: power curves (formula vs simulation) and a power heat map over a grid."""

from __future__ import annotations

import numpy as np

from lupusstats._core import validation as _v

from ._common import _axes

__all__ = ["plot_power_curve", "plot_power_heatmap", "plot_validation"]


def _label(name):
    return {
        "n_per_arm": "patients per arm",
        "rate_ratio": "flare rate ratio",
        "power": "power",
        "power_formula": "power (formula)",
    }.get(name, name.replace("_", " "))


def _fmt(v):
    return f"{v:g}" if isinstance(v, (int, float, np.floating, np.integer)) else str(v)


def plot_power_curve(grid, *, x="n_per_arm", hue="rate_ratio", target=0.8, ax=None):
    """Simulated power (points with 95% Monte Carlo intervals) against the formula (lines).

    Parameters
    ----------
    grid : DataFrame
        Output of :func:`lupusstats.power_grid` (columns `x`, `hue`, ``power``,
        ``ci_low``, ``ci_high`` and, for lines, ``power_formula``), with one row
        per (`x`, `hue`) pair.
    x : str, default "n_per_arm"
        Column on the horizontal axis.
    hue : str or None, default "rate_ratio"
        One curve per value of this column.
    target : float or None, default 0.8
        Draws a dotted reference line at this power.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import lupusstats as ls
    >>> sc = ls.Scenario([ls.Arm("standard care"), ls.Arm("new drug")], n_per_arm=50,
    ...                  baseline_flare_rate=1.0, dispersion=0.5, followup_years=1.0)
    >>> grid = ls.power_grid(sc, n_per_arm=[50, 100], rate_ratio=[0.6, 0.8], n_trials=50, rng=1)
    >>> ax = ls.plots.plot_power_curve(grid)
    >>> ax.get_xlabel()
    'patients per arm'
    """
    cols = [x, "power", "ci_low", "ci_high"] + ([hue] if hue else [])
    _v.check_columns("grid", grid, cols)
    keys = [x] + ([hue] if hue else [])
    if grid.duplicated(keys).any():
        raise ValueError(f"`grid` has several rows per {keys}; filter the other grid columns first.")
    ax = _axes(ax)
    import matplotlib.pyplot as plt

    groups = [(None, grid)] if not hue else list(grid.groupby(hue, sort=True))
    colours = plt.get_cmap("viridis")(np.linspace(0.0, 0.85, max(len(groups), 1)))
    has_formula = "power_formula" in grid and grid["power_formula"].notna().all()
    for colour, (value, part) in zip(colours, groups, strict=True):
        part = part.sort_values(x)
        xs = part[x].to_numpy(dtype=float)
        label = "simulated" if value is None else f"{_label(hue)} {_fmt(value)}"
        if has_formula:
            ax.plot(xs, part["power_formula"], color=colour, lw=1.6)
        err = np.clip(np.vstack([part["power"] - part["ci_low"], part["ci_high"] - part["power"]]), 0.0, None)
        ax.errorbar(xs, part["power"], yerr=err, fmt="o", ms=4, color=colour, capsize=2, label=label, ls="none")
    if has_formula:
        from matplotlib.lines import Line2D

        ax.add_artist(
            ax.legend(
                handles=[
                    Line2D([], [], color="black", lw=1.6, label="formula"),
                    Line2D([], [], color="black", marker="o", ls="none", label="simulated, 95% MC interval"),
                ],
                frameon=False,
                fontsize="small",
                loc="upper left",
                ncols=2,
            )
        )
    if target is not None:
        ax.axhline(target, color="grey", ls=":", lw=1)
    ax.set_xlabel(_label(x))
    ax.set_ylabel("power")
    ax.set_ylim(0, 1.12 if has_formula else 1.02)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.legend(frameon=False, fontsize="small", loc="lower right")
    return ax


def plot_power_heatmap(grid, *, x="n_per_arm", y="rate_ratio", value="power", target=0.8, annotate=True, ax=None):
    """Power over a two-way grid as a heat map, with the cells reaching `target` outlined.

    Parameters
    ----------
    grid : DataFrame
        Output of :func:`lupusstats.power_grid` with one row per (`x`, `y`) pair.
    x, y : str
        Grid columns on the horizontal and vertical axes.
    value : str, default "power"
        Column coloured (e.g. ``"power_formula"``).
    target : float or None, default 0.8
        Cells with ``value >= target`` get a white outline.
    annotate : bool, default True
        Print the value (two decimals) in each cell.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import lupusstats as ls
    >>> sc = ls.Scenario([ls.Arm("standard care"), ls.Arm("new drug")], n_per_arm=50,
    ...                  baseline_flare_rate=1.0, dispersion=0.5, followup_years=1.0)
    >>> grid = ls.power_grid(sc, n_per_arm=[50, 100], rate_ratio=[0.6, 0.8], n_trials=50, rng=1)
    >>> ax = ls.plots.plot_power_heatmap(grid)
    >>> ax.get_ylabel()
    'flare rate ratio'
    """
    _v.check_columns("grid", grid, [x, y, value])
    if grid.duplicated([x, y]).any():
        raise ValueError(f"`grid` has several rows per ({x}, {y}); filter the other grid columns first.")
    ax = _axes(ax)
    table = grid.pivot(index=y, columns=x, values=value).sort_index(ascending=False)
    data = table.to_numpy(dtype=float)
    im = ax.imshow(data, cmap="viridis", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(table.shape[1]), [_fmt(c) for c in table.columns])
    ax.set_yticks(range(table.shape[0]), [_fmt(r) for r in table.index])
    ax.set_xlabel(_label(x))
    ax.set_ylabel(_label(y))
    ax.figure.colorbar(im, ax=ax, label=_label(value))
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            v = data[i, j]
            if annotate and np.isfinite(v):
                ax.text(
                    j, i, f"{v:.2f}", ha="center", va="center", fontsize="small", color="black" if v > 0.6 else "white"
                )
            if target is not None and np.isfinite(v) and v >= target:
                ax.add_patch(_rect(j, i))
    return ax


def _rect(j, i):
    from matplotlib.patches import Rectangle

    return Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="white", lw=2)


#: Colours of :func:`plot_validation`: the one thing colour encodes is ``expected_valid``.
_VALID_COLOURS = {True: "#4c72b0", False: "#dd8452"}


def plot_validation(table, *, criterion="type I error", ax=None):
    """Estimated type I error (or coverage) per method with its Monte Carlo interval, against the nominal value.

    One encoding per channel:

    * **colour** says what theory expects: blue when the method should attain
      its nominal level on these data (``expected_valid`` True), orange when the
      data violate its assumptions on purpose or the method is known to deviate
      at this size (``expected_valid`` False);
    * **marker** says what the run found: a filled circle when the nominal
      value lies inside the Monte Carlo interval, a cross when it lies outside
      (``flag`` True);
    * the dashed line is the nominal value; thin grey lines separate families.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`lupusstats.validate_methods` (rows of other criteria
        are left out).
    criterion : {"type I error", "coverage"}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        One row per method and setting, labelled with the readable ``method``
        name, in the order of `table`.

    Examples
    --------
    >>> import lupusstats as ls
    >>> table = ls.validate_methods(n_trials=50, rng=1, families=["rate_models"])
    >>> ax = ls.plots.plot_validation(table, criterion="coverage")
    >>> len(ax.get_yticks()), ax.get_yticklabels()[0].get_text()
    (8, 'NB rate ratio (Wald), 185 per arm')
    """
    _v.check_columns(
        "table",
        table,
        ["family", "method", "criterion", "nominal", "estimate", "mc_low", "mc_high", "flag", "expected_valid"],
    )
    _v.check_choice("criterion", criterion, ("type I error", "coverage"))
    part = table[table["criterion"] == criterion].reset_index(drop=True)
    if part.empty:
        raise ValueError(f"`table` has no rows with criterion {criterion!r}.")
    ax = _axes(ax, figsize=(6.5, 0.8 + 0.24 * len(part)))
    y = np.arange(len(part))[::-1]
    for yi, (_, r) in zip(y, part.iterrows(), strict=True):
        colour = _VALID_COLOURS[bool(r["expected_valid"])]
        ax.plot([r["mc_low"], r["mc_high"]], [yi, yi], color=colour, lw=2, solid_capstyle="butt")
        if r["flag"]:
            ax.plot(r["estimate"], yi, "X", ms=8, color=colour, mec="black", mew=0.6)
        else:
            ax.plot(r["estimate"], yi, "o", ms=6, color=colour)
    family = part["family"].to_numpy()
    for yi, a, b in zip(y[1:], family[:-1], family[1:], strict=True):
        if a != b:
            ax.axhline(yi + 0.5, color="#cccccc", lw=0.8)
    nominal = float(part["nominal"].iloc[0])
    ax.axvline(nominal, color="grey", ls="--", lw=1)
    ax.set_yticks(y, list(part["method"]), fontsize="small")
    ax.set_ylim(-0.7, len(part) - 0.3)
    ax.set_xlabel(f"{criterion} with its Monte Carlo interval (dashed line: nominal {nominal:g})")
    from matplotlib.lines import Line2D

    grey = "#555555"
    handles = [
        Line2D([], [], color=_VALID_COLOURS[True], lw=2, label="expected at nominal"),
        Line2D([], [], color=_VALID_COLOURS[False], lw=2, label="expected to deviate (see note)"),
        Line2D([], [], color=grey, marker="o", ls="", label="nominal inside the MC interval"),
        Line2D([], [], color=grey, marker="X", mec="black", mew=0.6, ms=8, ls="", label="nominal outside (flagged)"),
    ]
    ax.legend(handles=handles, frameon=False, fontsize="x-small", loc="best")
    return ax
