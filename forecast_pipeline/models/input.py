"""What a poll model consumes: plain DataFrames, already filtered to the as-of date.

Built by the pipeline from the database (``forecast_pipeline.model_input``); the model code never sees
SQL or Dagster. Everything here is dated on or before ``as_of``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

RACE_COLUMNS = [
    "race_id",  # str
    "state",  # USPS code
    "district",  # Int64 nullable
    "prior_dem_share",  # float in (0,1): Dem two-party share from the previous election (the prior centre)
    "turnout_weight",  # float >= 0: share of the national two-party vote in the previous election;
    # weights sum to 1 over the races that make up the national vote
    "electoral_votes",  # Int64 nullable (president only)
]

POLL_COLUMNS = [
    "poll_id",  # str
    "race_id",  # str, or None for a national poll
    "is_national",  # bool
    "pollster",  # str
    "population",  # "lv" / "rv" / "a" / "v" / "unknown"
    "end_date",  # datetime64 (date)
    "sample_size",  # float > 0 (imputed upstream where missing; see `sample_size_imputed`)
    "sample_size_imputed",  # bool
    "dem_pct",  # float percent
    "rep_pct",  # float percent
]
# Optional poll columns: "mode" (str, free text; collapsed by the model), "partisan" ("DEM"/"REP"/None:
# the sponsor's party), "sponsor" (str) and "start_date" (datetime; with them the model keeps one of a
# tracking series' overlapping releases, ``overlapping_releases``). Optional race column: "office"
# (defaults to ModelInput.office).


@dataclass(frozen=True)
class PriorStructure:
    """Covariances on the logit scale over ``races`` (same order), built from pre-cycle data by
    ``forecast_pipeline.structure``; the model takes them as data.

    prior_cov: Election-Day true share around ``prior_dem_share`` (fundamentals uncertainty).
    bias_cov: systematic polling error, scaled by 1/w with w ~ Gamma(nu/2, nu/2) shared by all races
        (a multivariate Student-t: fat tails that stay correlated across races).
    race_corr: correlation of the races' own random-walk innovations.
    walk_national_sd, walk_race_sd: daily innovation sd of the shared (national) walk and of each
        race's own walk (correlated by ``race_corr``).
    prior_nu: when set, the fundamentals' error (prior_cov, with the campaign still to come) is a
        multivariate Student-t too, scaled by 1/v with v ~ Gamma(prior_nu/2, prior_nu/2); None keeps
        it normal.
    """

    prior_cov: np.ndarray
    bias_cov: np.ndarray
    race_corr: np.ndarray
    walk_national_sd: float
    walk_race_sd: float
    bias_nu: float = 5.0
    prior_nu: float | None = None
    info: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ModelInput:
    cycle: int
    office: str
    as_of: date
    election_day: date
    races: pd.DataFrame  # RACE_COLUMNS, one row per race to forecast, sorted by race_id
    polls: pd.DataFrame  # POLL_COLUMNS, one row per poll (one question chosen per poll)
    national_prior_dem_share: float  # previous national Dem two-party share
    structure: PriorStructure | None = None  # None: built from PriorConfig scalars (synthetic data)

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
        if self.structure is not None:
            r = len(self.races)
            for name in ("prior_cov", "bias_cov", "race_corr"):
                m = getattr(self.structure, name)
                if m.shape != (r, r):
                    raise ValueError(f"structure.{name} has shape {m.shape}, expected ({r}, {r})")

    def select_races(self, race_ids) -> ModelInput:
        """The same input restricted to ``race_ids`` (their polls, national polls, and the matching
        rows and columns of the structure)."""
        keep = self.races["race_id"].isin(list(race_ids)).to_numpy()
        races = self.races[keep].reset_index(drop=True)
        polls = self.polls[
            self.polls["is_national"].astype(bool) | self.polls["race_id"].isin(races["race_id"])
        ]
        structure = self.structure
        if structure is not None:
            ix = np.flatnonzero(keep)
            sub = np.ix_(ix, ix)
            structure = dataclasses.replace(
                structure,
                prior_cov=structure.prior_cov[sub],
                bias_cov=structure.bias_cov[sub],
                race_corr=structure.race_corr[sub],
                info=dict(structure.info),
            )
        return ModelInput(
            self.cycle,
            self.office,
            self.as_of,
            self.election_day,
            races,
            polls.reset_index(drop=True),
            self.national_prior_dem_share,
            structure,
        )

    def without_polls(self) -> ModelInput:
        return ModelInput(
            self.cycle,
            self.office,
            self.as_of,
            self.election_day,
            self.races,
            self.polls.iloc[0:0],
            self.national_prior_dem_share,
            self.structure,
        )


_POPULATION_PREFERENCE = {"lv": 0, "rv": 1, "v": 2, "a": 3}


def _series_key(polls: pd.DataFrame) -> pd.Series:
    """race (or "US" for national polls) | pollster | sponsor, as strings."""
    race = polls["race_id"].astype(object).where(polls["race_id"].notna(), "US")
    sponsor = (
        polls["sponsor"].astype(object).where(polls["sponsor"].notna(), "")
        if "sponsor" in polls.columns
        else pd.Series("", index=polls.index)
    )
    return race.astype(str) + "|" + polls["pollster"].astype(str) + "|" + sponsor.astype(str)


def _population_rank(polls: pd.DataFrame) -> np.ndarray:
    pop = polls["population"] if "population" in polls.columns else pd.Series("", index=polls.index)
    return pop.map(_POPULATION_PREFERENCE).fillna(len(_POPULATION_PREFERENCE)).to_numpy()


def _series_frame(polls: pd.DataFrame) -> pd.DataFrame:
    """Per poll, in order: series key, start and end dates, population rank (LV first)."""
    return pd.DataFrame(
        {
            "key": _series_key(polls).to_numpy(),
            "end": pd.to_datetime(polls["end_date"]).to_numpy(),
            "start": pd.to_datetime(polls["start_date"]).to_numpy(),
            "pop": _population_rank(polls),
        }
    )


def population_versions(polls: pd.DataFrame) -> np.ndarray:
    """True for each poll that is a less preferred population version of another poll: same series
    (race, pollster, sponsor), same start and end dates, a different population. Of the versions
    the likely-voter one is kept (then RV, V, A), as the Economist's preprocessing does.

    LEO's 2010 and 2012 Senate files list a poll's LV sample and its RV (or adult) sample as two polls,
    although the LV respondents are part of the RV ones: 80 such pairs in 2010, 69 in 2012. Counting
    both counts those respondents twice. Polls without both dates are never dropped. All False without
    a ``start_date`` column."""
    n = len(polls)
    if n == 0 or "start_date" not in polls.columns:
        return np.zeros(n, dtype=bool)
    frame = _series_frame(polls)
    dated = (frame["start"].notna() & frame["end"].notna()).to_numpy()
    best = frame.groupby(["key", "start", "end"])["pop"].transform("min").to_numpy()
    return dated & (frame["pop"].to_numpy() > best)


def overlapping_releases(polls: pd.DataFrame) -> np.ndarray:
    """True for each poll whose field period overlaps a later release of the same series (same race,
    or national, same pollster and sponsor) that is kept.

    Tracking polls publish a rolling window every day or week: in 2020 SurveyMonkey released a new
    four-week Pennsylvania window (n ~ 10,000) almost daily, so its respondents were counted about 25
    times over, and Morning Consult and USC's national tracker did the same on a smaller scale. Going
    from the latest release back, a release is kept when it ended before the last kept one started;
    every respondent stays in at most one kept release and the newest data always count. The LV and
    RV versions of one poll (same series and dates) overlap too; the LV one is kept. Polls
    without a start date (or with one after their end) are never dropped and bound nothing. All False
    without a ``start_date`` column."""
    n = len(polls)
    drop = np.zeros(n, dtype=bool)
    if n == 0 or "start_date" not in polls.columns:
        return drop
    frame = _series_frame(polls).assign(pos=np.arange(n))
    # of two versions of one poll the likely-voter one is kept (population_versions): "pop" sorts it first
    frame = frame[frame["start"].notna() & frame["end"].notna() & (frame["start"] <= frame["end"])]
    frame = frame.sort_values(
        ["key", "end", "start", "pop", "pos"], ascending=[True, False, False, True, True], kind="stable"
    )
    last_key, boundary = None, None
    for k, e, st, pos in zip(frame["key"], frame["end"], frame["start"], frame["pos"], strict=True):
        if k != last_key:
            last_key, boundary = k, st
        elif e < boundary:
            boundary = st
        else:
            drop[pos] = True
    return drop
