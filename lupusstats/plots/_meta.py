"""Figures for meta-analysis results: forest plot and funnel plot."""

from __future__ import annotations

import numpy as np

from lupusstats._core import validation as _v
from lupusstats._core.inference import critical_value

from ._common import _axes

__all__ = ["plot_bayes_forest", "plot_forest", "plot_funnel"]


def _check_result(result):
    if type(result).__name__ == "BayesMetaResult":
        raise TypeError("`result` is a BayesMetaResult from ls.bayes_meta_analysis: use ls.plots.plot_bayes_forest.")
    if not all(hasattr(result, a) for a in ("yi", "vi", "weights", "prediction_interval", "confidence_interval")):
        raise TypeError(f"`result` must be a MetaAnalysisResult from ls.meta_analysis, got {type(result).__name__}.")


def plot_forest(
    result,
    *,
    transform=None,
    xlabel="effect size",
    xscale="linear",
    refline=0.0,
    show_prediction=True,
    annotate=True,
    digits=2,
    title=None,
    ax=None,
):
    """Forest plot: per-study intervals with weight-sized squares, pooled diamond, prediction interval.

    Parameters
    ----------
    result : MetaAnalysisResult
        From :func:`lupusstats.meta_analysis` (labels are taken from it).
    transform : callable, optional
        Increasing function applied to every x value before plotting, e.g.
        ``np.exp`` for log ratios or
        ``lambda x: ls.back_transform(x, measure="PLO")`` for proportions.
    xlabel : str
        Label of the x axis (on the transformed scale).
    xscale : {"linear", "log"}, default "linear"
        Use ``"log"`` with ``transform=np.exp`` so ratio intervals look symmetric.
    refline : float or None, default 0.0
        Null value on the analysis scale (transformed like the data); ``None``
        for no line.
    show_prediction : bool, default True
        Draw the prediction interval as a bar through the pooled diamond
        (random-effects models only; under FE it equals the CI).
    annotate : bool, default True
        Print "estimate [low, high]" and the percent weight at the right.
    digits : int
        Decimals in the annotations.
    title : str, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import lupusstats as ls
    >>> res = ls.meta_analysis([0.1, 0.5, 0.3], [0.04, 0.02, 0.05], labels=["A", "B", "C"])
    >>> ax = ls.plots.plot_forest(res)
    >>> [t.get_text() for t in ax.get_yticklabels()][:3]
    ['A', 'B', 'C']
    """
    from matplotlib.patches import Polygon

    _check_result(result)
    _v.check_choice("xscale", xscale, ("linear", "log"))
    if transform is not None and not callable(transform):
        raise TypeError(f"`transform` must be callable (e.g. np.exp), got {type(transform).__name__}.")
    f = (lambda x: np.asarray(x, dtype=float)) if transform is None else (lambda x: np.asarray(transform(x), float))
    table = result.study_table()
    k = len(table)
    ax = _axes(ax, (7.5, 1.2 + 0.38 * (k + 2)))
    ys = np.arange(k)[::-1] + 2.0  # studies from the top, pooled row at y = 0.5
    lo, hi, est = f(table["ci_low"]), f(table["ci_high"]), f(table["yi"])
    w = np.asarray(table["weight"], float)
    ax.hlines(ys, lo, hi, color="#333333", lw=1.2)
    sizes = 25 + 275 * w / max(w.max(), 1e-12)
    ax.scatter(est, ys, s=sizes, marker="s", color="#2b6a99", zorder=3, label="study (area ∝ weight)")
    cl, ch = result.confidence_interval()
    mu, cl, ch = float(f(result.estimate)), float(f(cl)), float(f(ch))
    y0 = 0.5
    ax.add_patch(
        Polygon(
            [[cl, y0], [mu, y0 + 0.3], [ch, y0], [mu, y0 - 0.3]],
            closed=True,
            color="#b30000",
            zorder=4,
            label=f"pooled ({result.method}, {round(100 * result.confidence_level)}% CI)",
        )
    )
    xs = [lo.min(), hi.max(), cl, ch]
    if show_prediction and result.method != "FE":
        pl, ph = (float(f(v)) for v in result.prediction_interval())
        ax.hlines(y0, pl, ph, color="#b30000", lw=1.5, linestyles=(0, (2, 1.5)), zorder=3, label="prediction interval")
        ax.vlines([pl, ph], y0 - 0.12, y0 + 0.12, color="#b30000", lw=1.5)
        xs += [pl, ph]
    if refline is not None:
        ax.axvline(float(f(refline)), color="#888888", lw=0.8, ls=":")
    ax.set_yticks([*list(ys), y0])
    ax.set_yticklabels([*list(table["study"]), "Pooled"])
    ax.set_ylim(-0.4, k + 2.6)
    ax.set_xlabel(xlabel)
    xmin, xmax = float(np.min(xs)), float(np.max(xs))
    if xscale == "log":
        if xmin <= 0:
            raise ValueError(
                f"xscale='log' needs positive plotted values, got a minimum of {xmin:.3g}; "
                "pass transform=np.exp for log ratios."
            )
        from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

        ax.set_xscale("log")
        ax.set_xlim(xmin / 1.15, xmax * 1.15)
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    else:
        pad = 0.05 * (xmax - xmin if xmax > xmin else 1.0)
        ax.set_xlim(xmin - pad, xmax + pad)
    if annotate:
        from matplotlib.transforms import blended_transform_factory

        tr = blended_transform_factory(ax.transAxes, ax.transData)
        fmt = f"{{:.{digits}f}} [{{:.{digits}f}}, {{:.{digits}f}}]"
        for y, e, a, b, wt in zip(ys, est, lo, hi, w, strict=True):
            ax.text(1.02, y, fmt.format(e, a, b), transform=tr, va="center", fontsize=9)
            ax.text(1.36, y, f"{wt:.1f}%", transform=tr, va="center", fontsize=9)
        ax.text(1.02, y0, fmt.format(mu, cl, ch), transform=tr, va="center", fontsize=9, fontweight="bold")
        ax.text(1.02, k + 2.0, "estimate [CI]", transform=tr, va="center", fontsize=9, style="italic")
        ax.text(1.36, k + 2.0, "weight", transform=tr, va="center", fontsize=9, style="italic")
    stats_txt = (
        f"k = {result.k}, τ² = {result.tau2:.3g}, I² = {result.i2:.0f}%, Q p = {result.q_pvalue:.2g}"
        if result.k > 1
        else f"k = {result.k}"
    )
    ax.set_title(title if title is not None else stats_txt, fontsize=10, loc="left")
    axes_height_in = ax.get_position().height * ax.figure.get_size_inches()[1]
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.55 / axes_height_in), ncol=3, frameon=False, fontsize=8)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    return ax


