"""Preset scenarios built from published SLE numbers: ``preset(name)``, ``list_presets()``.

Every number is quoted from ``DOMAIN.md`` (the project's evidence file, with
the original citations) or derived from such numbers by the formula written
next to it; each carries its :class:`~lupusstats.Source`, shown by
``Scenario.sources()``.  Where the literature has no number, the preset says
so instead of inventing one.
"""

from __future__ import annotations

import math
from typing import Any

from lupusstats.model.scenario import (
    _BLISS_ORGAN,
    _BLISS_SLEDAI,
    _MCELHONE,
    _PETRI_1991,
    _WEEK,
    _YEAR_DAYS,
    Arm,
    Scenario,
    Source,
)

__all__ = ["list_presets", "preset"]


def _rate_from_risk(risk: float, years: float) -> float:
    """Constant hazard giving cumulative risk `risk` over `years`: -ln(1 - risk) / years."""
    return -math.log1p(-risk) / years


def _common_provenance() -> dict[str, Source]:
    """Provenance of the model defaults shared by all presets."""
    return {
        "severity_probs": Source(
            _MCELHONE, "V", "126 mild / 32 moderate / 37 severe of 195 BILAG-2004 flares (shares derived)"
        ),
        "organ_probs": Source(
            _BLISS_ORGAN,
            "D",
            "share of placebo patients with new BILAG A/B worsening per domain at week 52 "
            "(general 18/557, mucocutaneous 24/538, neuro 4/562, musculoskeletal 26/515, "
            "cardiorespiratory 5/558, renal 42/561, haematological 51/561), normalised to sum to 1; "
            "vasculitis (9/548) left out. Patient-level worsening used as the organ mix of flares.",
        ),
        "severity_frailty_log_or": Source(
            "no published number", "A", "neutral: severity independent of flare frequency"
        ),
        "severity_patient_sd": Source("no published number", "A", "neutral: no extra within-patient correlation"),
        "sledai_baseline_mean": Source(
            _BLISS_SLEDAI, "V", "SELENA-SLEDAI at entry, BLISS pooled 9.71 +/- 3.76 (n=1684)"
        ),
        "sledai_baseline_sd": Source(
            _BLISS_SLEDAI,
            "V",
            "SD 3.76; check: a rounded normal(9.71, 3.76) gives P(score >= 10) = 0.52, published 52.1% (same table)",
        ),
        "sledai_baseline_min": Source(
            "no truncation", "A", "BLISS screening required a minimum score, but baseline scores below it are possible"
        ),
        "sledai_increase_mean": Source(
            _PETRI_1991,
            "V",
            "mean SLEDAI rise at flare +3.0 (PGA-defined flares); the same for every severity "
            "because no by-severity numbers were found [A]",
        ),
        "sledai_increase_min": Source(
            "no published number", "A", "no minimum (PGA-defined flares may not raise SLEDAI)"
        ),
    }


def _neutral(*keys: str) -> dict[str, Source]:
    return {k: Source("no published number", "A", "neutral default (not modelled)") for k in keys}


