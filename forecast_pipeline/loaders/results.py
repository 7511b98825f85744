"""538 certified results (``election_results_{presidential,senate,gubernatorial}.csv``) -> RESULT_COLUMNS.

One row per source line. Primaries, caucuses, runoffs and recalls are kept with their ``stage``; callers
filter ``stage == "general"``. Conventions:

* state: blank on a presidential line = the national popular vote ("US"); "Maine CD-2" -> ME district 2.
  Territories (primaries in Guam, Puerto Rico...) are rejected as out_of_scope.
* pct: percent 0-100, as the file has it (each race's lines sum to ~100). A file whose percents are all
  <= 1 would be fractions and is scaled by 100. Percents are of the race's total, which for some states
  includes blank and void ballots, so a race can sum to a little over 100.
* party: the file's ``party`` column is only filled for primaries (the primary's party). For every other
  line the candidate's party is derived from their ballot lines in the race: DEM or REP if they have such
  a line (the one with more votes if both), else their non-write-in ("W") line with the most votes, else
  "W". So a New York fusion candidate keeps one party on each of their lines (Biden's WFP line is DEM);
  the lines are not summed.
* candidate: ``candidate_name``, or for aggregate lines without a candidate the ``alt_result_text``
  ("Write-in", "Blank", "Scattering"...) with party None.
* ranked-choice races list every round; only round 1 (first choices, comparable with other races and with
  poll answers) is accepted and later rounds are rejected as out_of_scope, so no candidate is counted
  twice.
* votes / pct may be blank (caucuses that report delegates, unopposed 1976 races): kept as NA.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forecast_pipeline.loaders.base import LoadResult, source_key
from forecast_pipeline.loaders.common import (
    OFFICE_TYPES,
    Rejects,
    map_states,
    match_layout,
    parse_number,
    quoted,
    read_header,
    read_table,
    typed_results,
)
from forecast_pipeline.races import race_key, senate_class

LAYOUTS: dict[str, frozenset[str]] = {
    "fte_results": frozenset(
        {
            "race_id",
            "state",
            "office_name",
            "office_seat_name",
            "cycle",
            "stage",
            "special",
            "party",
            "candidate_id",
            "candidate_name",
            "ballot_party",
            "ranked_choice_round",
            "votes",
            "percent",
            "winner",
            "alt_result_text",
        }
    ),
}

_MAJOR = ("DEM", "REP")
_BOOL = {"true": True, "false": False, "": pd.NA}


def load_results(path: Path | str, data_dir: Path | str) -> LoadResult:
    path = Path(path)
    layout = match_layout(path, read_header(path), LAYOUTS)
    table = read_table(path, source_key(path, Path(data_dir)))
    rejects = Rejects(table)
    f = table.frame

    office = f["office_name"].str.strip().map(OFFICE_TYPES)
    states = map_states(f["state"])
    rejects.flag(
        states.territory,
        "state",
        "state " + quoted(f["state"]) + " is a territory this project does not model",
        kind="out_of_scope",
    )
    rnd, bad_round = parse_number(f["ranked_choice_round"])
    rejects.flag(
        rnd > 1,
        "ranked_choice_round",
        "ranked-choice round " + f["ranked_choice_round"] + ": only round 1 (first choices) is kept",
        kind="out_of_scope",
    )
    rejects.flag(
        bad_round,
        "ranked_choice_round",
        "ranked_choice_round " + quoted(f["ranked_choice_round"]) + " is not a number",
    )
    rejects.flag(
        office.isna(), "office_name", "office_name " + quoted(f["office_name"]) + " is not a known office"
    )
    # Only the presidential file uses a blank state, for the national popular vote.
    national = f["state"].str.strip() == ""
    rejects.flag(
        states.unknown | (national & (office != "president")),
        "state",
        "state " + quoted(f["state"]) + " is not a known state",
    )
    cycle, bad_cycle = parse_number(f["cycle"])
    rejects.flag(
        bad_cycle | cycle.isna() | (cycle % 1 != 0), "cycle", "cycle " + quoted(f["cycle"]) + " is not a year"
    )
    senate = office == "senate"
    klass = f["office_seat_name"].map(senate_class).astype("Int64")
    rejects.flag(
        senate & klass.isna(),
        "office_seat_name",
        "office_seat_name " + quoted(f["office_seat_name"]) + " is not a Senate class",
    )
    stage = f["stage"].str.strip()
    rejects.flag(stage == "", "stage", "stage is missing")
    special = f["special"].str.strip().str.lower().map(_BOOL)
    rejects.flag(special.isna(), "special", "special " + quoted(f["special"]) + " is not true/false")
    winner = f["winner"].str.strip().str.lower().map(_BOOL)
    rejects.flag(
        ~f["winner"].str.strip().str.lower().isin(list(_BOOL)),
        "winner",
        "winner " + quoted(f["winner"]) + " is not true/false",
    )
    candidate = f["candidate_name"].str.strip()
    candidate = candidate.where(candidate != "", f["alt_result_text"].str.strip())
    rejects.flag(candidate == "", "candidate_name", "candidate is missing")
    votes, bad_votes = parse_number(f["votes"])
    rejects.flag(bad_votes, "votes", "votes " + quoted(f["votes"]) + " is not a number")
    rejects.flag(
        votes.notna() & ((votes < 0) | (votes % 1 != 0)),
        "votes",
        "votes " + quoted(f["votes"]) + " is not a vote count",
    )
    pct, bad_pct = parse_number(f["percent"])
    rejects.flag(bad_pct, "percent", "percent " + quoted(f["percent"]) + " is not a number")
    if pct.notna().any() and pct.max() <= 1:
        pct = pct * 100
    rejects.flag((pct < 0) | (pct > 100), "percent", "percent " + quoted(f["percent"]) + " is outside 0-100")
    votes, pct = apply_errata(f, votes, pct)
    party = _candidate_party(f, votes)
    state = states.state.where(~national, "US")
    statewide_general = (stage == "general") & states.district.isna() & (state != "US")
    partial, partial_reason = _partial_counts(
        pd.DataFrame(
            {
                "cycle": cycle,
                "office": office,
                "state": state,
                "klass": klass.astype("Float64").fillna(0),
                "special": f["special"].str.strip().str.lower(),
                "votes": votes,
                "dem": votes.where(party == "DEM"),
                "rep": votes.where(party == "REP"),
            }
        ),
        rejects.ok & statewide_general.to_numpy() & cycle.notna().to_numpy() & office.notna().to_numpy(),
    )
    rejects.flag(partial, "votes", partial_reason)

    out = pd.DataFrame(
        {
            "source": table.source,
            "line_no": table.line_no,
            "cycle": cycle,
            "office": office,
            "state": state,
            "district": states.district,
            "senate_class": klass.where(senate),
            "special": special,
            "stage": stage,
            "candidate": candidate,
            "party": party,
            "votes": votes,
            "pct": pct,
            "winner": winner,
        }
    )[rejects.ok].copy()
    out["cycle"] = out["cycle"].astype("int64")
    out["race_id"] = [
        race_key(c, o, s, None if pd.isna(d) else d, None if pd.isna(k) else k)
        for c, o, s, d, k in zip(
            out["cycle"], out["office"], out["state"], out["district"], out["senate_class"], strict=True
        )
    ]
    return LoadResult(table.source, layout, table.rows_read, typed_results(out), rejects.frame())


ERRATA_FILE = Path(__file__).with_name("results_errata.csv")


def apply_errata(f: pd.DataFrame, votes: pd.Series, pct: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Votes of the races in ``results_errata.csv`` (538's race_id and candidate_id, with the cycle,
    state and office as a guard), whose counts in 538's files are partial: 2006 New Jersey Senate
    (101,973 votes in all, Menendez at 57.2%; 2.27 million were cast and he had 53.3%), 2006 West
    Virginia Senate (Byrd 159,154 v Raese 47,408; 296,276 v 155,043) and 2010 Maine governor (43,037
    votes; LePage 218,065, Cutler 208,270, Mitchell 109,387). Each row names its source. Lines of a
    corrected race that the errata do not list (minor candidates, blank ballots) get votes NA (their
    counts are partial too), and every line of such a race gets pct NA (the file's percents are of the
    partial total)."""
    errata = pd.read_csv(ERRATA_FILE, dtype=str, keep_default_na=False)

    def race(frame: pd.DataFrame) -> pd.Series:
        cols = ["race_id", "cycle", "state", "office_name"]
        return frame[cols[0]].str.strip().str.cat([frame[c].str.strip() for c in cols[1:]], sep="|")

    in_race = race(f).isin(set(race(errata))).to_numpy()
    if not in_race.any():
        return votes, pct
    fixed = dict(zip(race(errata) + "|" + errata["candidate_id"], errata["votes"].astype(int), strict=True))
    new = (race(f) + "|" + f["candidate_id"].str.strip()).map(fixed)
    return votes.where(~in_race, pd.to_numeric(new)), pct.where(~in_race, np.nan)


