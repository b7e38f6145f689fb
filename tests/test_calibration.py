"""Tests for lupusstats.calibration.validate_methods: table shape, Monte Carlo intervals and
flags, reproducibility, and the calibration of the vectorised count models at a size
where a miscalibration would show.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import lupusstats as ls

COLUMNS = [
    "family",
    "method",
    "criterion",
    "scenario",
    "nominal",
    "estimate",
    "mc_low",
    "mc_high",
    "hits",
    "n",
    "n_undefined",
    "flag",
    "verdict",
    "expected_valid",
    "note",
]


@pytest.fixture(scope="module")
def quick():
    return ls.validate_methods(n_trials=40, rng=3, families=["rate_models", "severity", "survival"])


def test_table_shape_and_intervals(quick):
    assert list(quick.columns) == COLUMNS
    assert set(quick["criterion"]) == {"type I error", "coverage"}
    assert set(quick["family"]) == {"rate_models", "severity", "survival"}
    nominal = np.where(quick["criterion"] == "type I error", 0.05, 0.95)
    assert np.allclose(quick["nominal"], nominal)
    assert np.allclose(quick["estimate"], quick["hits"] / quick["n"])
    for _, r in quick.iterrows():
        ci = stats.binomtest(int(r["hits"]), int(r["n"])).proportion_ci(confidence_level=0.99, method="exact")
        assert (r["mc_low"], r["mc_high"]) == pytest.approx((ci.low, ci.high))
        outside = not (r["mc_low"] <= r["nominal"] <= r["mc_high"])
        assert r["flag"] == outside
        assert (r["verdict"] == "ok") == (not outside)


def test_reproducible_and_families_independent(quick):
    again = ls.validate_methods(n_trials=40, rng=3, families=["rate_models", "severity", "survival"])
    assert again.equals(quick)
    alone = ls.validate_methods(n_trials=40, rng=3, families=["severity"])
    together = quick[quick["family"] == "severity"].reset_index(drop=True)
    assert alone.equals(together)
    other = ls.validate_methods(n_trials=40, rng=4, families=["severity"])
    assert not other["hits"].equals(alone["hits"])


def test_count_models_calibrated():
    # 1000 data sets per row; a 99.99% Monte Carlo interval per row keeps the chance of a
    # false alarm over the 6 valid rows below 0.1%.
    table = ls.validate_methods(n_trials=1000, rng=11, families=["rate_models"], mc_level=0.9999)
    valid = table[table["expected_valid"] & (table["method"] == "compare_rates(model='negbin')")]
    assert len(valid) == 2 and not valid["flag"].any(), valid
    # robust/quasi-Poisson rows: small-sample liberal at worst, never wildly off
    others = table[table["expected_valid"]]
    assert (others["estimate"][others["criterion"] == "type I error"] < 0.09).all()
    assert (others["estimate"][others["criterion"] == "coverage"] > 0.91).all()
    # the Poisson GLM on NB counts rejects too often (expected about 0.09; P(estimate <= 0.05) < 1e-5)
    pois = table[(table["method"] == "compare_rates(model='poisson')") & (table["criterion"] == "type I error")]
    assert float(pois["estimate"].iloc[0]) > 0.05


def test_per_family_trials():
    table = ls.validate_methods(n_trials={"severity": 30, "rate_models": 20}, rng=1)
    assert list(dict.fromkeys(table["family"])) == ["rate_models", "severity"]
    assert set(
        table.loc[table["family"] == "severity", "n"] + table.loc[table["family"] == "severity", "n_undefined"]
    ) == {30}
    assert set(table.loc[table["family"] == "rate_models", "n"]) == {20}


def test_bad_input():
    with pytest.raises(ValueError, match="`n_trials` must be an integer >= 1, got 0"):
        ls.validate_methods(n_trials=0)
    with pytest.raises(ValueError, match="`families` must be one of"):
        ls.validate_methods(n_trials=5, families=["bayes"])
    with pytest.raises(TypeError, match="`families` must be a list"):
        ls.validate_methods(n_trials=5, families="severity")
    with pytest.raises(ValueError, match="`alpha` must be > 0.0 and < 1.0"):
        ls.validate_methods(n_trials=5, alpha=1.0)
    with pytest.raises(ValueError, match="`n_trials key` must be one of"):
        ls.validate_methods(n_trials={"bayes": 10})
    with pytest.raises(ValueError, match="`mc_level` must be"):
        ls.validate_methods(n_trials=5, mc_level=1.5)