def _general_cohort() -> Scenario:
    bliss52 = "BLISS-52 placebo, ClinicalTrials.gov NCT00424476 participant flow"
    care = Arm(
        "standard care",
        dropout_rate=_rate_from_risk(61 / 287, 52 * _WEEK),
        description="standard of care (placebo arm of a trial or cohort follow-up)",
        provenance={
            "flare_rate_ratio": Source("reference arm", "A", "reference arm by definition"),
            "dropout_rate": Source(
                bliss52, "D", "61 of 287 did not complete 52 weeks: -ln(226/287) / 52 weeks = 0.24 per year"
            ),
            **_neutral(
                "severity_odds_ratio", "treatment_mortality", "remission_probability", "adverse_event_window_years"
            ),
            "mortality_window_years": Source("not used", "A", "no treatment-related mortality"),
        },
    )
    prov = _common_provenance()
    prov.update(
        {
            "n_per_arm": Source("illustrative", "A", "cohort size for examples; BLISS-52 placebo had 287"),
            "baseline_flare_rate": Source(
                "Petri 1991 (0.65/py, PGA); Buyon 2005 SELENA HRT placebo (mild/moderate 0.86/py + severe 0.049); "
                "Petri 2005 SELENA OC placebo (1.44/py + 0.087)",
                "D",
                "1.0 flares per patient-year (any SFI flare), the middle of the published 0.65-1.5 range (DOMAIN.md)",
            ),
            "dispersion": Source(
                "Buyon 2005 SELENA placebo; McElhone 2021",
                "D",
                "NB fitted to mean count and P(0 flares): k = 1.5 (SELENA) and 2.4 (McElhone); alpha = 1/k = 0.5 "
                "(k = 2). No published dispersion estimate exists.",
            ),
            "followup_years": Source("SELENA trials (12-month rates); BLISS-52 (52 weeks)", "A", "one year"),
        }
    )
    return Scenario(
        [care],
        n_per_arm=200,
        baseline_flare_rate=1.0,
        dispersion=0.5,
        followup_years=1.0,
        name="general_cohort",
        description="Natural history under standard care in a mixed, mostly stable SLE cohort.",
        flare_definition="SELENA Flare Index (any flare); severity mix from BILAG-2004",
        provenance=prov,
    )