# A Democrat-v-Republican general election whose total vote is under this fraction of the median total of
# the same state's other general elections for the office within PARTIAL_WINDOW_YEARS is a partial count
# in the source, not a real election; its lines are rejected (a race to add to ``results_errata.csv``).
# Before the errata, 538's files had three (MEDSL's Senate file shares the first): 2006 New Jersey Senate
# at 3% of the median, 2010 Maine governor at 7% and 2006 West Virginia Senate at 34%. The lowest real
# contested race is 1978 Georgia Senate (40%, Nunn with 83%); uncontested races can be lower (1990
# Mississippi Senate 30%) and are not checked: they have no two-party share to corrupt.
PARTIAL_TOTAL_RATIO = 0.37
PARTIAL_WINDOW_YEARS = 6


def _partial_counts(lines: pd.DataFrame, use: np.ndarray) -> tuple[np.ndarray, pd.Series]:
    """Lines of statewide general elections whose counts are partial (see ``PARTIAL_TOTAL_RATIO``), and
    the reason naming the race, its total, the median it was compared with and the years. ``lines``:
    cycle, office, state, klass (0 when none), special, votes, and dem / rep (the votes of the party's
    lines, else NA), one row per source line; ``use``: the lines to check (accepted statewide generals)."""
    keys = ["cycle", "office", "state", "klass", "special"]
    races = (
        lines[use]
        .groupby(keys, dropna=False)
        .agg(total=("votes", "sum"), dem=("dem", "sum"), rep=("rep", "sum"))
        .reset_index()
    )
    flagged = {}
    for r in races.itertuples(index=False):
        if not (r.dem > 0 and r.rep > 0):
            continue
        others = races[
            (races["state"] == r.state)
            & (races["office"] == r.office)
            & ((races["cycle"] - r.cycle).abs() <= PARTIAL_WINDOW_YEARS)
            & ~((races["cycle"] == r.cycle) & (races["klass"] == r.klass) & (races["special"] == r.special))
            & (races["total"] > 0)
        ]
        if others.empty:
            continue
        median = float(others["total"].median())
        if r.total < PARTIAL_TOTAL_RATIO * median:
            flagged[(r.cycle, r.office, r.state, r.klass, r.special)] = (
                f"the {int(r.cycle)} {r.state} {r.office} general election has {int(r.total):,} votes in all, "
                f"{r.total / median:.0%} of the median ({median:,.0f}) of {r.state}'s other {r.office} general "
                f"elections {int(others['cycle'].min())}-{int(others['cycle'].max())}: the source's counts are "
                f"partial, so the race's result lines are not used (results_errata.csv can give the certified count)"
            )
    key = zip(*(lines[k] for k in keys), strict=True)
    reason = pd.Series([flagged.get(k, "") for k in key], index=lines.index, dtype=object)
    return use & (reason != "").to_numpy(), reason


def _candidate_party(f: pd.DataFrame, votes: pd.Series) -> pd.Series:
    primary_party = f["party"].str.strip()
    lines = pd.DataFrame(
        {
            "race": f["race_id"].str.strip(),
            "candidate": f["candidate_id"].str.strip(),
            "ballot_party": f["ballot_party"].str.strip(),
            "major": f["ballot_party"].str.strip().isin(_MAJOR),
            "not_write_in": f["ballot_party"].str.strip() != "W",
            "votes": votes.fillna(-1),
        }
    )
    lines = lines[(lines["candidate"] != "") & (lines["ballot_party"] != "")]
    best = (
        lines.sort_values(["major", "not_write_in", "votes"], ascending=False, kind="stable")
        .drop_duplicates(["race", "candidate"])
        .set_index(["race", "candidate"])["ballot_party"]
    )
    keys = pd.MultiIndex.from_arrays([f["race_id"].str.strip(), f["candidate_id"].str.strip()])
    derived = pd.Series(best.reindex(keys).to_numpy(), index=f.index, dtype="str")
    return primary_party.where(primary_party != "", derived).replace("", np.nan)
