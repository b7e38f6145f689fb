"""Figures for treatment effects: Kaplan-Meier curves and the benefit-harm effect card."""

from __future__ import annotations

import math

import numpy as np

from ._common import _axes

__all__ = ["plot_effect_card", "plot_kaplan_meier"]

_BENEFIT, _HARM = "#2b6ca3", "#c0392b"
_RATIOS = ("rate ratio", "hazard ratio", "risk ratio")
_SHORT_MEASURE = {
    "rate ratio": "rate ratio",
    "hazard ratio": "HR",
    "risk ratio": "RR",
    "risk difference": "RD",
    "P(X>Y)": "P(X>Y)",
    "Hedges' g": "g",
}


def _numbers_at_risk(part, times):
    """Patients still at risk at each of `times`, read off one group's Kaplan-Meier table.

    ``n_risk`` of the first row at or after `t` (the table has a row at every
    event or censoring time, so nobody leaves between `t` and that row); 0 past
    the last row.
    """
    t = part["time"].to_numpy(dtype=float)
    n = part["n_risk"].to_numpy()
    idx = np.searchsorted(t, np.asarray(times, dtype=float), side="left")
    return [int(n[i]) if i < len(t) else 0 for i in idx]


def plot_kaplan_meier(
    km,
    *,
    ci=True,
    censor_marks=True,
    at_risk=True,
    at_risk_times=None,
    ylim=None,
    ylabel="proportion without the event",
    xlabel="years since randomisation",
    group=None,
    fontsize=10,
    ax=None,
):
    """Step plot of Kaplan-Meier curves, their pointwise confidence bands and the numbers at risk.

    The y-axis shows the whole range 0 to 1 by default, so that the size of a
    difference between curves is seen against the whole population; pass
    `ylim` to zoom (and say so in the caption).

    Parameters
    ----------
    km : DataFrame
        Output of :func:`lupusstats.kaplan_meier` (with or without groups).
    ci : bool
        Shade the pointwise interval (its type, the `method` of
        ``ls.kaplan_meier``, is ``km.attrs["conf_type"]``).
    censor_marks : bool
        Mark censoring times with ``|``.
    at_risk : bool
        Print the numbers at risk per group under the axis, at `at_risk_times`
        (read off the ``n_risk`` column of `km`).
    at_risk_times : sequence of float, optional
        Times for the numbers at risk (they also become the x ticks); default
        about five round times from 0 to the last time in `km`.
    ylim : (float, float), optional
        Y-axis limits; default the full range ``(0, 1.02)``.
    ylabel, xlabel : str
    group : str, optional
        Column of the groups, default the first column unless that is ``time``
        (one curve).
    fontsize : float
        Size of the tick labels, axis labels and numbers at risk (points).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import lupusstats as ls
    >>> km = ls.kaplan_meier([1, 2, 3, 4], [1, 0, 1, 1], ["a", "a", "b", "b"])
    >>> ax = ls.plots.plot_kaplan_meier(km, at_risk_times=[0, 2, 4])
    >>> ax.get_xlabel(), tuple(float(v) for v in ax.get_ylim())
    ('years since randomisation', (0.0, 1.02))
    >>> [t.get_text() for t in ax.texts if (t.get_gid() or "").startswith("at-risk:a:")]
    ['2', '1', '0']
    """
    import pandas as pd

    if not isinstance(km, pd.DataFrame) or not {"time", "survival", "ci_low", "ci_high"} <= set(km.columns):
        raise TypeError("`km` must be the DataFrame returned by ls.kaplan_meier.")
    ax = _axes(ax)
    if group is None and km.columns[0] != "time":
        group = km.columns[0]
    if group is not None and group not in km.columns:
        raise ValueError(f"`km` has no column {group!r}; it has {list(km.columns)}.")
    if at_risk and "n_risk" not in km.columns:
        raise ValueError("`km` has no 'n_risk' column for the numbers at risk; pass at_risk=False.")
    if ylim is not None and (len(ylim) != 2 or not ylim[0] < ylim[1]):
        raise ValueError(f"`ylim` must be (low, high) with low < high, got {ylim!r}.")
    groups = [(None, km)] if group is None else list(km.groupby(group, observed=True, sort=False))
    colours = [f"C{i}" for i in range(len(groups))]
    for (name, part), colour in zip(groups, colours, strict=True):
        t = np.r_[0.0, part["time"].to_numpy()]
        s = np.r_[1.0, part["survival"].to_numpy()]
        ax.step(t, s, where="post", color=colour, label=None if name is None else str(name), lw=1.8)
        if ci:
            lo = np.r_[1.0, part["ci_low"].to_numpy()]
            hi = np.r_[1.0, part["ci_high"].to_numpy()]
            ok = np.isfinite(lo) & np.isfinite(hi)
            ax.fill_between(t[ok], lo[ok], hi[ok], step="post", color=colour, alpha=0.15, lw=0)
        if censor_marks and "n_censor" in part.columns:
            c = part[part["n_censor"] > 0]
            ax.plot(c["time"], c["survival"], "|", color=colour, ms=6, alpha=0.6)
    ax.set_ylim(*((0.0, 1.02) if ylim is None else ylim))
    t_max = float(km["time"].max()) if len(km) else 1.0
    if at_risk_times is None:
        from matplotlib.ticker import MaxNLocator

        at_risk_times = [v for v in MaxNLocator(nbins=5).tick_values(0.0, t_max) if -1e-12 <= v <= t_max * (1 + 1e-9)]
    at_risk_times = [float(v) for v in at_risk_times]
    if at_risk:
        if any(not math.isfinite(v) or v < 0 for v in at_risk_times):
            raise ValueError(f"`at_risk_times` must be finite times >= 0, got {at_risk_times}.")
        ax.set_xticks(at_risk_times)
        ax.set_xlim(0, max(t_max, max(at_risk_times, default=0.0)) * 1.02 or 1.0)
    else:
        ax.set_xlim(left=0)
    ax.tick_params(labelsize=fontsize)
    ax.set_xlabel(xlabel, fontsize=fontsize)
    ax.set_ylabel(ylabel, fontsize=fontsize)
    if groups[0][0] is not None:
        ax.legend(frameon=False, loc="lower left", fontsize=fontsize)
    level = km.attrs.get("confidence_level")
    if ci and level is not None:
        ax.text(
            0.99,
            0.02 if ylim is None else 0.98,
            f"shaded: {100 * level:g}% pointwise CI ({km.attrs.get('conf_type', '')})",
            transform=ax.transAxes,
            ha="right",
            va="bottom" if ylim is None else "top",
            fontsize=fontsize,
            color="0.35",
        )
    if at_risk:
        # below the tick labels and the x label: a header, then one line per group
        line = 1.45 * fontsize
        top = 3.2 * fontsize + 6
        digits = len(str(int(km["n_risk"].max()))) if len(km) else 1
        left = -(0.35 * fontsize * digits + 0.8 * fontsize)  # clear of the number centred at x = 0
        ax.annotate(
            "Number at risk",
            xy=(0, 0),
            xycoords="axes fraction",
            xytext=(left, -top),
            textcoords="offset points",
            ha="right",
            va="top",
            fontsize=fontsize,
            fontweight="bold",
        )
        for i, ((name, part), colour) in enumerate(zip(groups, colours, strict=True)):
            y = -top - line * (i + 1)
            label = "all" if name is None else str(name)
            ax.annotate(
                label,
                xy=(0, 0),
                xycoords="axes fraction",
                xytext=(left, y),
                textcoords="offset points",
                ha="right",
                va="top",
                fontsize=fontsize,
                color=colour,
            )
            for t_i, n_i in zip(at_risk_times, _numbers_at_risk(part, at_risk_times), strict=True):
                text = ax.annotate(
                    f"{n_i}",
                    xy=(t_i, 0),
                    xycoords=("data", "axes fraction"),
                    xytext=(0, y),
                    textcoords="offset points",
                    ha="center",
                    va="top",
                    fontsize=fontsize,
                    color=colour,
                )
                text.set_gid(f"at-risk:{label}:{t_i:g}")
    return ax