def _nephritis_induction() -> Scenario:
    weeks24 = 24 * _WEEK
    alms = (
        "Appel GB, et al. (ALMS) J Am Soc Nephrol 2009;20:1103-12; "
        "AE table in Hogan J, et al. CJASN 2014, doi:10.2215/CJN.01600214"
    )
    ginzler = "Ginzler EM, et al. NEJM 2005;353:2219-28 (MMF 71 vs IVC 69); AE table in Hogan 2014 CJASN"
    deng = "Deng D, et al. Ann Rheum Dis 2017;76:1436-9, PMID 28478399 (double-blind RCT, 12 MSC vs 6 placebo)"

    def risk_to_rate(label: str, risk: float, source: str, what: str) -> tuple[float, Source]:
        rate = _rate_from_risk(risk, weeks24)
        return rate, Source(
            source, "D", f"{what} {risk:.1%} over 24 weeks -> -ln(1 - p) / 24 weeks = {rate:.3g} per year"
        )

    # MMF-based standard care (ALMS MMF arm) and IV cyclophosphamide (ALMS IVC arm).
    ae_care, ae_cyc = {}, {}
    prov_care: dict[str, Source] = {}
    prov_cyc: dict[str, Source] = {}
    for event, p_mmf, p_ivc, src, what in (
        ("infection", 0.69, 0.62, alms, "patients with >= 1 infection"),
        ("alopecia", 0.11, 0.36, alms, "alopecia"),
        ("cytopenia", 0.22, 0.37, ginzler, "lymphopenia"),
        ("pneumonia", 0.01, 0.04, ginzler, "UPPER BOUND: no pneumonia-specific rate was found; severe infection"),
    ):
        ae_care[event], prov_care[f"adverse_events.{event}"] = risk_to_rate(event, p_mmf, src, what)
        ae_cyc[event], prov_cyc[f"adverse_events.{event}"] = risk_to_rate(event, p_ivc, src, what)

    drop_care = _rate_from_risk(32 / 185, weeks24)
    drop_cyc = _rate_from_risk(28 / 185, weeks24)
    alms_flow = "ALMS induction flow (Appel 2009 table): completed 150/185 MMF vs 156/185 IVC; 3 vs 1 deaths"
    common_arm = {
        "severity_odds_ratio": Source("no published number", "A", "no effect on flare severity reported"),
        "mortality_window_years": Source(alms, "V", "deaths during the 24-week induction"),
        "adverse_event_window_years": Source(alms, "A", "adverse events over the 24-week induction (= follow-up)"),
    }
    care = Arm(
        "standard care",
        dropout_rate=drop_care,
        treatment_mortality=3 / 185,
        mortality_window_years=weeks24,
        remission_probability=0.562,
        adverse_events=ae_care,
        description="mycophenolate-based induction (ALMS MMF arm)",
        provenance={
            "flare_rate_ratio": Source("reference arm", "A", "reference arm by definition"),
            "dropout_rate": Source(alms_flow, "D", "32 non-completers other than deaths of 185 over 24 weeks"),
            "treatment_mortality": Source(alms_flow, "V", "3 deaths of 185 during induction"),
            "remission_probability": Source(alms, "V", "response at 24 weeks (UPCR fall + stable creatinine) 56.2%"),
            **common_arm,
            **prov_care,
        },
    )
    cyc = Arm(
        "IV cyclophosphamide",
        flare_rate_ratio=1.0,
        dropout_rate=drop_cyc,
        treatment_mortality=1 / 185,
        mortality_window_years=weeks24,
        remission_probability=0.530,
        adverse_events=ae_cyc,
        description="IV cyclophosphamide 0.5-1 g/m2 monthly (ALMS IVC arm)",
        provenance={
            "flare_rate_ratio": Source(
                alms,
                "D",
                "no flare rate ratio published; response OR 1.2 (0.8-1.8) MMF vs IVC shows no difference, so 1.0",
            ),
            "dropout_rate": Source(alms_flow, "D", "28 non-completers other than deaths of 185 over 24 weeks"),
            "treatment_mortality": Source(alms_flow, "V", "1 death of 185 during induction"),
            "remission_probability": Source(alms, "V", "response at 24 weeks 53.0%"),
            **common_arm,
            **prov_cyc,
        },
    )
    msc = Arm(
        "MSC + standard care",
        flare_rate_ratio=1.0,
        dropout_rate=drop_care,
        treatment_mortality=3 / 185,
        mortality_window_years=weeks24,
        remission_probability=0.562 * (9 / 12) / (5 / 6),
        adverse_events=ae_care,
        description="umbilical-cord mesenchymal stem cells on top of standard care (Deng 2017 design)",
        provenance={
            "flare_rate_ratio": Source(
                deng, "D", "no added effect in the only double-blind RCT (stopped for futility): 1.0"
            ),
            "dropout_rate": Source(alms_flow, "A", "as standard care (MSC added on top)"),
            "treatment_mortality": Source(
                "Wang D, et al. Arthritis Res Ther 2014;16:R79 (no transplant-related adverse events)",
                "A",
                "as standard care: no MSC-related deaths reported",
            ),
            "remission_probability": Source(
                deng, "D", "standard-care response 0.562 x remission RR (9/12)/(5/6) = 0.90 -> 0.506"
            ),
            **common_arm,
            **{
                k: Source(s.citation, "A", "as standard care (MSC added on top; no excess adverse events reported)")
                for k, s in prov_care.items()
            },
        },
    )
    prov = _common_provenance()
    prov.update(
        {
            "n_per_arm": Source(alms, "V", "185 per arm in ALMS"),
            "baseline_flare_rate": Source(
                "Petri M, et al. J Rheumatol 2009;36:2476-80, doi:10.3899/jrheum.090019",
                "V",
                "BILAG A or B flares 1.765 per year (Hopkins cohort; not a nephritis-only population)",
            ),
            "dispersion": Source("Buyon 2005; McElhone 2021", "D", "alpha = 0.5 (k = 2), as the general cohort"),
            "followup_years": Source(alms, "V", "24-week induction phase"),
        }
    )
    return Scenario(
        [care, cyc, msc],
        n_per_arm=185,
        baseline_flare_rate=1.765,
        dispersion=0.5,
        followup_years=weeks24,
        name="nephritis_induction",
        description=(
            "Lupus nephritis induction: MMF-based standard care vs IV cyclophosphamide vs mesenchymal "
            "stem cells on top of standard care, over 24 weeks."
        ),
        flare_definition="BILAG A or B flare",
        provenance=prov,
    )


