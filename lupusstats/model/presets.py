"""Preset scenarios built from published SLE numbers: ``preset(name)``, ``list_presets()``.

Every number is quoted from ``DOMAIN.md`` (the project's evidence file, with
the original citations) or derived from such numbers by the formula written
next to it; each carries its :class:`~lupusstats.Source`, shown by
``Scenario.sources()``.  Where the literature has no number, the preset says
so instead of inventing one.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from lupusstats._core import inference as _inf
from lupusstats.cohort.columns import ORGAN_DOMAINS
from lupusstats.model.scenario import (
    _BLISS_ORGAN,
    _BLISS_POOLED_BASELINE,
    _BLISS_SLEDAI,
    _MANZI_TABLE2,
    _MCELHONE,
    _PETRI_1991,
    _PRED_LOG_MEAN_BLISS52,
    _PRED_LOG_SD,
    _WEEK,
    _YEAR_DAYS,
    Activity,
    Arm,
    Scenario,
    Source,
    _lognormal_from_share,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["list_presets", "preset", "preset_sensitivity"]


def _rate_from_risk(risk: float, years: float) -> float:
    """Constant hazard giving cumulative risk `risk` over `years`: -ln(1 - risk) / years."""
    return -math.log1p(-risk) / years


def _exact_ci(events: int, n: int) -> tuple[float, float]:
    """Exact (Clopper-Pearson) 95% interval for a binomial proportion, as scipy.stats.binomtest gives it."""
    from scipy.stats import beta

    low = 0.0 if events == 0 else float(beta.ppf(0.025, events, n - events + 1))
    high = 1.0 if events == n else float(beta.ppf(0.975, events + 1, n - events))
    return low, high


def _common_provenance() -> dict[str, Source]:
    """Provenance of the model defaults shared by all presets."""
    return {
        "severity_probs": Source(
            _MCELHONE,
            "D",
            "126/195 mild, 32/195 moderate, 37/195 severe: shares derived from the V counts of BILAG-2004 flares in "
            "McElhone's cohort (active SLE needing more immunosuppression, 9 UK centres), applied to this scenario's "
            "population and flare definition, which may differ (SFI flares of stable patients are less often severe "
            "by BILAG; the SFI's own severe share was about 5-6% in SELENA).",
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
            _BLISS_SLEDAI,
            "D",
            "SELENA-SLEDAI at entry, BLISS pooled 9.71 +/- 3.76 (n=1684) [V], the entry "
            "population of two trials of active autoantibody-positive SLE, applied to this scenario's population",
        ),
        "sledai_baseline_sd": Source(
            _BLISS_SLEDAI,
            "D",
            "SD 3.76 [V] (BLISS entry population, as the mean); check: a rounded normal(9.71, 3.76) gives "
            "P(score >= 10) = 0.52, published 52.1% (same table)",
        ),
        "sledai_baseline_min": Source(
            "no truncation", "A", "BLISS screening required a minimum score, but baseline scores below it are possible"
        ),
        "sledai_increase_mean": Source(
            _PETRI_1991,
            "A",
            "mean SLEDAI rise at flare +3.0 over all PGA-defined flares [V]; using it for every severity level is an "
            "assumption, because no by-severity numbers were found",
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
                "severity_odds_ratio",
                "activity_response_ratio",
                "treatment_mortality",
                "remission_probability",
                "adverse_event_window_years",
            ),
            "mortality_window_years": Source("not used", "A", "no treatment-related mortality"),
        },
    )
    prov = _common_provenance()
    prov.update(
        {
            "n_per_arm": Source("illustrative", "A", "cohort size for examples; BLISS-52 placebo had 287"),
            "baseline_flare_rate": Source(
                "Petri 1991 (0.65/py, PGA); Buyon 2005 SELENA HRT placebo (mild/moderate 0.86/py; 12-month "
                "severe-flare probability 0.049); Petri 2005 SELENA OC placebo (1.44/py; 0.087)",
                "D",
                "1.0 flares per patient-year (any SFI flare), the middle of the published 0.65-1.5 range (DOMAIN.md). "
                "The SELENA severe figures are 12-month probabilities, not rates; as rates -ln(1 - p) they add about "
                "0.05-0.09/py to the mild/moderate rates.",
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


def _as_standard_care(src: Source, safety: str) -> Source:
    """An MSC-arm adverse event copied from standard care: an assumption (A), or R if the copied value is recalled."""
    recalled = src.tag == "R"
    note = "as standard care (MSC added on top)" + ("; the standard-care value is RECALLED [R]" if recalled else "")
    return Source(src.citation, "R" if recalled else "A", f"{note}. {safety}.")


_ALMS = "Appel GB, et al. (ALMS) J Am Soc Nephrol 2009;20:1103-12"
_ALMS_T2 = (
    "McDonald S, et al. Lupus Sci Med 2022;9:e000584, Table 2 (lupus.bmj.com/highwire/markup/140628): ALMS induction "
    "baseline, N = 370"
)


def _ln_renal_baseline() -> dict[str, Any]:
    """The renal part of a nephritis activity model: BLISS-LN's baseline UPCR and eGFR, noise and flare factor.

    eGFR normal with P(>= 60) = 182/223 and P(>= 90) = 133/223 (BLISS-LN placebo): z = ndtri(1 - p); UPCR
    log-normal with mean 3.5 and SD 3.6 g/g (placebo).  The decline rate is the caller's (fitted per trial).
    """
    z60 = float(_inf.critical_value(1 - 182 / 223, "less"))
    z90 = float(_inf.critical_value(1 - 133 / 223, "less"))
    egfr_sd = 30.0 / (z90 - z60)
    upcr_log_sd = math.sqrt(math.log1p((3.6 / 3.5) ** 2))
    return {
        "renal": True,
        "upcr_log_mean": math.log(3.5) - upcr_log_sd**2 / 2,
        "upcr_log_sd": upcr_log_sd,
        "upcr_visit_sd": 0.3,
        "renal_flare_upcr_factor": 3.0,
        "egfr_mean": 60.0 - z60 * egfr_sd,
        "egfr_sd": egfr_sd,
        "egfr_visit_sd": 8.0,
    }


def _ln_renal_provenance(trial: str, other_trial: str = "") -> dict[str, Source]:
    """Sources of :func:`_ln_renal_baseline` for `trial`; `other_trial` says why BLISS-LN's numbers stand in."""
    why = f" -- BLISS-LN's population, not this trial's ({other_trial})" if other_trial else ""
    return {
        "renal": Source(trial, "V", "a lupus nephritis trial"),
        "upcr_log_mean": Source(_BLISS_LN_T, "D", f"log-normal with mean 3.5 and SD 3.6 g/g (placebo) [V]{why}"),
        "upcr_log_sd": Source(_BLISS_LN_T, "D", f"log-normal with mean 3.5 and SD 3.6 g/g (placebo) [V]{why}"),
        "upcr_visit_sd": Source("no published number", "A", "visit-to-visit variation of UPCR, 30% (log SD 0.3)"),
        "renal_flare_upcr_factor": Source("no published number", "A", "a renal flare triples proteinuria"),
        "egfr_mean": Source(
            _BLISS_LN_T, "D", f"normal with 182/223 at >= 60 and 133/223 at >= 90 mL/min/1.73 m2 (placebo) [V]{why}"
        ),
        "egfr_sd": Source(
            _BLISS_LN_T, "D", f"normal with 182/223 at >= 60 and 133/223 at >= 90 mL/min/1.73 m2 (placebo) [V]{why}"
        ),
        "egfr_visit_sd": Source("no published number", "A", "visit-to-visit eGFR variation, SD 8"),
    }