def _nnt_short(row) -> str:
    """'NNTH 3.9 (3.0 to 5.7)' or 'NNTB 18 (CI through ∞)' for a signed NNT row of the card."""
    est, low, high = row["estimate"], row["ci_low"], row["ci_high"]
    if not np.isfinite(est) and not (np.isfinite(low) or np.isfinite(high)):
        return ""
    kind = "NNTB" if est > 0 else "NNTH"
    head = "NNT ∞" if not np.isfinite(est) else f"{kind} {abs(est):.3g}"
    if np.isfinite(low) and np.isfinite(high) and np.sign(low) == np.sign(high) and low != 0:
        a, b = sorted((abs(low), abs(high)))
        return f"{head} ({a:.3g} to {b:.3g})"
    return f"{head} (CI through ∞)"


def plot_effect_card(card, *, arm=None, fontsize=11, ax=None):
    """Forest plot of an effect card: every benefit and harm of one arm on one figure.

    One row per endpoint the card tests (efficacy rows, then safety rows).
    Ratio endpoints (flare rate ratios, hazard ratios, adverse-event risk
    ratios) are drawn on a log axis with the null at 1 and their unadjusted
    interval; every ratio is oriented as in the card, so **left of 1 favours
    treatment** for all of them, benefits (blue) and harms (red) alike.  The
    other rows (severity P(X>Y), SLEDAI Hedges' g, remission and death risk
    differences) have their own scales and are given in numbers only.  On the
    right, every row shows its estimate and interval, the NNT / NNH of a binary
    endpoint, and the card's ``favours`` column.

    **One decision rule**: a marker is filled exactly when the card's
    ``favours`` names an arm, that is when the multiplicity-adjusted p-value
    (Holm within the efficacy and within the safety family by default; see
    ``card.attrs["decision_rule"]``, printed under the figure) is below
    ``1 - confidence_level``.  An unadjusted interval can exclude the null while
    its marker stays open.

    Parameters
    ----------
    card : DataFrame
        Output of :func:`lupusstats.effect_card`.
    arm : str, optional
        Which comparison to draw; required when the card holds several arms.
    fontsize : float
        Size of every text on the figure (points; the title is one point
        larger).  The default figure (``ax=None``) is sized so that 11 pt
        stays legible on a slide.
    ax : matplotlib Axes, optional
        Leave room on its right for the text columns (about 6 inches at 11 pt).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import warnings
    >>> import lupusstats as ls
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # the AssumedEffectWarning of the preset
    ...     card = ls.effect_card(ls.simulate_cohort(ls.preset("nephritis_induction"), rng=1))
    >>> ax = ls.plots.plot_effect_card(card, arm="IV cyclophosphamide")
    >>> ax.get_title()
    'IV cyclophosphamide vs standard care'
    >>> min(t.get_fontsize() for t in ax.figure.findobj(lambda a: hasattr(a, "get_fontsize") and a.get_text()))
    11.0
    """
    import pandas as pd
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

    if not isinstance(card, pd.DataFrame) or not {"arm", "measure", "estimate", "ci_low", "ci_high", "favours"} <= set(
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
    nnts = part[part["measure"] == "NNT"].set_index("endpoint")
    rows = part[part["measure"] != "NNT"].reset_index(drop=True)
    reference = str(part["reference"].iloc[0])
    n = len(rows)
    if ax is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(14, 0.5 * n + 2.6))
        ax = fig.add_axes((0.2, 1.9 / (0.5 * n + 2.6), 0.3, (0.5 * n) / (0.5 * n + 2.6)))
    fs = float(fontsize)

    y = np.arange(n)[::-1].astype(float)
    ratios = rows[rows["measure"].isin(_RATIOS)]
    finite = ratios[np.isfinite(ratios["ci_low"]) & np.isfinite(ratios["ci_high"]) & (ratios["ci_low"] > 0)]
    lo = min(float(finite["ci_low"].min()) if len(finite) else 1.0, 0.5)
    hi = max(float(finite["ci_high"].max()) if len(finite) else 1.0, 2.0)
    for yi, (_, r) in zip(y, rows.iterrows(), strict=True):
        colour = _BENEFIT if r["domain"] == "benefit" else _HARM
        filled = r["favours"] in ("treatment", "reference")
        if r["measure"] not in _RATIOS:
            ax.text(math.sqrt(lo * hi), yi, "see right →", ha="center", va="center", fontsize=fs, color="0.55")
            continue
        if not np.isfinite(r["estimate"]):
            ax.text(1.0, yi, "not estimable", ha="center", va="center", fontsize=fs, color="0.4")
            continue
        ax.plot([r["ci_low"], r["ci_high"]], [yi, yi], color=colour, lw=2)
        (mark,) = ax.plot(r["estimate"], yi, "s", color=colour, mfc=colour if filled else "white", ms=8, mew=1.6)
        mark.set_gid(f"estimate:{r['endpoint']}")
    ax.axvline(1.0, color="0.3", lw=0.9, ls="--")
    ax.set_xscale("log")
    labels = [
        f"{r['endpoint'].replace('adverse event: ', 'AE: ')} ({_SHORT_MEASURE.get(r['measure'], r['measure'])})"
        for _, r in rows.iterrows()
    ]
    ax.set_yticks(y, labels)
    for tick, (_, r) in zip(ax.get_yticklabels(), rows.iterrows(), strict=True):
        tick.set_color(_BENEFIT if r["domain"] == "benefit" else _HARM)
    ax.set_ylim(-0.7, n - 0.3)
    n_benefit = int((rows["domain"] == "benefit").sum())
    if 0 < n_benefit < n:
        ax.axhline(n - n_benefit - 0.5, color="0.6", lw=0.8)
    ax.set_xlim(lo / 1.3, hi * 1.3)
    ticks = [v for v in (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 10, 25, 100, 250, 1000) if lo / 1.3 <= v <= hi * 1.3]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.set_xticklabels([f"{v:g}" for v in ticks])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.tick_params(labelsize=fs)
    ax.set_xlabel(f"ratio vs {reference} (log scale)\n← favours {arm}    favours reference →", fontsize=fs)
    ax.set_title(f"{arm} vs {reference}", fontsize=fs + 1, pad=2.2 * fs)

    # right-hand columns, aligned with the rows: estimate (CI); NNT / NNH; favours
    from matplotlib.transforms import blended_transform_factory

    trans = blended_transform_factory(ax.transAxes, ax.transData)
    level = card.attrs.get("confidence_level", 0.95)
    columns = (f"estimate ({100 * level:g}% CI)", "NNT / NNH", "favours")
    width = 0.6 * fs  # points per character, roughly
    texts = []
    for _, r in rows.iterrows():
        if np.isfinite(r["estimate"]):
            short = _SHORT_MEASURE.get(r["measure"], r["measure"])
            est = f"{short} {r['estimate']:.3g} ({r['ci_low']:.3g} to {r['ci_high']:.3g})"
        else:
            est = "not estimable"
        nnt = _nnt_short(nnts.loc[r["endpoint"]]) if r["endpoint"] in nnts.index else ""
        texts.append((est, nnt, str(r["favours"])))
    widths = [max(len(c), *(len(t[i]) for t in texts)) * width + 14 for i, c in enumerate(columns)]
    offsets = np.r_[12.0, 12.0 + np.cumsum(widths[:-1])]
    from matplotlib.transforms import ScaledTranslation

    def at(points):
        return trans + ScaledTranslation(points / 72.0, 0, ax.figure.dpi_scale_trans)

    for j, head in enumerate(columns):
        ax.text(1.0, n - 0.3, head, transform=at(offsets[j]), ha="left", va="bottom", fontsize=fs, fontweight="bold")
    for yi, (_, r), cells in zip(y, rows.iterrows(), texts, strict=True):
        colour = _BENEFIT if r["domain"] == "benefit" else _HARM
        for j, cell in enumerate(cells):
            filled = cell in ("treatment", "reference")
            text = ax.text(
                1.0,
                yi,
                cell,
                transform=at(offsets[j]),
                ha="left",
                va="center",
                fontsize=fs,
                color=colour if j < 2 or filled else "0.35",
                fontweight="bold" if j == 2 and filled else "normal",
            )
            if j == 2:
                text.set_gid(f"favours:{r['endpoint']}")

    handles = [
        Line2D([], [], color=_BENEFIT, marker="s", ms=8, lw=2, label="efficacy endpoint"),
        Line2D([], [], color=_HARM, marker="s", ms=8, lw=2, label="safety endpoint"),
        Line2D([], [], color="0.3", marker="s", ms=8, lw=0, label="filled: favours an arm"),
        Line2D([], [], color="0.3", marker="s", ms=8, mfc="white", lw=0, label="open: favours neither"),
    ]
    rule = card.attrs.get("decision_rule", "")
    below = ax.transAxes + ScaledTranslation(0, -(4.3 * fs + 14) / 72.0, ax.figure.dpi_scale_trans)
    ax.legend(
        handles=handles,
        frameon=False,
        fontsize=fs,
        loc="upper left",
        bbox_to_anchor=(0.0, 0.0),
        bbox_transform=below,
        ncol=4,
        borderaxespad=0.0,
    )
    if rule:
        import textwrap

        ax.annotate(
            "\n".join(textwrap.wrap(rule + f" Lines: unadjusted {100 * level:g}% intervals.", 120)),
            xy=(0, 0),
            xycoords="axes fraction",
            xytext=(0, -(6.3 * fs + 22)),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=fs,
            color="0.25",
        )
    return ax
