"""Synthetic national voter file, streamed into PostgreSQL with COPY.

People are drawn from the real joint census cells of the cycle (`census.census_frame`): each cell
contributes floor(pop x fraction) people plus one more with probability equal to the remainder, so the
file's cell counts match the census to within one person per cell. Each person then gets, in this
order (all vectorised, one random generator per state seeded from (seed, cycle, state FIPS), so a
state's voters do not depend on which other states are generated):

1. an age inside the age4 band (uniform; 65+ is 65-89) and so a birth year;
2. a vote-history class (always / sporadic / rarely) from P(class | cell) (`behaviour`);
3. registration (P(registered | class)); people who are not registered are counted, not written;
4. a county from P(county | state, race) (ACS 5-year county tables);
5. a party (registration states only) from P(party | cell) shifted to the state's previous result;
6. votes in the four previous general elections (when old enough that year) with the state-calibrated
   P(vote | class); a registration date between the 18th birthday (or 1960) and 30 days before the
   first recorded vote (or before the cycle's election); status I (inactive) when the voter registered
   before the last two federal elections and voted in neither, else A;
7. a modelled turnout score: the calibrated P(vote) at the cycle's own election.

Rows are produced in chunks of at most CHUNK_ROWS people and written with COPY, so memory stays flat
whatever the size of the file. The chunk size is fixed: it is part of what makes a seed reproducible.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from forecast_pipeline.voterfile import behaviour, census

CHUNK_ROWS = 200_000
VOTER_COLUMNS = [
    "cycle",
    "state_cd",
    "voter_id",
    "county_id",
    "county_desc",
    "birth_year",
    "gender_code",
    "race_code",
    "ethnic_code",
    "party_cd",
    "registr_dt",
    "status_cd",
    "educ_cd",
    "turnout_score",
]
HISTORY_COLUMNS = [
    "cycle",
    "state_cd",
    "voter_id",
    "county_id",
    "election_lbl",
    "election_desc",
    "voting_method",
]
# NC race codes inside the "Hispanic" and "Other" groups (stated assumption; the frames have 4 groups).
HISPANIC_RACE = (np.array(["W", "O", "M", "U"]), np.array([0.55, 0.25, 0.10, 0.10]))
OTHER_RACE = (np.array(["A", "I", "M", "O", "U"]), np.array([0.50, 0.08, 0.17, 0.15, 0.10]))
METHODS = np.array(["IN-PERSON", "ABSENTEE ONESTOP", "ABSENTEE BY MAIL"])


def general_election_date(year: int) -> np.datetime64:
    """The Tuesday after the first Monday of November."""
    first = np.datetime64(f"{year}-11-01")
    weekday = (first.astype("datetime64[D]").view("int64") - 4) % 7  # 0 = Monday (1970-01-05 was Monday)
    first_monday = first + np.timedelta64(int((7 - weekday) % 7), "D")
    return first_monday + np.timedelta64(1, "D")


def _method_probs(year: int) -> np.ndarray:
    # Illustrative shares (in-person, early, mail); 2020 was the mail-ballot election.
    return np.array([0.35, 0.25, 0.40]) if year == 2020 else np.array([0.60, 0.28, 0.12])


@dataclass
class StateResult:
    state: str
    people: int = 0
    voters: int = 0
    history_rows: int = 0
    calibration: dict = field(default_factory=dict)


@dataclass
class Chunk:
    state: str
    voters: pd.DataFrame
    history: pd.DataFrame


def _categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One draw per row of `probs` (rows sum to 1)."""
    u = rng.random(len(probs))
    return (u[:, None] > np.cumsum(probs, axis=1)[:, :-1]).sum(axis=1)


