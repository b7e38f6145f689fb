"""Figures for treatment effects: Kaplan-Meier curves and the benefit-harm effect card."""

from __future__ import annotations

import numpy as np

from ._common import _axes

__all__ = ["plot_effect_card", "plot_kaplan_meier"]

_BENEFIT, _HARM = "#2b6ca3", "#c0392b"


def plot_kaplan_meier(
    km,
    *,
    ci=True,
    censor_marks=True,
    ylabel="proportion without the event",
    xlabel="years since randomisation",
    group=None,
    ax=None,
):
    """Step plot of Kaplan-Meier curves with their pointwise confidence bands.

    Parameters
    ----------
    km : DataFrame
        Output of :func:`lupusstats.kaplan_meier` (with or without groups).
    ci : bool
        Shade the pointwise interval (its type, the `method` of
        ``ls.kaplan_meier``, is ``km.attrs["conf_type"]``).
    censor_marks : bool
        Mark censoring times with ``|``.
    ylabel, xlabel : str
    group : str, optional
        Column of the groups, default the first column unless that is ``time``
        (one curve).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import lupusstats as ls
    >>> km = ls.kaplan_meier([1, 2, 3, 4], [1, 0, 1, 1], ["a", "a", "b", "b"])
    >>> ax = ls.plots.plot_kaplan_meier(km)
    >>> ax.get_xlabel()
    'years since randomisation'
    """
    import pandas as pd

    if not isinstance(km, pd.DataFrame) or not {"time", "survival", "ci_low", "ci_high"} <= set(km.columns):
        raise TypeError("`km` must be the DataFrame returned by ls.kaplan_meier.")
    ax = _axes(ax)
    if group is None and km.columns[0] != "time":
        group = km.columns[0]
    if group is not None and group not in km.columns:
        raise ValueError(f"`km` has no column {group!r}; it has {list(km.columns)}.")
    groups = [(None, km)] if group is None else list(km.groupby(group, observed=True, sort=False))
    colours = [f"C{i}" for i in range(len(groups))]
    for (name, part), colour in zip(groups, colours):
        t = np.r_[0.0, part["time"].to_numpy()]
        s = np.r_[1.0, part["survival"].to_numpy()]
        ax.step(t, s, where="post", color=colour, label=None if name is None else str(name), lw=1.6)
        if ci:
            lo = np.r_[1.0, part["ci_low"].to_numpy()]
            hi = np.r_[1.0, part["ci_high"].to_numpy()]
            ok = np.isfinite(lo) & np.isfinite(hi)
            ax.fill_between(t[ok], lo[ok], hi[ok], step="post", color=colour, alpha=0.15, lw=0)
        if censor_marks:
            c = part[part["n_censor"] > 0]
            ax.plot(c["time"], c["survival"], "|", color=colour, ms=5, alpha=0.6)
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if groups[0][0] is not None:
        ax.legend(frameon=False, loc="lower left")
    level = km.attrs.get("confidence_level")
    if ci and level is not None:
        ax.text(
            0.99,
            0.99,
            f"{100 * level:g}% pointwise CI ({km.attrs.get('conf_type', '')})",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=8,
            color="0.4",
        )
    return ax


