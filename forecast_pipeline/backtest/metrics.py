"""Proper scores for race forecasts, computed from a table of per-race predictive summaries.

Conventions: shares are the Democratic two-party share in [0, 1]; margins are Democratic minus
Republican two-party margin in points (= 200 x share - 100); ``bias_margin`` is predicted minus
actual margin, so positive means the forecast overstated the Democrats.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from forecast_pipeline import scoring

P_CLIP = 1e-4  # log loss of a 0/1 forecast that is wrong would be infinite; same clip as ANCHORS b1


def brier(p: np.ndarray, outcome: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Brier score; with ``weights`` (e.g. electoral votes) a weighted mean of the squared errors."""
    unweighted = scoring.brier(p, outcome)  # validates shapes, ranges and NaN
    if weights is None:
        return unweighted
    p, outcome, w = (np.asarray(a, float) for a in (p, outcome, weights))
    return float(np.sum(w * (p - outcome) ** 2) / np.sum(w))


def log_loss(p: np.ndarray, outcome: np.ndarray) -> float:
    return scoring.log_loss(p, outcome, eps=P_CLIP)


def crps_samples(samples: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """CRPS per race from predictive draws (races x draws): E|X - y| - E|X - X'| / 2.

    The second term uses the sorted-sample identity E|X - X'| = 2/n^2 sum_i (2i - n - 1) x_(i),
    exact for the empirical distribution and O(n log n).
    """
    x = np.sort(np.asarray(samples, float), axis=1)
    n = x.shape[1]
    y = np.asarray(actual, float)[:, None]
    term1 = np.mean(np.abs(x - y), axis=1)
    i = np.arange(1, n + 1)
    term2 = np.sum((2 * i - n - 1) * x, axis=1) / n**2
    return term1 - term2


def crps_normal(mean: np.ndarray, sd: float | np.ndarray, actual: np.ndarray) -> np.ndarray:
    """Closed-form CRPS of a normal predictive distribution (Gneiting & Raftery 2007)."""
    z = (np.asarray(actual, float) - mean) / sd
    return sd * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi))


def score_races(table: pd.DataFrame, office: str) -> dict:
    """All scores of one forecast over the races with a known result.

    ``table`` needs: p_dem_win, dem_two_party_mean, q025, q10, q25, q75, q90, q975, crps,
    actual_dem_two_party, and electoral_votes for the EV-weighted Brier of a presidential forecast.
    """
    t = table[table["actual_dem_two_party"].notna()]
    if t.empty:
        return {"n_races": 0}
    actual = t["actual_dem_two_party"].to_numpy(float)
    outcome = (actual > 0.5).astype(float)
    p = t["p_dem_win"].to_numpy(float)
    mean = t["dem_two_party_mean"].to_numpy(float)
    margin_err = 200 * (mean - actual)

    def covered(lo: str, hi: str) -> float:
        return scoring.coverage(t[lo].to_numpy(float), t[hi].to_numpy(float), actual)

    scores = {
        "brier": brier(p, outcome),
        "log_loss": log_loss(p, outcome),
        "rmse_two_party": scoring.rmse(mean, actual),
        "mae_margin": float(np.mean(np.abs(margin_err))),
        "bias_margin": float(np.mean(margin_err)),
        "coverage_50": covered("q25", "q75"),
        "coverage_80": covered("q10", "q90"),
        "coverage_95": covered("q025", "q975"),
        "crps_two_party": float(np.mean(t["crps"].to_numpy(float))),
        "n_races": int(len(t)),
        "n_correct": int(np.sum((p > 0.5) == (outcome == 1))),
    }
    if office == "president" and "electoral_votes" in t and t["electoral_votes"].notna().all():
        scores["brier_ev_weighted"] = brier(p, outcome, t["electoral_votes"].to_numpy(float))
    return scores


def pit_values(samples: np.ndarray, actual: np.ndarray) -> np.ndarray:
    """Probability integral transform of each actual share under its predictive draws.

    Uses the mid-rank (ties and the extremes split evenly), so a result outside every draw gets
    1/(2n) or 1 - 1/(2n) rather than exactly 0 or 1.
    """
    x = np.asarray(samples, float)
    y = np.asarray(actual, float)[:, None]
    n = x.shape[1]
    below = np.sum(x < y, axis=1)
    equal = np.sum(x == y, axis=1)
    return (below + 0.5 * equal + 0.5) / (n + 1)


def calibration_table(p: np.ndarray, outcome: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Reliability table: forecasts grouped into equal-width probability bins."""
    p, outcome = np.asarray(p, float), np.asarray(outcome, float)
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(p, edges[1:-1], right=False), 0, bins - 1)
    rows = []
    for b in range(bins):
        m = idx == b
        rows.append(
            {
                "bin_low": float(edges[b]),
                "bin_high": float(edges[b + 1]),
                "n": int(m.sum()),
                "mean_predicted": float(p[m].mean()) if m.any() else None,
                "observed_rate": float(outcome[m].mean()) if m.any() else None,
            }
        )
    return pd.DataFrame(rows)
