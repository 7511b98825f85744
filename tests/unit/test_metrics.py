"""Scores against values computed by hand."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forecast_pipeline.backtest import metrics


def test_brier_and_weighted_brier():
    p = np.array([0.9, 0.2, 0.6])
    y = np.array([1, 0, 0])
    # (0.1^2 + 0.2^2 + 0.6^2) / 3 = (0.01 + 0.04 + 0.36) / 3
    assert metrics.brier(p, y) == pytest.approx(0.41 / 3)
    # weights 10, 3, 1: (10*0.01 + 3*0.04 + 1*0.36) / 14
    assert metrics.brier(p, y, np.array([10, 3, 1])) == pytest.approx(0.58 / 14)


def test_log_loss_and_clipping():
    assert metrics.log_loss(np.array([0.8, 0.3]), np.array([1, 0])) == pytest.approx(
        -(np.log(0.8) + np.log(0.7)) / 2
    )
    # a certain and wrong forecast is clipped at 1e-4, not infinite
    assert metrics.log_loss(np.array([0.0]), np.array([1])) == pytest.approx(-np.log(1e-4))


def test_crps_of_a_known_distribution():
    rng = np.random.default_rng(0)
    draws = rng.normal(0.52, 0.02, size=(1, 200_000))
    exact = metrics.crps_normal(np.array([0.52]), 0.02, np.array([0.50]))
    assert metrics.crps_samples(draws, np.array([0.50]))[0] == pytest.approx(exact[0], rel=5e-3)
    # CRPS of a point mass is the absolute error
    assert metrics.crps_samples(np.full((1, 10), 0.55), np.array([0.5]))[0] == pytest.approx(0.05)
    # closed form at the mean: sd * (2 phi(0) - 1/sqrt(pi))
    assert metrics.crps_normal(np.array([0.5]), 0.1, np.array([0.5]))[0] == pytest.approx(
        0.1 * (2 * stats.norm.pdf(0) - 1 / np.sqrt(np.pi))
    )


def test_coverage_and_scores_table():
    table = pd.DataFrame(
        {
            "p_dem_win": [0.9, 0.2],
            "dem_two_party_mean": [0.55, 0.46],
            "q025": [0.50, 0.40],
            "q10": [0.52, 0.43],
            "q25": [0.54, 0.45],
            "q75": [0.56, 0.47],
            "q90": [0.58, 0.49],
            "q975": [0.60, 0.52],
            "crps": [0.01, 0.03],
            "actual_dem_two_party": [0.53, 0.51],
            "electoral_votes": [10, 5],
        }
    )
    s = metrics.score_races(table, "president")
    assert s["n_races"] == 2 and s["n_correct"] == 1
    assert s["coverage_50"] == 0.0  # 0.53 outside [0.54, 0.56]; 0.51 outside [0.45, 0.47]
    assert s["coverage_80"] == 0.5  # 0.53 in [0.52, 0.58]
    assert s["coverage_95"] == 1.0
    assert s["brier"] == pytest.approx((0.01 + 0.64) / 2)
    assert s["brier_ev_weighted"] == pytest.approx((10 * 0.01 + 5 * 0.64) / 15)
    assert s["rmse_two_party"] == pytest.approx(np.sqrt((0.02**2 + 0.05**2) / 2))
    # margins: 200*(0.55-0.53) = 4 and 200*(0.46-0.51) = -10
    assert s["mae_margin"] == pytest.approx(7.0)
    assert s["bias_margin"] == pytest.approx(-3.0)
    assert s["crps_two_party"] == pytest.approx(0.02)


def test_pit_and_calibration():
    draws = np.tile(np.arange(1, 100) / 100, (2, 1))  # 0.01 .. 0.99
    pit = metrics.pit_values(draws, np.array([0.505, 2.0]))
    assert pit[0] == pytest.approx((50 + 0.5) / 100)
    assert pit[1] == pytest.approx((99 + 0.5) / 100)
    cal = metrics.calibration_table(np.array([0.05, 0.07, 0.95, 0.55]), np.array([0, 1, 1, 1]), bins=10)
    assert list(cal["n"]) == [2, 0, 0, 0, 0, 1, 0, 0, 0, 1]
    assert cal.loc[0, "observed_rate"] == 0.5 and cal.loc[0, "mean_predicted"] == pytest.approx(0.06)
