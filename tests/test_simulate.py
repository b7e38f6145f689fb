"""The simulator recovers what it was given, within Monte Carlo error.

Every check compares a simulated distribution with the one the model implies,
using a test or interval whose false-alarm probability is stated (about 1e-5 per
check), never a number drawn from one seed.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

import lupusstats as ls
from lupusstats import columns as C

Z = 4.4  # two-sided normal quantile for a false-alarm probability of about 1e-5
P_MIN = 1e-5  # smallest acceptable p-value of a goodness-of-fit test


def two_arm(**arm_kw):
    """A two-arm scenario with no dropout, for clean recovery checks."""
    return ls.Scenario(
        [ls.Arm("control"), ls.Arm("treated", **arm_kw)],
        n_per_arm=4000,
        baseline_flare_rate=1.2,
        dispersion=0.5,
        followup_years=1.0,
    )


# --------------------------------------------------------------------------- counts


def test_flare_rate_per_arm_recovered():
    sc = two_arm(flare_rate_ratio=0.6)
    batch = ls.simulate_trials(sc, 50, rng=11)
    for code, rr in enumerate((1.0, 0.6)):
        y = batch.n_flares[:, batch.arm == code]
        mu = sc.baseline_flare_rate * rr * sc.followup_years
        # NB2: Var(y) = mu + alpha mu^2 per patient; independent patients.
        se = math.sqrt(y.size * (mu + sc.dispersion * mu**2)) / y.size
        assert abs(y.mean() - mu) < Z * se


def test_counts_follow_negative_binomial():
    # With equal exposure and no dropout the count is NB(size 1/alpha, mean mu).
    sc = ls.Scenario([ls.Arm("only")], n_per_arm=40000, baseline_flare_rate=1.5, dispersion=0.5, followup_years=1.0)
    y = ls.simulate_cohort(sc, rng=3).patients[C.N_FLARES].to_numpy()
    size = 1 / sc.dispersion
    p = size / (size + 1.5)
    k = np.arange(12)
    expected = stats.nbinom.pmf(k, size, p) * y.size
    expected[-1] += stats.nbinom.sf(k[-1], size, p) * y.size
    observed = np.bincount(np.minimum(y, k[-1]), minlength=k.size)
    chi2 = ((observed - expected) ** 2 / expected).sum()
    assert stats.chi2.sf(chi2, k.size - 1) > P_MIN
    # ... and not Poisson with the same mean: the test has power to see it.
    poisson = stats.poisson.pmf(k, 1.5) * y.size
    poisson[-1] += stats.poisson.sf(k[-1], 1.5) * y.size
    assert stats.chi2.sf(((observed - poisson) ** 2 / poisson).sum(), k.size - 1) < 1e-10


def test_dispersion_recovered_by_moments_across_replicates():
    sc = ls.Scenario([ls.Arm("only")], n_per_arm=5000, baseline_flare_rate=1.0, dispersion=0.8, followup_years=1.0)
    y = ls.simulate_trials(sc, 40, rng=5).n_flares.astype(float)
    m, v = y.mean(axis=1), y.var(axis=1, ddof=1)
    alpha_hat = (v - m) / m**2
    se = alpha_hat.std(ddof=1) / math.sqrt(alpha_hat.size)
    assert abs(alpha_hat.mean() - 0.8) < Z * se + 0.01  # + small O(1/n) bias of the ratio estimator


def test_poisson_when_dispersion_zero():
    sc = ls.Scenario([ls.Arm("only")], n_per_arm=20000, baseline_flare_rate=2.0, dispersion=0.0, followup_years=1.0)
    y = ls.simulate_trials(sc, 1, rng=8).n_flares[0]
    # Index of dispersion test: sum (y - ybar)^2 / ybar ~ chi2(n - 1) under Poisson.
    d = ((y - y.mean()) ** 2).sum() / y.mean()
    p = 2 * min(stats.chi2.cdf(d, y.size - 1), stats.chi2.sf(d, y.size - 1))
    assert p > P_MIN


# ---------------------------------------------------------------------- follow-up


def test_tiny_dispersion_is_poisson_not_an_error():
    # Found by hypothesis: a denormal dispersion overflowed the gamma sampler.
    sc = ls.Scenario(
        [ls.Arm("only")],
        n_per_arm=50,
        baseline_flare_rate=1.0,
        dispersion=2.2e-313,
        followup_years=1.0,
        severity_frailty_log_or=1.0,
    )
    assert ls.simulate_cohort(sc, rng=0).patients[C.N_FLARES].notna().all()


def test_dropout_fraction_matches_exponential_hazard():
    sc = two_arm(dropout_rate=0.3)
    batch = ls.simulate_trials(sc, 10, rng=21)
    dropped = ~batch.completed[:, batch.in_arm("treated")]
    expected = 1 - math.exp(-0.3 * sc.followup_years)
    assert stats.binomtest(int(dropped.sum()), dropped.size, expected).pvalue > P_MIN
    assert batch.completed[:, batch.in_arm("control")].all()
    # Dropouts are observed for less than the planned follow-up; completers for all of it.
    f = batch.followup_years[:, batch.in_arm("treated")]
    assert (f[dropped] < sc.followup_years).all() and (f[~dropped] == sc.followup_years).all()


def test_treatment_mortality_within_window():
    sc = two_arm(treatment_mortality=0.1, mortality_window_years=0.25)
    batch = ls.simulate_trials(sc, 10, rng=22)
    m = batch.in_arm("treated")
    died = ~batch.completed[:, m]
    assert stats.binomtest(int(died.sum()), died.size, 0.1).pvalue > P_MIN
    assert (batch.followup_years[:, m][died] <= 0.25).all()
    assert not batch.drug_free_remission[:, m][died].any()


def test_exposure_scales_flare_counts():
    # Rate per patient-year is the same whatever the exposure: dropouts flare at the same rate.
    sc = two_arm(dropout_rate=1.0)
    batch = ls.simulate_trials(sc, 40, rng=23)
    m = batch.in_arm("treated")
    y, t = batch.n_flares[:, m], batch.followup_years[:, m]
    rate = y.sum() / t.sum()
    se = math.sqrt((1.2 * t + 0.5 * (1.2 * t) ** 2).sum()) / t.sum()
    assert abs(rate - 1.2) < Z * se


# ----------------------------------------------------------------------- severity


def severity_shares(flares):
    counts = flares.pivot_table(index=C.ARM, columns=C.SEVERITY, values=C.PATIENT, aggfunc="size", observed=False)
    return counts


def test_severity_mix_recovered():
    sc = two_arm()
    flares = ls.simulate_cohort(sc, rng=31).flares
    observed = flares[C.SEVERITY].value_counts().reindex(list(C.SEVERITY_LEVELS)).to_numpy()
    expected = np.asarray(sc.severity_probs) * observed.sum()
    assert stats.chisquare(observed, expected).pvalue > P_MIN


def test_severity_counts_in_trials_recovered():
    sc = two_arm()
    batch = ls.simulate_trials(sc, 3, rng=35)
    severe, moderate = batch.n_severe_flares.sum(), batch.n_moderate_flares.sum()
    observed = np.array([batch.n_flares.sum() - severe - moderate, moderate, severe])
    assert stats.chisquare(observed, np.asarray(sc.severity_probs) * observed.sum()).pvalue > P_MIN


def test_severity_odds_ratio_is_proportional_odds():
    sc = two_arm(severity_odds_ratio=2.0)
    counts = severity_shares(ls.simulate_cohort(sc, rng=32).flares)
    for cut in (1, 2):  # >= moderate, >= severe
        hi = counts.iloc[:, cut:].sum(axis=1)
        lo = counts.iloc[:, :cut].sum(axis=1)
        log_or = math.log(hi["treated"] / lo["treated"]) - math.log(hi["control"] / lo["control"])
        se = math.sqrt((1 / hi + 1 / lo).sum())
        assert abs(log_or - math.log(2.0)) < Z * se


def test_frailty_correlated_severity():
    # Frequent flarers flare harder: the severe share rises with the flare count.
    sc = two_arm().replace(severity_frailty_log_or=1.0, n_per_arm=3000)
    patients = ls.simulate_cohort(sc, rng=33).patients
    flared = patients[patients[C.N_FLARES] > 0]
    share = flared[C.N_SEVERE_FLARES] / flared[C.N_FLARES]
    res = stats.spearmanr(flared[C.N_FLARES], share)
    assert res.statistic > 0 and res.pvalue < 1e-6


def test_patient_random_effect_clusters_severity():
    # Given a patient's count, severe flares are overdispersed relative to binomial.
    sc = two_arm().replace(severity_patient_sd=1.5, n_per_arm=3000)
    p = ls.simulate_cohort(sc, rng=34).patients
    p = p[p[C.N_FLARES] >= 3]
    share = (p[C.N_SEVERE_FLARES] / p[C.N_FLARES]).to_numpy()
    pbar = share.mean()
    binomial_var = (pbar * (1 - pbar) / p[C.N_FLARES]).mean()
    assert share.var() > 1.5 * binomial_var


# -------------------------------------------------------------- remission and AEs


def test_remission_is_per_randomised_patient():
    # Trials report remission among all randomised patients, non-completers counting as
    # non-remitters; the simulated share of all patients must match the arm's probability.
    sc = two_arm(remission_probability=0.4, dropout_rate=0.5, treatment_mortality=0.05)
    batch = ls.simulate_trials(sc, 10, rng=41)
    m = batch.in_arm("treated")
    completers = batch.completed[:, m]
    remission = batch.drug_free_remission[:, m]
    assert not remission[~completers].any()
    assert stats.binomtest(int(remission.sum()), remission.size, 0.4).pvalue > P_MIN
    expected_completion = sc.arm("treated").completion_probability(sc.followup_years)
    assert stats.binomtest(int(completers.sum()), completers.size, expected_completion).pvalue > P_MIN


def test_remission_above_completion_is_an_error():
    with pytest.raises(ValueError, match="remission_probability.*0.9.*complete"):
        two_arm(remission_probability=0.9, dropout_rate=0.5)


def test_adverse_event_rates_recovered_with_window():
    sc = two_arm(adverse_events={"infection": 2.0, "alopecia": 0.5}, adverse_event_window_years=0.5, dropout_rate=0.4)
    batch = ls.simulate_trials(sc, 10, rng=42)
    m = batch.in_arm("treated")
    exposure = np.minimum(batch.followup_years[:, m], 0.5)
    for event, rate in (("infection", 2.0), ("alopecia", 0.5)):
        counts = batch.adverse_events[event][:, m]
        # Poisson: the total count is Poisson with mean rate * total exposure.
        expected = rate * exposure.sum()
        assert abs(counts.sum() - expected) < Z * math.sqrt(expected)
        assert (batch.adverse_events[event][:, batch.in_arm("control")] == 0).all()


def test_baseline_sledai_matches_bliss():
    sc = ls.preset("general_cohort", n_per_arm=20000)
    x = ls.simulate_cohort(sc, rng=43).patients[C.BASELINE_SLEDAI]
    # BLISS pooled: 9.71 +/- 3.76 and 52.1% with a score >= 10 (DOMAIN.md).
    assert abs(x.mean() - 9.71) < 0.1
    assert abs(x.std() - 3.76) < 0.1
    assert stats.binomtest(int((x >= 10).sum()), x.size, 0.521).pvalue > 1e-4
    assert x.min() >= 0


def test_baseline_sledai_truncation():
    sc = two_arm().replace(sledai_baseline_min=6, n_per_arm=5000)
    x = ls.simulate_cohort(sc, rng=44).patients[C.BASELINE_SLEDAI]
    assert x.min() >= 6


# ------------------------------------------------------------------ table shapes


def test_cohort_tables_consistent():
    sc = ls.preset("nephritis_induction")
    cohort = ls.simulate_cohort(sc, rng=51)
    p, f = cohort.patients, cohort.flares
    assert list(p.columns[: len(C.PATIENT_COLUMNS) - 1]) == [c for c in C.PATIENT_COLUMNS if c != C.TRIAL]
    assert [c for c in p.columns if c.startswith(C.AE_PREFIX)] == [C.ae_column(e) for e in sc.adverse_events]
    assert list(f.columns) == [c for c in C.FLARE_COLUMNS if c != C.TRIAL]
    assert list(p[C.ARM].cat.categories) == list(sc.arm_names)
    assert f[C.SEVERITY].cat.ordered and list(f[C.SEVERITY].cat.categories) == list(C.SEVERITY_LEVELS)
    assert set(f[C.ORGAN].cat.categories) == set(C.ORGAN_DOMAINS)
    counts = f.groupby(C.PATIENT).size().reindex(p[C.PATIENT], fill_value=0).to_numpy()
    np.testing.assert_array_equal(counts, p[C.N_FLARES])
    severe = (f[C.SEVERITY] == "severe").groupby(f[C.PATIENT]).sum().reindex(p[C.PATIENT], fill_value=0)
    np.testing.assert_array_equal(severe.to_numpy(), p[C.N_SEVERE_FLARES])
    merged = f.merge(p[[C.PATIENT, C.FOLLOWUP_YEARS, C.FIRST_FLARE_YEARS, C.ARM]], on=C.PATIENT)
    assert ((merged[C.TIME_YEARS] > 0) & (merged[C.TIME_YEARS] <= merged[C.FOLLOWUP_YEARS])).all()
    assert (merged[C.TIME_YEARS] >= merged[C.FIRST_FLARE_YEARS]).all()
    assert (merged["arm_x"] == merged["arm_y"]).all()
    assert p[C.FIRST_FLARE_YEARS].isna().eq(p[C.N_FLARES] == 0).all()
    assert p[C.FIRST_SEVERE_FLARE_YEARS].isna().eq(p[C.N_SEVERE_FLARES] == 0).all()
    assert (p[C.FIRST_FLARE_YEARS].fillna(np.inf) <= p[C.FIRST_SEVERE_FLARE_YEARS].fillna(np.inf)).all()
    assert (f[C.SLEDAI_INCREASE] >= 0).all()


def test_same_seed_same_tables_and_different_seed_differs():
    sc = ls.preset("nephritis_induction", n_per_arm=60)
    a, b = ls.simulate_cohort(sc, rng=7), ls.simulate_cohort(sc, rng=7)
    pd.testing.assert_frame_equal(a.patients, b.patients)
    pd.testing.assert_frame_equal(a.flares, b.flares)
    c = ls.simulate_cohort(sc, rng=8)
    assert not a.patients.equals(c.patients)
    t1, t2 = ls.simulate_trials(sc, 5, rng=np.random.SeedSequence(9)), ls.simulate_trials(sc, 5, rng=9)
    np.testing.assert_array_equal(t1.n_flares, t2.n_flares)
    np.testing.assert_array_equal(t1.first_flare_years, t2.first_flare_years)


def test_generator_is_advanced_not_reset():
    sc = ls.preset("general_cohort", n_per_arm=30)
    rng = np.random.default_rng(1)
    a, b = ls.simulate_cohort(sc, rng=rng), ls.simulate_cohort(sc, rng=rng)
    assert not a.patients.equals(b.patients)


def test_trials_and_cohort_agree_in_distribution():
    sc = ls.preset("nephritis_induction").replace(n_per_arm=6000, severity_patient_sd=0.7)
    # the preset has no drug-free remission (induction: all on drugs); give one arm some so the column is compared
    sc = sc.with_arm("MSC + standard care", remission_probability=0.4)
    p = ls.simulate_cohort(sc, rng=61).patients
    t = ls.simulate_trials(sc, 1, rng=62).to_patients()
    for col in (C.FOLLOWUP_YEARS, C.FIRST_FLARE_YEARS, C.FIRST_SEVERE_FLARE_YEARS, C.BASELINE_SLEDAI):
        x, y = p[col].dropna(), t[col].dropna()
        assert stats.ks_2samp(x, y).pvalue > P_MIN, col
    for col in (C.N_FLARES, C.N_SEVERE_FLARES, "ae_infection", C.DRUG_FREE_REMISSION):
        table = pd.crosstab(
            np.r_[np.zeros(len(p)), np.ones(len(t))],
            np.r_[np.minimum(p[col].astype(int), 6), np.minimum(t[col].astype(int), 6)],
        )
        assert stats.chi2_contingency(table).pvalue > P_MIN, col


def test_trial_batch_shapes_and_first_times():
    sc = ls.preset("refractory")
    batch = ls.simulate_trials(sc, 200, rng=63)
    shape = (200, sc.n_patients)
    for name in ("n_flares", "n_severe_flares", "followup_years", "first_flare_years", "completed"):
        assert getattr(batch, name).shape == shape
    assert batch.arm.shape == (sc.n_patients,)
    np.testing.assert_array_equal(np.bincount(batch.arm), sc.n_per_arm)
    first = batch.first_flare_years
    assert np.array_equal(np.isnan(first), batch.n_flares == 0)
    ok = ~np.isnan(first)
    assert (first[ok] > 0).all() and (first[ok] <= batch.followup_years[ok]).all()
    assert (np.fmin(first, np.inf) <= np.nan_to_num(batch.first_severe_flare_years, nan=np.inf)).all()
    assert (batch.n_severe_flares + batch.n_moderate_flares <= batch.n_flares).all()
    worst = batch.worst_severity
    assert np.array_equal(worst == -1, batch.n_flares == 0) and np.array_equal(worst == 2, batch.n_severe_flares > 0)
    assert np.array_equal(worst == 1, (batch.n_moderate_flares > 0) & (batch.n_severe_flares == 0))


def test_first_flare_time_distribution():
    # Poisson process with constant follow-up: P(first flare > t) = E exp(-rate u t).
    sc = ls.Scenario([ls.Arm("only")], n_per_arm=50000, baseline_flare_rate=1.0, dispersion=0.5, followup_years=2.0)
    batch = ls.simulate_trials(sc, 1, rng=64)
    t = np.nan_to_num(batch.first_flare_years[0], nan=np.inf)
    for s in (0.25, 0.5, 1.0, 2.0):
        expected = (1 + 0.5 * 1.0 * s) ** (-1 / 0.5)  # gamma frailty Laplace transform
        assert stats.binomtest(int((t > s).sum()), t.size, expected).pvalue > P_MIN


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.lists(st.integers(1, 40), min_size=1, max_size=3),
    rate=st.floats(0.01, 5.0),
    dispersion=st.floats(0.0, 3.0),
    followup=st.floats(0.05, 3.0),
    dropout=st.floats(0.0, 2.0),
    mortality=st.floats(0.0, 0.5),
    sev_or=st.floats(0.1, 10.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_invariants_hold_for_any_valid_scenario(n, rate, dispersion, followup, dropout, mortality, sev_or, seed):
    arms = [
        ls.Arm(
            f"arm{i}",
            dropout_rate=dropout,
            treatment_mortality=mortality,
            severity_odds_ratio=sev_or,
            adverse_events={"infection": rate},
        )
        for i in range(len(n))
    ]
    sc = ls.Scenario(
        arms,
        n_per_arm=n,
        baseline_flare_rate=rate,
        dispersion=dispersion,
        followup_years=followup,
        severity_patient_sd=0.5,
    )
    cohort = ls.simulate_cohort(sc, rng=seed)
    p, f = cohort.patients, cohort.flares
    assert len(p) == sum(n) and p[C.PATIENT].is_unique
    assert (p[C.FOLLOWUP_YEARS] > 0).all() and (p[C.FOLLOWUP_YEARS] <= followup).all()
    assert p[C.COMPLETED].eq(p[C.FOLLOWUP_YEARS] == followup).all()
    assert len(f) == p[C.N_FLARES].sum()
    assert not f.isna().any().any() and not p[C.N_FLARES].isna().any()
    batch = ls.simulate_trials(sc, 3, rng=seed)
    assert batch.n_flares.shape == (3, sum(n)) and (batch.n_flares >= 0).all()


# ------------------------------------------------------- flares by severity (TrialBatch)


def _expected_severity_shares(sc, arm_log_or=0.0):
    """Expected share of flares at each severity level, by numerical integration over the patient terms.

    Cumulative logits ``logit P(>= level) = logit P0(>= level) + eta`` with
    ``eta = log OR + b (log u - E log u) + sd Z``; a patient's flares are
    proportional to the frailty ``u``, so the flare-weighted share is
    ``E[u p(eta)] / E[u]`` (E u = 1).
    """
    from scipy import integrate, special

    p0 = np.asarray(sc.severity_probs)
    theta = special.logit([p0[1] + p0[2], p0[2]])  # >= moderate, >= severe
    nodes, weights = np.polynomial.hermite_e.hermegauss(60)
    weights = weights / weights.sum()  # standard normal

    def shares(eta):
        ge = special.expit(theta + eta)  # P(>= moderate), P(>= severe)
        return np.array([1 - ge[0], ge[0] - ge[1], ge[1]])

    def given_u(log_u_centred):
        eta = arm_log_or + sc.severity_frailty_log_or * log_u_centred
        return sum(w * shares(eta + sc.severity_patient_sd * z) for z, w in zip(nodes, weights, strict=True))

    if sc.severity_frailty_log_or == 0.0:
        return given_u(0.0)
    k = 1.0 / sc.dispersion
    e_log_u = special.digamma(k) - math.log(k)
    density = stats.gamma(k, scale=1.0 / k).pdf
    return np.array(
        [
            integrate.quad(lambda u, j=j: u * given_u(math.log(u) - e_log_u)[j] * density(u), 0, np.inf)[0]
            for j in range(3)
        ]
    )


@pytest.mark.parametrize(
    ("extra", "sev_or"),
    [
        ({}, 1.0),  # flares independent: the published mix
        ({}, 0.5),  # proportional-odds shift of the arm
        ({"severity_patient_sd": 1.5}, 1.0),  # severity clustered in patients
        ({"severity_patient_sd": 1.0, "severity_frailty_log_or": 0.8}, 2.0),  # frequent flarers flare harder
    ],
)
def test_flares_by_severity_match_the_severity_model(extra, sev_or):
    sc = ls.Scenario(
        [ls.Arm("control"), ls.Arm("treated", severity_odds_ratio=sev_or)],
        n_per_arm=150,
        baseline_flare_rate=1.5,
        dispersion=0.6,
        followup_years=1.0,
        **extra,
    )
    batch = ls.simulate_trials(sc, 400, rng=71)
    for code, log_or in enumerate((0.0, math.log(sev_or))):
        by_level = batch.n_flares_by_severity[:, batch.arm == code].sum(axis=1)  # (trials, 3)
        total = by_level.sum(axis=1)
        share = by_level.sum(axis=0) / total.sum()
        # ratio estimator over independent trials: its SE from the trial-level residuals
        resid = by_level - share * total[:, None]
        se = resid.std(axis=0, ddof=1) * math.sqrt(len(total)) / total.sum()
        expected = _expected_severity_shares(sc, log_or)
        assert np.all(np.abs(share - expected) < Z * se), (code, share, expected, se)


def test_flares_by_severity_without_patient_terms_is_multinomial():
    # No patient terms: every flare's severity is an independent draw from the mix, so the
    # level totals are multinomial given the flare total (exact goodness of fit).
    sc = two_arm().replace(n_per_arm=(3000, 3000))
    batch = ls.simulate_trials(sc, 2, rng=72)
    observed = batch.n_flares_by_severity[:, batch.arm == 0].sum(axis=(0, 1))
    assert stats.chisquare(observed, np.asarray(sc.severity_probs) * observed.sum()).pvalue > P_MIN


def test_flares_by_severity_is_consistent_and_read_only():
    import copy
    import pickle

    sc = ls.preset("nephritis_induction").replace(severity_patient_sd=1.0)
    batch = ls.simulate_trials(sc, 30, rng=73)
    by = batch.n_flares_by_severity
    assert by.shape == (30, sc.n_patients, 3) and np.issubdtype(by.dtype, np.integer)
    assert (by >= 0).all()
    np.testing.assert_array_equal(by.sum(axis=-1), batch.n_flares)
    np.testing.assert_array_equal(by[..., 1], batch.n_moderate_flares)
    np.testing.assert_array_equal(by[..., 2], batch.n_severe_flares)
    worst = np.where(batch.n_flares > 0, 2 - np.argmax(by[..., ::-1] > 0, axis=-1), -1)
    np.testing.assert_array_equal(worst, batch.worst_severity)
    assert batch.n_flares_by_severity is by  # computed once
    for how, b in {
        "original": batch,
        "pickle": pickle.loads(pickle.dumps(batch)),
        "deepcopy": copy.deepcopy(batch),
    }.items():
        arr = b.n_flares_by_severity
        np.testing.assert_array_equal(arr, by)
        assert not arr.flags.writeable, how
        with pytest.raises(ValueError, match="read-only"):
            arr[0, 0, 0] = 1


def _cohort_counts_by_severity(cohort):
    f, n = cohort.flares, len(cohort.patients)
    table = pd.crosstab(f[C.PATIENT], f[C.SEVERITY], dropna=False)
    return table.reindex(index=np.arange(1, n + 1), columns=list(C.SEVERITY_LEVELS), fill_value=0).to_numpy()


def test_cohort_severities_are_the_trials_severities():
    # One engine: with the same seed the flares table of simulate_cohort holds exactly the
    # per-patient counts by severity of a one-trial batch.
    sc = ls.preset("nephritis_induction", n_per_arm=80).replace(severity_patient_sd=1.0)
    for seed in (1, 2, 3):
        counts = _cohort_counts_by_severity(ls.simulate_cohort(sc, rng=seed))
        np.testing.assert_array_equal(counts, ls.simulate_trials(sc, 1, rng=seed).n_flares_by_severity[0])


def test_cohort_severities_and_trials_agree_in_distribution():
    # Independent draws (different seeds): per-patient counts at each severity level have the
    # same distribution in simulate_cohort's flares table and in simulate_trials, per arm.
    sc = ls.preset("nephritis_induction").replace(n_per_arm=5000, severity_patient_sd=0.8, severity_frailty_log_or=0.5)
    cohort = ls.simulate_cohort(sc, rng=74)
    from_cohort = _cohort_counts_by_severity(cohort)
    batch = ls.simulate_trials(sc, 1, rng=75)
    from_trials = batch.n_flares_by_severity[0]
    arm = cohort.patients[C.ARM].cat.codes.to_numpy()
    np.testing.assert_array_equal(arm, batch.arm)
    for code in range(len(sc.arms)):
        for level in range(3):
            x, y = from_cohort[arm == code, level], from_trials[batch.arm == code, level]
            table = pd.crosstab(np.r_[np.zeros(x.size), np.ones(y.size)], np.r_[np.minimum(x, 3), np.minimum(y, 3)])
            assert stats.chi2_contingency(table).pvalue > P_MIN, (code, level)


def test_nephritis_renal_response_same_from_cohort_and_trials_and_no_remission():
    # nephritis_induction's response comes from the visits (UPCR, eGFR), not from a remission draw
    from lupusstats.endpoints import VisitArrays
    from lupusstats.endpoints.responders import responder_kernel

    sc = ls.preset("nephritis_induction", n_per_arm=3000)
    cohort = ls.simulate_cohort(sc, rng=71)
    assert not cohort.patients[C.DRUG_FREE_REMISSION].any()
    assert {C.UPCR, C.EGFR} <= set(cohort.visits.columns)
    alms = ls.renal_response(cohort, definition="alms", week=24)
    batch = ls.simulate_trials(sc, 1, rng=72, visits=True)
    arrays = VisitArrays(**batch.visits)
    responder, _ = responder_kernel(arrays, "alms_response", arrays.n_visits - 1)
    for arm in sc.arm_names:
        a = int(alms.loc[alms["arm"] == arm, "responder"].sum())
        b = int(responder[:, batch.in_arm(arm)].sum())
        assert stats.chi2_contingency([[a, 3000 - a], [b, 3000 - b]]).pvalue > P_MIN, arm
        assert 0.3 < a / 3000 < 0.8, arm  # a response, neither none nor all