def _refractory() -> Scenario:
    burt = "Burt RK, et al. JAMA 2006;295:527-35 [R: volume, pages]"
    jayne = "Jayne D, et al. Lupus 2004;13:168-76, PMID 15119545 (EBMT/EULAR registry)"
    muller = "Mueller F, et al. NEJM 2024;390:687-700, PMID 38381673"
    mackensen = "Mackensen A, et al. Nat Med 2022;28:2124-32, PMID 36109639"
    liang = "Liang J, et al. Ann Rheum Dis 2010;69:1423-9, doi:10.1136/ard.2009.123463"
    base_rate = 0.25 * 12
    hsct_hazard = -math.log(0.5) / 5.0
    cart_rate = 3.0 / 10.0
    care = Arm(
        "standard care",
        description="continued standard immunosuppression in refractory disease",
        provenance={
            "flare_rate_ratio": Source("reference arm", "A", "reference arm by definition"),
            **_neutral(
                "severity_odds_ratio",
                "dropout_rate",
                "treatment_mortality",
                "remission_probability",
                "adverse_event_window_years",
            ),
            "mortality_window_years": Source("not used", "A", "no treatment-related mortality"),
        },
    )
    hsct = Arm(
        "autologous HSCT",
        flare_rate_ratio=hsct_hazard / base_rate,
        treatment_mortality=2 / 50,
        remission_probability=33 / 50,
        description="autologous haematopoietic stem-cell transplantation (CYC + ATG conditioning)",
        provenance={
            "flare_rate_ratio": Source(
                burt,
                "D",
                "5-year disease-free survival 50% -> hazard -ln(0.5)/5 = 0.139/yr, divided by the reference "
                f"rate {base_rate:g}/yr. Registry DFS 29% at 5 years (Alchi 2013) would give 0.25/yr.",
            ),
            "treatment_mortality": Source(
                burt,
                "V",
                "treatment-related mortality by intention to treat 2/50 (4%); "
                "registries 11-12% (EBMT 100-day; Jayne 2004)",
            ),
            "mortality_window_years": Source(
                "EBMT registry (Tyndall review), ASH Education 2011",
                "V",
                "transplant-related mortality is reported at 100 days",
            ),
            "remission_probability": Source(jayne, "V", "remission (SLEDAI < 3) by 6 months 33/50"),
            "severity_odds_ratio": Source("no published number", "A", "no effect on severity of the flares that occur"),
            "dropout_rate": Source("no published number", "A", "no dropout modelled"),
            "adverse_event_window_years": Source("not used", "A", "infection counts after HSCT for SLE were not found"),
        },
    )
    cart = Arm(
        "CD19 CAR-T (exploratory)",
        flare_rate_ratio=cart_rate / base_rate,
        remission_probability=1.0,
        adverse_events={"cytokine_release_syndrome": _rate_from_risk(11 / 15, 30 / _YEAR_DAYS)},
        adverse_event_window_years=30 / _YEAR_DAYS,
        exploratory=True,
        description="CD19 CAR-T cells: 13 patients in two case series; an exploratory scenario, not an estimate",
        provenance={
            "flare_rate_ratio": Source(
                f"{muller}; {mackensen}",
                "D",
                "no flares in 8 patients over about 10 patient-years: rule-of-three upper 95% bound 0.3/py, "
                f"divided by the reference rate {base_rate:g}/yr (an upper bound, not an estimate)",
            ),
            "remission_probability": Source(f"{muller}; {mackensen}", "V", "DORIS remission 8/8 and 5/5"),
            "adverse_events.cytokine_release_syndrome": Source(
                muller, "D", "CRS grade 1 in 10/15 and grade 2 in 1/15 (all diseases): risk 11/15 within 30 days"
            ),
            "adverse_event_window_years": Source(muller, "A", "CRS occurs within days of infusion; 30-day window"),
            "treatment_mortality": Source(f"{muller}; {mackensen}", "V", "no deaths reported"),
            "mortality_window_years": Source("not used", "A", "no treatment-related mortality"),
            "severity_odds_ratio": Source("no published number", "A", "neutral"),
            "dropout_rate": Source("no published number", "A", "no dropout modelled"),
        },
    )
    prov = _common_provenance()
    prov.update(
        {
            "n_per_arm": Source(burt, "A", "illustrative trial size; Burt 2006 enrolled 50"),
            "baseline_flare_rate": Source(
                _MCELHONE, "D", "0.25 flares per patient-month in active SLE needing more immunosuppression -> 3.0/yr"
            ),
            "dispersion": Source(
                _MCELHONE, "D", "NB fitted to mean 1.95 flares and P(0) = 0.24: k = 2.4, alpha = 0.42"
            ),
            "followup_years": Source("illustrative", "A", "two years"),
            "sledai_baseline_mean": Source(liang, "V", "SLEDAI 12.2 +/- 3.3 at entry (refractory, MSC series)"),
            "sledai_baseline_sd": Source(liang, "V", "SD 3.3"),
        }
    )
    return Scenario(
        [care, hsct, cart],
        n_per_arm=50,
        baseline_flare_rate=base_rate,
        dispersion=0.42,
        followup_years=2.0,
        sledai_baseline_mean=12.2,
        sledai_baseline_sd=3.3,
        name="refractory",
        description=(
            "Refractory SLE: standard care vs autologous HSCT, with CD19 CAR-T as an explicitly "
            "exploratory arm (case series only)."
        ),
        flare_definition="BILAG-2004 flare",
        provenance=prov,
    )


