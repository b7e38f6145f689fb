"""Published arm-level trial results that the trial presets are fitted to or checked against.

A :class:`Target` is one published number (an SRI-4 rate, a BICLA rate, the
share with a BILAG A at baseline ...) with its denominator, interval and
source.  ``PRESET_TARGETS`` lists, for each trial preset, the targets its free
parameters were fitted to (parameter key -> target) and the **held-out**
published numbers that were not used in the fit and that the fitted model
predicts (``lupusstats.fitting.preset_calibration`` reports both).  Every
number was read in the cited table (ENDPOINTS.md and the verification notes
give the addresses).
"""

from __future__ import annotations

import dataclasses
import math

from lupusstats._core import inference as _inf
from lupusstats._core import validation as _v

__all__ = ["PRESET_TARGETS", "TARGET_KINDS", "Target"]

#: Responder endpoints a target may name (``lupusstats.RESPONDER_ENDPOINTS``; repeated here because the
#: model layer does not import the endpoints family).
_RESPONDER_ENDPOINTS = (
    "sri4",
    "bicla",
    "lldas",
    "doris",
    "drug_free_remission",
    "steroid_taper",
    "renal_response",
    "complete_renal_response",
    "alms_response",
)

#: Target kinds besides the responder endpoints (``lupusstats.RESPONDER_ENDPOINTS``).
TARGET_KINDS: tuple[str, ...] = (
    *_RESPONDER_ENDPOINTS,
    "flare_rate",
    "baseline_bilag_a",
    "baseline_pga",
    "lldas_among_sri4",
    "prednisone_at_most_7_5",
    "lldas_activity_criterion",
    "sledai_reduction_4",
    "no_pga_worsening",
    "no_bilag_worsening",
    "any_flare",
    "sfi_mild_moderate_flare",
    "bilag_moderate_severe_flare",
    "first_flare_hazard_ratio",
    "drug_free_ever",
    "drug_free_ever_hcq_allowed",
)


@dataclasses.dataclass(frozen=True)
class Target:
    """One published arm-level number a simulated trial should reproduce.

    Parameters
    ----------
    endpoint : str
        One of ``TARGET_KINDS``: a responder endpoint (``"sri4"``, ``"bicla"``,
        ``"lldas"``, ``"steroid_taper"`` ...), ``"flare_rate"`` (flares per
        patient-year), ``"baseline_bilag_a"`` (share with >= 1 BILAG A at
        week 0), ``"baseline_pga"`` (mean PGA at week 0) or
        ``"lldas_among_sri4"`` (share in LLDAS among SRI-4 responders) or
        ``"prednisone_at_most_7_5"`` (share of randomised patients seen at the
        week on at most 7.5 mg/day, the LLDAS steroid criterion),
        ``"lldas_activity_criterion"`` (seen at the week with SLEDAI-2K <= 4 and
        no major-organ activity, LLDAS criterion 1), or an SRI-4 component
        among randomised patients seen at the week: ``"sledai_reduction_4"``,
        ``"no_bilag_worsening"`` (no new A, at most one new B),
        ``"no_pga_worsening"`` (PGA rise < 0.3); ``"any_flare"`` (share with a
        flare of the simulator's flare process by the week),
        ``"sfi_mild_moderate_flare"`` / ``"bilag_moderate_severe_flare"``
        (share with such a flare by the week, from the visits), or
        ``"first_flare_hazard_ratio"`` (Cox hazard ratio of the time to first
        flare, `arm` against the first arm; needs `ci`); ``"drug_free_ever"``
        (ever in drug-free remission -- clinical SLEDAI 0, no glucocorticoid,
        immunosuppressant or antimalarial -- for `sustained_weeks` in a row
        by `week`, as Urowitz 2005 counted) or ``"drug_free_ever_hcq_allowed"``
        (the same with hydroxychloroquine allowed).
    arm : str
        The scenario arm it belongs to.
    value : float
        The published value (a proportion, a rate or a mean).
    n : int
        Its denominator (patients; for ``lldas_among_sri4`` the SRI-4
        responders).
    source : str
        Where it was read (citation and table).
    sd : float, optional
        The published SD, for a mean (its CI is ``value +/- 1.96 sd / sqrt(n)``).
    ci : (float, float), optional
        The published 95% CI when the paper gives one (used instead of the
        Wilson interval of ``value`` and ``n``).
    week : int, default 52
        The assessment visit (for ``drug_free_ever``: the horizon).
    sustained_weeks : int, default 52
        Duration of a sustained state (``drug_free_ever`` targets).

    Examples
    --------
    >>> import lupusstats as ls
    >>> t = ls.Target("sri4", "placebo", 125 / 287, 287, source="Oon 2019, Table 1")
    >>> [round(x, 3) for x in t.interval()]
    [0.379, 0.493]
    """

    endpoint: str
    arm: str
    value: float
    n: int
    source: str = ""
    sd: float | None = None
    ci: tuple[float, float] | None = None
    week: int = 52
    sustained_weeks: int = 52

    def __post_init__(self) -> None:
        _v.check_choice("endpoint", self.endpoint, TARGET_KINDS)
        _v.check_number("value", self.value)
        _v.check_int("n", self.n, minimum=1)
        _v.check_int("week", self.week, minimum=0)
        if self.endpoint == "baseline_pga" and self.sd is None:
            raise ValueError("a `baseline_pga` target needs `sd` (the published SD) for its interval.")
        if self.endpoint in ("flare_rate", "first_flare_hazard_ratio") and self.ci is None:
            raise ValueError(f"a `{self.endpoint}` target needs `ci` (the published interval).")

    def interval(self, confidence_level: float = 0.95) -> tuple[float, float]:
        """The published value's confidence interval (given, or Wilson, or the mean's normal interval)."""
        if self.ci is not None:
            return float(self.ci[0]), float(self.ci[1])
        if self.endpoint == "baseline_pga":
            assert self.sd is not None
            z = float(_inf.critical_value(confidence_level))
            half = z * self.sd / math.sqrt(self.n)
            return self.value - half, self.value + half
        if self.endpoint == "flare_rate":
            raise ValueError("a `flare_rate` target needs `ci` (the published interval).")
        low, high = _inf.wilson_interval(round(self.value * self.n), self.n, confidence_level)
        return float(low), float(high)


