"""Figures for flare frequency: rates per arm, rate-ratio forest, over-dispersion, mean cumulative function."""

from __future__ import annotations

import numpy as np

from lupusstats import rates as _rates
from lupusstats._core import validation as _v
from lupusstats.cohort import columns as C

from ._common import _axes, _group_column

__all__ = ["plot_flare_rates", "plot_mcf", "plot_overdispersion", "plot_rate_ratios"]

_PALETTE = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860")


#: Legend labels of the interval methods of :func:`lupusstats.flare_rates`.
_RATE_METHOD_LABELS = {
    "exact": "exact Poisson",
    "midp": "mid-p Poisson",
    "score": "Poisson score",
    "wald": "Poisson Wald",
    "negbin": "negative binomial (NB2 Wald)",
}


def plot_flare_rates(rates, *, group=None, ax=None):
    """Flare rate per arm with its confidence interval (from :func:`lupusstats.flare_rates`, one or several methods).

    Rows of several interval methods (``pd.concat`` of ``flare_rates`` with
    ``method="exact"`` and ``method="negbin"``) are drawn side by side per arm,
    so the exact Poisson interval shows next to the negative-binomial one.

    Parameters
    ----------
    rates : DataFrame
        Output of :func:`lupusstats.flare_rates` (columns ``arm, rate, ci_low,
        ci_high``, and ``method``), or several of them concatenated.
    group : str, optional
        Column of the arms, default the first column (where ``ls.flare_rates``
        puts its `group`).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    group = _group_column(rates, group, "rates")
    _v.check_columns("rates", rates, [group, "rate", "ci_low", "ci_high"])
    ax = _axes(ax)
    frame = rates.reset_index(drop=True)
    methods = list(dict.fromkeys(frame["method"])) if "method" in frame else [""]
    arms = list(dict.fromkeys(frame[group]))
    height = 0.8 / len(methods)
    top = 0.0
    for m_i, method in enumerate(methods):
        sub = frame if method == "" else frame[frame["method"] == method]
        offset = 0.0 if len(methods) == 1 else 0.4 - (m_i + 0.5) * height
        pos = np.array([len(arms) - 1 - arms.index(a) for a in sub[group]]) + offset
        rate = sub["rate"].to_numpy(dtype=float)
        low = sub["ci_low"].to_numpy(dtype=float)
        high = sub["ci_high"].to_numpy(dtype=float)
        finite = np.isfinite(high)
        top = max(top, float(np.max(np.where(finite, high, rate), initial=0.0)))
        ax.errorbar(
            rate,
            pos,
            xerr=[rate - low, np.where(finite, high, rate) - rate],
            fmt="o",
            ms=5,
            color="#333333" if len(methods) == 1 else _PALETTE[m_i % len(_PALETTE)],
            ecolor=_PALETTE[m_i % len(_PALETTE)],
            elinewidth=2,
            capsize=3,
            label=_RATE_METHOD_LABELS.get(method, method) or None,
        )
        for p_i, r_i in zip(pos[~finite], rate[~finite], strict=True):  # an arm without events: open interval
            ax.annotate(
                "",
                xy=(1.0, p_i),
                xycoords=("axes fraction", "data"),
                xytext=(r_i, p_i),
                arrowprops={"arrowstyle": "->", "color": _PALETTE[m_i % len(_PALETTE)]},
            )
    ax.set_yticks(np.arange(len(arms))[::-1], [str(a) for a in arms])
    ax.set_xlabel("flares per patient-year (point and confidence interval)")
    ax.set_xlim(0, top * 1.08 if top > 0 else 1.0)
    ax.set_ylim(-0.6, len(arms) - 0.4)
    if methods != [""]:
        ax.legend(frameon=False, title="interval", loc="upper left", bbox_to_anchor=(1, 1))
    return ax


def plot_rate_ratios(comparison, *, group=None, ax=None):
    """Forest plot of rate ratios (from :func:`lupusstats.compare_rates`, one or several models).

    Rows of several models (e.g. ``pd.concat`` of ``compare_rates`` with
    ``model="negbin"`` and ``"poisson"``) are drawn side by side per arm, so the
    narrower Poisson intervals are visible next to the negative-binomial ones.

    Parameters
    ----------
    comparison : DataFrame
        Output of :func:`lupusstats.compare_rates` (columns ``arm, rate_ratio,
        ci_low, ci_high`` and ``model``), or several of them concatenated.
    group : str, optional
        Column of the arms, default the first column (where ``ls.compare_rates``
        puts its `group`).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    group = _group_column(comparison, group, "comparison")
    _v.check_columns("comparison", comparison, [group, "rate_ratio", "ci_low", "ci_high"])
    ax = _axes(ax)
    frame = comparison.reset_index(drop=True)
    models = list(dict.fromkeys(frame["model"])) if "model" in frame else [""]
    arms = list(dict.fromkeys(frame[group]))
    height = 0.8 / len(models)
    for m_i, model in enumerate(models):
        sub = frame if model == "" else frame[frame["model"] == model]
        pos = np.array([len(arms) - 1 - arms.index(a) for a in sub[group]]) + 0.4 - (m_i + 0.5) * height
        rr = sub["rate_ratio"].to_numpy(dtype=float)
        lo = np.clip(sub["ci_low"].to_numpy(dtype=float), 1e-3, None)
        hi = np.clip(sub["ci_high"].to_numpy(dtype=float), None, 1e3)
        ok = np.isfinite(rr) & (rr > 0)
        ax.errorbar(
            rr[ok],
            pos[ok],
            xerr=[rr[ok] - lo[ok], hi[ok] - rr[ok]],
            fmt="s",
            ms=5,
            color=_PALETTE[m_i % len(_PALETTE)],
            elinewidth=2,
            capsize=3,
            label=model or None,
        )
    ax.axvline(1.0, color="#888888", ls="--", lw=1)
    ax.set_xscale("log")
    from matplotlib.ticker import FixedLocator, FormatStrFormatter, NullLocator

    lo_x, hi_x = ax.get_xlim()
    nice = [
        t for t in (0.05, 0.1, 0.2, 0.25, 0.33, 0.5, 0.67, 0.75, 1, 1.33, 1.5, 2, 3, 4, 5, 10, 20) if lo_x <= t <= hi_x
    ]
    ax.xaxis.set_major_locator(FixedLocator(nice))
    ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_yticks(np.arange(len(arms))[::-1], [str(a) for a in arms])
    ax.set_ylim(-0.6, len(arms) - 0.4)
    ref = frame["reference"].iloc[0] if "reference" in frame else "reference"
    ax.set_xlabel(f"flare rate ratio vs {ref} (log scale)")
    if models != [""]:
        ax.legend(frameon=False, title="model", loc="upper left", bbox_to_anchor=(1, 1))
    return ax


