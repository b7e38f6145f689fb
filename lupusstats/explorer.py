"""The design explorer: a widget panel over the power formulas, with simulated power on demand.

:func:`design_explorer` shows, in JupyterLab or Jupyter Notebook, controls for
a two-arm design -- rate ratio, NB dispersion, patients per arm, follow-up,
dropout and the endpoint (flare rate, time to first flare, responder) -- and
the power curve of the formula for that endpoint, redrawn as soon as a
control moves.  The **simulate** button runs a few thousand trials of the
same design with :func:`lupusstats.simulate_power` (a progress bar advances
chunk by chunk) and overlays the simulated power with its Wilson Monte Carlo
interval, so that formula and simulation can be compared at a glance.

Without a widget frontend (``nbconvert --execute``, the HTML report, the
documentation) the panel's display falls back to a static PNG of the same
figure at the settings it was created with: :class:`DesignExplorer` puts
``image/png`` beside the widget view in its display bundle.

The formulas: :func:`lupusstats.power_rate_ratio` (negative-binomial rate
ratio, Wald), :func:`lupusstats.power_time_to_first_flare` (log-rank under
gamma-Poisson flares), :func:`lupusstats.power_proportions` (two-proportion
z-test).  :func:`explorer_power` and :func:`plot_design_explorer` are the
computations the panel calls; they need no widgets.

This module is an application (it imports matplotlib, and ipywidgets when a
panel is built); import it as ``from lupusstats.explorer import design_explorer``.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import math
from typing import TYPE_CHECKING, Any

import numpy as np

import lupusstats as ls
from lupusstats._core import inference as _inf
from lupusstats._core import validation as _v
from lupusstats._core.types import RNGLike

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["DesignExplorer", "ExplorerDesign", "design_explorer", "explorer_power", "plot_design_explorer"]

#: Endpoints of the explorer: name -> (label, the simulate_power endpoint, the test).
EXPLORER_ENDPOINTS = {
    "flare_rate": ("flare rate", "flare_rate", "NB rate ratio (Wald)"),
    "time_to_first_flare": ("time to first flare", "time_to_first_flare", "log-rank"),
    "responder": ("responder", "remission", "two-proportion z-test"),
}
_CHUNKS = 10  # the simulation runs in this many chunks, one progress step each


@dataclasses.dataclass(frozen=True)
class ExplorerDesign:
    """A two-arm design as the explorer's controls set it.

    Attributes
    ----------
    rate_ratio : float
        Flare rate ratio, treated / reference (flare-rate and first-flare endpoints).
    dispersion : float
        NB2 dispersion of the flare counts (gamma frailty variance).
    n_per_arm : int
        Patients per arm.
    followup_years : float
        Planned follow-up.
    dropout : float
        Share of patients who drop out by the end of follow-up (exponential
        dropout with hazard ``-log(1 - dropout) / followup_years``, both arms).
    endpoint : str
        ``"flare_rate"``, ``"time_to_first_flare"`` or ``"responder"``.
    baseline_rate : float
        Flares per patient-year in the reference arm.
    response_reference, response_treated : float
        Responder shares among all randomised patients (responder endpoint;
        dropouts are already non-responders in these shares, as in
        ``Arm.remission_probability``, so `dropout` does not change them).
    alpha : float
        Two-sided level.

    Examples
    --------
    >>> from lupusstats.explorer import ExplorerDesign
    >>> d = ExplorerDesign(n_per_arm=100)
    >>> round(d.dropout_rate, 4), d.replace(endpoint="responder").endpoint
    (0.4463, 'responder')
    """

    rate_ratio: float = 0.7
    dispersion: float = 0.5
    n_per_arm: int = 185
    followup_years: float = 0.5
    dropout: float = 0.2
    endpoint: str = "flare_rate"
    baseline_rate: float = 1.0
    response_reference: float = 0.3
    response_treated: float = 0.45
    alpha: float = 0.05

    def __post_init__(self) -> None:
        _v.check_positive("rate_ratio", self.rate_ratio)
        _v.check_positive("dispersion", self.dispersion, allow_zero=True)
        _v.check_int("n_per_arm", self.n_per_arm, minimum=2)
        _v.check_positive("followup_years", self.followup_years)
        _v.check_number("dropout", self.dropout, low=0.0, high=1.0, high_inclusive=False)
        _v.check_choice("endpoint", self.endpoint, EXPLORER_ENDPOINTS)
        _v.check_positive("baseline_rate", self.baseline_rate)
        _v.check_probability("response_reference", self.response_reference)
        _v.check_probability("response_treated", self.response_treated)
        _v.check_number("alpha", self.alpha, low=0.0, high=1.0, low_inclusive=False, high_inclusive=False)

    @property
    def dropout_rate(self) -> float:
        """Exponential dropout hazard per patient-year giving `dropout` by the end of follow-up."""
        return -math.log1p(-self.dropout) / self.followup_years

    def replace(self, **changes: Any) -> ExplorerDesign:
        """A copy with some fields changed (checked again)."""
        return dataclasses.replace(self, **changes)

    def scenario(self) -> ls.Scenario:
        """The :class:`lupusstats.Scenario` that :func:`lupusstats.simulate_power` draws for this design."""
        h = self.dropout_rate
        arms = [
            ls.Arm("reference", dropout_rate=h, remission_probability=self.response_reference),
            ls.Arm(
                "treated",
                flare_rate_ratio=self.rate_ratio,
                dropout_rate=h,
                remission_probability=self.response_treated,
            ),
        ]
        return ls.Scenario(
            arms,
            n_per_arm=self.n_per_arm,
            baseline_flare_rate=self.baseline_rate,
            dispersion=self.dispersion,
            followup_years=self.followup_years,
        )


def explorer_power(design: ExplorerDesign, n_per_arm: Any = None) -> np.ndarray:
    """Formula power of `design` for its endpoint, at `n_per_arm` patients per arm (default the design's).

    Parameters
    ----------
    design : ExplorerDesign
    n_per_arm : int or array_like of int, optional

    Returns
    -------
    ndarray
        The power at each `n_per_arm` (shape of `n_per_arm`).

    Examples
    --------
    >>> from lupusstats.explorer import ExplorerDesign, explorer_power
    >>> d = ExplorerDesign(rate_ratio=0.7, n_per_arm=200, followup_years=1.0, dropout=0.0)
    >>> p = explorer_power(d, [100, 200])
    >>> bool(p[0] < p[1]), bool(explorer_power(d.replace(endpoint="time_to_first_flare")) < p[1])
    (True, True)
    """
    if not isinstance(design, ExplorerDesign):
        raise TypeError(f"`design` must be an ExplorerDesign, got {type(design).__name__}.")
    n = np.asarray(design.n_per_arm if n_per_arm is None else n_per_arm, dtype=float)
    if design.endpoint == "flare_rate":
        out = ls.power_rate_ratio(
            design.rate_ratio,
            n_per_arm=n,
            baseline_rate=design.baseline_rate,
            followup_years=design.followup_years,
            dispersion=design.dispersion,
            dropout_rate=design.dropout_rate,
            alpha=design.alpha,
        )
    elif design.endpoint == "time_to_first_flare":
        out = np.vectorize(
            lambda k: ls.power_time_to_first_flare(
                design.rate_ratio,
                n_per_arm=k,
                baseline_rate=design.baseline_rate,
                followup_years=design.followup_years,
                dispersion=design.dispersion,
                dropout_rate=design.dropout_rate,
                alpha=design.alpha,
            )
        )(n)
    else:
        out = ls.power_proportions(
            design.response_treated, p_reference=design.response_reference, n_per_arm=n, alpha=design.alpha
        )
    return np.asarray(out, dtype=float)


@dataclasses.dataclass(frozen=True)
class _Simulated:
    """Simulated power of one design (the overlay of the explorer's figure)."""

    design: ExplorerDesign
    power: float
    ci_low: float
    ci_high: float
    n_trials: int


def _simulate(design, n_trials, rng, confidence_level, on_chunk=None):
    """Simulated power in `_CHUNKS` chunks (spawned streams), calling ``on_chunk(done, total)`` after each."""
    rng = np.random.default_rng(rng)
    sizes = [len(c) for c in np.array_split(np.arange(n_trials), min(_CHUNKS, n_trials))]
    rejected, done = 0, 0
    endpoint = EXPLORER_ENDPOINTS[design.endpoint][1]
    scenario = design.scenario()
    for size, stream in zip(sizes, rng.spawn(len(sizes)), strict=True):
        res = ls.simulate_power(scenario, n_trials=size, endpoint=endpoint, alpha=design.alpha, rng=stream)
        rejected += res.n_rejected
        done += size
        if on_chunk is not None:
            on_chunk(done, n_trials)
    low, high = _inf.wilson_interval(rejected, n_trials, confidence_level)
    return _Simulated(design, rejected / n_trials, float(low), float(high), n_trials)


def plot_design_explorer(
    design: ExplorerDesign, *, simulated: Any = None, ax: Axes | None = None, target_power: float = 0.8
) -> Axes:
    """The explorer's figure: formula power against patients per arm, the design marked, simulation overlaid.

    Parameters
    ----------
    design : ExplorerDesign
    simulated : optional
        The result of the explorer's simulation for this design (drawn as a
        point with its Monte Carlo interval).
    ax : matplotlib Axes, optional
        Drawn on a new figure (not registered with pyplot) when None.
    target_power : float, default 0.8
        Drawn as a dashed line.

    Returns
    -------
    Axes

    Examples
    --------
    >>> from lupusstats.explorer import ExplorerDesign, plot_design_explorer
    >>> ax = plot_design_explorer(ExplorerDesign(n_per_arm=120))
    >>> ax.get_xlabel()
    'patients per arm'
    """
    if ax is None:
        from matplotlib.figure import Figure

        ax = Figure(figsize=(7.0, 4.0), layout="constrained").add_subplot()
    n_max = max(60, int(2.2 * design.n_per_arm))
    grid = np.unique(np.linspace(2, n_max, 80).round().astype(int))
    label, _, test = EXPLORER_ENDPOINTS[design.endpoint]
    ax.plot(grid, explorer_power(design, grid), color="#4c72b0", lw=2, label=f"formula ({test})")
    here = float(explorer_power(design))
    ax.axvline(design.n_per_arm, color="grey", lw=0.8)
    ax.plot([design.n_per_arm], [here], "o", color="#4c72b0", ms=7)
    ax.axhline(target_power, color="grey", ls="--", lw=0.8)
    if simulated is not None and simulated.design == design:
        err = [[simulated.power - simulated.ci_low], [simulated.ci_high - simulated.power]]
        ax.errorbar(
            [design.n_per_arm], [simulated.power], yerr=err, fmt="s", color="#dd8452", capsize=5, ms=7,
            label=f"simulated, {simulated.n_trials} trials (95% MC interval)",
        )  # fmt: skip
    ax.set_xlim(0, n_max)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("patients per arm")
    ax.set_ylabel("power")
    if design.endpoint == "responder":
        what = f"responders {design.response_treated:.2f} vs {design.response_reference:.2f}"
    else:
        what = (
            f"rate ratio {design.rate_ratio:.2f}, dispersion {design.dispersion:.2f}, "
            f"{design.followup_years:.2f} y, dropout {design.dropout:.0%}"
        )
    ax.set_title(f"{label}: {what}\npower {here:.3f} at {design.n_per_arm} per arm", fontsize="medium")
    ax.legend(frameon=False, loc="lower right", fontsize="small")
    return ax


def _png(ax) -> bytes:
    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png", dpi=90)
    return buffer.getvalue()


class DesignExplorer:
    """The widget panel of :func:`design_explorer` (controls, figure, simulate button, progress bar).

    Attributes
    ----------
    design : ExplorerDesign
        The design the controls currently set.
    simulated : object or None
        The last simulation, shown while the design is unchanged.
    widget : ipywidgets.VBox
        The panel.
    controls : dict of str to ipywidgets widget
        ``rate_ratio``, ``dispersion``, ``n_per_arm``, ``followup_years``,
        ``dropout``, ``endpoint``, ``response_reference``,
        ``response_treated``, ``n_trials``.
    image : ipywidgets.Image
        The figure (PNG), redrawn whenever a control moves.

    Examples
    --------
    >>> from lupusstats.explorer import design_explorer
    >>> ex = design_explorer(n_per_arm=100, n_trials=200, rng=1)
    >>> first = ex.image.value
    >>> ex.controls["rate_ratio"].value = 0.5
    >>> ex.design.rate_ratio, ex.image.value != first
    (0.5, True)
    >>> sim = ex.simulate()
    >>> bool(sim.ci_low <= sim.power <= sim.ci_high), ex.progress.value == ex.progress.max
    (True, True)
    """

    def __init__(self, design: ExplorerDesign, *, n_trials: int = 2000, rng: RNGLike = None):
        import ipywidgets as w

        self.design = design
        self.simulated: _Simulated | None = None
        self._rng = np.random.default_rng(rng)
        style = {"description_width": "150px"}
        layout = w.Layout(width="420px")

        def slider(cls, value, lo, hi, step, description, fmt=None):
            kw = {"readout_format": fmt} if fmt else {}
            return cls(
                value=value, min=lo, max=hi, step=step, description=description, style=style, layout=layout,
                continuous_update=False, **kw,
            )  # fmt: skip

        self.controls = {
            "endpoint": w.Dropdown(
                options=[(v[0], k) for k, v in EXPLORER_ENDPOINTS.items()],
                value=design.endpoint,
                description="endpoint",
                style=style,
                layout=layout,
            ),
            "rate_ratio": slider(w.FloatSlider, design.rate_ratio, 0.3, 1.3, 0.05, "rate ratio", ".2f"),
            "dispersion": slider(w.FloatSlider, design.dispersion, 0.0, 2.0, 0.05, "dispersion", ".2f"),
            "n_per_arm": slider(w.IntSlider, design.n_per_arm, 10, 1000, 5, "patients per arm"),
            "followup_years": slider(w.FloatSlider, design.followup_years, 0.25, 3.0, 0.05, "follow-up (years)", ".2f"),
            "dropout": slider(w.FloatSlider, design.dropout, 0.0, 0.6, 0.01, "dropout by end", ".2f"),
            "response_reference": slider(
                w.FloatSlider, design.response_reference, 0.05, 0.95, 0.01, "responders, reference", ".2f"
            ),
            "response_treated": slider(
                w.FloatSlider, design.response_treated, 0.05, 0.95, 0.01, "responders, treated", ".2f"
            ),
            "n_trials": w.BoundedIntText(
                value=n_trials, min=100, max=100_000, step=100, description="simulated trials", style=style,
                layout=layout,
            ),
        }  # fmt: skip
        self.button = w.Button(description="simulate", button_style="primary", icon="play")
        self.progress = w.IntProgress(value=0, min=0, max=n_trials, description="", layout=w.Layout(width="420px"))
        self.status = w.HTML()
        self.image = w.Image(format="png", layout=w.Layout(width="630px", min_width="400px"))
        for name, control in self.controls.items():
            if name != "n_trials":
                control.observe(self._on_change, names="value")
        self.button.on_click(lambda _: self.simulate())
        self._sync_enabled()
        self._redraw()
        left = w.VBox(
            [*self.controls.values(), w.HBox([self.button]), self.progress, self.status],
            layout=w.Layout(min_width="430px"),
        )
        self.widget = w.HBox([left, self.image])

    # ---------------------------------------------------------------- reactions
    def _on_change(self, _change=None) -> None:
        values = {name: c.value for name, c in self.controls.items() if name != "n_trials"}
        try:
            self.design = self.design.replace(**values)
        except ValueError as err:  # e.g. equal response shares are allowed; a bad value is shown, not raised
            self.status.value = f"<span style='color:#c44e52'>{err}</span>"
            return
        self._sync_enabled()
        self._redraw()

    def _sync_enabled(self) -> None:
        responder = self.design.endpoint == "responder"
        for name in ("rate_ratio", "dispersion", "followup_years", "dropout"):
            self.controls[name].disabled = responder
        for name in ("response_reference", "response_treated"):
            self.controls[name].disabled = not responder

    def _redraw(self) -> None:
        ax = plot_design_explorer(self.design, simulated=self.simulated)
        self.image.value = _png(ax)
        here = float(explorer_power(self.design))
        text = f"formula power at {self.design.n_per_arm} per arm: <b>{here:.3f}</b>"
        sim = self.simulated
        if sim is not None and sim.design == self.design:
            text += (
                f"<br>simulated: <b>{sim.power:.3f}</b> (95% MC interval {sim.ci_low:.3f}-{sim.ci_high:.3f}, "
                f"{sim.n_trials} trials)"
            )
        self.status.value = text

    def simulate(self, n_trials: int | None = None, *, rng: RNGLike = None) -> _Simulated:
        """Simulate the current design (`n_trials`, default the panel's field) and overlay the result.

        `rng` (default: the panel's own stream, new trials at each call) seeds
        this simulation.  Returns the simulated power with its 95% Wilson
        Monte Carlo interval (``design``, ``power``, ``ci_low``, ``ci_high``,
        ``n_trials``).
        """
        n = _v.check_int("n_trials", self.controls["n_trials"].value if n_trials is None else n_trials, minimum=10)
        self.progress.max, self.progress.value = n, 0
        self.button.disabled = True

        def step(done, total):
            self.progress.value = done

        try:
            self.simulated = _simulate(self.design, n, self._rng if rng is None else rng, 0.95, step)
        finally:
            self.button.disabled = False
        self._redraw()
        return self.simulated

    # ---------------------------------------------------------------- display
    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude) or {}
        bundle = dict(bundle)
        # the static fallback: shown where no widget frontend runs (nbconvert, HTML report, untrusted notebook)
        bundle["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        here = float(explorer_power(self.design))
        bundle["text/plain"] = f"DesignExplorer({self.design}); formula power {here:.3f}"
        return bundle


def design_explorer(
    design: ExplorerDesign | None = None, *, n_trials: int = 2000, rng: RNGLike = None, **settings: Any
) -> DesignExplorer:
    """An interactive power explorer for a two-arm lupus trial (ipywidgets panel).

    The controls: endpoint (flare rate, time to first flare, responder), rate
    ratio, NB dispersion, patients per arm, follow-up, dropout by the end of
    follow-up, and the responder shares of the two arms (the controls that do
    not apply to the endpoint are disabled).  Every change redraws the
    formula's power curve over patients per arm (:func:`explorer_power`); the
    **simulate** button simulates `n_trials` trials of the design
    (:func:`lupusstats.simulate_power`, in chunks with a progress bar) and
    overlays the simulated power with its 95% Monte Carlo (Wilson) interval.
    Displayed where no widget frontend runs, the panel is a static PNG of the
    figure at its initial settings.

    Parameters
    ----------
    design : ExplorerDesign, optional
        The initial settings (default ``ExplorerDesign()``).
    n_trials : int, default 2000
        Simulated trials per click (changeable in the panel).
    rng : None, int, SeedSequence or Generator
        For the simulations (each click draws new trials from it).
    **settings
        Fields of :class:`ExplorerDesign` that override `design`.

    Returns
    -------
    DesignExplorer
        Display it (last expression of a cell) to show the panel.

    Examples
    --------
    >>> from lupusstats.explorer import design_explorer
    >>> ex = design_explorer(endpoint="time_to_first_flare", n_per_arm=150)
    >>> sorted(ex.controls)[:3], ex.controls["response_treated"].disabled
    (['dispersion', 'dropout', 'endpoint'], True)
    """
    base = ExplorerDesign() if design is None else design
    if not isinstance(base, ExplorerDesign):
        raise TypeError(f"`design` must be an ExplorerDesign, got {type(base).__name__}.")
    return DesignExplorer(base.replace(**settings), n_trials=_v.check_int("n_trials", n_trials, minimum=10), rng=rng)
