"""Figures describing a simulated (or real) cohort: counts, swimlanes, mixes."""

from __future__ import annotations

import numpy as np

from lupusstats._core import validation as _v
from lupusstats.cohort import columns as C

from ._common import SEVERITY_PALETTE, _axes

__all__ = [
    "plot_flare_counts",
    "plot_organ_mix",
    "plot_severity_mix",
    "plot_swimlane",
]


def plot_flare_counts(patients, *, count=C.N_FLARES, exposure=C.FOLLOWUP_YEARS, group=C.ARM, ax=None):
    """Observed flare-count distribution against a Poisson with the same rate.

    For each patient the Poisson reference uses the pooled rate of the patient's
    group times the patient's own exposure, so unequal follow-up is respected;
    the excess of zeros and of large counts shows over-dispersion.

    Parameters
    ----------
    patients : DataFrame
        The ``patients`` table of a cohort (:func:`lupusstats.simulate_cohort` or
        :func:`lupusstats.read_cohort`).
    count, exposure, group : str
        Column names, as in :func:`lupusstats.flare_rates`.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    from scipy import stats

    _v.check_columns("patients", patients, [count, exposure, group])
    ax = _axes(ax)
    y = _v.as_count_array(count, patients[count].to_numpy(), ndim=1)
    t = _v.as_positive_array(exposure, patients[exposure].to_numpy(), ndim=1)
    groups = patients[group].astype("category")
    rate = np.zeros(len(y))
    for level in groups.cat.categories:
        m = (groups == level).to_numpy()
        if m.any():
            rate[m] = y[m].sum() / t[m].sum()
    mu = rate * t
    k = np.arange(0, max(int(y.max()), 1) + 2)
    observed = np.bincount(y, minlength=k.size)[: k.size] / y.size
    expected = stats.poisson.pmf(k[:, None], mu[None, :]).mean(axis=1)
    width = 0.4
    ax.bar(k - width / 2, observed, width=width, color="#4c72b0", label="observed")
    ax.bar(k + width / 2, expected, width=width, color="#bbbbbb", label="Poisson, same rate")
    ax.set_xlabel(f"{count.removeprefix('n_').replace('_', ' ')} per patient")
    ax.set_ylabel("share of patients")
    ax.legend(frameon=False)
    return ax


def plot_swimlane(
    patients,
    flares,
    *,
    n_patients=40,
    patient=C.PATIENT,
    group=C.ARM,
    exposure=C.FOLLOWUP_YEARS,
    time=C.TIME_YEARS,
    severity=C.SEVERITY,
    rng=None,
    ax=None,
):
    """One line per patient (its follow-up) with its flares as dots coloured by severity.

    Parameters
    ----------
    patients, flares : DataFrame
        The ``patients`` and ``flares`` tables of one cohort
        (:func:`lupusstats.simulate_cohort` or :func:`lupusstats.read_cohort`).
    patient, group, exposure, time, severity : str
        Column names.
    n_patients : int
        Patients shown, sampled evenly across groups (``rng`` picks them).
    rng : seed or Generator, optional
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    _v.check_columns("patients", patients, [patient, group, exposure])
    _v.check_columns("flares", flares, [patient, time, severity])
    n_patients = _v.check_int("n_patients", n_patients, minimum=1)
    rng = np.random.default_rng(rng)
    ax = _axes(ax)
    groups = list(patients[group].astype("category").cat.categories)
    per = max(1, n_patients // max(len(groups), 1))
    chosen = []
    for g in groups:
        ids = patients.loc[patients[group] == g, patient].to_numpy()
        if ids.size:
            chosen.append((g, np.sort(rng.choice(ids, size=min(per, ids.size), replace=False))))
    y = 0
    yticks, ylabels = [], []
    sub = patients.set_index(patient)
    for g, ids in chosen:
        for pid in ids:
            ax.hlines(y, 0, sub.at[pid, exposure], color="#999999", lw=1)
            f = flares[flares[patient] == pid]
            for level in C.SEVERITY_LEVELS:
                fl = f[f[severity] == level]
                ax.scatter(
                    fl[time],
                    np.full(len(fl), y),
                    s=18,
                    color=SEVERITY_PALETTE[level],
                    zorder=3,
                    edgecolor="black",
                    linewidth=0.3,
                )
            y += 1
        yticks.append(y - len(ids) / 2 - 0.5)
        ylabels.append(str(g))
        ax.axhline(y - 0.5, color="#dddddd", lw=0.8)
    ax.set_yticks(yticks, ylabels)
    ax.set_xlabel("years since randomisation")
    ax.set_ylim(-1, y)
    from matplotlib.lines import Line2D

    handles = [
        Line2D(
            [], [], marker="o", ls="", color=SEVERITY_PALETTE[s], markeredgecolor="black", markeredgewidth=0.3, label=s
        )
        for s in C.SEVERITY_LEVELS
    ]
    ax.legend(handles=handles, title="flare severity", frameon=False, loc="upper left", bbox_to_anchor=(1, 1))
    return ax


def _share_table(flares, column, levels, group):
    import pandas as pd

    _v.check_columns("flares", flares, [column, group])
    counts = pd.crosstab(flares[group], flares[column]).reindex(columns=list(levels), fill_value=0)
    return counts.div(counts.sum(axis=1).where(lambda s: s > 0, 1), axis=0)


def plot_severity_mix(flares, *, group=C.ARM, severity=C.SEVERITY, ax=None):
    """Stacked bars: share of mild / moderate / severe flares per group.

    Parameters
    ----------
    flares : DataFrame
        The ``flares`` table of a cohort (:func:`lupusstats.simulate_cohort` or
        :func:`lupusstats.read_cohort`).
    group, severity : str
        Column names.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    shares = _share_table(flares, severity, C.SEVERITY_LEVELS, group)
    left = np.zeros(len(shares))
    for level in C.SEVERITY_LEVELS:
        ax.barh(
            [str(i) for i in shares.index],
            shares[level],
            left=left,
            color=SEVERITY_PALETTE[level],
            label=level,
            edgecolor="white",
        )
        left += shares[level].to_numpy()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of flares")
    ax.invert_yaxis()
    ax.legend(frameon=False, ncol=3, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    return ax


def plot_organ_mix(flares, *, group=C.ARM, organ=C.ORGAN, ax=None):
    """Heat map of the share of flares in each organ domain per group.

    Parameters
    ----------
    flares : DataFrame
        The ``flares`` table of a cohort (:func:`lupusstats.simulate_cohort` or
        :func:`lupusstats.read_cohort`).
    group, organ : str
        Column names.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    import seaborn as sns

    ax = _axes(ax)
    shares = _share_table(flares, organ, C.ORGAN_DOMAINS, group)
    sns.heatmap(shares, annot=True, fmt=".0%", cmap="Blues", vmin=0, cbar=False, ax=ax)
    ax.set_xlabel("organ domain")
    ax.tick_params(axis="x", rotation=30)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
    ax.set_ylabel("")
    return ax
