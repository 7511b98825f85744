"""HuffPost Pollster presidential polls as exported by the Economist model -> POLL_ANSWER_COLUMNS.

Two wide layouts, one line per poll question with a column per candidate:

* ``economist_wide`` - ``all_polls_2008.csv`` (obama/mccain) and ``all_polls_2012.csv`` (obama/romney).
* ``economist_2016`` - ``all_polls.csv`` (trump/clinton, plus johnson/mcmullin where asked), with entry time,
  question iteration and partisan affiliation.

Each line gives one answer row per named candidate column that has a value (``CANDIDATES``); the
"other" and "undecided" columns are not candidates and are not emitted. The DEM and REP candidates are
required; minor candidates are optional ("NA" = not asked).

Conventions:

* state "--" = national ("US"); otherwise USPS codes.
* cycle: the presidential year on or after the end date's year (the 2016 file starts in 2015).
* 2016 party-subgroup lines ("Likely Voters - Democrat") are crosstabs, not polls: rejected out_of_scope.
* population: "Likely Voters" -> lv, "Registered Voters" -> rv, "Adults" -> a. The 2008 file says
  "Registered Voters" on every line, which is a placeholder, so its population is None.
* mode: the 2008 and 2012 files say "Live Phone" on every line, including Rasmussen and SurveyUSA, which
  poll by IVR, so their mode is None; 2016 modes are kept.
* ids: the files have none. poll_id hashes source, state, pollster, start and end dates (and the 2016
  entry time), so an LV and an RV version of one poll share a poll_id as they do in 538 data;
  question_id adds population, sample size and the 2016 question iteration. The sample size is left out
  of poll_id on purpose: three 2008 polls appear twice with the same dates and different n, which is
  the two-populations-of-one-poll pattern.
* created_at: the 2016 entry time (written with a Z, kept as naive UTC); None before 2016.
* partisan: 2016 polls flagged partisan by pollster or sponsor take their affiliation (Dem -> DEM,
  Rep -> REP, Other -> OTH).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forecast_pipeline.loaders.base import LoadResult, UnknownLayoutError, source_key
from forecast_pipeline.loaders.common import (
    Rejects,
    map_states,
    match_layout,
    parse_date,
    parse_number,
    presidential_cycle,
    quoted,
    read_header,
    read_table,
    stable_id,
    typed_polls,
)
from forecast_pipeline.races import race_key

_BASE = frozenset(
    {
        "state",
        "pollster",
        "number.of.observations",
        "start.date",
        "end.date",
        "population",
        "mode",
    }
)
LAYOUTS: dict[str, frozenset[str]] = {
    "economist_2016": _BASE | {"entry.date.time..et.", "question.iteration", "partisan", "affiliation"},
    "economist_wide": _BASE,
}

# column -> (candidate as the project writes it, party, required on every line)
CANDIDATES: dict[str, tuple[str, str, bool]] = {
    "obama": ("Obama", "DEM", True),
    "mccain": ("McCain", "REP", True),
    "romney": ("Romney", "REP", True),
    "clinton": ("Clinton", "DEM", True),
    "trump": ("Trump", "REP", True),
    "johnson": ("Johnson", "LIB", False),
    "mcmullin": ("McMullin", "IND", False),
}
_MISSING = ("", "NA")
_POPULATIONS = {"likely voters": "lv", "registered voters": "rv", "adults": "a"}
_AFFILIATION = {"dem": "DEM", "rep": "REP", "other": "OTH"}
# Cycles whose files carry one placeholder value in the column for every line (see module docstring).
PLACEHOLDER_POPULATION_CYCLES = frozenset({2008})
PLACEHOLDER_MODE_CYCLES = frozenset({2008, 2012})


def load_economist(path: Path | str, data_dir: Path | str) -> LoadResult:
    path = Path(path)
    header = read_header(path)
    layout = match_layout(path, header, LAYOUTS)
    candidates = [c for c in header if c in CANDIDATES]
    parties = {CANDIDATES[c][1] for c in candidates}
    if not {"DEM", "REP"} <= parties:
        raise UnknownLayoutError(
            f"{path}: header has no DEM and REP candidate columns; expected two of {sorted(CANDIDATES)}"
        )
    table = read_table(path, source_key(path, Path(data_dir)))
    rejects = Rejects(table)
    f = table.frame
    is_2016 = layout == "economist_2016"

    population = f["population"].str.strip()
    rejects.flag(
        population.str.contains(" - ", regex=False),
        "population",
        "population " + quoted(population) + " is a party subgroup of a poll",
        kind="out_of_scope",
    )
    states = map_states(f["state"], national=("--",))
    rejects.flag(
        states.unknown | states.territory, "state", "state " + quoted(f["state"]) + " is not a known state"
    )
    start, end = parse_date(f["start.date"]), parse_date(f["end.date"])
    rejects.flag(start.isna(), "start.date", "start.date " + quoted(f["start.date"]) + " is not a date")
    rejects.flag(end.isna(), "end.date", "end.date " + quoted(f["end.date"]) + " is not a date")
    rejects.flag(
        end < start,
        "end.date",
        "end.date " + quoted(f["end.date"]) + " is before start.date " + quoted(f["start.date"]),
    )
    n, bad_n = parse_number(f["number.of.observations"], missing=_MISSING)
    rejects.flag(
        bad_n,
        "number.of.observations",
        "number.of.observations " + quoted(f["number.of.observations"]) + " is not a number",
    )
    rejects.flag(
        n <= 0,
        "number.of.observations",
        "number.of.observations " + quoted(f["number.of.observations"]) + " is not positive",
    )
    pollster = f["pollster"].str.strip()
    rejects.flag(pollster == "", "pollster", "pollster is missing")
    shares = {c: _share(f[c], rejects, c, CANDIDATES[c][2]) for c in candidates}
    if is_2016:
        created = parse_date(f["entry.date.time..et."], keep_time=True)
        rejects.flag(
            created.isna() & ~f["entry.date.time..et."].str.strip().isin(_MISSING),
            "entry.date.time..et.",
            "entry.date.time..et. " + quoted(f["entry.date.time..et."]) + " is not a date",
        )
    else:
        created = pd.Series(pd.NaT, index=f.index, dtype="datetime64[us]")

    cycle = presidential_cycle(end)
    poll_fields = [f["state"], pollster, f["start.date"], f["end.date"]]
    if is_2016:
        poll_fields.append(f["entry.date.time..et."])
    poll_id = stable_id("econ-", pd.Series(table.source, index=f.index), *poll_fields)
    question_fields = [poll_id, population, f["number.of.observations"]]
    if is_2016:
        question_fields.append(f["question.iteration"])
    mode = f["mode"].str.strip()
    out = pd.DataFrame(
        {
            "source": table.source,
            "line_no": table.line_no,
            "cycle": cycle,
            "office": "president",
            "state": states.state,
            "district": pd.Series(pd.NA, index=f.index, dtype="Int64"),
            "senate_class": pd.Series(pd.NA, index=f.index, dtype="Int64"),
            "stage": "general",
            "poll_id": poll_id,
            "question_id": stable_id("econ-q-", *question_fields),
            "pollster": pollster,
            "sponsor": pd.Series(np.nan, index=f.index, dtype="str"),
            "partisan": _partisan(f) if is_2016 else pd.Series(np.nan, index=f.index, dtype="str"),
            "start_date": start,
            "end_date": end,
            "created_at": created,
            "sample_size": n,
            "population": population.str.lower()
            .map(_POPULATIONS)
            .where(~cycle.isin(PLACEHOLDER_POPULATION_CYCLES).fillna(False)),
            "mode": mode.where((mode != "") & ~cycle.isin(PLACEHOLDER_MODE_CYCLES).fillna(False)),
        }
    )
    ok = rejects.ok
    parts = []
    for column in candidates:
        name, party, _ = CANDIDATES[column]
        keep = ok & shares[column].notna().to_numpy()
        parts.append(out[keep].assign(candidate=name, party=party, pct=shares[column][keep]))
    accepted = pd.concat(parts)
    accepted["race_id"] = [
        race_key(c, "president", s) for c, s in zip(accepted["cycle"], accepted["state"], strict=True)
    ]
    return LoadResult(table.source, layout, table.rows_read, typed_polls(accepted), rejects.frame())


def _share(values: pd.Series, rejects: Rejects, column: str, required: bool) -> pd.Series:
    pct, bad = parse_number(values, missing=_MISSING)
    text = quoted(values)
    if required:
        rejects.flag(values.str.strip().isin(_MISSING), column, f"{column} is missing")
    rejects.flag(bad, column, column + " " + text + " is not a number")
    rejects.flag((pct < 0) | (pct > 100), column, column + " " + text + " is outside 0-100")
    return pct


def _partisan(f: pd.DataFrame) -> pd.Series:
    flagged = f["partisan"].str.strip().str.lower() != "nonpartisan"
    return f["affiliation"].str.strip().str.lower().map(_AFFILIATION).where(flagged)