def cell_counts(pop: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Stochastic rounding of pop x fraction: unbiased, within one person of the expectation."""
    expected = pop * fraction
    base = np.floor(expected)
    return (base + (rng.random(len(pop)) < expected - base)).astype(np.int64)


def generate_state(
    data_dir: Path,
    cycle: int,
    state: str,
    fraction: float,
    seed: int,
    frame: census.Frame | None = None,
    result: StateResult | None = None,
) -> Iterator[Chunk]:
    """Yield the state's voters and vote history in chunks; fills `result` with counts as it goes."""
    data_dir = Path(data_dir)
    frame = frame or census.census_frame(data_dir, cycle)
    result = result if result is not None else StateResult(state)
    model = behaviour.fit_behaviour(data_dir)
    cells = frame.cells[frame.cells["state"] == state].reset_index(drop=True)
    cal = behaviour.calibrate_state(data_dir, model, cells, cycle, state)
    result.calibration = {
        "turnout_shift": {str(k): round(v, 4) for k, v in cal.turnout_shift.items()},
        "party_shift": round(cal.party_shift, 4),
        "prev_dem_two_party": round(cal.prev_dem_two_party, 4),
    }
    fips = census.STATES[state][1]
    rng = np.random.default_rng([seed, cycle, fips])

    idx = model.cell_index()
    model_rows = np.array(
        [idx[k] for k in cells[["race_eth", "edu5", "age4", "sex"]].itertuples(index=False, name=None)]
    )
    class_p = model.class_probs[model_rows]
    party_p = behaviour.shifted_party_probs(model.party_probs[model_rows], cal.party_shift)
    has_party = state in behaviour.PARTY_REGISTRATION_STATES
    counts = cell_counts(cells["pop"].to_numpy(), fraction, rng)
    result.people = int(counts.sum())
    person_cell = np.repeat(np.arange(len(cells), dtype=np.int32), counts)

    shares = census.county_shares(data_dir)
    county_tables = {}
    for race in census.RACES:
        sub = shares[(shares["state"] == state) & (shares["race_eth"] == race)]
        county_tables[race] = (
            sub["county_fips"].to_numpy(),
            sub["county_desc"].to_numpy(),
            np.cumsum(sub["share"].to_numpy()),
        )
    history_years = behaviour.elections_for(cycle)
    election_dates = {y: general_election_date(y) for y in history_years}
    cycle_date = general_election_date(cycle)
    turnout = {y: behaviour.turnout_prob(y, cal.turnout_shift[y]) for y in [*history_years, cycle]}
    races = cells["race_eth"].to_numpy()
    edus = cells["edu5"].to_numpy()
    ages = cells["age4"].to_numpy()
    sexes = cells["sex"].to_numpy()
    next_id = fips * 1_000_000_000

    for start in range(0, len(person_cell), CHUNK_ROWS):
        pc = person_cell[start : start + CHUNK_ROWS]
        n = len(pc)
        lo = np.array([census.AGE_BANDS[a][0] for a in ages])[pc]
        hi = np.array([census.AGE_BANDS[a][1] for a in ages])[pc]
        age = lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64)
        cls = _categorical(rng, class_p[pc])
        registered = rng.random(n) < behaviour.REGISTERED[cls]
        party = _categorical(rng, party_p[pc])
        county_u = rng.random(n)
        reg_u = rng.random(n)
        vote_u = rng.random((n, len(history_years)))
        method_u = rng.random((n, len(history_years)))
        race_u = rng.random(n)
        # Keep only registered people (draws above were made for everyone, so counts stay aligned).
        keep = np.flatnonzero(registered)
        pc, age, cls, party = pc[keep], age[keep], cls[keep], party[keep]
        county_u, reg_u, vote_u, method_u, race_u = (
            county_u[keep],
            reg_u[keep],
            vote_u[keep],
            method_u[keep],
            race_u[keep],
        )
        m = len(keep)
        voter_id = next_id + np.arange(m, dtype=np.int64)
        next_id += m
        race = races[pc]
        county_id = np.empty(m, dtype=object)
        county_desc = np.empty(m, dtype=object)
        for r, (cids, cdesc, cum) in county_tables.items():
            sel = np.flatnonzero(race == r)
            if len(sel):
                j = np.minimum(np.searchsorted(cum, county_u[sel] * cum[-1], side="right"), len(cids) - 1)
                county_id[sel], county_desc[sel] = cids[j], cdesc[j]
        race_code = np.where(race == "White", "W", np.where(race == "Black", "B", "O")).astype(object)
        hisp = np.flatnonzero(race == "Hispanic")
        race_code[hisp] = HISPANIC_RACE[0][_categorical_u(race_u[hisp], HISPANIC_RACE[1])]
        oth = np.flatnonzero(race == "Other")
        race_code[oth] = OTHER_RACE[0][_categorical_u(race_u[oth], OTHER_RACE[1])]
        ethnic = np.where(race == "Hispanic", "HL", "NL")
        birth_year = cycle - age
        hist_frames = []
        voted_last_two = np.zeros(m, dtype=bool)
        first_vote = np.full(m, cycle_date, dtype="datetime64[D]")
        for j, year in enumerate(history_years):
            edate = election_dates[year]
            voted = (year - birth_year >= 18) & (vote_u[:, j] < turnout[year][cls])
            if year >= cycle - 4:
                voted_last_two |= voted
            first_vote = np.where(voted & (edate < first_vote), edate, first_vote)
            w = np.flatnonzero(voted)
            if len(w):
                method = METHODS[_categorical_u(method_u[w, j], _method_probs(year))]
                hist_frames.append(
                    pd.DataFrame(
                        {
                            "cycle": cycle,
                            "state_cd": state,
                            "voter_id": voter_id[w],
                            "county_id": county_id[w],
                            "election_lbl": str(edate),
                            "election_desc": f"{pd.Timestamp(str(edate)).strftime('%m/%d/%Y')} GENERAL",
                            "voting_method": method,
                        }
                    )
                )
        # Registration date: uniform between the 18th birthday (or 1960) and 30 days before the first
        # election the voter voted in (the cycle's election for those with no recorded vote).
        earliest = np.maximum(birth_year + 18, 1960)
        first = np.array([f"{y}-01-01" for y in range(1900, cycle + 1)], dtype="datetime64[D]")
        start_day = first[earliest - 1900]
        span = ((first_vote - np.timedelta64(30, "D")) - start_day).astype(np.int64)
        registr_dt = start_day + np.floor(reg_u * np.maximum(span, 1)).astype("timedelta64[D]")
        recent = registr_dt > election_dates[cycle - 4]
        status = np.where(voted_last_two | recent, "A", "I")
        voters = pd.DataFrame(
            {
                "cycle": cycle,
                "state_cd": state,
                "voter_id": voter_id,
                "county_id": county_id,
                "county_desc": county_desc,
                "birth_year": birth_year,
                "gender_code": np.where(sexes[pc] == "Male", "M", "F"),
                "race_code": race_code,
                "ethnic_code": ethnic,
                "party_cd": np.array(behaviour.PARTIES, dtype=object)[party] if has_party else None,
                "registr_dt": registr_dt.astype(str),
                "status_cd": status,
                "educ_cd": edus[pc],
                "turnout_score": np.round(turnout[cycle][cls], 4),
            }
        )
        history = (
            pd.concat(hist_frames, ignore_index=True)
            if hist_frames
            else pd.DataFrame(columns=HISTORY_COLUMNS)
        )
        result.voters += m
        result.history_rows += len(history)
        yield Chunk(state, voters, history)


