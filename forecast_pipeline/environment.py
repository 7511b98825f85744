"""The national environment of a down-ballot cycle from the generic congressional ballot.

A midterm's national swing is what the down-ballot prior most needs and what the previous presidential
result knows least about (2010 and 2018 moved about 6 points from the presidential vote two years
earlier, in opposite directions). A fitted "midterm penalty" constant captures the average swing but
not its size in a given year; the generic ballot measures it, and it is dated, so a forecast as of D
only sees the generic ballot as it stood on D.

Sources, both dated:
- 1996-2016: 538's daily generic-ballot average
  (``fivethirtyeight-data/congress-generic-ballot/generic_topline_historical.csv``), the value on the
  latest model date at or before D.
- 2018 onward: the raw generic-ballot polls in ``core`` (538's ``generic_ballot_polls_historical.csv``;
  a later cycle's file in the same format loads without code changes). The environment is the mean
  over pollsters of each pollster's mean two-party Democratic share among its polls that ended in the
  ``WINDOW_DAYS`` before D and were published by D, so one daily tracker cannot outweigh the field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

TOPLINE = Path("fivethirtyeight-data") / "congress-generic-ballot" / "generic_topline_historical.csv"
WINDOW_DAYS = 30
MIN_POLLSTERS = 3


@dataclass(frozen=True)
class Environment:
    dem_two_party: float  # generic-ballot Democratic two-party share as of the date
    source: str
    as_of: date
    n_polls: int = 0
    n_pollsters: int = 0

    def as_dict(self) -> dict:
        return {
            "dem_two_party": round(self.dem_two_party, 4),
            "source": self.source,
            "as_of": self.as_of.isoformat(),
            "n_polls": self.n_polls,
            "n_pollsters": self.n_pollsters,
        }


@lru_cache(maxsize=2)
def _topline(data_dir: str) -> pd.DataFrame:
    path = Path(data_dir) / TOPLINE
    if not path.exists():
        raise FileNotFoundError(
            f"{path}: needed for the generic-ballot history (run `forecast-pipeline data fetch`)"
        )
    df = pd.read_csv(path)
    df = df[df["subgroup"] == "All polls"]
    out = pd.DataFrame(
        {
            "date": pd.to_datetime(df["modeldate"], format="%m/%d/%Y").dt.date,
            "dem_two_party": df["dem_estimate"] / (df["dem_estimate"] + df["rep_estimate"]),
        }
    )
    # 538's average runs from the day after one election to the next: a cycle is the first
    # even year at or after the model date
    out["cycle"] = [d.year if d.year % 2 == 0 else d.year + 1 for d in out["date"]]
    return out.sort_values("date").reset_index(drop=True)


def _from_topline(data_dir: str, cycle: int, as_of: date) -> Environment | None:
    t = _topline(data_dir)
    t = t[(t["cycle"] == cycle) & (t["date"] <= as_of)]
    if t.empty:
        return None
    last = t.iloc[-1]
    return Environment(float(last["dem_two_party"]), "538 generic-ballot average", last["date"])


def _from_polls(engine: sa.Engine, cycle: int, as_of: date) -> Environment | None:
    from forecast_pipeline.model_input import visible_polls

    # the same visibility rule as the model's own polls: ended and published by the as-of date
    polls = visible_polls(engine, cycle, "generic", as_of)
    polls = polls[polls["end_date"] > pd.Timestamp(as_of - timedelta(days=WINDOW_DAYS))]
    if polls.empty:
        return None
    share = polls["dem_pct"] / (polls["dem_pct"] + polls["rep_pct"])
    by_pollster = share.groupby(polls["pollster"]).mean()
    if len(by_pollster) < MIN_POLLSTERS:
        return None
    return Environment(
        float(by_pollster.mean()),
        f"generic-ballot polls, {WINDOW_DAYS} days, mean of pollsters",
        as_of,
        n_polls=len(polls),
        n_pollsters=len(by_pollster),
    )


def generic_environment(
    engine: sa.Engine | None, data_dir: str | Path, cycle: int, as_of: date
) -> Environment | None:
    """The generic-ballot environment of ``cycle`` as it stood on ``as_of``; None when nothing dated
    on or before ``as_of`` is available (the caller falls back and says so)."""
    data_dir = str(Path(data_dir).resolve())
    env = _from_topline(data_dir, cycle, as_of) if cycle <= 2016 else None
    if env is None and engine is not None:
        env = _from_polls(engine, cycle, as_of)
    return env


def environment_logit(env: Environment | None) -> float:
    if env is None:
        return float("nan")
    p = env.dem_two_party
    return float(np.log(p) - np.log1p(-p))
