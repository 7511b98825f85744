import math

import numpy as np
import pandas as pd
import pytest

from forecast_pipeline.scoring import brier, coverage, log_loss, rmse


def test_brier_hand_computed():
    # (0.9-1)^2 + (0.2-0)^2 + (0.5-1)^2 = 0.01 + 0.04 + 0.25 = 0.30 -> mean 0.10
    assert brier([0.9, 0.2, 0.5], [1, 0, 1]) == pytest.approx(0.10, abs=1e-15)
    assert brier([1.0, 0.0], [True, False]) == 0.0
    assert brier([0.5] * 4, [1, 0, 1, 0]) == pytest.approx(0.25)
    assert brier(pd.Series([0.7]), np.array([0])) == pytest.approx(0.49)


def test_log_loss_hand_computed():
    # -(ln 0.8 + ln(1-0.4)) / 2 = -(ln 0.8 + ln 0.6) / 2
    expected = -(math.log(0.8) + math.log(0.6)) / 2
    assert log_loss([0.8, 0.4], [1, 0]) == pytest.approx(expected, rel=1e-12)
    assert log_loss([0.5, 0.5], [1, 0]) == pytest.approx(math.log(2))
    # a certain miss is clipped, not infinite
    assert log_loss([0.0], [1]) == pytest.approx(-math.log(1e-15))
    assert log_loss([1.0], [1]) == pytest.approx(0.0, abs=1e-14)


def test_rmse_hand_computed():
    # errors 0.01, -0.02, 0.02 -> squares 1e-4, 4e-4, 4e-4 -> mean 3e-4 -> sqrt
    assert rmse([0.51, 0.48, 0.62], [0.50, 0.50, 0.60]) == pytest.approx(math.sqrt(3e-4), rel=1e-9)
    assert rmse([0.5], [0.5]) == 0.0


def test_coverage_inclusive_ends():
    lo = [0.40, 0.45, 0.50, 0.30]
    hi = [0.50, 0.55, 0.60, 0.35]
    actual = [
        0.50,
        0.44,
        0.50,
        0.36,
    ]  # on the upper end (in), below (out), on the lower end (in), above (out)
    assert coverage(lo, hi, actual) == 0.5


@pytest.mark.parametrize(
    "call",
    [
        lambda: brier([], []),
        lambda: brier([0.5, 0.5], [1]),
        lambda: brier([1.2], [1]),
        lambda: brier([0.5], [2]),
        lambda: brier([np.nan], [1]),
        lambda: log_loss([-0.1], [0]),
        lambda: rmse([0.5, np.nan], [0.5, 0.5]),
        lambda: coverage([0.6], [0.5], [0.55]),
    ],
)
def test_bad_input_raises(call):
    with pytest.raises(ValueError):
        call()
