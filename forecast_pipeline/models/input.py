"""What a poll model consumes: plain DataFrames, already filtered to the as-of date.

Built by the pipeline from the database (``forecast_pipeline.model_input``); the model code never sees
SQL or Dagster. Everything here is dated on or before ``as_of``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

RACE_COLUMNS = [
    "race_id",           # str
    "state",             # USPS code
    "district",          # Int64 nullable
    "prior_dem_share",   # float in (0,1): Dem two-party share from the previous election (the prior centre)
    "turnout_weight",    # float >= 0: share of the national two-party vote in the previous election;
                         # weights sum to 1 over the races that make up the national vote
    "electoral_votes",   # Int64 nullable (president only)
]

POLL_COLUMNS = [
    "poll_id",           # str
    "race_id",           # str, or None for a national poll
    "is_national",       # bool
    "pollster",          # str
    "population",        # "lv" / "rv" / "a" / "v" / "unknown"
    "end_date",          # datetime64 (date)
    "sample_size",       # float > 0 (imputed upstream where missing; see `sample_size_imputed`)
    "sample_size_imputed",  # bool
    "dem_pct",           # float percent
    "rep_pct",           # float percent
]


@dataclass(frozen=True)
class ModelInput:
    cycle: int
    office: str
    as_of: date
    election_day: date
    races: pd.DataFrame      # RACE_COLUMNS, one row per race to forecast, sorted by race_id
    polls: pd.DataFrame      # POLL_COLUMNS, one row per poll (one question chosen per poll)
    national_prior_dem_share: float  # previous national Dem two-party share

    def __post_init__(self) -> None:
        late = self.polls["end_date"].dt.date > self.as_of if len(self.polls) else []
        if len(self.polls) and bool(late.any()):
            raise ValueError(
                f"look-ahead: {int(late.sum())} poll(s) end after as_of={self.as_of}; "
                "filter polls before building ModelInput"
            )
        missing = set(RACE_COLUMNS) - set(self.races.columns)
        if missing:
            raise ValueError(f"races frame lacks columns {sorted(missing)}")
        missing = set(POLL_COLUMNS) - set(self.polls.columns)
        if missing:
            raise ValueError(f"polls frame lacks columns {sorted(missing)}")