def plot_funnel(result, *, xlabel="effect size", confidence_level=0.95, ax=None):
    """Funnel plot: each study's effect against its standard error, with the pseudo-confidence funnel.

    The funnel is ``estimate ± z·se`` around the pooled estimate (as
    ``metafor::funnel``); asymmetry hints at small-study effects, but with
    fewer than about ten studies it cannot be judged.

    Parameters
    ----------
    result : MetaAnalysisResult
        Output of :func:`lupusstats.meta_analysis`.
    xlabel : str
    confidence_level : float, default 0.95
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import lupusstats as ls
    >>> res = ls.meta_analysis([0.1, 0.5, 0.3], [0.04, 0.02, 0.05])
    >>> ls.plots.plot_funnel(res).get_ylabel()
    'standard error'
    """
    _check_result(result)
    level = _v.check_confidence_level(confidence_level)
    ax = _axes(ax, (5.5, 4.5))
    se = np.sqrt(result.vi)
    top = float(se.max()) * 1.1
    z = critical_value(level)
    grid = np.linspace(0, top, 50)
    mu = result.estimate
    ax.fill_betweenx(
        grid,
        mu - z * grid,
        mu + z * grid,
        color="#eeeeee",
        zorder=0,
        label=f"{round(100 * level)}% pseudo-confidence region",
    )
    ax.plot(mu - z * grid, grid, color="#999999", lw=0.8)
    ax.plot(mu + z * grid, grid, color="#999999", lw=0.8)
    ax.axvline(mu, color="#b30000", lw=1.2, label=f"pooled estimate ({result.method})")
    ax.scatter(result.yi, se, color="#2b6a99", zorder=3, label="study")
    ax.set_ylim(top, 0)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("standard error")
    ax.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2)
    return ax