_OON = "Oon S, et al. ARD 2019;78:629-33, Table 1 (ard.bmj.com/highwire/markup/251641)"
_BLISS52_T1 = "BLISS-52 baseline, ARD Table 1 (ard.bmj.com/highwire/markup/191181)"
_BLISS_LSM_T1 = "Pooled BLISS baseline, Lupus Sci Med Table 1 (lupus.bmj.com/highwire/markup/135674)"
_TULIP_T1 = "Pooled TULIP-1/2 baseline (lupus.bmj.com/highwire/markup/141661)"
_TULIP_OUT = "Vital EM, et al. ARD 2022;81:951-61, Table 1 (PMC9213795): pooled TULIP-1/2"
_TULIP_LLDAS = "Morand EF, et al. ARD 2023;82:639-45 (ard.bmj.com/highwire/markup/300727): pooled TULIP"

_LABEL = (
    "US belimumab label, section 14, SRI components of BLISS-52 (mirror: 120ty.net/bencandy.php?aid=4631&fid=134&"
    "page=11; the excerpt has no column headers: trial and arm order inferred, check the label before relying on it)"
)
_BLISS_LN = (
    "Furie R, et al. NEJM 2020;383:1117-28 (BLISS-LN; pubmed 32937045), counts as Anders HJ, et al. NDT "
    "2023;38:2733 (PMC10689192) subgroups sum to"
)
_UROWITZ = "Urowitz MB, et al. J Rheumatol 2005;32:1467-72 (Toronto, n = 703; docslib.org/doc/6469866)"
_CORTICOLUP = (
    "Mathian A, et al. Ann Rheum Dis 2020;79:339-46 (CORTICOLUP, NCT02558517), abstract (ard.bmj.com/content/79/3/339)"
)
_ALMS = (
    "Appel GB, et al. (ALMS) J Am Soc Nephrol 2009;20:1103-12, Table 3 (jasn.asnjournals.org/highwire/markup/34806; "
    "ENDPOINTS.md [S24])"
)
_KEEP, _STOP = "prednisone 5 mg maintained", "prednisone withdrawn"
_BEL, _ANI = "belimumab 10 mg/kg", "anifrolumab 300 mg"