_PRESETS = {
    "general_cohort": _general_cohort,
    "nephritis_induction": _nephritis_induction,
    "refractory": _refractory,
}


def preset(name: str, **changes: Any) -> Scenario:
    """Return a preset scenario built from published numbers.

    Parameters
    ----------
    name : str
        One of the names in :func:`list_presets`.
    **changes
        Scenario-level parameters to change (e.g. ``n_per_arm=50``); they show
        as ``user`` in :meth:`Scenario.sources`.

    Returns
    -------
    Scenario
        A new scenario each call, with the source of every parameter in its
        ``provenance`` (see :meth:`Scenario.sources`).

    Examples
    --------
    >>> import lupusstats as ls
    >>> ls.preset("nephritis_induction").arm_names
    ('standard care', 'IV cyclophosphamide', 'MSC + standard care')
    >>> ls.preset("nephritis_induction", n_per_arm=30).n_per_arm
    (30, 30, 30)
    """
    if not isinstance(name, str):
        raise TypeError(f"`name` must be a string, one of {sorted(_PRESETS)}, got {name!r}.")
    if name not in _PRESETS:
        raise ValueError(f"unknown preset {name!r}; known presets: {sorted(_PRESETS)}.")
    scenario = _PRESETS[name]()
    return scenario.replace(**changes) if changes else scenario


def list_presets():
    """Return one row per preset: name, arms, sizes, rates and description.

    Returns
    -------
    pandas.DataFrame
        Columns ``name, arms, n_per_arm, baseline_flare_rate, dispersion,
        followup_years, flare_definition, description``; pass a ``name`` to
        :func:`preset`.

    Examples
    --------
    >>> import lupusstats as ls
    >>> presets = ls.list_presets()
    >>> presets[["name", "n_per_arm", "baseline_flare_rate", "followup_years"]]
                      name  n_per_arm  baseline_flare_rate  followup_years
    0       general_cohort        200                1.000        1.000000
    1  nephritis_induction        185                1.765        0.459959
    2           refractory         50                3.000        2.000000
    """
    import pandas as pd

    rows = []
    for key in _PRESETS:
        sc = preset(key)
        rows.append(
            {
                "name": key,
                "arms": ", ".join(sc.arm_names),
                "n_per_arm": sc.n_per_arm[0],
                "baseline_flare_rate": sc.baseline_flare_rate,
                "dispersion": sc.dispersion,
                "followup_years": sc.followup_years,
                "flare_definition": sc.flare_definition,
                "description": sc.description,
            }
        )
    return pd.DataFrame(rows)
