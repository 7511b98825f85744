"""Distributions from joint simulations.

Everything here takes a simulations DataFrame with one row per (draw, race): columns ``draw``,
``race_key`` and ``share_dem`` (the Democratic two-party share on Election Day in that draw). Today it
is made from the posterior draws (:func:`simulations_from_posterior`); the official simulations table
can be passed in unchanged. Because each draw is one joint outcome of every race, counting winners
within a draw keeps the correlation between states.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SIM_COLUMNS = ["draw", "race_key", "share_dem"]


def simulations_from_posterior(idata, var: str = "election_day_share") -> pd.DataFrame:
    """One row per posterior draw (chains stacked) and race."""
    da = idata["posterior"][var]
    arr = np.asarray(da.values)  # [chain, draw, race]
    flat = arr.reshape((-1, arr.shape[-1]))
    races = [str(r) for r in idata["posterior"]["race"].values]
    n_draws, n_races = flat.shape
    return pd.DataFrame(
        {
            "draw": np.repeat(np.arange(n_draws), n_races),
            "race_key": np.tile(np.array(races, dtype=object), n_draws),
            "share_dem": flat.ravel().astype(float),
        }
    )


def _wins(sims: pd.DataFrame) -> pd.DataFrame:
    missing = set(SIM_COLUMNS) - set(sims.columns)
    if missing:
        raise ValueError(f"simulations lack columns {sorted(missing)}")
    wide = sims.pivot(index="draw", columns="race_key", values="share_dem")
    if wide.isna().any().any():
        raise ValueError("simulations must give every race in every draw")
    return wide > 0.5


def electoral_votes_by_draw(sims: pd.DataFrame, ev_by_race: dict[str, int]) -> pd.Series:
    """Democratic electoral votes in each draw (races without electoral votes count 0)."""
    wins = _wins(sims)
    weights = np.array([ev_by_race.get(r, 0) for r in wins.columns], dtype=float)
    return pd.Series(wins.to_numpy(float) @ weights, index=wins.index, name="dem_ev").astype(int)


def seats_by_draw(sims: pd.DataFrame) -> pd.Series:
    """Democratic wins among the races simulated, per draw."""
    wins = _wins(sims)
    return pd.Series(wins.sum(axis=1).to_numpy(int), index=wins.index, name="dem_seats")


def distribution(counts: pd.Series) -> pd.DataFrame:
    """value, probability (share of draws), cumulative P(at least value)."""
    p = counts.value_counts(normalize=True).sort_index()
    out = pd.DataFrame({"value": p.index.astype(int), "probability": p.to_numpy()})
    out["p_at_least"] = out["probability"][::-1].cumsum()[::-1].to_numpy()
    return out


def electoral_topline(dem_ev: pd.Series, total: int) -> dict:
    """P(Dem majority), P(tie), P(Rep majority), median and 80% interval of Democratic EV."""
    need = total // 2 + 1
    ev = dem_ev.to_numpy()
    return {
        "total": int(total),
        "needed": int(need),
        "p_dem": float((ev >= need).mean()),
        "p_tie": float((ev * 2 == total).mean()),
        "p_rep": float((total - ev >= need).mean()),
        "median": float(np.median(ev)),
        "q10": float(np.quantile(ev, 0.1)),
        "q90": float(np.quantile(ev, 0.9)),
        "n_draws": int(len(ev)),
    }


def seat_topline(dem_seats: pd.Series, n_races: int) -> dict:
    s = dem_seats.to_numpy()
    return {
        "races": int(n_races),
        "mean": float(s.mean()),
        "median": float(np.median(s)),
        "q10": float(np.quantile(s, 0.1)),
        "q90": float(np.quantile(s, 0.9)),
        "p_dem_majority_of_races": float((s * 2 > n_races).mean()),
        "n_draws": int(len(s)),
    }
