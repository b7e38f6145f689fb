"""Figures for flare severity: stacked severity bars with CIs, organ heat map, ECDF of SLEDAI change."""

from __future__ import annotations

import numpy as np

from lupusstats import severity as _sev
from lupusstats._core import validation as _v
from lupusstats.cohort import columns as C

from ._common import SEVERITY_PALETTE, _axes

__all__ = ["plot_organ_heatmap", "plot_severity_bars", "plot_sledai_ecdf"]


def plot_severity_bars(
    flares, *, group=C.ARM, severity=C.SEVERITY, patient=C.PATIENT, levels=None, confidence_level=0.95, ax=None
):
    """Stacked horizontal bars of the severity mix per group, with confidence intervals.

    Each bar splits a group's flares into levels (colours of
    ``SEVERITY_PALETTE``); the black whiskers at each boundary are the
    confidence interval of the cumulative share ``P(severity <= level)`` from
    :func:`lupusstats.severity_table` (Wilson, effective size with flares
    clustered by patient).  The number of flares is written next to each bar.

    Parameters
    ----------
    flares : DataFrame
        The ``flares`` table of a cohort (:func:`lupusstats.simulate_cohort` or
        :func:`lupusstats.read_cohort`).
    group, severity, patient : str
        Column names (``patient=None``: flares independent).
    levels : sequence of str, optional
    confidence_level : float
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import lupusstats as ls
    >>> c = ls.simulate_cohort(ls.preset("nephritis_induction"), rng=1)
    >>> ax = ls.plots.plot_severity_bars(c.flares)
    >>> ax.get_xlabel()
    'share of flares'
    """
    table = _sev.severity_table(
        flares, group=group, severity=severity, patient=patient, levels=levels, confidence_level=confidence_level
    )
    ax = _axes(ax)
    groups = list(table[group].cat.categories)
    lev = list(table[severity].cat.categories)
    y = np.arange(len(groups))
    left = np.zeros(len(groups))
    fallback = ["#fdd49e", "#fc8d59", "#d7301f", "#7f0000", "#404040"]
    for k, level in enumerate(lev):
        sub = table[table[severity] == level].set_index(group).reindex(groups)
        share = sub["proportion"].fillna(0).to_numpy()
        colour = SEVERITY_PALETTE.get(str(level), fallback[k % len(fallback)])
        ax.barh(y, share, left=left, color=colour, edgecolor="white", label=str(level), height=0.6)
        left = left + share
        if k < len(lev) - 1:
            cum = sub["cum_proportion"].to_numpy()
            err = np.vstack([cum - sub["cum_ci_low"].to_numpy(), sub["cum_ci_high"].to_numpy() - cum])
            # boundaries offset vertically so neighbouring whiskers do not overlap
            offset = 0.15 * (k - (len(lev) - 2) / 2)
            ax.errorbar(cum, y + offset, xerr=err, fmt="none", ecolor="black", elinewidth=1.2, capsize=3, zorder=3)
    totals = table.groupby(group, observed=False)["total"].first().reindex(groups).to_numpy()
    for yi, n in zip(y, totals):
        ax.text(1.01, yi, f"n = {int(n)}", va="center", ha="left", fontsize=9, transform=ax.get_yaxis_transform())
    ax.set_yticks(y, groups)
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of flares")
    ax.invert_yaxis()
    pct = int(round(100 * confidence_level))
    ax.legend(
        frameon=False,
        ncol=len(lev),
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        title=f"flare severity (whiskers: {pct}% CI of the cumulative share)",
    )
    return ax


def plot_organ_heatmap(
    flares, patients=None, *, value="patient_share", group=C.ARM, organ=C.ORGAN, patient=C.PATIENT, ax=None
):
    """Heat map of organ involvement per group (rows: groups, columns: organ domains).

    Parameters
    ----------
    flares : DataFrame
        The ``flares`` table of a cohort (:func:`lupusstats.simulate_cohort` or
        :func:`lupusstats.read_cohort`).
    patients : DataFrame, optional
        Gives the denominator of ``patient_share`` (all randomised patients).
    value : {"patient_share", "flare_share"}
        Share of patients with at least one flare in the domain, or share of
        flares in the domain (see :func:`lupusstats.organ_table`).
    group, organ, patient : str
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import lupusstats as ls
    >>> c = ls.simulate_cohort(ls.preset("nephritis_induction"), rng=1)
    >>> ax = ls.plots.plot_organ_heatmap(c.flares, c.patients)
    >>> ax.get_xlabel()
    'organ domain'
    """
    import seaborn as sns

    value = _v.check_choice("value", value, ("patient_share", "flare_share"))
    table = _sev.organ_table(flares, patients, group=group, organ=organ, patient=patient)
    wide = table.pivot(index=group, columns=organ, values=value)
    ax = _axes(ax)
    sns.heatmap(wide, annot=True, fmt=".0%", cmap="Reds", vmin=0, cbar=False, linewidths=0.5, ax=ax)
    ax.set_xlabel("organ domain")
    ax.set_ylabel("")
    ax.set_xticks(ax.get_xticks(), [t.get_text() for t in ax.get_xticklabels()], rotation=30, ha="right")
    what = "patients with a flare in the domain" if value == "patient_share" else "flares in the domain"
    denom = table["patient_denominator"].iloc[0] if value == "patient_share" else "flares of the arm"
    ax.set_title(f"share of {what} (of {denom})", fontsize=10)
    return ax


def plot_sledai_ecdf(flares, *, group=C.ARM, value=C.SLEDAI_INCREASE, ax=None):
    """Empirical distribution function of the SLEDAI increase per flare, one step line per group.

    Parameters
    ----------
    flares : DataFrame
        The ``flares`` table of a cohort (:func:`lupusstats.simulate_cohort` or
        :func:`lupusstats.read_cohort`).
    group, value : str
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import lupusstats as ls
    >>> c = ls.simulate_cohort(ls.preset("nephritis_induction"), rng=1)
    >>> ax = ls.plots.plot_sledai_ecdf(c.flares)
    >>> ax.get_ylabel()
    'share of flares with increase <= x'
    """
    table = _sev.sledai_ecdf(flares, group=group, value=value)
    ax = _axes(ax)
    colours = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860"]
    for i, g in enumerate(table[group].cat.categories):
        sub = table[table[group] == g]
        if sub.empty:
            continue
        x = np.concatenate([[sub[value].iloc[0] - 1], sub[value].to_numpy()])
        yv = np.concatenate([[0.0], sub["ecdf"].to_numpy()])
        ax.step(
            x, yv, where="post", color=colours[i % len(colours)], lw=1.8, label=f"{g} (n = {int(sub['n'].iloc[0])})"
        )
    label = "SLEDAI increase" if value == C.SLEDAI_INCREASE else value.replace("_", " ")
    ax.set_xlabel(f"{label} per flare")
    ax.set_ylabel("share of flares with increase <= x")
    ax.set_ylim(0, 1.02)
    ax.legend(frameon=False, loc="lower right")
    return ax
