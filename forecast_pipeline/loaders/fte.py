"""538 poll files -> one row per candidate answer (POLL_ANSWER_COLUMNS).

Four layouts, told apart by their header (``LAYOUTS``, checked in order):

* ``fte_generic`` - generic-ballot polls, wide ``dem``/``rep``/``ind`` columns. Each line becomes answer rows
  "Democrats"/DEM, "Republicans"/REP and, when ``ind`` is filled, "Independent"/IND; office "generic".
* ``fte_2018`` - the 2018-2022 long layout (``fte_grade``, ``candidate_party``).
* ``fte_2023`` - the 2023+ long layout (``numeric_grade``, ``pollscore``, ``party``).
* ``fte_subset`` - an 11-column extract (poll_id, state, pollster, grade, sample_size, population,
  population_full, start_date, end_date, answer, pct) with no question_id, party, cycle or office.

Nothing is keyed on a cycle, so a later cycle in either long layout loads unchanged.

Field conventions shared by every layout:

* state: full name -> USPS, blank -> "US"; "Maine CD-2" -> ME with district 2. Territories (Puerto Rico,
  U.S. Virgin Islands...) are rejected as out_of_scope; any other unknown name is invalid.
* population: lower-cased; anything other than lv/rv/a/v (including blank) becomes None and the line is
  kept, because the poll itself is still usable.
* partisan: the source's flag as written ("DEM", "REP", "REP,REF"), None when blank.
* Each line stands alone: a rejected answer line does not take its question's other answers with it, so
  a consumer comparing shares within a question must check the question is complete.

The subset layout needs three synthesised fields:

* cycle: the presidential year on or after the poll's end-date year (its polls start in Nov 2018).
* question_id ``{poll_id}-q{k}``: within a poll, consecutive lines form one question until an answer name
  repeats or the population or sample size changes. Checked against the full 538 file for the 2,984
  polls the two share, this reproduces 538's question count for 2,972; the misses are 2019 batteries of
  hypothetical match-ups where one question's candidates do not recur in the next.
* party: the answer (a surname) matched against the same cycle's presidential candidates in the results
  frame, if one is given: surname = last token of the candidate name ignoring Jr./Sr./II/III/IV, matched
  case-insensitively. A candidate's party is the one most of their votes came under, ignoring write-in
  lines; general-election candidates win over primary candidates; a surname shared by candidates of
  different parties, or not found (Pence, Haley in 2020), stays None.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forecast_pipeline.loaders.base import LoadResult, source_key
from forecast_pipeline.loaders.common import (
    OFFICE_TYPES,
    Rejects,
    Table,
    map_states,
    match_layout,
    none_if_blank,
    parse_date,
    parse_number,
    presidential_cycle,
    quoted,
    read_header,
    read_table,
    typed_polls,
)
from forecast_pipeline.races import POPULATIONS, race_key, senate_class

_POLL = frozenset(
    {
        "poll_id",
        "question_id",
        "cycle",
        "state",
        "pollster",
        "sponsors",
        "sample_size",
        "population",
        "methodology",
        "start_date",
        "end_date",
        "created_at",
        "partisan",
        "stage",
    }
)
_LONG = _POLL | {"office_type", "seat_number", "seat_name", "answer", "pct"}

LAYOUTS: dict[str, frozenset[str]] = {
    "fte_generic": _POLL | {"dem", "rep"},
    "fte_2018": _LONG | {"candidate_party"},
    "fte_2023": _LONG | {"party"},
    "fte_subset": frozenset(
        {
            "poll_id",
            "state",
            "pollster",
            "grade",
            "sample_size",
            "population",
            "start_date",
            "end_date",
            "answer",
            "pct",
        }
    ),
}

_GENERIC_ANSWERS = (("dem", "Democrats", "DEM"), ("rep", "Republicans", "REP"), ("ind", "Independent", "IND"))
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
WRITE_IN = "W"  # 538's ballot line for write-ins: not a party


def load_fte(path: Path | str, data_dir: Path | str, results: pd.DataFrame | None = None) -> LoadResult:
    """Load one 538 poll file. ``results`` (RESULT_COLUMNS) is only used to give the subset layout parties."""
    path = Path(path)
    layout = match_layout(path, read_header(path), LAYOUTS)
    table = read_table(path, source_key(path, Path(data_dir)))
    rejects = Rejects(table)
    if layout == "fte_subset":
        accepted = _subset(table, rejects, results)
    elif layout == "fte_generic":
        accepted = _generic(table, rejects)
    else:
        accepted = _long(table, rejects, "candidate_party" if layout == "fte_2018" else "party")
    return LoadResult(table.source, layout, table.rows_read, typed_polls(accepted), rejects.frame())


def _pct(values: pd.Series, rejects: Rejects, column: str, required: bool = True) -> pd.Series:
    pct, bad = parse_number(values)
    text = quoted(values)
    if required:
        rejects.flag(values.str.strip() == "", column, f"{column} is missing")
    rejects.flag(bad, column, column + " " + text + " is not a number")
    rejects.flag((pct < 0) | (pct > 100), column, column + " " + text + " is outside 0-100")
    return pct


def _poll_fields(table: Table, rejects: Rejects) -> pd.DataFrame:
    """Poll-level fields every layout has; flags the lines whose values are unusable."""
    f = table.frame
    states = map_states(f["state"])
    rejects.flag(
        states.territory,
        "state",
        "state " + quoted(f["state"]) + " is a territory this project does not model",
        kind="out_of_scope",
    )
    rejects.flag(states.unknown, "state", "state " + quoted(f["state"]) + " is not a known state")
    start, end = parse_date(f["start_date"]), parse_date(f["end_date"])
    rejects.flag(start.isna(), "start_date", "start_date " + quoted(f["start_date"]) + " is not a date")
    rejects.flag(end.isna(), "end_date", "end_date " + quoted(f["end_date"]) + " is not a date")
    rejects.flag(
        end < start,
        "end_date",
        "end_date " + quoted(f["end_date"]) + " is before start_date " + quoted(f["start_date"]),
    )
    n, bad_n = parse_number(f["sample_size"])
    rejects.flag(bad_n, "sample_size", "sample_size " + quoted(f["sample_size"]) + " is not a number")
    rejects.flag(n <= 0, "sample_size", "sample_size " + quoted(f["sample_size"]) + " is not positive")
    population = f["population"].str.strip().str.lower()
    out = pd.DataFrame(
        {
            "source": table.source,
            "line_no": table.line_no,
            "state": states.state,
            "district": states.district,
            "poll_id": f["poll_id"].str.strip(),
            "pollster": f["pollster"].str.strip(),
            "start_date": start,
            "end_date": end,
            "sample_size": n,
            "population": population.where(population.isin(list(POPULATIONS))),
        }
    )
    rejects.flag(out["poll_id"] == "", "poll_id", "poll_id is missing")
    rejects.flag(out["pollster"] == "", "pollster", "pollster is missing")
    return out


def _full_poll_fields(table: Table, rejects: Rejects) -> pd.DataFrame:
    """Poll fields of the full 538 layouts (everything but the subset)."""
    f = table.frame
    out = _poll_fields(table, rejects)
    cycle, bad_cycle = parse_number(f["cycle"])
    rejects.flag(
        bad_cycle | cycle.isna() | (cycle % 1 != 0), "cycle", "cycle " + quoted(f["cycle"]) + " is not a year"
    )
    created = parse_date(f["created_at"], keep_time=True)
    rejects.flag(
        created.isna() & (f["created_at"].str.strip() != ""),
        "created_at",
        "created_at " + quoted(f["created_at"]) + " is not a date",
    )
    stage = f["stage"].str.strip()
    rejects.flag(stage == "", "stage", "stage is missing")
    out["cycle"] = cycle
    out["question_id"] = f["question_id"].str.strip()
    rejects.flag(out["question_id"] == "", "question_id", "question_id is missing")
    out["stage"] = stage
    out["sponsor"] = none_if_blank(f["sponsors"])
    out["partisan"] = none_if_blank(f["partisan"])
    out["created_at"] = created
    out["mode"] = none_if_blank(f["methodology"])
    out["senate_class"] = pd.Series(pd.NA, index=f.index, dtype="Int64")
    return out


def _long(table: Table, rejects: Rejects, party_column: str) -> pd.DataFrame:
    f = table.frame
    out = _full_poll_fields(table, rejects)
    office = f["office_type"].str.strip().map(OFFICE_TYPES)
    rejects.flag(
        office.isna(), "office_type", "office_type " + quoted(f["office_type"]) + " is not a known office"
    )
    senate = office == "senate"
    klass = f["seat_name"].map(senate_class).astype("Int64")
    rejects.flag(
        senate & klass.isna(), "seat_name", "seat_name " + quoted(f["seat_name"]) + " is not a Senate class"
    )
    out["senate_class"] = klass.where(senate)
    house = office == "house"
    seat, bad_seat = parse_number(f["seat_number"])
    rejects.flag(
        house & (bad_seat | seat.isna() | (seat < 0) | (seat % 1 != 0)),
        "seat_number",
        "seat_number " + quoted(f["seat_number"]) + " is not a House district",
    )
    district = out["district"].copy()
    district.loc[house & seat.notna()] = seat[house & seat.notna()].round().astype("int64")
    out["district"] = district
    out["office"] = office
    out["candidate"] = f["answer"].str.strip()
    rejects.flag(out["candidate"] == "", "answer", "candidate is missing")
    out["party"] = none_if_blank(f[party_column])
    out["pct"] = _pct(f["pct"], rejects, "pct")
    return _finish(out[rejects.ok])


def _generic(table: Table, rejects: Rejects) -> pd.DataFrame:
    f = table.frame
    out = _full_poll_fields(table, rejects)
    out["office"] = "generic"
    shares = {
        col: _pct(f[col], rejects, col, required=(col != "ind")) for col, _, _ in _GENERIC_ANSWERS if col in f
    }
    ok = rejects.ok
    parts = []
    for col, candidate, party in _GENERIC_ANSWERS:
        if col not in shares:
            continue
        keep = ok & shares[col].notna().to_numpy()
        parts.append(out[keep].assign(candidate=candidate, party=party, pct=shares[col][keep]))
    return _finish(pd.concat(parts))


def _subset(table: Table, rejects: Rejects, results: pd.DataFrame | None) -> pd.DataFrame:
    f = table.frame
    out = _poll_fields(table, rejects)
    out["question_id"] = _synth_questions(f)
    out["cycle"] = presidential_cycle(out["end_date"])
    out["office"] = "president"
    out["stage"] = "general"
    out["candidate"] = f["answer"].str.strip()
    rejects.flag(out["candidate"] == "", "answer", "candidate is missing")
    out["pct"] = _pct(f["pct"], rejects, "pct")
    out = out[rejects.ok].copy()
    out["party"] = _party_from_results(out, results)
    return _finish(out)


def _synth_questions(f: pd.DataFrame) -> list[str]:
    ids: list[str] = []
    count: dict[str, int] = {}
    prev: tuple[str, str, str] | None = None
    seen: set[str] = set()
    for poll, population, n, answer in zip(
        f["poll_id"], f["population"], f["sample_size"], f["answer"], strict=True
    ):
        if prev is None or prev[0] != poll or answer in seen or (population, n) != prev[1:]:
            count[poll] = count.get(poll, 0) + 1
            seen = set()
        seen.add(answer)
        prev = (poll, population, n)
        ids.append(f"{poll}-q{count[poll]}")
    return ids


def surname(name: str) -> str:
    tokens = [t for t in str(name).replace(",", " ").split() if t.lower().rstrip(".") not in _SUFFIXES]
    return tokens[-1].lower() if tokens else ""


def _party_from_results(out: pd.DataFrame, results: pd.DataFrame | None) -> pd.Series:
    party = pd.Series(np.nan, index=out.index, dtype="str")
    if results is None or not len(out):
        return party
    pres = results[
        (results["office"] == "president")
        & results["party"].notna()
        & results["candidate"].notna()
        & (results["party"] != WRITE_IN)
    ]
    keys = out["candidate"].map(surname)
    for cycle in out["cycle"].dropna().unique():
        rows = pres[pres["cycle"] == cycle]
        general = _surname_parties(rows[rows["stage"] == "general"])
        others = _surname_parties(rows[rows["stage"] != "general"])
        in_cycle = out["cycle"] == cycle
        party.loc[in_cycle] = keys[in_cycle].map({**others, **general})
    return party


def _surname_parties(rows: pd.DataFrame) -> dict[str, str]:
    """surname -> party, where each candidate's party is the one most of their votes came under (a
    primary candidate also gets write-ins in the other party's primary) and the surname is unambiguous."""
    votes = rows["votes"].fillna(0)
    totals = votes.groupby([rows["candidate"], rows["party"]]).sum().rename("votes").reset_index()
    best = totals.sort_values("votes", ascending=False, kind="stable").drop_duplicates("candidate")
    by_surname = best.groupby(best["candidate"].map(surname))["party"].unique()
    return {key: values[0] for key, values in by_surname.items() if key and len(values) == 1}


def _finish(out: pd.DataFrame) -> pd.DataFrame:
    out = out.copy()
    for col in ("sponsor", "partisan", "mode", "party"):
        if col not in out:
            out[col] = pd.Series(np.nan, index=out.index, dtype="str")
    if "created_at" not in out:
        out["created_at"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[us]")
    if "senate_class" not in out:
        out["senate_class"] = pd.Series(pd.NA, index=out.index, dtype="Int64")
    out["cycle"] = out["cycle"].astype("int64")
    out["race_id"] = [
        race_key(c, o, s, None if pd.isna(d) else d, None if pd.isna(k) else k)
        for c, o, s, d, k in zip(
            out["cycle"], out["office"], out["state"], out["district"], out["senate_class"], strict=True
        )
    ]
    return out
