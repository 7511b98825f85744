"""The race part of the polling error, s^2 (w K + (1 - w) I), fitted by maximum likelihood: on
errors drawn from a known covariance the fit recovers w and s, and it declines to fit on too little."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast_pipeline.polling_error import fit_race_error


def _kernel(n: int, rng: np.random.Generator) -> pd.DataFrame:
    x = rng.normal(size=(n, 3))
    d2 = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    states = [f"S{i:02d}" for i in range(n)]
    return pd.DataFrame(0.85 * np.exp(-d2 / 4) + 0.15 * np.eye(n), index=states, columns=states)


def _errors(kern: pd.DataFrame, n_cycles: int, nat: float, sd: float, w: float, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    n = len(kern)
    samp = np.full(n, 0.02**2)
    cov = nat**2 + sd**2 * (w * kern.to_numpy() + (1 - w) * np.eye(n)) + np.diag(samp)
    chol = np.linalg.cholesky(cov)
    return {
        f"{1990 + 2 * c}-senate": pd.DataFrame(
            {
                "race_id": kern.index,
                "state": kern.index,
                "error": chol @ rng.normal(size=n),
                "sampling_var": samp,
            }
        )
        for c in range(n_cycles)
    }


@pytest.mark.parametrize("true_w", [0.0, 0.8])
def test_fit_recovers_kernel_weight_and_scale(true_w):
    kern = _kernel(30, np.random.default_rng(1))
    errs = _errors(kern, 25, nat=0.05, sd=0.12, w=true_w, seed=2)
    fit = fit_race_error(errs, lambda c: kern, national_sd=0.05, moment_sd=0.12)
    assert fit is not None and len(fit.cycles) == 25
    assert fit.kernel_weight == pytest.approx(true_w, abs=0.2)
    assert fit.sd_logit == pytest.approx(0.12, rel=0.15)
    # independent errors are far more likely than errors correlated as K says
    assert fit.loglik_gain_vs_kernel_only > (20 if true_w == 0.0 else 0)


def test_fit_skips_states_outside_the_kernel_and_needs_two_cycles():
    kern = _kernel(10, np.random.default_rng(3))
    errs = _errors(kern, 2, nat=0.05, sd=0.1, w=0.5, seed=4)
    one = {"1990-senate": errs["1990-senate"]}
    assert fit_race_error(one, lambda c: kern, 0.05, 0.1) is None
    # a cycle whose races all lie outside the kernel (or fewer than 3 inside) does not count
    outside = errs["1992-senate"].assign(state="ZZ")
    assert (
        fit_race_error(
            {"1990-senate": errs["1990-senate"], "1992-senate": outside}, lambda c: kern, 0.05, 0.1
        )
        is None
    )
    assert fit_race_error(errs, lambda c: kern, 0.05, 0.1) is not None
