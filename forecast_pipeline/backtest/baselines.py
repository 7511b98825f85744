"""Three reference forecasts every model must beat, on the same races and as-of dates.

(a) ``poll_average``: a recency-weighted average of each race's own polls from the 21 days before
    as-of (weight halves every 7 days of age), or the previous result where the race has none.
(b) ``prior``: the model's own Election-Day prior with no polls at all (draws from the prior).
(c) ``uniform_swing``: the previous result plus the national swing, where the swing is the national
    polling average of the same 21 days minus the previous national result (zero when there are no
    national polls, as in midterms without a generic-ballot file).

(a) and (c) are point forecasts; to score them as distributions they get a normal predictive
distribution with a fixed sd of ``BASELINE_SD`` on the two-party share. 0.035 is the two-party RMSE
of 538's raw 2020 state polling average (ANCHORS b1) rounded; it is not tuned on any backtest here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from forecast_pipeline.backtest.metrics import crps_normal
from forecast_pipeline.models.input import ModelInput, population_versions

WINDOW_DAYS = 21
HALF_LIFE_DAYS = 7.0
BASELINE_SD = 0.035


def _recency_average(polls: pd.DataFrame, as_of) -> pd.Series:
    """Weighted two-party share per race_id (national polls under the key None -> 'US')."""
    if polls.empty:
        return pd.Series(dtype=float)
    end = pd.to_datetime(polls["end_date"])
    age = (pd.Timestamp(as_of) - end).dt.days
    recent = polls[(age >= 0) & (age < WINDOW_DAYS) & ~population_versions(polls)].copy()
    if recent.empty:
        return pd.Series(dtype=float)
    recent["w"] = 0.5 ** ((pd.Timestamp(as_of) - pd.to_datetime(recent["end_date"])).dt.days / HALF_LIFE_DAYS)
    recent["share"] = recent["dem_pct"] / (recent["dem_pct"] + recent["rep_pct"])
    recent["key"] = recent["race_id"].where(~recent["is_national"].astype(bool), "US").fillna("US")
    g = recent.groupby("key")
    return (g.apply(lambda d: np.average(d["share"], weights=d["w"]), include_groups=False)).astype(float)


def _normal_table(races: pd.DataFrame, mean: np.ndarray, sd: float) -> pd.DataFrame:
    z = stats.norm.ppf
    out = races[["race_id"]].copy()
    out["dem_two_party_mean"] = mean
    out["p_dem_win"] = 1 - stats.norm.cdf(0.5, loc=mean, scale=sd)
    for name, q in [
        ("q025", 0.025),
        ("q10", 0.10),
        ("q25", 0.25),
        ("q50", 0.5),
        ("q75", 0.75),
        ("q90", 0.90),
        ("q975", 0.975),
    ]:
        out[name] = mean + sd * z(q)
    return out


def _previous(inp: ModelInput) -> np.ndarray:
    """The state's previous presidential result (the model's own prior centre is fundamentals-based
    and is not what these baselines use)."""
    col = "previous_dem_share" if "previous_dem_share" in inp.races.columns else "prior_dem_share"
    return inp.races[col].to_numpy(float)


def poll_average(inp: ModelInput) -> pd.DataFrame:
    avg = _recency_average(inp.polls, inp.as_of)
    prior = _previous(inp)
    mean = np.array([avg.get(r, np.nan) for r in inp.races["race_id"]], dtype=float)
    mean = np.where(np.isnan(mean), prior, mean)
    return _normal_table(inp.races, mean, BASELINE_SD)


def uniform_swing(inp: ModelInput) -> pd.DataFrame:
    avg = _recency_average(inp.polls, inp.as_of)
    swing = float(avg["US"] - inp.national_prior_dem_share) if "US" in avg.index else 0.0
    mean = np.clip(_previous(inp) + swing, 0.01, 0.99)
    return _normal_table(inp.races, mean, BASELINE_SD)


def with_normal_crps(table: pd.DataFrame, actual: pd.Series) -> pd.DataFrame:
    t = table.copy()
    a = t["race_id"].map(actual)
    t["crps"] = np.where(
        a.notna(),
        crps_normal(t["dem_two_party_mean"].to_numpy(float), BASELINE_SD, a.fillna(0.5).to_numpy(float)),
        np.nan,
    )
    return t