def plot_overdispersion(
    patients, *, count=C.N_FLARES, exposure=C.FOLLOWUP_YEARS, group=C.ARM, covariates=None, ax=None
):
    """Observed count frequencies against the fitted Poisson and negative-binomial models.

    Bars: numbers of patients with 0, 1, 2, ... flares; lines: the numbers
    expected under the Poisson and NB2 fits (:func:`lupusstats.count_frequencies`).
    The title gives the likelihood-ratio over-dispersion test
    (:func:`lupusstats.overdispersion_test`).

    Parameters
    ----------
    patients : DataFrame
        The ``patients`` table of a cohort (:func:`lupusstats.simulate_cohort` or
        :func:`lupusstats.read_cohort`).
    count, exposure, group, covariates
        As in :func:`lupusstats.count_frequencies`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    freq = _rates.count_frequencies(patients, count=count, exposure=exposure, group=group, covariates=covariates)
    test = _rates.overdispersion_test(patients, count=count, exposure=exposure, group=group, covariates=covariates)
    k = freq["count"].to_numpy()
    ax.bar(k, freq["observed"], color="#bbbbbb", label="observed")
    ax.plot(k, freq["poisson"], "o-", color="#c44e52", label="Poisson fit")
    ax.plot(k, freq["negbin"], "s-", color="#4c72b0", label="negative binomial fit")
    ax.set_xlabel(f"{count.replace('_', ' ')} per patient")
    ax.set_ylabel("patients")
    p = test.pvalue
    ptxt = "p < 0.001" if p < 0.001 else f"p = {p:.3g}"
    ax.set_title(f"over-dispersion LR test {ptxt}; dispersion {test.dispersion:.2g}", fontsize="medium")
    ax.legend(frameon=False)
    return ax


def plot_mcf(mcf, *, group=None, ax=None):
    """Mean cumulative number of flares per patient, per arm, with its pointwise band.

    Parameters
    ----------
    mcf : DataFrame
        Output of :func:`lupusstats.mean_cumulative_function`.
    group : str, optional
        Column of the arms, default the first column (where
        ``ls.mean_cumulative_function`` puts its `group`).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    group = _group_column(mcf, group, "mcf")
    _v.check_columns("mcf", mcf, [group, "time", "mcf", "ci_low", "ci_high"])
    ax = _axes(ax)
    arms = list(mcf[group].cat.categories) if hasattr(mcf[group], "cat") else list(dict.fromkeys(mcf[group]))
    for i, arm in enumerate(arms):
        sub = mcf[mcf[group] == arm]
        if sub.empty:
            continue
        colour = _PALETTE[i % len(_PALETTE)]
        ax.step(sub["time"], sub["mcf"], where="post", color=colour, lw=2, label=str(arm))
        ax.fill_between(sub["time"], sub["ci_low"], sub["ci_high"], step="post", color=colour, alpha=0.2, lw=0)
    ax.set_xlabel("years since randomisation")
    ax.set_ylabel("mean cumulative flares per patient")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False, loc="upper left")
    return ax