def plot_effect_card(card, *, arm=None, ax=None):
    """Forest plot of an effect card: benefits and harms of one arm on one figure.

    Ratio endpoints (flare rate ratios, hazard ratios, adverse-event risk
    ratios) are drawn on a log axis with the null at 1; every ratio is oriented
    as in the card, so **left of 1 favours treatment** for all of them, benefits
    (blue) and harms (red) alike.  Remission (a risk difference, > 0 favours
    treatment), SLEDAI (Hedges' g) and severity (P(X>Y)) rows are not ratios;
    they are listed on the right with their estimate, interval and direction,
    together with the NNT / NNH of every binary endpoint, so the figure shows
    the whole card.

    Parameters
    ----------
    card : DataFrame
        Output of :func:`lupusstats.effect_card`.
    arm : str, optional
        Which comparison to draw; required when the card holds several arms.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import lupusstats as ls
    >>> card = ls.effect_card(ls.simulate_cohort(ls.preset("nephritis_induction"), rng=1))
    >>> ax = ls.plots.plot_effect_card(card, arm="IV cyclophosphamide")
    >>> ax.get_title()
    'IV cyclophosphamide vs standard care'
    """
    import pandas as pd

    if not isinstance(card, pd.DataFrame) or not {"arm", "measure", "estimate", "ci_low", "ci_high"} <= set(
        card.columns
    ):
        raise TypeError("`card` must be the DataFrame returned by ls.effect_card.")
    arms = [str(a) for a in pd.unique(card["arm"])]
    if arm is None:
        if len(arms) != 1:
            raise ValueError(f"`arm` is required: the card has {arms}.")
        arm = arms[0]
    if arm not in arms:
        raise ValueError(f"`arm` must be one of {arms}, got {arm!r}.")
    part = card[card["arm"].astype(str) == arm].reset_index(drop=True)
    ratios = part[part["measure"].isin(["rate ratio", "hazard ratio", "risk ratio"])].reset_index(drop=True)
    others = part[~part["measure"].isin(["rate ratio", "hazard ratio", "risk ratio"])]
    nnts = part[part["measure"] == "NNT"].set_index("endpoint")["label"]

    ax = _axes(ax)
    y = np.arange(len(ratios))[::-1].astype(float)
    for yi, (_, r) in zip(y, ratios.iterrows()):
        colour = _BENEFIT if r["domain"] == "benefit" else _HARM
        if not np.isfinite(r["estimate"]):
            ax.text(1.0, yi, "not estimable", ha="center", va="center", fontsize=8, color="0.4")
            continue
        filled = r["pvalue_holm"] < 0.05
        ax.plot([r["ci_low"], r["ci_high"]], [yi, yi], color=colour, lw=1.8)
        ax.plot(r["estimate"], yi, "s", color=colour, mfc=colour if filled else "white", ms=6)
    ax.axvline(1.0, color="0.3", lw=0.8, ls="--")
    ax.set_xscale("log")
    labels = [
        f"{r['endpoint'].replace('adverse event: ', 'AE: ')} ({r['measure'].replace(' ratio', ' R').replace('hazard R', 'HR')})"
        for _, r in ratios.iterrows()
    ]
    labels = [lab.replace("rate R", "rate ratio").replace("risk R", "RR") for lab in labels]
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.8, len(ratios) - 0.2)
    finite = ratios[np.isfinite(ratios["ci_low"]) & np.isfinite(ratios["ci_high"]) & (ratios["ci_low"] > 0)]
    lo = min(float(finite["ci_low"].min()) if len(finite) else 1.0, 0.5)
    hi = max(float(finite["ci_high"].max()) if len(finite) else 1.0, 2.0)
    ax.set_xlim(lo / 1.25, hi * 1.25)
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

    ticks = [v for v in (0.05, 0.1, 0.25, 0.5, 1, 2, 4, 10, 20, 50, 100) if lo / 1.25 <= v <= hi * 1.25]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.set_xticklabels([f"{v:g}" for v in ticks])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(f"ratio vs {part['reference'].iloc[0]} (log scale)\n← favours {arm}      favours reference →")
    ax.set_title(f"{arm} vs {part['reference'].iloc[0]}", fontsize=11)

    # right-hand text: non-ratio rows and the NNT / NNH labels
    lines = []
    for _, r in others[others["measure"] != "NNT"].iterrows():
        lines.append(
            f"{r['endpoint']}, {r['measure']}: {r['estimate']:.3g} [{r['ci_low']:.3g}, {r['ci_high']:.3g}]"
            f"  (treatment better if {r['favours_treatment_if']})"
        )
    lines.append("")
    for endpoint, label in nnts.items():
        lines.append(f"{endpoint.replace('adverse event: ', 'AE ')}: {label}")
    ax.text(1.03, 1.0, "\n".join(lines), transform=ax.transAxes, ha="left", va="top", fontsize=8, linespacing=1.5)
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color=_BENEFIT, marker="s", lw=1.8, label="benefit endpoint"),
        Line2D([], [], color=_HARM, marker="s", lw=1.8, label="harm endpoint"),
        Line2D([], [], color="0.3", marker="s", mfc="white", lw=0, label="Holm p ≥ 0.05 (open)"),
    ]
    ax.legend(handles=handles, frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=3)
    return ax