#: Per trial preset: ``fitted`` (parameter key -> the published number it was fitted to) and ``held_out``
#: (published numbers not used in the fit: the model's predictions).
PRESET_TARGETS: dict[str, dict[str, object]] = {
    "bliss52": {
        "fitted": {
            "activity.grade_a_share": Target(
                "baseline_bilag_a", "placebo", 0.190, 865, _BLISS52_T1 + ": BILAG >= 1 A 19.0% (whole trial)"
            ),
            "activity.pga_intercept": Target(
                "baseline_pga", "placebo", 1.4, 1684, _BLISS_LSM_T1 + ": PGA 1.4 +/- 0.5 (BLISS-52 and -76)", sd=0.5
            ),
            "activity.improvement_rate": Target("sri4", "placebo", 0.436, 287, _OON + ": SRI-4 43.6%"),
            "activity.taper_probability": Target(
                "prednisone_at_most_7_5", "placebo", 0.405, 287, _OON + ": LLDAS criterion 4 (prednisone <= 7.5) 40.5%"
            ),
            f"{_BEL}:activity_response_ratio": Target("sri4", _BEL, 0.576, 290, _OON + ": SRI-4 57.6%"),
        },
        "held_out": [
            Target("prednisone_at_most_7_5", _BEL, 0.465, 290, _OON + ": LLDAS criterion 4 (prednisone <= 7.5) 46.5%"),
            Target(
                "lldas_activity_criterion",
                "placebo",
                0.225,
                287,
                _OON + ": LLDAS criterion 1 (SLEDAI-2K <= 4, no major organ activity) 22.5%",
            ),
            Target(
                "lldas_activity_criterion",
                _BEL,
                0.309,
                290,
                _OON + ": LLDAS criterion 1 (SLEDAI-2K <= 4, no major organ activity) 30.9%",
            ),
            Target("sledai_reduction_4", "placebo", 0.46, 287, _LABEL + ": >= 4-point SELENA-SLEDAI reduction 46%"),
            Target("sledai_reduction_4", _BEL, 0.58, 290, _LABEL + ": >= 4-point SELENA-SLEDAI reduction 58%"),
            Target("no_bilag_worsening", "placebo", 0.73, 287, _LABEL + ": no BILAG worsening 73%"),
            Target("no_bilag_worsening", _BEL, 0.81, 290, _LABEL + ": no BILAG worsening 81%"),
            Target("no_pga_worsening", "placebo", 0.69, 287, _LABEL + ": no PGA worsening 69%"),
            Target("no_pga_worsening", _BEL, 0.80, 290, _LABEL + ": no PGA worsening 80%"),
            Target("lldas", "placebo", 0.058, 287, _OON + ": LLDAS at week 52 5.8%"),
            Target("lldas", _BEL, 0.125, 290, _OON + ": LLDAS at week 52 12.5%"),
            Target(
                "lldas_among_sri4",
                _BEL,
                0.170,
                167,
                "Oon 2019 abstract (research.monash.edu): 17.0% of SRI-4 responders on belimumab 10 mg/kg in LLDAS "
                "(n = 167 = 57.6% of 290, derived)",
            ),
        ],
    },
    "tulip": {
        "fitted": {
            "activity.grade_a_share": Target(
                "baseline_bilag_a", "placebo", 179 / 366, 366, _TULIP_T1 + ": >= 1 BILAG-2004 A 179/366"
            ),
            "activity.pga_intercept": Target(
                "baseline_pga", "placebo", 1.8, 366, _TULIP_T1 + ": PGA 1.8 (SD 0.4)", sd=0.4
            ),
            "activity.improvement_rate": Target("bicla", "placebo", 112 / 366, 366, _TULIP_OUT + ": BICLA 112/366"),
            f"{_ANI}:activity_response_ratio": Target("bicla", _ANI, 171 / 360, 360, _TULIP_OUT + ": BICLA 171/360"),
            "activity.taper_probability": Target(
                "steroid_taper", "placebo", 59 / 185, 185, _TULIP_OUT + ": sustained taper 59/185"
            ),
        },
        "held_out": [
            Target("sri4", "placebo", 147 / 366, 366, _TULIP_OUT + ": SRI(4) 147/366"),
            Target("sri4", _ANI, 188 / 360, 360, _TULIP_OUT + ": SRI(4) 188/360"),
            Target("lldas", "placebo", 72 / 366, 366, _TULIP_LLDAS + ": LLDAS at week 52 72/366"),
            Target("lldas", _ANI, 108 / 360, 360, _TULIP_LLDAS + ": LLDAS at week 52 108/360"),
            Target("steroid_taper", _ANI, 96 / 190, 190, _TULIP_OUT + ": sustained taper 96/190"),
        ],
    },
    "withdrawal": {
        "fitted": {
            "baseline_flare_rate": Target("any_flare", _KEEP, 4 / 61, 61, _CORTICOLUP + ": SFI flare by week 52 4/61"),
            f"{_STOP}:withdrawal_flare_ratio": Target(
                "any_flare", _STOP, 17 / 63, 63, _CORTICOLUP + ": SFI flare by week 52 17/63"
            ),
        },
        "held_out": [
            Target(
                "first_flare_hazard_ratio",
                _KEEP,
                0.2,
                124,
                _CORTICOLUP + ": time to first flare, HR 0.2 (0.1-0.6) for maintenance against withdrawal",
                ci=(0.1, 0.6),
            ),
            Target(
                "bilag_moderate_severe_flare",
                _KEEP,
                1 / 61,
                61,
                _CORTICOLUP + ": moderate or severe BILAG flare 1/61",
            ),
            Target(
                "bilag_moderate_severe_flare",
                _STOP,
                8 / 63,
                63,
                _CORTICOLUP + ": moderate or severe BILAG flare 8/63",
            ),
            Target("sfi_mild_moderate_flare", _KEEP, 3 / 61, 61, _CORTICOLUP + ": mild/moderate SFI flare 3/61"),
            Target("sfi_mild_moderate_flare", _STOP, 12 / 63, 63, _CORTICOLUP + ": mild/moderate SFI flare 12/63"),
        ],
    },
    "natural_history": {
        "fitted": {
            "activity.improvement_rate": Target(
                "drug_free_ever",
                "standard care",
                46 / 703,
                703,
                _UROWITZ + ": complete remission (SLEDAI 0, no steroids, antimalarials or immunosuppressants) "
                "lasting >= 1 year, 46/703",
                week=520,
                sustained_weeks=52,
            ),
        },
        "held_out": [
            Target(
                "drug_free_ever",
                "standard care",
                12 / 703,
                703,
                _UROWITZ + ": complete remission lasting >= 5 years, 12/703",
                week=520,
                sustained_weeks=260,
            ),
            Target(
                "drug_free_ever_hcq_allowed",
                "standard care",
                38 / 1613,
                1613,
                "Steiman et al. J Rheumatol 2014;41:1808 (pubmed 25086082): remission >= 5 years on no medication "
                "(antimalarials allowed) 38/1613; the same Toronto clinic as Urowitz 2005 (overlapping patients)",
                week=520,
                sustained_weeks=260,
            ),
        ],
    },
    "bliss_ln": {
        "fitted": {
            "activity.upcr_decline_rate": Target(
                "renal_response",
                "placebo",
                72 / 223,
                223,
                _BLISS_LN + ": primary efficacy renal response 72/223",
                week=104,
            ),
            f"{_BEL}:activity_response_ratio": Target(
                "renal_response",
                _BEL,
                96 / 223,
                223,
                _BLISS_LN + ": primary efficacy renal response 96/223",
                week=104,
            ),
        },
        "held_out": [
            Target(
                "complete_renal_response",
                "placebo",
                44 / 223,
                223,
                _BLISS_LN + ": complete renal response 44/223",
                week=104,
            ),
            Target(
                "complete_renal_response",
                _BEL,
                67 / 223,
                223,
                _BLISS_LN + ": complete renal response 67/223",
                week=104,
            ),
        ],
    },
    "nephritis_induction": {
        "fitted": {
            "activity.upcr_decline_rate": Target(
                "alms_response",
                "standard care",
                104 / 185,
                185,
                _ALMS + ": response (UPCR down >= 50%, or to < 3 from >= 3, creatinine stable) on MMF 104/185",
                week=24,
            ),
            "IV cyclophosphamide:activity_response_ratio": Target(
                "alms_response",
                "IV cyclophosphamide",
                98 / 185,
                185,
                _ALMS + ": response on IV cyclophosphamide 98/185",
                week=24,
            ),
        },
        "held_out": [
            Target(
                "complete_renal_response",
                "standard care",
                16 / 185,
                185,
                _ALMS
                + ": complete renal remission (all three criteria: normal creatinine, proteinuria <= 0.5, inactive "
                "sediment) on MMF 8.6% (16/185, derived); predicted with the BLISS-LN complete renal response "
                "(UPCR < 0.5, eGFR kept), the closest definition the visits carry",
                week=24,
            ),
            Target(
                "complete_renal_response",
                "IV cyclophosphamide",
                15 / 185,
                185,
                _ALMS + ": complete renal remission on IV cyclophosphamide 8.1% (15/185, derived); BLISS-LN complete "
                "renal response as the prediction",
                week=24,
            ),
        ],
    },
}
