"""Build a ModelInput from the canonical tables, as the data stood on the as-of date.

This is the one place where the no-look-ahead rule is enforced for the model: a poll is visible on
``as_of`` only if it ended on or before that day and, where the source records when it was published
(538's ``created_at``), was published on or before that day.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa

from forecast_pipeline.models.input import ModelInput
from forecast_pipeline.races import NATIONAL, election_day, electoral_votes, race_key

_POLLS_SQL = sa.text(
    """
    SELECT p.poll_key AS poll_id, p.race_id, r.state, pl.name AS pollster,
           coalesce(p.population, 'unknown') AS population, p.start_date, p.end_date, p.created_at,
           p.sample_size, p.mode, p.partisan, p.sponsor,
           sum(a.pct) FILTER (WHERE k.party = 'DEM') AS dem_pct,
           sum(a.pct) FILTER (WHERE k.party = 'REP') AS rep_pct
    FROM core.polls p
    JOIN core.races r USING (race_id)
    JOIN core.pollsters pl USING (pollster_id)
    JOIN core.poll_answers a USING (poll_key)
    JOIN core.candidates k USING (candidate_id)
    WHERE r.cycle = :cycle AND r.office = :office AND r.district IS NULL
      AND p.names_nominees IS NOT FALSE
      -- a November jungle primary (Louisiana, a Mississippi special) is the race's general election
      AND (coalesce(p.stage, 'general') = 'general'
           OR (p.stage = 'jungle primary' AND NOT EXISTS (
                   SELECT 1 FROM core.results x WHERE x.race_id = p.race_id AND x.stage = 'general')))
      AND p.end_date <= :as_of
      AND (p.created_at IS NULL OR p.created_at::date <= :as_of)
    GROUP BY p.poll_key, p.race_id, r.state, pl.name, p.population, p.start_date, p.end_date, p.created_at,
             p.sample_size, p.mode, p.partisan, p.sponsor
    """
)

# Two-party results by state-level race for one cycle and office: the November general, which is a
# jungle primary where the state holds one in November (a December runoff is never the outcome).
# Party totals, so a jungle race with two Republicans counts both.
_RESULTS_SQL = sa.text(
    """
    SELECT r.race_id, r.state,
           sum(x.votes) FILTER (WHERE k.party = 'DEM') AS dem_votes,
           sum(x.votes) FILTER (WHERE k.party = 'REP') AS rep_votes
    FROM core.results x
    JOIN core.races r USING (race_id)
    JOIN core.candidates k USING (candidate_id)
    WHERE r.cycle = :cycle AND r.office = :office AND r.district IS NULL
      AND (x.stage = 'general'
           OR (x.stage = 'jungle primary' AND NOT EXISTS (
                   SELECT 1 FROM core.results g WHERE g.race_id = x.race_id AND g.stage = 'general')))
    GROUP BY r.race_id, r.state
    """
)


class NoDataError(RuntimeError):
    pass


def no_races_reason(engine: sa.Engine, cycle: int, office: str, as_of: date) -> str | None:
    """Why the forecast of ``office`` in ``cycle`` has no race to forecast, or None when it has races.

    President: only in a presidential year (a missing prior is a data error, raised by
    :func:`build_model_input`, not a reason to skip). Senate and governor: when ``core.races`` holds
    no state-level race of that office and cycle (no poll or result names one yet).
    """
    if office == "president":
        return None if cycle % 4 == 0 else f"{cycle} is not a presidential election year"
    from forecast_pipeline.cycles import offices_with_races

    if offices_with_races(engine, cycle, (office,)):
        return None
    return (
        f"no {office} race of the {cycle} cycle is in the database yet (core.races: no poll or result "
        f"names one), so there is nothing to forecast as of {as_of}"
    )


def prior_not_published_reason(cycle: int, office: str, as_of: date, data_dir=None) -> str | None:
    """Why the presidential prior of ``cycle`` cannot be made on ``as_of`` yet, or None.

    The prior's Time-for-Change regression needs the election year's June net approval and Q2 GDP
    growth, published by the end of July (``fundamentals.TFC_INPUTS_KNOWN_FROM``). A presidential
    forecast dated earlier (today's, two years out) has no prior: that is a reason to skip, even when
    fundamentals.csv already has a row (its Q2 GDP could not have been known on that date). From then
    on a missing row is a data error (add it to fundamentals.csv), so this returns None and the error
    stands.
    """
    from forecast_pipeline.fundamentals import TFC_INPUTS_KNOWN_FROM

    known = date(cycle, *TFC_INPUTS_KNOWN_FROM)
    if office != "president" or as_of >= known:
        return None
    return (
        f"the {cycle} presidential prior needs the Time-for-Change inputs of {cycle} (June {cycle} net "
        f"approval, Q2 {cycle} GDP growth), which are published around {known}; as of {as_of} "
        f"they are not known, so there is no {cycle} presidential forecast yet"
    )


def two_party_results(engine: sa.Engine, cycle: int, office: str) -> pd.DataFrame:
    """race_id, state, dem_votes, rep_votes, dem_two_party for races with both major parties."""
    with engine.connect() as conn:
        df = pd.read_sql(_RESULTS_SQL, conn, params={"cycle": cycle, "office": office})
    df = df[(df["dem_votes"] > 0) & (df["rep_votes"] > 0)].copy()
    df["dem_two_party"] = df["dem_votes"] / (df["dem_votes"] + df["rep_votes"])
    return df.reset_index(drop=True)


# Sources that overlap (the same 2008 Senate poll is in LEO and in both Stanford files) are not merged
# poll by poll; instead each race takes its polls from one source family, the first of these that has
# any visible poll for it. 538's files share poll ids and are merged in core already.
_SOURCE_PRECEDENCE = (
    ("fte", 0),
    ("upshot-leo-senate-model/", 1),
    ("economist-us-potus-model/", 1),
    ("stanford-polling-errors/polls_auxiliary", 2),
    ("stanford-polling-errors/polls_main", 3),
    # 538's pollster-ratings file: final-three-weeks polls only, with median field dates; last, so that
    # it only fills races no other source covers (2016 Senate, thin 2014 Senate and governor races).
    ("fivethirtyeight-data/pollster-ratings/", 4),
)


def source_rank(poll_key: str) -> int:
    family = poll_key.split(":", 1)[0]
    return next((rank for prefix, rank in _SOURCE_PRECEDENCE if family.startswith(prefix)), 9)


def visible_polls(engine: sa.Engine, cycle: int, office: str, as_of: date) -> pd.DataFrame:
    with engine.connect() as conn:
        df = pd.read_sql(_POLLS_SQL, conn, params={"cycle": cycle, "office": office, "as_of": as_of})
    df["end_date"] = pd.to_datetime(df["end_date"])
    df = df[df["dem_pct"].notna() & df["rep_pct"].notna() & (df["dem_pct"] + df["rep_pct"] > 0)]
    rank = df["poll_id"].map(source_rank)
    best = rank.groupby(df["race_id"]).transform("min")
    return df[rank == best].reset_index(drop=True)


def _impute_sample_size(polls: pd.DataFrame) -> pd.DataFrame:
    # A poll without a published n still carries information; give it its pollster's median n
    # (else the overall median) and flag it, rather than dropping it.
    n = polls["sample_size"].astype("Float64")
    bad = n.isna() | (n <= 0)
    by_pollster = polls.assign(n=n.where(~bad)).groupby("pollster")["n"].transform("median")
    overall = float(n[~bad].median()) if (~bad).any() else 600.0
    filled = n.where(~bad, by_pollster).fillna(overall)
    return polls.assign(sample_size=filled.astype(float).to_numpy(), sample_size_imputed=bad.to_numpy())


def build_model_input(
    engine: sa.Engine,
    cycle: int,
    office: str,
    as_of: date,
    polls: pd.DataFrame | None = None,
    data_dir=None,
    with_structure: bool = True,
    use_mrp: bool = True,
) -> ModelInput:
    """``polls``: already-validated visible polls (the Dagster path); queried when not given.
    ``data_dir``: the raw-data directory with the pre-cycle history (default: FORECAST_DATA_DIR).
    ``with_structure=False`` keeps the v1 prior (previous result, PriorConfig scales).
    ``use_mrp``: use the MRP state estimates (``forecast.mrp_state_estimates``) when the database has
    them for the cycle from surveys fielded by ``as_of``; without them the structure falls back to the
    forecast without MRP and logs why (``structure.info["mrp"]``)."""
    # The most recent presidential election before this cycle (two years back in a midterm).
    prev_cycle = cycle - 4 if cycle % 4 == 0 else cycle - (cycle % 4)
    prior = two_party_results(engine, prev_cycle, "president")
    prior = prior[prior["state"] != NATIONAL]
    if prior.empty:
        raise NoDataError(
            f"no {prev_cycle} presidential results in the database; the prior needs them "
            "(run `forecast-pipeline data load`)"
        )
    prior["turnout_weight"] = (prior["dem_votes"] + prior["rep_votes"]) / (
        prior["dem_votes"] + prior["rep_votes"]
    ).sum()
    national_prior = float(prior["dem_votes"].sum() / (prior["dem_votes"] + prior["rep_votes"]).sum())

    if office == "president":
        evs = electoral_votes(cycle)
        states = sorted(set(prior["state"]) & set(evs))
    else:
        with engine.connect() as conn:
            states = sorted(
                conn.execute(
                    sa.text(
                        "SELECT DISTINCT state FROM core.races WHERE cycle = :c AND office = :o "
                        "AND district IS NULL AND state <> 'US'"
                    ),
                    {"c": cycle, "o": office},
                ).scalars()
            )
        evs = {}
    prior_by_state = prior.set_index("state")
    races = pd.DataFrame(
        {
            "race_id": [race_key(cycle, office, s) for s in states],
            "state": states,
            "district": pd.array([None] * len(states), dtype="Int64"),
            "prior_dem_share": [float(prior_by_state.loc[s, "dem_two_party"]) for s in states],
            "turnout_weight": [float(prior_by_state.loc[s, "turnout_weight"]) for s in states],
            "electoral_votes": pd.array([evs.get(s) for s in states], dtype="Int64"),
        }
    )
    if office != "president":
        # Senate and governor race ids carry the seat class; map state-level ids from the polls.
        races = _attach_downballot_ids(engine, races, cycle, office)
    races = races.sort_values("race_id").reset_index(drop=True)

    polls = (visible_polls(engine, cycle, office, as_of) if polls is None else polls).copy()
    polls["end_date"] = pd.to_datetime(polls["end_date"])
    late = polls["end_date"].dt.date > as_of
    if late.any():
        raise ValueError(f"look-ahead: {int(late.sum())} poll(s) end after as_of={as_of}")
    polls["is_national"] = polls["state"] == NATIONAL
    polls.loc[polls["is_national"], "race_id"] = None
    polls = polls[polls["is_national"] | polls["race_id"].isin(races["race_id"])]
    polls = _impute_sample_size(polls)
    for col in ("mode", "partisan", "sponsor", "start_date"):
        if col not in polls.columns:
            polls[col] = None
    polls["start_date"] = pd.to_datetime(polls["start_date"])
    polls = (
        polls[
            [
                "poll_id",
                "race_id",
                "is_national",
                "pollster",
                "population",
                "end_date",
                "sample_size",
                "sample_size_imputed",
                "dem_pct",
                "rep_pct",
                "mode",
                "partisan",
                "sponsor",
                "start_date",
            ]
        ]
        .sort_values(["end_date", "poll_id"])
        .reset_index(drop=True)
    )
    polls["dem_pct"] = polls["dem_pct"].astype(float)
    polls["rep_pct"] = polls["rep_pct"].astype(float)
    races["office"] = office
    races["previous_dem_share"] = races["prior_dem_share"]
    structure = None
    if with_structure:
        from forecast_pipeline.config import Settings
        from forecast_pipeline.structure import build_structure

        data_dir = data_dir or Settings.from_env().data_dir
        prior_logit, structure = build_structure(engine, data_dir, cycle, as_of, races, use_mrp=use_mrp)
        races["prior_dem_share"] = 1.0 / (1.0 + np.exp(-prior_logit))
    return ModelInput(
        cycle=cycle,
        office=office,
        as_of=as_of,
        election_day=election_day(cycle),
        races=races,
        polls=polls,
        national_prior_dem_share=national_prior,
        structure=structure,
    )


def _attach_downballot_ids(engine: sa.Engine, races: pd.DataFrame, cycle: int, office: str) -> pd.DataFrame:
    with engine.connect() as conn:
        ids = pd.read_sql(
            sa.text(
                "SELECT race_id, state FROM core.races WHERE cycle = :c AND office = :o "
                "AND district IS NULL AND state <> 'US'"
            ),
            conn,
            params={"c": cycle, "o": office},
        )
    merged = ids.merge(races.drop(columns="race_id"), on="state", how="inner")
    return merged[races.columns]


def actual_two_party(engine: sa.Engine, cycle: int, office: str) -> dict[str, float]:
    """race_id -> certified Democratic two-party share (general election), where known."""
    res = two_party_results(engine, cycle, office)
    return {r: float(v) for r, v in zip(res["race_id"], res["dem_two_party"], strict=True) if np.isfinite(v)}


JOINT_OFFICES = ("president", "senate", "governor")


def offices_in_cycle(engine: sa.Engine, cycle: int) -> list[str]:
    with engine.connect() as conn:
        found = set(
            conn.execute(
                sa.text(
                    "SELECT DISTINCT office FROM core.races WHERE cycle = :c AND district IS NULL AND state <> 'US'"
                ),
                {"c": cycle},
            ).scalars()
        )
    return [o for o in JOINT_OFFICES if o in found]


def build_joint_input(
    engine: sa.Engine,
    cycle: int,
    as_of: date,
    offices: list[str] | None = None,
    data_dir=None,
    race_filter=None,
    use_mrp: bool = True,
) -> ModelInput:
    """President, Senate and governor races of one cycle in one ModelInput (office "all"): they share
    the national environment and each state's polling error through the structure's cross-office
    correlation. ``race_filter``: optional callable (race_id -> bool) applied before the structure
    is built (the backtest keeps the Democrat-vs-Republican races)."""
    from forecast_pipeline.config import Settings
    from forecast_pipeline.structure import build_structure

    offices = list(offices or offices_in_cycle(engine, cycle))
    parts = [build_model_input(engine, cycle, o, as_of, with_structure=False) for o in offices]
    races = pd.concat([p.races for p in parts], ignore_index=True)
    polls = pd.concat([p.polls for p in parts], ignore_index=True)
    if race_filter is not None:
        races = races[races["race_id"].map(race_filter)].reset_index(drop=True)
        polls = polls[polls["is_national"].astype(bool) | polls["race_id"].isin(races["race_id"])]
    # national (presidential) polls link to the presidential races only: turnout weights elsewhere are 0
    races.loc[races["office"] != "president", "turnout_weight"] = 0.0
    polls = polls.drop_duplicates("poll_id").sort_values(["end_date", "poll_id"]).reset_index(drop=True)
    races = races.sort_values(["office", "race_id"]).reset_index(drop=True)
    prior_logit, structure = build_structure(
        engine, data_dir or Settings.from_env().data_dir, cycle, as_of, races, use_mrp=use_mrp
    )
    races["prior_dem_share"] = 1.0 / (1.0 + np.exp(-prior_logit))
    return ModelInput(
        cycle=cycle,
        office="all",
        as_of=as_of,
        election_day=election_day(cycle),
        races=races,
        polls=polls,
        national_prior_dem_share=parts[0].national_prior_dem_share,
        structure=structure,
    )
