"""Senate seats not up in a cycle, derived from the certified results (``core.results`` / ``core.races``).

Rule, per cycle C:

* The 100 seats are the (state, class) pairs that appear in the results (each state has two of the
  three classes; 538's file covers 1976 on, so every seat has had an election).
* A seat is *up* in C when ``core.races`` has a Senate race for that state and class in cycle C
  (regular and special elections alike; the race id carries the class).
* A seat *not up* is held by the winner of its latest election before C, counting off-year specials
  (2013 NJ and MA, 2017 AL are cycles of their own in the data). Within that race the last stage
  decides: the runoff when there is one, else the general (or the November jungle primary where there
  was no general), and in it the candidate flagged ``winner`` (the most votes when no flag is set).
* The party is the winner's; a winner from neither major party counts with the party they caucus
  with, from ``CAUCUS`` below (Sanders, King, Lieberman, H. Byrd Jr. with the Democrats; Murkowski's
  2010 write-in with the Republicans). Any other independent winner raises an error naming them, so
  the table is extended on purpose rather than guessed.

Not modelled: party switches and appointments between elections (Jeffords 2001, Specter 2009, Sinema
and Manchin to independent, both still caucusing with the Democrats). For 2018-2022 the rule gives the
real compositions (tests/integration/test_simulation_outputs.py).
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

DEM, REP = "DEM", "REP"

# Winners outside the two parties -> the party they caucused with after that election.
CAUCUS: dict[str, str] = {
    "Bernie Sanders": DEM,  # VT, I
    "Angus S. King Jr.": DEM,  # ME, I
    "Joseph I. Lieberman": DEM,  # CT, Connecticut for Lieberman (2006)
    "Harry F. Byrd": DEM,  # VA, I (1976)
    "Lisa Murkowski": REP,  # AK, write-in (2010)
}

_STAGE_ORDER = {"jungle primary": 0, "general": 1, "runoff": 2}

RESULTS_SQL = sa.text(
    """
    SELECT r.cycle, r.state, r.senate_class, r.race_id, x.stage, k.name AS candidate, k.party,
           x.votes, x.winner
    FROM core.results x
    JOIN core.races r USING (race_id)
    JOIN core.candidates k USING (candidate_id)
    WHERE r.office = 'senate' AND r.district IS NULL AND r.senate_class IS NOT NULL
      AND x.stage IN ('general', 'runoff', 'jungle primary')
    """
)
RACES_SQL = sa.text(
    "SELECT DISTINCT state, senate_class FROM core.races "
    "WHERE office = 'senate' AND cycle = :c AND district IS NULL AND senate_class IS NOT NULL"
)


def senate_results(conn_or_engine) -> pd.DataFrame:
    """cycle, state, senate_class, race_id, stage, candidate, party, votes, winner: every general,
    jungle-primary and runoff line of every Senate race."""
    if isinstance(conn_or_engine, sa.Engine):
        with conn_or_engine.connect() as conn:
            return pd.read_sql(RESULTS_SQL, conn)
    return pd.read_sql(RESULTS_SQL, conn_or_engine)


def seat_holders(results: pd.DataFrame, cycle: int) -> pd.DataFrame:
    """One row per seat not up in ``cycle``: state, senate_class, race_id (the election that filled
    it), candidate, party (the winner's ballot party), caucus (DEM / REP)."""
    res = results.copy()
    res["senate_class"] = res["senate_class"].astype(int)
    seats = res[["state", "senate_class"]].drop_duplicates()
    up = res.loc[res["cycle"] == cycle, ["state", "senate_class"]].drop_duplicates()
    earlier = res[res["cycle"] < cycle]
    if earlier.empty:
        raise ValueError(f"no Senate results before {cycle}")
    # the latest race of each seat, then that race's last stage
    latest = earlier.groupby(["state", "senate_class"])["cycle"].transform("max")
    last = earlier[earlier["cycle"] == latest].copy()
    last["stage_rank"] = last["stage"].map(_STAGE_ORDER)
    last = last[last["stage_rank"] == last.groupby(["state", "senate_class"])["stage_rank"].transform("max")]
    last = last.assign(flag=last["winner"].fillna(False).astype(bool), v=last["votes"].fillna(-1))
    winners = last.sort_values(["flag", "v"], ascending=False, kind="stable").drop_duplicates(
        ["state", "senate_class"]
    )
    not_up = seats.merge(up, how="left", indicator=True)
    not_up = not_up[not_up["_merge"] == "left_only"].drop(columns="_merge")
    out = not_up.merge(
        winners[["state", "senate_class", "race_id", "candidate", "party"]],
        on=["state", "senate_class"],
        how="left",
    )

    def caucus(row) -> str:
        if row["party"] in (DEM, REP):
            return row["party"]
        if row["candidate"] in CAUCUS:
            return CAUCUS[row["candidate"]]
        raise ValueError(
            f"{row['race_id']}: winner {row['candidate']!r} ({row['party']}) is in neither "
            "major party; add them to senate_seats.CAUCUS"
        )

    out["caucus"] = out.apply(caucus, axis=1) if len(out) else pd.Series(dtype=str)
    return out.sort_values(["state", "senate_class"]).reset_index(drop=True)


def seats_not_up(engine_or_results, cycle: int) -> dict[str, int]:
    """{"DEM": n, "REP": n}: seats not up in ``cycle`` by caucus (see the module doc for the rule).

    ``engine_or_results``: an Engine or Connection (queries core.*), or a frame as returned by
    :func:`senate_results`.
    """
    results = (
        engine_or_results
        if isinstance(engine_or_results, pd.DataFrame)
        else senate_results(engine_or_results)
    )
    holders = seat_holders(results, cycle)
    counts = holders["caucus"].value_counts()
    return {DEM: int(counts.get(DEM, 0)), REP: int(counts.get(REP, 0))}