def _prior_text(result):
    params = ", ".join(f"{p:g}" for p in result.tau_prior_params)
    tau = f"{result.tau_prior}({params})" if params else result.tau_prior
    mu = "uniform" if result.mu_prior is None else f"N({result.mu_prior[0]:g}, {result.mu_prior[1]:g}²)"
    return f"τ ~ {tau}, μ ~ {mu}"


def plot_bayes_forest(
    result,
    *,
    transform=None,
    xlabel="effect size",
    xscale="linear",
    refline=0.0,
    show_shrinkage=True,
    show_prediction=True,
    annotate=True,
    digits=2,
    title=None,
    ax=None,
):
    """Forest plot of a Bayesian meta-analysis: data, shrinkage intervals, posterior of mu and prediction.

    Like bayesmeta's ``forestplot``: each study's estimate with its 95% Wald
    interval (black), its shrinkage posterior (median and shortest credible
    interval of its true effect ``theta_i``, grey), the posterior median and
    shortest credible interval of ``mu`` (diamond) and the shortest interval
    of the predictive distribution of a new study's effect (bar).

    Parameters
    ----------
    result : BayesMetaResult
        From :func:`lupusstats.bayes_meta_analysis`.
    transform : callable, optional
        Increasing function applied to every x value, e.g. ``np.exp`` for log ratios.
    xlabel : str
    xscale : {"linear", "log"}, default "linear"
    refline : float or None, default 0.0
        Null value on the analysis scale; ``None`` for no line.
    show_shrinkage : bool, default True
    show_prediction : bool, default True
    annotate : bool, default True
        Print "estimate [low, high]" at the right.
    digits : int
    title : str, optional
        Default: k, the posterior median of tau and the priors.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import lupusstats as ls
    >>> res = ls.bayes_meta_analysis([0.1, 0.5, 0.3], [0.04, 0.02, 0.05], labels=["A", "B", "C"])
    >>> ax = ls.plots.plot_bayes_forest(res)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['A', 'B', 'C', 'mean μ', 'prediction']
    """
    from matplotlib.patches import Polygon

    if type(result).__name__ != "BayesMetaResult":
        raise TypeError(f"`result` must be a BayesMetaResult from ls.bayes_meta_analysis, got {type(result).__name__}.")
    _v.check_choice("xscale", xscale, ("linear", "log"))
    if transform is not None and not callable(transform):
        raise TypeError(f"`transform` must be callable (e.g. np.exp), got {type(transform).__name__}.")

    def f(x):
        return np.asarray(x, dtype=float) if transform is None else np.asarray(transform(x), dtype=float)

    k = result.k
    level = result.credible_level
    z = critical_value(0.95)  # the studies' own 95% intervals
    se = np.sqrt(result.vi)
    ax = _axes(ax, (7.5, 1.4 + 0.42 * (k + 2)))
    ys = np.arange(k)[::-1] + 2.5
    lo, hi, est = f(result.yi - z * se), f(result.yi + z * se), f(result.yi)
    off = 0.16 if show_shrinkage else 0.0
    ax.hlines(ys + off, lo, hi, color="#222222", lw=1.3)
    ax.scatter(est, ys + off, marker="s", s=36, color="#222222", zorder=3, label="estimate (95% CI)")
    xs = [lo.min(), hi.max()]
    if show_shrinkage:
        table = result.shrinkage()
        slo, shi, smed = f(table["ci_low"]), f(table["ci_high"]), f(table["median"])
        ax.hlines(ys - off, slo, shi, color="#8c8c8c", lw=1.3)
        ax.scatter(
            smed,
            ys - off,
            marker="o",
            s=22,
            color="#8c8c8c",
            zorder=3,
            label=f"shrinkage ({round(100 * level)}% CrI)",
        )
        xs += [slo.min(), shi.max()]
    y_mu, y_pred = 1.2, 0.4
    cl, ch = (float(f(v)) for v in result.confidence_interval())
    mu = float(f(result.estimate))
    ax.add_patch(
        Polygon(
            [[cl, y_mu], [mu, y_mu + 0.25], [ch, y_mu], [mu, y_mu - 0.25]],
            closed=True,
            color="#b30000",
            zorder=4,
            label=f"mean μ ({round(100 * level)}% CrI)",
        )
    )
    xs += [cl, ch]
    labels = [*list(result.labels), "mean μ"]
    ticks = [*list(ys), y_mu]
    if show_prediction:
        pl, ph = (float(f(v)) for v in result.prediction_interval())
        ax.add_patch(
            Polygon(
                [[pl, y_pred - 0.12], [ph, y_pred - 0.12], [ph, y_pred + 0.12], [pl, y_pred + 0.12]],
                closed=True,
                color="#e6a3a3",
                zorder=3,
                label="prediction θ_new",
            )
        )
        xs += [pl, ph]
        labels.append("prediction")
        ticks.append(y_pred)
    if refline is not None:
        ax.axvline(float(f(refline)), color="#888888", lw=0.8, ls=":")
    ax.set_yticks(ticks)
    ax.set_yticklabels(labels)
    ax.set_ylim(-0.2, k + 3.0)
    ax.set_xlabel(xlabel)
    xmin, xmax = float(np.min(xs)), float(np.max(xs))
    if xscale == "log":
        if xmin <= 0:
            raise ValueError(
                f"xscale='log' needs positive plotted values, got a minimum of {xmin:.3g}; "
                "pass transform=np.exp for log ratios."
            )
        from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

        ax.set_xscale("log")
        ax.set_xlim(xmin / 1.15, xmax * 1.15)
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    else:
        pad = 0.05 * (xmax - xmin if xmax > xmin else 1.0)
        ax.set_xlim(xmin - pad, xmax + pad)
    if annotate:
        from matplotlib.transforms import blended_transform_factory

        tr = blended_transform_factory(ax.transAxes, ax.transData)
        fmt = f"{{:.{digits}f}} [{{:.{digits}f}}, {{:.{digits}f}}]"
        for y, e, a, b in zip(ys, est, lo, hi, strict=True):
            ax.text(1.02, y + off, fmt.format(e, a, b), transform=tr, va="center", fontsize=9)
        if show_shrinkage:
            for y, e, a, b in zip(ys, smed, slo, shi, strict=True):
                ax.text(1.02, y - off, fmt.format(e, a, b), transform=tr, va="center", fontsize=8, color="#6f6f6f")
        ax.text(1.02, y_mu, fmt.format(mu, cl, ch), transform=tr, va="center", fontsize=9, fontweight="bold")
        if show_prediction:
            ax.text(
                1.02, y_pred, fmt.format(float(f(result.pred_median)), pl, ph), transform=tr, va="center", fontsize=9
            )
    default = (
        f"k = {k}, τ median {result.tau_median:.2g} [{result.tau_ci_low:.2g}, {result.tau_ci_high:.2g}]; "
        f"{_prior_text(result)}"
    )
    ax.set_title(title if title is not None else default, fontsize=10, loc="left")
    axes_height_in = ax.get_position().height * ax.figure.get_size_inches()[1]
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.55 / axes_height_in), ncol=2, frameon=False, fontsize=8)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="y", length=0)
    return ax