def _categorical_u(u: np.ndarray, probs: np.ndarray) -> np.ndarray:
    return np.minimum(np.searchsorted(np.cumsum(probs), u, side="right"), len(probs) - 1)


def _copy(cursor, table: str, frame: pd.DataFrame, columns: list[str]) -> None:
    """COPY a chunk as CSV written by Arrow (about 6x faster than DataFrame.to_csv). Nulls are
    written as unquoted empty fields, which COPY reads as NULL."""
    if frame.empty:
        return
    import pyarrow as pa
    import pyarrow.csv as pacsv

    buf = io.BytesIO()
    pacsv.write_csv(
        pa.Table.from_pandas(frame[columns], preserve_index=False),
        buf,
        write_options=pacsv.WriteOptions(include_header=False),
    )
    buf.seek(0)
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", buf)


def generate_to_db(
    engine: sa.Engine,
    data_dir: Path,
    cycle: int,
    fraction: float,
    seed: int,
    states: list[str] | None = None,
    log: Callable[[str], None] | None = None,
) -> list[StateResult]:
    """Generate and load the file state by state; each state is replaced in its own transaction."""
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    states = sorted(states or census.STATES)
    unknown = [s for s in states if s not in census.STATES]
    if unknown:
        raise ValueError(f"unknown state codes: {unknown}")
    frame = census.census_frame(Path(data_dir), cycle)
    results = []
    raw = engine.raw_connection()
    try:
        for state in states:
            t0 = time.perf_counter()
            res = StateResult(state)
            with raw.cursor() as cur:
                cur.execute("SET LOCAL synchronous_commit = off")
                counties = census.county_shares(Path(data_dir))
                counties = counties[counties["state"] == state].drop_duplicates("county_fips")
                cur.executemany(
                    "INSERT INTO voterfile.counties (county_id, state_cd, county_desc) VALUES (%s, %s, %s)"
                    " ON CONFLICT (county_id) DO UPDATE SET county_desc = EXCLUDED.county_desc",
                    list(
                        zip(counties["county_fips"], counties["state"], counties["county_desc"], strict=True)
                    ),
                )
                for table in ("voters", "vote_history"):
                    cur.execute(
                        f"DELETE FROM voterfile.{table} WHERE cycle = %s AND state_cd = %s", (cycle, state)
                    )
                for chunk in generate_state(data_dir, cycle, state, fraction, seed, frame, res):
                    # Straight into the state's partitions: no per-row partition routing.
                    _copy(cur, f"voterfile.voters_{state.lower()}", chunk.voters, VOTER_COLUMNS)
                    _copy(cur, f"voterfile.vote_history_{state.lower()}", chunk.history, HISTORY_COLUMNS)
                cur.execute(
                    "INSERT INTO voterfile.generation_runs (cycle, state_cd, seed, fraction, frame_source, people,"
                    " voters, history_rows, calibration) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)"
                    " ON CONFLICT (cycle, state_cd) DO UPDATE SET seed = EXCLUDED.seed, fraction = EXCLUDED.fraction,"
                    " frame_source = EXCLUDED.frame_source, people = EXCLUDED.people, voters = EXCLUDED.voters,"
                    " history_rows = EXCLUDED.history_rows, calibration = EXCLUDED.calibration, generated_at = now()",
                    (
                        cycle,
                        state,
                        seed,
                        fraction,
                        frame.source,
                        res.people,
                        res.voters,
                        res.history_rows,
                        json.dumps(res.calibration),
                    ),
                )
            raw.commit()
            results.append(res)
            if log:
                log(
                    f"{cycle} {state}: {res.people} people, {res.voters} registered voters, "
                    f"{res.history_rows} history rows ({time.perf_counter() - t0:.1f}s)"
                )
        with raw.cursor() as cur:
            cur.execute("ANALYZE voterfile.voters")
        raw.commit()
    finally:
        raw.close()
    return results