def _nephritis_induction() -> Scenario:
    decline, decline_src = _fitted("nephritis_induction", "activity.upcr_decline_rate")
    ivc_ratio, ivc_ratio_src = _fitted("nephritis_induction", "IV cyclophosphamide:activity_response_ratio")
    weeks24 = 24 * _WEEK
    alms = _ALMS + "; AE table in Hogan J, et al. CJASN 2014, doi:10.2215/CJN.01600214"
    ginzler = "Ginzler EM, et al. NEJM 2005;353:2219-28 (MMF 71 vs IVC 69); AE table in Hogan 2014 CJASN"
    deng = "Deng D, et al. Ann Rheum Dis 2017;76:1436-9, PMID 28478399 (double-blind RCT, 12 MSC vs 6 placebo)"
    deng_safety = (
        "Deng 2017 safety (abstract, https://ard.bmj.com/content/76/8/1436): MSC arm - one patient had leucopenia, "
        "pneumonia and a subcutaneous abscess, another died of severe pneumonia (deaths 1/12); placebo arm - one "
        "stroke, one ascites (deaths 0/6)"
    )

    def risk_to_rate(label: str, risk: float, source: str, what: str, tag: str = "D") -> tuple[float, Source]:
        rate = _rate_from_risk(risk, weeks24)
        return rate, Source(
            source, tag, f"{what} {risk:.1%} over 24 weeks -> -ln(1 - p) / 24 weeks = {rate:.3g} per year"
        )

    # MMF-based standard care (ALMS MMF arm) and IV cyclophosphamide (ALMS IVC arm).
    ae_care, ae_cyc = {}, {}
    prov_care: dict[str, Source] = {}
    prov_cyc: dict[str, Source] = {}
    for event, p_mmf, p_ivc, src, what, tag in (
        ("infection", 0.69, 0.62, alms, "patients with >= 1 infection", "D"),
        ("alopecia", 0.11, 0.36, alms, "alopecia", "D"),
        (
            "lymphopenia",
            0.22,
            0.37,
            ginzler,
            "LYMPHOPENIA (not all cytopenias; RECALLED [R]: 22% vs 37% is attributed to Ginzler 2005 via the "
            "Hogan 2014 table but is not in DOMAIN.md and was not found in stored text on 2026-12; verify before use):",
            "R",
        ),
        (
            "pneumonia",
            0.01,
            0.04,
            ginzler,
            "ASSUMPTION (another endpoint): no pneumonia-specific rate was found, so the severe-infection share stands "
            "in for pneumonia as an upper bound; severe infection",
            "A",
        ),
    ):
        ae_care[event], prov_care[f"adverse_events.{event}"] = risk_to_rate(event, p_mmf, src, what, tag)
        ae_cyc[event], prov_cyc[f"adverse_events.{event}"] = risk_to_rate(event, p_ivc, src, what, tag)

    drop_care = _rate_from_risk(32 / 185, weeks24)
    drop_cyc = _rate_from_risk(28 / 185, weeks24)
    alms_flow = "ALMS induction flow (Appel 2009 table): completed 150/185 MMF vs 156/185 IVC; 3 vs 1 deaths"
    common_arm = {
        "severity_odds_ratio": Source("no published number", "A", "no effect on flare severity reported"),
        "remission_probability": Source(
            "not modelled",
            "A",
            "0: induction patients are all on drugs, so drug-free remission at week 24 is not a question this trial "
            "asks; the ALMS renal response comes from the visits (UPCR and eGFR, `alms_response` at week 24)",
        ),
        "mortality_window_years": Source(alms, "V", "deaths during the 24-week induction"),
        "adverse_event_window_years": Source(alms, "A", "adverse events over the 24-week induction (= follow-up)"),
    }
    care = Arm(
        "standard care",
        dropout_rate=drop_care,
        treatment_mortality=3 / 185,
        mortality_window_years=weeks24,
        adverse_events=ae_care,
        description="mycophenolate-based induction (ALMS MMF arm)",
        provenance={
            "flare_rate_ratio": Source("reference arm", "A", "reference arm by definition"),
            "activity_response_ratio": Source("reference arm", "A", "reference arm by definition"),
            "dropout_rate": Source(alms_flow, "D", "32 non-completers other than deaths of 185 over 24 weeks"),
            "treatment_mortality": Source(alms_flow, "V", "3 deaths of 185 during induction"),
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
        activity_response_ratio=ivc_ratio,
        adverse_events=ae_cyc,
        description="IV cyclophosphamide 0.5-1 g/m2 monthly (ALMS IVC arm)",
        provenance={
            "flare_rate_ratio": Source(
                alms,
                "A",
                "no flare rate ratio published for IVC vs MMF: the neutral value 1.0 (the response OR 1.2 (0.8-1.8) "
                "MMF vs IVC shows no difference in response, a different endpoint)",
            ),
            "dropout_rate": Source(alms_flow, "D", "28 non-completers other than deaths of 185 over 24 weeks"),
            "treatment_mortality": Source(alms_flow, "V", "1 death of 185 during induction"),
            "activity_response_ratio": ivc_ratio_src,
            **common_arm,
            **prov_cyc,
        },
    )
    msc_deaths = 1 / 12
    d_lo, d_hi = _exact_ci(1, 12)
    pneu_lo, pneu_hi = _exact_ci(2, 12)
    ae_msc = dict(ae_care)
    ae_msc["pneumonia"] = _rate_from_risk(2 / 12, weeks24)
    msc_ratio = (9 / 12) / (5 / 6)
    msc = Arm(
        "MSC + standard care",
        flare_rate_ratio=1.0,
        dropout_rate=drop_care,
        treatment_mortality=msc_deaths,
        mortality_window_years=weeks24,
        activity_response_ratio=msc_ratio,
        adverse_events=ae_msc,
        description="umbilical-cord mesenchymal stem cells on top of standard care (Deng 2017 design)",
        provenance={
            "flare_rate_ratio": Source(
                deng, "A", "no flare data in the only double-blind RCT (stopped for futility): the neutral value 1.0"
            ),
            "dropout_rate": Source(alms_flow, "A", "as standard care (MSC added on top)"),
            "treatment_mortality": Source(
                deng,
                "V",
                f"{deng_safety}. Deaths in the MSC arm 1/12 = {msc_deaths:.3f} (exact 95% CI {d_lo:.3f}-{d_hi:.2f}) "
                "over the 6-month trial (taken as the 24-week window), all causes as for the ALMS arms; the authors "
                "do not attribute the death to the cells. Not an excess established by the trial (0/6 on placebo, "
                "far too few patients), and not ruled out either.",
            ),
            "activity_response_ratio": Source(
                deng,
                "A",
                f"ASSUMPTION: Deng's remission risk ratio (9/12)/(5/6) = {msc_ratio:.2f} (95% CI about 0.55-1.46, "
                "Katz) used as the ratio of the proteinuria decline and activity improvement rates against standard "
                "care. Deng's remission (renal function stable or better, fewer urinary red cells and less protein) "
                "is not ALMS's response, a risk ratio is not a rate ratio, and the populations differ: anything from "
                "0.55 to 1.46 is compatible with the only double-blind trial.",
            ),
            **common_arm,
            **{k: _as_standard_care(s, deng_safety) for k, s in prov_care.items() if k != "adverse_events.pneumonia"},
            "adverse_events.pneumonia": Source(
                deng,
                "D",
                f"{deng_safety}. Patients with pneumonia in the MSC arm 2/12 = 16.7% (exact 95% CI "
                f"{pneu_lo:.0%}-{pneu_hi:.0%}) over 6 months (taken as 24 weeks) -> -ln(1 - p) / 24 weeks = "
                f"{ae_msc['pneumonia']:.3g} per year; placebo 0/6. Replaces the standard-care value for this arm.",
            ),
        },
    )
    # ALMS baseline (McDonald 2022, Table 2, N = 370): BILAG A or B per domain; renal active in all (biopsy-proven
    # active class III-V nephritis at entry; 367/370 renal A or B)
    alms_bilag = {
        "constitutional": 62,
        "mucocutaneous": 108,
        "neuropsychiatric": 8,
        "musculoskeletal": 62,
        "cardiopulmonary": 21,
        "haematological": 138,
    }
    prevalence = tuple(1.0 if d == "renal" else alms_bilag[d] / 370 for d in ORGAN_DOMAINS)
    activity = Activity(
        domain_prevalence=prevalence,
        serology_prevalence=(310 / 370, 274 / 370),
        upcr_decline_rate=decline,
        prednisone_use=1.0,
        immunosuppressant_use=1.0,
        **_ln_renal_baseline(),
        provenance={
            "prednisone_use": Source(
                _ALMS + " (abstract, doczz.net/doc/6479421)",
                "V",
                "'Both groups received prednisone, tapered from a maximum starting dosage of 60 mg/d'; the dose "
                "distribution and taper are the general model's (not ALMS's 60 mg/day start)",
            ),
            "immunosuppressant_use": Source(
                _ALMS, "V", "every patient is on induction immunosuppression (MMF 3 g/day or IV cyclophosphamide)"
            ),
            "domain_prevalence": Source(
                _ALMS_T2,
                "D",
                "BILAG A or B at baseline (N = 370) [V]: general 62, mucocutaneous 108, neuropsychiatric 8 (printed "
                "as 21.62%, evidently 2.162%), musculoskeletal 62, cardiorespiratory 21, haematology 138; renal set "
                "active in every patient (367/370 renal A or B; biopsy-proven active nephritis at entry); vasculitis "
                "(19) is not a flare domain of the model; independent across domains (assumed)",
            ),
            "serology_prevalence": Source(
                _ALMS_T2,
                "D",
                "high anti-dsDNA 310/370 [V]; low complement as low C3 274/370 [V] (low C4 215/370; the share with "
                "either is not published: a lower bound)",
            ),
            "upcr_decline_rate": decline_src,
            **_ln_renal_provenance(
                alms, "the ALMS baseline table's proteinuria and eGFR were not found in stored text (2026-12)"
            ),
        },
    )
    prov = _common_provenance()
    prov.update(
        {
            "n_per_arm": Source(alms, "V", "185 per arm in ALMS"),
            "sledai_baseline_mean": Source(_ALMS_T2, "V", "SLEDAI 15.28 +/- 6.78 at baseline (N = 370)"),
            "sledai_baseline_sd": Source(_ALMS_T2, "V", "SD 6.78"),
            "baseline_flare_rate": Source(
                "Petri M, et al. J Rheumatol 2009;36:2476-80, doi:10.3899/jrheum.090019",
                "D",
                "BILAG A or B flares 1.765 per year [V] in the Hopkins cohort (all SLE, not a nephritis-only or "
                "induction population), applied to patients in nephritis induction",
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
        sledai_baseline_mean=15.28,
        sledai_baseline_sd=6.78,
        activity=activity,
        name="nephritis_induction",
        description=(
            "Lupus nephritis induction (ALMS): MMF-based standard care vs IV cyclophosphamide vs mesenchymal "
            "stem cells on top of standard care, over 24 weeks; proteinuria decline and the IVC effect fitted to "
            "the ALMS renal response from the visits, complete remission held out."
        ),
        flare_definition="BILAG A or B flare; ALMS renal response from the visits (UPCR, eGFR)",
        provenance=prov,
    )


_BURT = "Burt RK, et al. JAMA 2006;295:527-35 [R: volume, pages]"
_JAYNE = "Jayne D, et al. Lupus 2004;13:168-76, PMID 15119545 (EBMT/EULAR registry)"
_ALCHI = "Alchi B, et al. Lupus 2013;22(3):245-53, doi:10.1177/0961203312470729 (EBMT registry) [R: first author]"
_MULLER = "Mueller F, et al. NEJM 2024;390:687-700, PMID 38381673"
_MACKENSEN = "Mackensen A, et al. Nat Med 2022;28:2124-32, PMID 36109639"
_CART_REVIEW = (
    "'CAR T-cell therapy in SLE: A systematic review', Semin Arthritis Rheum 2025, PMID 40749440, "
    "doi:10.1016/j.semarthrit.2025.152786 (abstract read in the PubMed record; journal name from the DOI prefix; "
    "authors not in the stored record)"
)
_LIANG = "Liang J, et al. Ann Rheum Dis 2010;69:1423-9, doi:10.1136/ard.2009.123463"
_REFRACTORY_RATE = 0.25 * 12  # McElhone 2021: 0.25 flares per patient-month


def _hsct_flare_ratio_note(dfs: float, source: str) -> str:
    """Why an HSCT 'flare rate ratio' from disease-free survival is an assumption, with the range considered."""
    lo = -math.log(0.5) / 5.0 / _REFRACTORY_RATE
    hi = -math.log(0.29) / 5.0 / _REFRACTORY_RATE
    hazard = -math.log(dfs) / 5.0
    return (
        f"ASSUMPTION, not a published rate ratio: 5-year disease-free survival {dfs:.0%} ({source}) -> constant hazard "
        f"-ln({dfs:g})/5 = {hazard:.3f}/yr of the FIRST relapse or death after transplant, divided by the rate of ALL "
        "flares (mild ones included, BILAG-2004) in another cohort (McElhone 2021, active SLE, "
        f"{_REFRACTORY_RATE:g}/yr). "
        "Different endpoint (time to first event vs recurrent flares), population and instrument, so the quotient is "
        f"not a flare rate ratio. Range considered: {lo:.3f} (Burt 2006, DFS 50% at 5 years, single centre) to "
        f"{hi:.3f} (Alchi 2013, EBMT registry, DFS 29 +/- 9% at 5 years); the registry figures are the less selected "
        "series. No study compared flare rates after HSCT with standard care."
    )


def _reference_arm() -> Arm:
    return Arm(
        "standard care",
        description="continued standard immunosuppression in refractory disease",
        provenance={
            "flare_rate_ratio": Source("reference arm", "A", "reference arm by definition"),
            **_neutral(
                "severity_odds_ratio",
                "activity_response_ratio",
                "dropout_rate",
                "treatment_mortality",
                "remission_probability",
                "adverse_event_window_years",
            ),
            "mortality_window_years": Source("not used", "A", "no treatment-related mortality"),
        },
    )


_BURT_2018 = "Burt RK, et al. Bone Marrow Transplant 2018, doi:10.1038/s41409-018-0173-x (abstract)"
#: Assumed flare rate ratios after HSCT / CAR-T swept by the sensitivity analysis (from the series' best case to
#: no effect at all), and the assumed speed-ups of improvement (none, ten or a hundred times faster: the upper end
#: is where the simulated best case approaches the series' drug-free remission, Mueller 2024 and Burt 2018).
_THERAPY_FLARE_RATIOS = (0.05, 0.25, 0.5, 1.0)
_THERAPY_RESPONSE_RATIOS = (1.0, 10.0, 100.0)


def _withdrawal_rise() -> float:
    """CORTICOLUP's fitted flare rise after stopping prednisone (upper end of the assumed rise after HSCT / CAR-T)."""
    return _FITTED["withdrawal"]["prednisone withdrawn:withdrawal_flare_ratio"][0]


def _therapy_sensitivity() -> dict[str, tuple[float, ...]]:
    return {
        "flare_rate_ratio": _THERAPY_FLARE_RATIOS,
        "activity_response_ratio": _THERAPY_RESPONSE_RATIOS,
        "withdrawal_flare_ratio": (1.0, _withdrawal_rise()),
    }


def _therapy_withdrawal(therapy: str, *, response: float, rise: float, best_case: bool) -> dict[str, Any]:
    """Drug withdrawal after HSCT or CAR-T: the arm parameters and their sources (all effects tagged A)."""
    rise_hi = _withdrawal_rise()
    if therapy == "hsct":
        withdraw: tuple[str, ...] = ("glucocorticoids", "immunosuppressants")
        withdraw_src = Source(
            _BURT_2018,
            "A",
            "Burt 2018 [V]: remission = no immunosuppressive drugs except hydroxychloroquine and/or prednisone "
            "<= 10 mg/day (92% at 1 year, 62% at 4 and 5 years among the 26 CYC + rATG + rituximab patients): "
            "immunosuppressants stopped after the transplant, hydroxychloroquine continued. ASSUMPTION: prednisone "
            "withdrawn to 0 (tapered over 12 weeks); the series allow up to 10 mg/day and do not report how many "
            "stopped it",
        )
        seen = (
            "remission (SLEDAI < 3) by 6 months in 33/50 (Jayne 2004, EBMT registry) [V]; remission off "
            "immunosuppressants (hydroxychloroquine and prednisone <= 10 mg/day allowed) 92% at 1 year (Burt 2018) [V]"
        )
    else:
        withdraw = ("glucocorticoids", "antimalarials", "immunosuppressants")
        withdraw_src = Source(
            f"{_MULLER}; {_MACKENSEN}",
            "A",
            "Mueller 2024 [V]: all immunosuppression stopped, no relapse over a median 15 months; Mackensen 2022 "
            "abstract [V]: 'drug-free remission' maintained over a median 8 months. Glucocorticoids and "
            "antimalarials stopped too, as 'drug-free' says; the 12-week glucocorticoid taper is assumed",
        )
        seen = "DORIS remission and SLEDAI-2K 0 in 8/8 at 6 months, immunosuppression stopped (Mueller 2024) [V]"
    lo, hi = min(_THERAPY_RESPONSE_RATIOS), max(_THERAPY_RESPONSE_RATIOS)
    return {
        "withdraw": withdraw,
        "withdrawal_taper_weeks": 12.0,
        "activity_response_ratio": response,
        "withdrawal_flare_ratio": rise,
        "provenance": {
            "withdraw": withdraw_src,
            "withdrawal_taper_weeks": Source("no published number", "A", "glucocorticoids tapered over 12 weeks"),
            "activity_response_ratio": Source(
                "no published number",
                "A",
                f"ASSUMPTION, no randomised estimate: improvement of active disease x{response:g} after treatment "
                f"({'best case, the upper end' if best_case else 'the lower end: no speed-up'} of the range "
                f"considered, {lo:g} to {hi:g}; the series report {seen}). The upper end is where the best case "
                "approaches the series' drug-free remission (a rough comparison, not a fit: the definitions differ; "
                "tests/test_withdrawal_rise.py checks it); x10 stays far below it. Swept by ls.preset_sensitivity.",
            ),
            "withdrawal_flare_ratio": Source(
                f"{_CORTICOLUP} (upper end)",
                "A",
                f"ASSUMPTION, no published number: flare rate x{rise:g} from the withdrawal on. Range considered "
                f"1 (no rise: the relapse rates behind flare_rate_ratio were observed off immunosuppressants, so "
                f"any rise is already in them) to {rise_hi:.2f} (CORTICOLUP's fitted rise after stopping "
                "prednisone 5 mg/day in quiescent SLE, a different drug and population; on top of "
                "flare_rate_ratio it may double count). Swept by ls.preset_sensitivity.",
            ),
            "remission_probability": Source(
                "not used",
                "A",
                "0: drug-free remission comes from the visits (activity, withdrawal, flares), "
                "ls.drug_free_remission_rates; the published remission figures are in the notes of "
                "activity_response_ratio and withdraw",
            ),
        },
    }


def _refractory_provenance(label: str) -> dict[str, Source]:
    prov = _common_provenance()
    prov.update(
        {
            "n_per_arm": Source(_BURT, "A", "illustrative trial size; Burt 2006 enrolled 50"),
            "baseline_flare_rate": Source(
                _MCELHONE,
                "D",
                "0.25 flares per patient-month [V] in active SLE needing more immunosuppression -> 3.0/yr; applied to "
                f"the refractory population of the {label} scenario",
            ),
            "dispersion": Source(
                _MCELHONE, "D", "NB fitted to mean 1.95 flares and P(0) = 0.24: k = 2.4, alpha = 0.42"
            ),
            "followup_years": Source("illustrative", "A", "two years"),
            "sledai_baseline_mean": Source(_LIANG, "V", "SLEDAI 12.2 +/- 3.3 at entry (refractory, MSC series)"),
            "sledai_baseline_sd": Source(_LIANG, "V", "SD 3.3"),
        }
    )
    return prov


def _refractory() -> Scenario:
    base_rate = _REFRACTORY_RATE
    hsct_hazard = -math.log(0.5) / 5.0
    cart_rate = 3.0 / 10.0
    r_lo, _ = _exact_ci(8, 8)
    _, m_hi = _exact_ci(0, 8)
    hsct_wd = _therapy_withdrawal("hsct", response=_THERAPY_RESPONSE_RATIOS[-1], rise=1.0, best_case=True)
    cart_wd = _therapy_withdrawal("cart", response=_THERAPY_RESPONSE_RATIOS[-1], rise=1.0, best_case=True)
    hsct = Arm(
        "autologous HSCT",
        flare_rate_ratio=hsct_hazard / base_rate,
        treatment_mortality=2 / 50,
        description="autologous haematopoietic stem-cell transplantation (CYC + ATG conditioning); drugs withdrawn",
        **{k: v for k, v in hsct_wd.items() if k != "provenance"},
        provenance={
            "flare_rate_ratio": Source(_BURT, "A", _hsct_flare_ratio_note(0.5, "Burt 2006")),
            "treatment_mortality": Source(
                _BURT,
                "V",
                "treatment-related mortality by intention to treat 2/50 (4%); "
                "registries 11-13% (EBMT 100-day 11%; Jayne 2004 7/53, published as 12%): "
                "see refractory_conservative",
            ),
            "mortality_window_years": Source(
                "EBMT registry (Tyndall review), ASH Education 2011",
                "V",
                "transplant-related mortality is reported at 100 days",
            ),
            "severity_odds_ratio": Source("no published number", "A", "no effect on severity of the flares that occur"),
            "dropout_rate": Source("no published number", "A", "no dropout modelled"),
            "adverse_event_window_years": Source("not used", "A", "infection counts after HSCT for SLE were not found"),
            **hsct_wd["provenance"],
            "remission_probability": Source(
                _JAYNE,
                "A",
                "0: drug-free remission comes from the visits (ls.drug_free_remission_rates). Published, not "
                "drug-free [V]: remission (SLEDAI < 3) by 6 months 33/50; 10/31 later relapsed",
            ),
        },
    )
    cart = Arm(
        "CD19 CAR-T (exploratory)",
        flare_rate_ratio=cart_rate / base_rate,
        **{k: v for k, v in cart_wd.items() if k != "provenance"},
        adverse_events={"cytokine_release_syndrome": _rate_from_risk(11 / 15, 30 / _YEAR_DAYS)},
        adverse_event_window_years=30 / _YEAR_DAYS,
        exploratory=True,
        description=(
            "CD19 CAR-T cells: 8 SLE patients of one Erlangen programme (Mackensen 2022's 5 are counted among "
            "Mueller 2024's 8); a best-case exploratory scenario, not an estimate"
        ),
        provenance={
            "flare_rate_ratio": Source(
                f"{_MULLER}; {_MACKENSEN}",
                "A",
                "ASSUMPTION: no flares in 8 patients over about 10 patient-years; the rule-of-three upper 95% bound "
                f"0.3/py divided by another cohort's rate {base_rate:g}/yr (McElhone 2021) = 0.1. An upper bound from "
                "8 patients over a different population's rate, not a measured rate ratio; range considered 0 (as "
                "observed) to 0.1.",
            ),
            **cart_wd["provenance"],
            "remission_probability": Source(
                f"{_MULLER}; {_MACKENSEN}",
                "A",
                "0: drug-free remission comes from the visits (ls.drug_free_remission_rates). Published [V]: DORIS "
                "remission 8/8 in one programme (Mackensen's 5/5 are among these 8, not extra); exact 95% CI for 8/8 "
                f"is {r_lo:.2f}-1.00; pooled evidence gives 45/64 (70%): see refractory_conservative.",
            ),
            "adverse_events.cytokine_release_syndrome": Source(
                _MULLER, "D", "CRS grade 1 in 10/15 and grade 2 in 1/15 (all diseases): risk 11/15 within 30 days"
            ),
            "adverse_event_window_years": Source(_MULLER, "A", "CRS occurs within days of infusion; 30-day window"),
            "treatment_mortality": Source(
                f"{_MULLER}; {_MACKENSEN}",
                "A",
                f"BEST CASE: no deaths among 8 patients (exact 95% CI 0-{m_hi:.2f}); the 2025 systematic review "
                "reports one fatal pneumococcal meningitis among 145 patients: see refractory_conservative.",
            ),
            "mortality_window_years": Source("not used", "A", "no treatment-related mortality"),
            "severity_odds_ratio": Source("no published number", "A", "neutral"),
            "dropout_rate": Source("no published number", "A", "no dropout modelled"),
        },
    )
    return Scenario(
        [_reference_arm(), hsct, cart],
        n_per_arm=50,
        baseline_flare_rate=base_rate,
        dispersion=0.42,
        followup_years=2.0,
        sledai_baseline_mean=12.2,
        sledai_baseline_sd=3.3,
        name="refractory",
        description=(
            "Refractory SLE: standard care vs autologous HSCT, with CD19 CAR-T as an explicitly "
            "exploratory arm (8 patients of one programme); the best case of the published series "
            "(see refractory_conservative)."
        ),
        flare_definition="BILAG-2004 flare",
        provenance=_refractory_provenance("refractory"),
    )


def _refractory_conservative() -> Scenario:
    base_rate = _REFRACTORY_RATE
    dfs = 0.29  # Alchi 2013, EBMT registry, 5 years
    year = 1.0
    rem_lo, rem_hi = _exact_ci(45, 64)
    inf_lo, inf_hi = _exact_ci(11, 145)
    crs_lo, crs_hi = _exact_ci(81, 145)
    death_lo, death_hi = _exact_ci(1, 145)
    trm_lo, trm_hi = _exact_ci(7, 53)
    rise = _withdrawal_rise()
    hsct_wd = _therapy_withdrawal("hsct", response=_THERAPY_RESPONSE_RATIOS[0], rise=rise, best_case=False)
    cart_wd = _therapy_withdrawal("cart", response=_THERAPY_RESPONSE_RATIOS[0], rise=rise, best_case=False)
    hsct = Arm(
        "autologous HSCT",
        flare_rate_ratio=-math.log(dfs) / 5.0 / base_rate,
        treatment_mortality=7 / 53,
        **{k: v for k, v in hsct_wd.items() if k != "provenance"},
        description="autologous HSCT, less favourable end of the published series (EBMT registry); drugs withdrawn",
        provenance={
            "flare_rate_ratio": Source(_ALCHI, "A", _hsct_flare_ratio_note(dfs, "Alchi 2013, EBMT registry")),
            "treatment_mortality": Source(
                _JAYNE,
                "V",
                f"7 procedure-related deaths among 53 patients = {7 / 53:.3f} (exact 95% CI {trm_lo:.3f}-{trm_hi:.3f}; "
                "published as 12%, 95% CI 3-21%). Range over the series in hsct_sle_studies.csv: 0/30 (Burt 2018), "
                "2/50 (Burt 2006, ITT), 11% at 100 days (EBMT, Tyndall review), 7/53 (Jayne 2004), non-relapse "
                "mortality 15 +/- 7% at 5 years (Alchi 2013). Jayne, Alchi and the Tyndall EBMT figures overlap "
                "(overlap_group ebmt): one of them is used, not their sum.",
            ),
            "mortality_window_years": Source(
                "EBMT registry (Tyndall review), ASH Education 2011",
                "V",
                "transplant-related mortality is reported at 100 days",
            ),
            **hsct_wd["provenance"],
            "remission_probability": Source(
                _ALCHI,
                "A",
                "0: drug-free remission comes from the visits (ls.drug_free_remission_rates). For comparison: 5-year "
                "disease-free survival 29 +/- 9% (EBMT registry) [V]; DFS is not drug-free remission. Published "
                "range: 29% DFS at 5 years (Alchi 2013) - 50% DFS at 5 years (Burt 2006) - 62% in remission off "
                "immunosuppressants (HCQ and prednisone <= 10 mg allowed) at 4 and 5 "
                "years among the 26 CYC + rATG + rituximab patients of Burt 2018 (the 4 alemtuzumab patients never "
                "remitted); remission (SLEDAI < 3) by 6 months 33/50 (Jayne 2004), 10/31 of them relapsing.",
            ),
            "severity_odds_ratio": Source("no published number", "A", "no effect on severity of the flares that occur"),
            "dropout_rate": Source("no published number", "A", "no dropout modelled"),
            "adverse_event_window_years": Source("not used", "A", "infection counts after HSCT for SLE were not found"),
        },
    )
    cart = Arm(
        "CD19 CAR-T (exploratory)",
        flare_rate_ratio=0.3 / base_rate,
        treatment_mortality=1 / 145,
        mortality_window_years=year,
        **{k: v for k, v in cart_wd.items() if k != "provenance"},
        adverse_events={
            "cytokine_release_syndrome": _rate_from_risk(81 / 145, year),
            "serious_infection": _rate_from_risk(11 / 145, year),
        },
        adverse_event_window_years=year,
        exploratory=True,
        description="CD19 CAR-T cells, pooled case series (2025 systematic review, 145 patients in 16 studies)",
        provenance={
            "flare_rate_ratio": Source(
                f"{_MULLER}; {_MACKENSEN}",
                "A",
                "ASSUMPTION: the review reports no flare rates; kept at the rule-of-three upper 95% bound of the 8 "
                f"Erlangen patients (0.3/py) over another cohort's rate {base_rate:g}/yr = 0.1, as in 'refractory'.",
            ),
            **cart_wd["provenance"],
            "remission_probability": Source(
                _CART_REVIEW,
                "A",
                "0: drug-free remission comes from the visits (ls.drug_free_remission_rates). Published [V]: "
                f"DORIS remission 45/64 evaluable patients = {45 / 64:.3f} (exact 95% CI {rem_lo:.2f}-{rem_hi:.2f}); "
                "LLDAS 50/56. DORIS allows prednisolone <= 5 mg/day and stable antimalarials and immunosuppressants: "
                "it is not drug-free remission. The 16 studies may include overlapping reports (an overlap-controlled "
                "review, Li et al., Front Immunol 2026, counted 114 patients in 21 independent study units).",
            ),
            "treatment_mortality": Source(
                _CART_REVIEW,
                "V",
                f"one fatal pneumococcal meningitis among 145 participants = {1 / 145:.4f} (exact 95% CI "
                f"{death_lo:.3f}-{death_hi:.3f})",
            ),
            "mortality_window_years": Source(_CART_REVIEW, "A", "timing of the death not in the abstract: first year"),
            "adverse_events.cytokine_release_syndrome": Source(
                _CART_REVIEW,
                "D",
                f"CRS in 81/145 (56%; exact 95% CI {crs_lo:.2f}-{crs_hi:.2f}), 80 of them grade 1-2 and 1 grade 3 -> "
                f"-ln(1 - p) / 1 year = {_rate_from_risk(81 / 145, year):.3g} per year within the 1-year window "
                "(the share of patients with >= 1 event is what the card compares; CRS itself occurs within days)",
            ),
            "adverse_events.serious_infection": Source(
                _CART_REVIEW,
                "D",
                f"serious infections in 11/145 (7.6%; exact 95% CI {inf_lo:.3f}-{inf_hi:.3f}), one fatal -> "
                f"-ln(1 - p) / 1 year = {_rate_from_risk(11 / 145, year):.3g} per year",
            ),
            "adverse_event_window_years": Source(
                _CART_REVIEW, "A", "timing of infections not in the abstract: events counted over the first year"
            ),
            "severity_odds_ratio": Source("no published number", "A", "neutral"),
            "dropout_rate": Source("no published number", "A", "no dropout modelled"),
        },
    )
    return Scenario(
        [_reference_arm(), hsct, cart],
        n_per_arm=50,
        baseline_flare_rate=base_rate,
        dispersion=0.42,
        followup_years=2.0,
        sledai_baseline_mean=12.2,
        sledai_baseline_sd=3.3,
        name="refractory_conservative",
        description=(
            "Refractory SLE, conservative companion of 'refractory': HSCT at the less favourable end of the published "
            "series (EBMT registry: 5-year DFS 29%, procedure-related deaths 7/53) and CD19 CAR-T from the pooled "
            "2025 systematic review (DORIS 45/64, serious infections 11/145, 1 death)."
        ),
        flare_definition="BILAG-2004 flare",
        provenance=_refractory_provenance("refractory_conservative"),
    )


# ---------------------------------------------------------------------------
# Trial presets for the endpoints SLE trials use (ENDPOINTS.md).  Their free
# activity parameters are fitted by simulation (lupusstats.fitting, method of
# simulated moments with common random numbers) to the published arm-level
# results named in _FIT_TARGETS; the fitted values are stored here, tagged D,
# and tests/test_fitting.py checks that they still reproduce their targets.
# ---------------------------------------------------------------------------

_OON = "Oon S, et al. ARD 2019;78:629-33, Table 1 (ard.bmj.com/highwire/markup/251641; ENDPOINTS.md [S3])"
_BLISS52_T1 = "BLISS-52 baseline, ARD Table 1 (ard.bmj.com/highwire/markup/191181; ENDPOINTS.md [S4])"
_BLISS52_FLOW = "BLISS-52, ClinicalTrials.gov NCT00424476 participant flow (ENDPOINTS.md [S1])"
_TULIP_T1 = "Pooled TULIP-1/2 baseline (lupus.bmj.com/highwire/markup/141661; ENDPOINTS.md [S17])"
_TULIP_OUT = "Vital EM, et al. ARD 2022;81:951-61, Table 1 (PMC9213795; ENDPOINTS.md [S14]): pooled TULIP-1/2"
_TULIP2_FLOW = "TULIP-2 (Morand, NEJM 2020;382:211-21), ACR 2019 report (physiciansweekly.com/122089-2)"
_CORTICOLUP = "Mathian A, et al. Ann Rheum Dis 2020;79:339-46 (CORTICOLUP, NCT02558517; ard.bmj.com/content/79/3/339)"
_UROWITZ = "Urowitz MB, et al. J Rheumatol 2005;32:1467-72 (Toronto, n = 703; docslib.org/doc/6469866)"
_BLISS_LN = "Furie R, et al. NEJM 2020;383:1117-28 (BLISS-LN; pubmed 32937045)"
_BLISS_LN_T = "BLISS-LN baseline as tabulated in Front Immunol 2022 (PMC9538665, Table 2; n = 223 per arm)"
_CORTICOLUP_T1 = "CORTICOLUP Table 1 (ard.bmj.com/highwire/markup/262809)"
_FITTED_NOTE = "fitted by simulation (lupusstats.fitting.fit_scenario, {n} patients per arm, seed {seed}) to {target}"

#: Fitted values of the trial presets: preset -> parameter -> (value, target it was fitted to).
_FITTED: dict[str, dict[str, tuple[float, str]]] = {
    "bliss52": {
        "activity.grade_a_share": (0.112199, "BILAG >= 1 A at baseline 19.0% (BLISS-52, n = 865) [V, S4]"),
        "activity.pga_intercept": (0.616770, "mean PGA 1.4 at baseline (pooled BLISS, n = 1684) [V, S8]"),
        "activity.improvement_rate": (2.286201, "SRI-4 at week 52 on placebo 43.6% (n = 287) [V, S3]"),
        "activity.taper_probability": (
            0.382340,
            "prednisone <= 7.5 mg/day at week 52 on placebo 40.5% (n = 287) [V, S3]",
        ),
        "belimumab 10 mg/kg:activity_response_ratio": (
            3.013739,
            "SRI-4 at week 52 on belimumab 10 mg/kg 57.6% (n = 290) [V, S3]",
        ),
    },
    "tulip": {
        "activity.grade_a_share": (0.318454, "BILAG-2004 >= 1 A at baseline 179/366 (pooled placebo) [V, S17]"),
        "activity.pga_intercept": (0.749017, "mean PGA 1.8 at baseline (pooled TULIP) [V, S17]"),
        "activity.improvement_rate": (1.057859, "BICLA at week 52 on placebo 112/366 [V, S14]"),
        "anifrolumab 300 mg:activity_response_ratio": (1.299326, "BICLA at week 52 on anifrolumab 171/360 [V, S14]"),
        "activity.taper_probability": (0.779383, "sustained glucocorticoid taper on placebo 59/185 [V, S14]"),
    },
}
_FITTED["withdrawal"] = {
    "baseline_flare_rate": (0.070087, "SFI flare by week 52 with prednisone 5 mg maintained 4/61 [V, CORTICOLUP]"),
    "prednisone withdrawn:withdrawal_flare_ratio": (
        4.935003,
        "SFI flare by week 52 after withdrawal 17/63 [V, CORTICOLUP]",
    ),
}
_FITTED["natural_history"] = {
    "activity.improvement_rate": (
        0.088557,
        "complete remission lasting >= 1 year within 10 years 46/703 (Urowitz 2005, Toronto) [V]",
    ),
}
_FITTED["bliss_ln"] = {
    "activity.upcr_decline_rate": (0.671350, "primary efficacy renal response at week 104 on placebo 72/223 [V]"),
    "belimumab 10 mg/kg:activity_response_ratio": (
        1.273612,
        "primary efficacy renal response at week 104 on belimumab 96/223 [V]",
    ),
}
_FITTED["nephritis_induction"] = {
    "activity.upcr_decline_rate": (2.235874, "ALMS response at week 24 on MMF 104/185 [V]"),
    "IV cyclophosphamide:activity_response_ratio": (
        0.884226,
        "ALMS response at week 24 on IV cyclophosphamide 98/185 [V]",
    ),
}
_FIT_N, _FIT_SEED = 10_000, 20261202


def _fitted(name: str, key: str) -> tuple[float, Source]:
    value, target = _FITTED[name][key]
    citation = {
        "bliss52": _OON,
        "tulip": _TULIP_OUT,
        "withdrawal": _CORTICOLUP,
        "natural_history": _UROWITZ,
        "bliss_ln": _BLISS_LN,
        "nephritis_induction": _ALMS,
    }[name]
    return value, Source(citation, "D", _FITTED_NOTE.format(n=_FIT_N, seed=_FIT_SEED, target=target))


def _bliss52() -> Scenario:
    grade_a, grade_a_src = _fitted("bliss52", "activity.grade_a_share")
    pga0, pga0_src = _fitted("bliss52", "activity.pga_intercept")
    rate, rate_src = _fitted("bliss52", "activity.improvement_rate")
    ratio, ratio_src = _fitted("bliss52", "belimumab 10 mg/kg:activity_response_ratio")
    taper, taper_src = _fitted("bliss52", "activity.taper_probability")
    weeks = 52 * _WEEK
    activity = Activity(
        taper_probability=taper,
        grade_a_share=grade_a,
        pga_intercept=pga0,
        improvement_rate=rate,
        serology_prevalence=(0.745, 0.593),
        prednisone_use=0.960,
        prednisone_log_mean=_PRED_LOG_MEAN_BLISS52,
        immunosuppressant_use=0.422,
        antimalarial_use=0.672,
        provenance={
            "grade_a_share": grade_a_src,
            "pga_intercept": pga0_src,
            "improvement_rate": rate_src,
            "taper_probability": taper_src,
            "serology_prevalence": Source(
                _BLISS52_T1,
                "D",
                "anti-dsDNA >= 30 IU/mL 74.5% [V]; low complement as low C4 59.3% [V] (low C3 49.4%; the share with "
                "either is not published: a lower bound)",
            ),
            "prednisone_use": Source(_BLISS52_T1, "V", "96.0% on prednisone"),
            "prednisone_log_mean": Source(
                _BLISS52_T1,
                "D",
                "log-normal with mean 12.7 mg/day among users and 69.4/96.0% of users above 7.5 mg/day [V]",
            ),
            "immunosuppressant_use": Source(_BLISS52_T1, "V", "immunosuppressant use 42.2%"),
            "antimalarial_use": Source(_BLISS52_T1, "V", "antimalarial use 67.2%"),
        },
    )
    placebo = Arm(
        "placebo",
        dropout_rate=_rate_from_risk(61 / 287, weeks),
        description="placebo + standard of care",
        provenance={
            "flare_rate_ratio": Source("reference arm", "A", "reference arm by definition"),
            "activity_response_ratio": Source("reference arm", "A", "reference arm by definition"),
            "dropout_rate": Source(_BLISS52_FLOW, "D", "61 of 287 did not complete 52 weeks: -ln(226/287) / 52 weeks"),
            **_neutral(
                "severity_odds_ratio", "treatment_mortality", "remission_probability", "adverse_event_window_years"
            ),
            "mortality_window_years": Source("not used", "A", "no treatment-related mortality"),
        },
    )
    belimumab = Arm(
        "belimumab 10 mg/kg",
        activity_response_ratio=ratio,
        dropout_rate=_rate_from_risk(49 / 290, weeks),
        description="belimumab 10 mg/kg IV + standard of care",
        provenance={
            "activity_response_ratio": ratio_src,
            "flare_rate_ratio": Source(
                "no verified BLISS-52 flare rate ratio",
                "A",
                "1.0: no effect on the flare rate assumed; the label's severe-flare HR 0.57 (0.39-0.85) [V, trial "
                "assignment inferred] concerns severe flares only and is a held-out check, not an input",
            ),
            "dropout_rate": Source(_BLISS52_FLOW, "D", "49 of 290 did not complete 52 weeks: -ln(241/290) / 52 weeks"),
            **_neutral(
                "severity_odds_ratio", "treatment_mortality", "remission_probability", "adverse_event_window_years"
            ),
            "mortality_window_years": Source("not used", "A", "no treatment-related mortality"),
        },
    )
    prov = _common_provenance()
    prov.update(
        {
            "n_per_arm": Source(
                _BLISS52_FLOW, "V", "287 placebo, 290 belimumab 10 mg/kg (the 1 mg/kg arm is left out)"
            ),
            "baseline_flare_rate": Source(
                "general-cohort rate (see preset 'general_cohort')",
                "A",
                "1.0 SFI flares per patient-year; no verified BLISS-52 flare rate",
            ),
            "dispersion": Source("Buyon 2005 SELENA placebo; McElhone 2021", "D", "alpha = 0.5, as the general cohort"),
            "followup_years": Source(_BLISS52_FLOW, "V", "52 weeks"),
            "sledai_baseline_mean": Source(_BLISS52_T1, "V", "SELENA-SLEDAI 9.8 +/- 3.8 at baseline"),
            "sledai_baseline_sd": Source(_BLISS52_T1, "V", "SD 3.8"),
        }
    )
    return Scenario(
        [placebo, belimumab],
        n_per_arm=[287, 290],
        baseline_flare_rate=1.0,
        dispersion=0.5,
        followup_years=weeks,
        sledai_baseline_mean=9.8,
        sledai_baseline_sd=3.8,
        activity=activity,
        name="bliss52",
        description=(
            "BLISS-52 (belimumab 10 mg/kg vs placebo, 52 weeks): baseline from the trial's table, activity "
            "improvement and the belimumab effect fitted to the published SRI-4 rates."
        ),
        flare_definition="SELENA flare index; SRI-4, BICLA, LLDAS from the visits",
        provenance=prov,
    )


def _tulip() -> Scenario:
    grade_a, grade_a_src = _fitted("tulip", "activity.grade_a_share")
    pga0, pga0_src = _fitted("tulip", "activity.pga_intercept")
    rate, rate_src = _fitted("tulip", "activity.improvement_rate")
    ratio, ratio_src = _fitted("tulip", "anifrolumab 300 mg:activity_response_ratio")
    taper, taper_src = _fitted("tulip", "activity.taper_probability")
    weeks = 52 * _WEEK
    users = 0.831
    activity = Activity(
        grade_a_share=grade_a,
        pga_intercept=pga0,
        improvement_rate=rate,
        taper_probability=taper,
        prednisone_use=users,
        prednisone_log_mean=_lognormal_from_share(0.505 / users, 10.0, _PRED_LOG_SD),
        immunosuppressant_use=0.484,
        antimalarial_use=0.730,
        provenance={
            "grade_a_share": grade_a_src,
            "pga_intercept": pga0_src,
            "improvement_rate": rate_src,
            "taper_probability": taper_src,
            "prednisone_use": Source(_TULIP_T1, "V", "glucocorticoid use 83.1% (placebo)"),
            "prednisone_log_mean": Source(
                _TULIP_T1,
                "D",
                "log-normal with 50.5/83.1% of users on >= 10 mg/day [V] and the BLISS-52 log-SD 0.593 (another "
                "trial's spread; TULIP's mean dose was not found)",
            ),
            "immunosuppressant_use": Source(_TULIP_T1, "V", "immunosuppressant use 48.4% (placebo)"),
            "antimalarial_use": Source(_TULIP_T1, "V", "antimalarial use 73.0% (placebo)"),
            "domain_prevalence": Source(
                _MANZI_TABLE2,
                "D",
                "the BLISS organ involvement (TULIP's by-organ baseline was not found): another trial's population",
            ),
            "serology_prevalence": Source(
                _BLISS_POOLED_BASELINE, "D", "the BLISS serology (TULIP's was not found): another trial's population"
            ),
        },
    )
    placebo = Arm(
        "placebo",
        dropout_rate=_rate_from_risk(1 - 0.714, weeks),
        description="placebo + standard of care",
        provenance={
            "flare_rate_ratio": Source("reference arm", "A", "reference arm by definition"),
            "activity_response_ratio": Source("reference arm", "A", "reference arm by definition"),
            "dropout_rate": Source(
                _TULIP2_FLOW, "D", "TULIP-2 treatment completion 71.4% on placebo [V]: -ln(0.714) / 52 weeks"
            ),
            **_neutral(
                "severity_odds_ratio", "treatment_mortality", "remission_probability", "adverse_event_window_years"
            ),
            "mortality_window_years": Source("not used", "A", "no treatment-related mortality"),
        },
    )
    anifrolumab = Arm(
        "anifrolumab 300 mg",
        flare_rate_ratio=0.75,
        activity_response_ratio=ratio,
        dropout_rate=_rate_from_risk(1 - 0.855, weeks),
        description="anifrolumab 300 mg IV every 4 weeks + standard of care",
        provenance={
            "activity_response_ratio": ratio_src,
            "flare_rate_ratio": Source(_TULIP_OUT, "V", "annualised BILAG flare rate ratio 0.75 (0.60-0.95)"),
            "dropout_rate": Source(
                _TULIP2_FLOW, "D", "TULIP-2 treatment completion 85.5% on anifrolumab [V]: -ln(0.855) / 52 weeks"
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
            "n_per_arm": Source(_TULIP_T1, "V", "366 placebo, 360 anifrolumab (TULIP-1 and -2 pooled)"),
            "baseline_flare_rate": Source(_TULIP_OUT, "V", "annualised BILAG-2004 flare rate 0.67 on placebo"),
            "dispersion": Source("Buyon 2005 SELENA placebo; McElhone 2021", "D", "alpha = 0.5, as the general cohort"),
            "followup_years": Source(_TULIP_OUT, "V", "52 weeks"),
            "sledai_baseline_mean": Source(_TULIP_T1, "V", "SLEDAI-2K 11.5 (SD 3.7) at baseline (placebo)"),
            "sledai_baseline_sd": Source(_TULIP_T1, "V", "SD 3.7"),
        }
    )
    return Scenario(
        [placebo, anifrolumab],
        n_per_arm=[366, 360],
        baseline_flare_rate=0.67,
        dispersion=0.5,
        followup_years=weeks,
        sledai_baseline_mean=11.5,
        sledai_baseline_sd=3.7,
        activity=activity,
        name="tulip",
        description=(
            "TULIP-1 and TULIP-2 pooled (anifrolumab 300 mg vs placebo, 52 weeks): baseline from the pooled table, "
            "activity improvement, the anifrolumab effect and the steroid taper fitted to BICLA and taper rates."
        ),
        flare_definition="BILAG-2004 flare (>= 1 new A or >= 2 new B); BICLA, SRI-4, LLDAS from the visits",
        provenance=prov,
    )


def _withdrawal() -> Scenario:
    rate, rate_src = _fitted("withdrawal", "baseline_flare_rate")
    ratio, ratio_src = _fitted("withdrawal", "prednisone withdrawn:withdrawal_flare_ratio")
    weeks = 52 * _WEEK
    neutral = _neutral(
        "severity_odds_ratio",
        "activity_response_ratio",
        "treatment_mortality",
        "remission_probability",
        "adverse_event_window_years",
        "dropout_rate",
    )
    keep = Arm(
        "prednisone 5 mg maintained",
        prednisone_mg=5.0,
        description="quiescent SLE on prednisone 5 mg/day, kept at 5 mg/day",
        provenance={
            **neutral,
            "flare_rate_ratio": Source("reference arm", "A", "reference arm by definition"),
            "prednisone_mg": Source(_CORTICOLUP, "V", "prednisone 5 mg/day maintained for 52 weeks"),
            "mortality_window_years": Source("not used", "A", "no treatment-related mortality"),
        },
    )
    stop = Arm(
        "prednisone withdrawn",
        prednisone_mg=5.0,
        withdraw=("glucocorticoids",),
        withdrawal_flare_ratio=ratio,
        description="quiescent SLE on prednisone 5 mg/day, prednisone stopped at randomisation",
        provenance={
            **neutral,
            "flare_rate_ratio": Source(
                "no published number",
                "A",
                "neutral: the rise in flares is from the withdrawal on (withdrawal_flare_ratio)",
            ),
            "withdrawal_flare_ratio": ratio_src,
            "prednisone_mg": Source(_CORTICOLUP, "V", "prednisone 5 mg/day before randomisation"),
            "withdraw": Source(_CORTICOLUP, "V", "prednisone stopped (placebo) at randomisation, abruptly"),
            "mortality_window_years": Source("not used", "A", "no treatment-related mortality"),
        },
    )
    activity = Activity(
        serology_prevalence=(29 / 61, 17 / 61),
        antimalarial_use=(57 + 56) / 124,
        immunosuppressant_use=0.0,
        taper_probability=0.0,
        provenance={
            "serology_prevalence": Source(
                _CORTICOLUP_T1, "V", "increased dsDNA binding 29/61, low C3 17/61 (maintenance arm)"
            ),
            "antimalarial_use": Source(_CORTICOLUP_T1, "D", "hydroxychloroquine 57/61 and 56/63: (57 + 56)/124"),
            "immunosuppressant_use": Source(
                "CORTICOLUP immunosuppressant share not read", "A", "0: not modelled (no endpoint here uses it)"
            ),
            "taper_probability": Source(_CORTICOLUP, "V", "no taper: a fixed protocol dose (5 mg or none)"),
        },
    )
    prov = _common_provenance()
    prov.update(
        {
            "n_per_arm": Source(_CORTICOLUP, "V", "61 maintained, 63 withdrawn"),
            "baseline_flare_rate": rate_src,
            "dispersion": Source("Buyon 2005 SELENA placebo; McElhone 2021", "D", "alpha = 0.5, as the general cohort"),
            "followup_years": Source(_CORTICOLUP, "V", "52 weeks"),
            "sledai_baseline_mean": Source(_CORTICOLUP_T1, "V", "SELENA-SLEDAI 1.5 at baseline (maintenance arm)"),
            "sledai_baseline_sd": Source(
                _CORTICOLUP_T1,
                "A",
                "published as 1.5 +/- 0.2, read as a standard error: SD = 0.2 x sqrt(61) = 1.6 (if it were an SD, "
                "almost every patient would score 1 or 2)",
            ),
        }
    )
    return Scenario(
        [keep, stop],
        n_per_arm=[61, 63],
        baseline_flare_rate=rate,
        dispersion=0.5,
        followup_years=weeks,
        sledai_baseline_mean=1.5,
        sledai_baseline_sd=1.6,
        activity=activity,
        name="withdrawal",
        description=(
            "CORTICOLUP: quiescent SLE on prednisone 5 mg/day randomised to keep it or stop it (52 weeks); flare "
            "rate and the withdrawal flare ratio fitted to the two arms' SFI flare proportions."
        ),
        flare_definition="SELENA flare index (SFI)",
        provenance=prov,
    )


def _natural_history() -> Scenario:
    rate, rate_src = _fitted("natural_history", "activity.improvement_rate")
    general = _general_cohort()
    reference = general.arms[0]
    care = Arm(
        reference.name,
        withdraw=("glucocorticoids", "antimalarials", "immunosuppressants"),
        withdrawal_condition="remission",
        withdrawal_condition_weeks=52,
        withdrawal_taper_weeks=12,
        description="standard care in a lupus clinic: drugs stopped after a year in clinical remission",
        provenance={
            **reference.provenance,
            "dropout_rate": Source("no published number", "A", "none: a clinic cohort followed for ten years"),
            "withdraw": Source(
                _UROWITZ,
                "A",
                "physician-led withdrawal of glucocorticoids, antimalarials and immunosuppressants, as the cohort's "
                "complete remissions imply; the rule (after a year of clinical remission) is assumed",
            ),
            "withdrawal_condition": Source("no published number", "A", "after clinical remission"),
            "withdrawal_condition_weeks": Source("no published number", "A", "held for one year"),
            "withdrawal_taper_weeks": Source("no published number", "A", "glucocorticoids tapered over 12 weeks"),
        },
    )
    activity = general.activity.replace(improvement_rate=rate)
    activity = activity.replace(provenance={**activity.provenance, "improvement_rate": rate_src})
    prov = dict(general.provenance)
    prov.update(
        {
            "n_per_arm": Source(_UROWITZ, "V", "703 patients"),
            "followup_years": Source(
                _UROWITZ,
                "A",
                "ten years (the Toronto patients were followed for up to decades; the horizon is assumed)",
            ),
        }
    )
    return Scenario(
        [care],
        n_per_arm=703,
        baseline_flare_rate=general.baseline_flare_rate,
        dispersion=general.dispersion,
        followup_years=10.0,
        activity=activity,
        name="natural_history",
        description=(
            "Natural history in a lupus clinic over ten years, with drugs stopped after a year of clinical remission; "
            "the improvement rate fitted to the Toronto cohort's complete remissions (Urowitz 2005)."
        ),
        flare_definition=general.flare_definition,
        provenance=prov,
    )


def _bliss_ln() -> Scenario:
    decline, decline_src = _fitted("bliss_ln", "activity.upcr_decline_rate")
    ratio, ratio_src = _fitted("bliss_ln", "belimumab 10 mg/kg:activity_response_ratio")
    weeks = 104 * _WEEK
    general = _general_cohort()
    prevalence = list(general.activity.domain_prevalence)
    prevalence[ORGAN_DOMAINS.index("renal")] = 1.0
    activity = general.activity.replace(
        domain_prevalence=tuple(prevalence),
        upcr_decline_rate=decline,
        immunosuppressant_use=1.0,
        **_ln_renal_baseline(),
    )
    activity = activity.replace(
        provenance={
            **activity.provenance,
            "immunosuppressant_use": Source(
                _BLISS_LN,
                "V",
                "every patient is on standard induction (mycophenolate or cyclophosphamide-azathioprine)",
            ),
            "domain_prevalence": Source(
                _BLISS_LN,
                "D",
                "renal domain active in every patient (active biopsy-proven nephritis at entry); the other domains "
                "as the pooled BLISS organ involvement (another trial's population)",
            ),
            **_ln_renal_provenance(_BLISS_LN),
            "upcr_decline_rate": decline_src,
        }
    )
    neutral = _neutral(
        "severity_odds_ratio", "treatment_mortality", "remission_probability", "adverse_event_window_years"
    )
    placebo = Arm(
        "placebo",
        description="placebo + standard induction (mycophenolate or cyclophosphamide-azathioprine)",
        provenance={
            **neutral,
            "flare_rate_ratio": Source("reference arm", "A", "reference arm by definition"),
            "activity_response_ratio": Source("reference arm", "A", "reference arm by definition"),
            "dropout_rate": Source("BLISS-LN discontinuations not read", "A", "none"),
            "mortality_window_years": Source("not used", "A", "no treatment-related mortality"),
        },
    )
    belimumab = Arm(
        "belimumab 10 mg/kg",
        activity_response_ratio=ratio,
        description="belimumab 10 mg/kg IV + standard induction",
        provenance={
            **neutral,
            "activity_response_ratio": ratio_src,
            "flare_rate_ratio": Source("no published flare rate ratio", "A", "1.0: no effect on the flare rate"),
            "dropout_rate": Source("BLISS-LN discontinuations not read", "A", "none"),
            "mortality_window_years": Source("not used", "A", "no treatment-related mortality"),
        },
    )
    prov = dict(general.provenance)
    prov.update(
        {
            "n_per_arm": Source(_BLISS_LN, "V", "224 randomised per arm (223 in the efficacy population)"),
            "followup_years": Source(_BLISS_LN, "V", "104 weeks"),
        }
    )
    return Scenario(
        [placebo, belimumab],
        n_per_arm=223,
        baseline_flare_rate=general.baseline_flare_rate,
        dispersion=general.dispersion,
        followup_years=weeks,
        activity=activity,
        name="bliss_ln",
        description=(
            "BLISS-LN (belimumab vs placebo on standard induction for lupus nephritis, 104 weeks): proteinuria and "
            "eGFR from the baseline table, their decline and the belimumab effect fitted to primary efficacy renal "
            "response; complete renal response held out."
        ),
        flare_definition=general.flare_definition,
        provenance=prov,
    )


_PRESETS = {
    "general_cohort": _general_cohort,
    "nephritis_induction": _nephritis_induction,
    "refractory": _refractory,
    "refractory_conservative": _refractory_conservative,
    "bliss52": _bliss52,
    "tulip": _tulip,
    "withdrawal": _withdrawal,
    "natural_history": _natural_history,
    "bliss_ln": _bliss_ln,
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
        raise ValueError(f"`name` must be a known preset, got {name!r}; known presets: {sorted(_PRESETS)}.")
    scenario = _PRESETS[name]()
    return scenario.replace(**changes) if changes else scenario


#: Per preset: arm -> assumed parameter -> the values a sensitivity analysis sweeps (every one tagged A; the
#: range is also in the parameter's Source note).  Built on call (the rise comes from the fitted withdrawal preset).
_SENSITIVITY: dict[str, tuple[str, ...]] = {
    "refractory": ("autologous HSCT", "CD19 CAR-T (exploratory)"),
    "refractory_conservative": ("autologous HSCT", "CD19 CAR-T (exploratory)"),
}


def preset_sensitivity(name: str) -> dict[str, dict[str, tuple[float, ...]]]:
    """The assumed effects of a preset and the values a sensitivity analysis should sweep.

    Effects with no randomised estimate (tag ``A``) are carried as ranges: for
    the refractory presets, the flare rate ratio after HSCT and CD19 CAR-T
    (from the series' best case to no effect), the speed-up of improvement of
    active disease (none, ten or a hundred times faster) and the rise in flares after
    the drugs are withdrawn (none, up to CORTICOLUP's fitted rise after
    stopping prednisone).  The preset's own values are points of these ranges
    (``refractory`` the favourable end, ``refractory_conservative`` the
    unfavourable end), and each range is also written in the parameter's
    :class:`Source` note.  Sweep the product of the values with
    :meth:`Arm.replace`, e.g. through ``itertools.product``.

    Parameters
    ----------
    name : str
        A preset name (:func:`list_presets`).

    Returns
    -------
    dict
        Arm name -> parameter -> tuple of values; empty for a preset without
        assumed ranges.

    Examples
    --------
    >>> import lupusstats as ls
    >>> grid = ls.preset_sensitivity("refractory")
    >>> sorted(grid)
    ['CD19 CAR-T (exploratory)', 'autologous HSCT']
    >>> grid["autologous HSCT"]["activity_response_ratio"]
    (1.0, 10.0, 100.0)
    >>> ls.preset_sensitivity("bliss52")
    {}
    """
    if not isinstance(name, str):
        raise TypeError(f"`name` must be a string, one of {sorted(_PRESETS)}, got {name!r}.")
    if name not in _PRESETS:
        raise ValueError(f"`name` must be a known preset, got {name!r}; known presets: {sorted(_PRESETS)}.")
    return {arm: _therapy_sensitivity() for arm in _SENSITIVITY.get(name, ())}


def list_presets() -> pd.DataFrame:
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
    >>> presets[["name", "n_per_arm", "baseline_flare_rate", "followup_years"]].round(3)
                          name  n_per_arm  baseline_flare_rate  followup_years
    0           general_cohort        200                1.000           1.000
    1      nephritis_induction        185                1.765           0.460
    2               refractory         50                3.000           2.000
    3  refractory_conservative         50                3.000           2.000
    4                  bliss52        287                1.000           0.997
    5                    tulip        366                0.670           0.997
    6               withdrawal         61                0.070           0.997
    7          natural_history        703                1.000          10.000
    8                 bliss_ln        223                1.000           1.993
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
