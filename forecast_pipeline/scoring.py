"""Forecast scoring: pure numpy, no pipeline imports.

Every function takes array-likes of equal length (lists, numpy arrays, pandas Series), refuses empty
input, NaN and mismatched shapes (a silent NaN would make a backtest look better or worse than it
is), and returns a Python float.
"""

from __future__ import annotations

import numpy as np


def _arrays(*values, names: tuple[str, ...]) -> list[np.ndarray]:
    arrays = [np.asarray(v, dtype=np.float64).ravel() for v in values]
    n = arrays[0].size
    for a, name in zip(arrays, names, strict=True):
        if a.size != n:
            raise ValueError(f"length mismatch: {names[0]} has {n}, {name} has {a.size}")
        if np.isnan(a).any():
            raise ValueError(f"{name} contains NaN")
    if n == 0:
        raise ValueError("empty input")
    return arrays


def _check_prob(p: np.ndarray, name: str) -> None:
    if ((p < 0) | (p > 1)).any():
        raise ValueError(f"{name} must be within [0, 1]")


def _check_outcome(o: np.ndarray) -> None:
    if not np.isin(o, (0.0, 1.0)).all():
        raise ValueError("outcome must be 0/1 (or bool)")


def brier(p, outcome) -> float:
    """Mean squared error of probabilities against 0/1 outcomes: mean((p - o)^2). 0 is perfect,
    0.25 is a constant 50% forecast."""
    p, o = _arrays(p, outcome, names=("p", "outcome"))
    _check_prob(p, "p")
    _check_outcome(o)
    return float(np.mean((p - o) ** 2))


def log_loss(p, outcome, eps: float = 1e-15) -> float:
    """Mean negative log-likelihood (natural log) of 0/1 outcomes: -mean(o ln p + (1-o) ln(1-p)).
    ``p`` is clipped to [eps, 1 - eps] so a confident miss costs ln(1/eps) (34.5 nats by default)
    instead of infinity. ln 2 = 0.693 is a constant 50% forecast."""
    p, o = _arrays(p, outcome, names=("p", "outcome"))
    _check_prob(p, "p")
    _check_outcome(o)
    p = np.clip(p, eps, 1.0 - eps)
    return float(-np.mean(o * np.log(p) + (1.0 - o) * np.log1p(-p)))


def rmse(pred_share, actual_share) -> float:
    """Root mean squared error of predicted vs actual vote shares (same units as the inputs)."""
    pred, actual = _arrays(pred_share, actual_share, names=("pred_share", "actual_share"))
    return float(np.sqrt(np.mean((pred - actual) ** 2)))


def coverage(lo, hi, actual) -> float:
    """Share of ``actual`` values inside their interval [lo, hi] (both ends inclusive)."""
    lo, hi, actual = _arrays(lo, hi, actual, names=("lo", "hi", "actual"))
    if (lo > hi).any():
        raise ValueError("lo must be <= hi")
    return float(np.mean((lo <= actual) & (actual <= hi)))
