"""Stanford polling-errors replication data (Shirani-Mehr, Rothschild, Goel & Gelman) -> POLL_ANSWER_COLUMNS.

Two tab-separated layouts, told apart by their header (``LAYOUTS``, checked in order):

* ``stanford_auxiliary`` - ``polls_auxiliary_dataset.tsv``: 2004-2012 presidential, Senate and governor
  state polls from across the campaign (Pollster.com + RCP), with ``populationType`` and ``Mode``.
* ``stanford_main`` - ``polls_main_dataset.tsv``: 1998-2014 state polls from the final three weeks, without
  population or mode.

One line is one poll question: the Democratic and Republican candidates' percentages (``democratic``,
``republican``; raw percentages, not two-party shares) and, attached, the race's final two-party result.
The files name no candidates. Each accepted line gives two answer rows: candidate "Democrat" / party DEM /
pct ``democratic`` and "Republican" / REP / ``republican``. ``someoneElse`` / ``undecided`` /
``refuseToAnswer`` are not candidates and are not emitted (in the auxiliary file ``undecided`` and
``refuseToAnswer`` are filled only for Indiana's 2012 governor race, with what look like the final result).
The attached result (``finalTwoPartyVS*``) is never loaded as a poll field.

Conventions:

* office: ``election`` Pres / Sen / Gov -> president / senate / governor; stage "general".
* cycle: ``year`` (the election's year; it agrees with ``electionDate`` on every line). The main file has
  odd-year governor races and New Jersey's October 2013 Senate special.
* state: USPS code.
* dates: ``endDate`` is ISO; ``startDate`` is m/d/yy (auxiliary) or ISO (main) and "NA" on most lines
  (8,914 of 10,444 / 4,154 of 4,221): a missing start date is the end date.
* sample_size: ``numberOfRespondents``; "NA" None. Kept as written; see the oddities in the auxiliary
  file (427 lines with n < 100, 137 of them n = 27), which look like truncated numbers.
* population (auxiliary): LV / "Likely Voters" -> lv, RV / "Registered Voters" -> rv, A -> a, V -> v;
  anything else (AV, LD, VL, R, NA, blank) None, with the line kept.
* mode (auxiliary): ``Mode`` as written (Phone, Automated Phone, Internet, Mixed, Mail); "NA" None.
* pollster: ``pollName`` with surrounding blanks removed (the auxiliary file writes "SurveyUSA" and
  "SurveyUSA " for the same pollster). partisan: a "(D)" / "(D-sponsor)" tag in the name -> DEM, "(R)" /
  "(R-sponsor)" -> REP, both or neither None; sponsor: the text after "D-" / "R-" in the tag.
* ids: poll_id hashes election, state, year, pollster, start and end date (so an LV and an RV version of
  one poll share it); question_id adds population, sample size and the two percentages. Lines that repeat
  an earlier line field for field (blanks trimmed) are the same poll copied from both aggregators: they
  are rejected as out_of_scope, naming the first line.
* Senate class: from the certified Senate results passed as ``results`` (``leo.SenateSeats``): the
  state's only Senate race that cycle. Where a state had two (2008 Mississippi and Wyoming, 2010 New York,
  2014 Oklahoma and South Carolina), the line's attached final result identifies the race: the race
  whose general-election runner-up share of the top two (percent) is within ``RESULT_MATCH_TOLERANCE`` of
  the smaller of the line's two ``finalTwoPartyVS*`` values, if exactly one race does. This uses the
  attached result only to pick between two races of one state and year, never as a poll field; it
  resolves the main file's 2008 MS/WY and 2010 NY lines. The auxiliary file attaches one result to all of
  a state's 2008 Senate polls that matches neither race, so those lines are rejected as ambiguous
  (field ``state``). Races count at any results stage, so Louisiana's jungle primaries and runoffs and
  Georgia's 2000 special (a jungle primary in the results) are single races and resolve.
* Attached result check: a race whose ``finalTwoPartyVSDemocratic`` (median over its lines) differs from the certified
  Democratic share of the Democratic and Republican votes of its race (from ``results``) by more than
  ``ATTACHED_RESULT_TOLERANCE`` points is rejected on that field. The file swaps the parties of whole
  races (2006 New York governor: Spitzer at 24% against Faso at 69% in every poll, with the result
  attached as 29.7 / 70.3; 2010 Alaska governor), and where an independent finished in the top two
  (2010 Maine, Rhode Island and Colorado governors, 2006 Connecticut Senate) its "democratic" and
  "republican" columns are the two leaders, not the two parties. Races with no certified result are
  not checked.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from forecast_pipeline.loaders.base import LoadResult, source_key
from forecast_pipeline.loaders.common import (
    Rejects,
    Table,
    map_states,
    match_layout,
    parse_date,
    parse_number,
    quoted,
    read_header,
    read_table,
    stable_id,
    typed_polls,
)
from forecast_pipeline.loaders.leo import SenateSeats, senate_classes_by_result
from forecast_pipeline.races import race_key

_BASE = frozenset(
    {
        "election",
        "state",
        "year",
        "pollName",
        "startDate",
        "endDate",
        "numberOfRespondents",
        "democratic",
        "republican",
        "electionDate",
        "finalTwoPartyVSDemocratic",
        "finalTwoPartyVSRepublican",
    }
)
LAYOUTS: dict[str, frozenset[str]] = {
    "stanford_auxiliary": _BASE | {"populationType", "Mode"},
    "stanford_main": _BASE,
}
OFFICES = {"Pres": "president", "Sen": "senate", "Gov": "governor"}
ANSWERS = (("democratic", "Democrat", "DEM"), ("republican", "Republican", "REP"))
_MISSING = ("", "NA")
_POPULATIONS = {
    "lv": "lv",
    "likely voters": "lv",
    "rv": "rv",
    "registered voters": "rv",
    "a": "a",
    "adults": "a",
    "v": "v",
    "voters": "v",
}
_TAG = re.compile(r"\((?P<party>[DR])(?:-(?P<sponsor>[^)]*))?\)")


def read_tsv_header(path: Path) -> list[str]:
    return read_header(path, delimiter="\t")


def read_tsv(path: Path, source: str) -> Table:
    """A tab-separated file as a common.Table: string fields, physical start line of every record."""
    return read_table(path, source, delimiter="\t")


def load_stanford(path: Path | str, data_dir: Path | str, results: pd.DataFrame | None = None) -> LoadResult:
    """Load one Stanford TSV. ``results`` (RESULT_COLUMNS) gives the Senate lines their class; without it
    Senate lines are rejected (the class cannot be resolved), presidential and governor lines load."""
    path = Path(path)
    layout = match_layout(path, read_tsv_header(path), LAYOUTS)
    table = read_tsv(path, source_key(path, Path(data_dir)))
    rejects = Rejects(table)
    f = table.frame

    trimmed = f.apply(lambda column: column.str.strip())
    first = pd.Series(table.line_no, index=f.index).groupby([trimmed[c] for c in f.columns]).transform("min")
    rejects.flag(
        first != table.line_no,
        "pollName",
        "line repeats line " + first.astype("str") + " field for field",
        kind="out_of_scope",
    )
    office = f["election"].str.strip().map(OFFICES)
    rejects.flag(office.isna(), "election", "election " + quoted(f["election"]) + " is not Pres/Sen/Gov")
    states = map_states(f["state"], national=())
    rejects.flag(
        states.unknown | states.territory | (f["state"].str.strip() == ""),
        "state",
        "state " + quoted(f["state"]) + " is not a known state",
    )
    cycle, bad_cycle = parse_number(f["year"])
    rejects.flag(
        bad_cycle | cycle.isna() | (cycle % 1 != 0), "year", "year " + quoted(f["year"]) + " is not a year"
    )
    end = parse_date(f["endDate"])
    start_given = ~f["startDate"].str.strip().isin(_MISSING)
    start = parse_date(f["startDate"]).where(start_given, end)
    rejects.flag(end.isna(), "endDate", "endDate " + quoted(f["endDate"]) + " is not a date")
    rejects.flag(start.isna(), "startDate", "startDate " + quoted(f["startDate"]) + " is not a date")
    rejects.flag(
        end < start,
        "endDate",
        "endDate " + quoted(f["endDate"]) + " is before startDate " + quoted(f["startDate"]),
    )
    n, bad_n = parse_number(f["numberOfRespondents"], missing=_MISSING)
    rejects.flag(
        bad_n,
        "numberOfRespondents",
        "numberOfRespondents " + quoted(f["numberOfRespondents"]) + " is not a number",
    )
    rejects.flag(
        n <= 0,
        "numberOfRespondents",
        "numberOfRespondents " + quoted(f["numberOfRespondents"]) + " is not positive",
    )
    pollster = f["pollName"].str.strip()
    rejects.flag(pollster == "", "pollName", "pollName is missing")
    shares = {column: _share(f[column], rejects, column) for column, _, _ in ANSWERS}

    if "populationType" in f:
        population = f["populationType"].str.strip().str.lower().map(_POPULATIONS)
        mode = f["Mode"].str.strip()
        mode = mode.where(~mode.isin(_MISSING))
        population_text = f["populationType"].str.strip()
    else:
        population = pd.Series(np.nan, index=f.index, dtype="str")
        mode = pd.Series(np.nan, index=f.index, dtype="str")
        population_text = pd.Series("", index=f.index, dtype="str")
    tags = pollster.str.findall(_TAG)
    parties = tags.map(lambda found: {party for party, _ in found})
    partisan = parties.map(
        lambda found: {"D": "DEM", "R": "REP"}[next(iter(found))] if len(found) == 1 else np.nan
    )
    sponsor = tags.map(lambda found: "; ".join(s.strip() for _, s in found if s.strip()) or np.nan)
    poll_id = stable_id(
        "stan-",
        f["election"].str.strip(),
        f["state"].str.strip(),
        f["year"].str.strip(),
        pollster,
        f["startDate"].str.strip(),
        f["endDate"].str.strip(),
    )
    question_id = stable_id(
        "stan-q-",
        poll_id,
        population_text,
        f["numberOfRespondents"].str.strip(),
        f["democratic"].str.strip(),
        f["republican"].str.strip(),
    )
    out = pd.DataFrame(
        {
            "source": table.source,
            "line_no": table.line_no,
            "cycle": cycle,
            "office": office,
            "state": states.state,
            "district": pd.Series(pd.NA, index=f.index, dtype="Int64"),
            "stage": "general",
            "poll_id": poll_id,
            "question_id": question_id,
            "pollster": pollster,
            "sponsor": sponsor.astype("str").where(sponsor.notna()),
            "partisan": partisan.astype("str").where(partisan.notna()),
            "start_date": start,
            "end_date": end,
            "created_at": pd.Series(pd.NaT, index=f.index, dtype="datetime64[us]"),
            "sample_size": n,
            "population": population,
            "mode": mode,
        }
    )
    dem, _ = parse_number(f["finalTwoPartyVSDemocratic"], missing=_MISSING)
    rep, _ = parse_number(f["finalTwoPartyVSRepublican"], missing=_MISSING)
    out["senate_class"] = senate_classes_by_result(
        out,
        rejects,
        SenateSeats(results),
        pd.concat([dem, rep], axis=1).min(axis=1),
        field="state",
        label="final result",
    )
    certified = _certified_dem_share(results)
    cert = pd.Series(
        [
            certified.get((c, o, st, None if o != "senate" or pd.isna(k) else int(k)), np.nan)
            if ok_line and not pd.isna(c)
            else np.nan
            for c, o, st, k, ok_line in zip(
                out["cycle"], out["office"], out["state"], out["senate_class"], rejects.ok, strict=True
            )
        ],
        index=out.index,
    )
    # by race (the median over its lines): the auxiliary file attaches slightly different values to
    # different polls of one race (2006 Michigan governor: 53.8 to 54.9)
    race = [out["cycle"], out["office"], out["state"], out["senate_class"].fillna(0)]
    attached = dem.where(rejects.ok).groupby(race, dropna=False).transform("median")
    rejects.flag(
        (attached - cert).abs() > ATTACHED_RESULT_TOLERANCE,
        "finalTwoPartyVSDemocratic",
        "finalTwoPartyVSDemocratic "
        + quoted(f["finalTwoPartyVSDemocratic"])
        + " (its race's median "
        + attached.round(1).astype("str")
        + ") differs from the certified Democratic two-party share "
        + cert.round(1).astype("str")
        + " of the race by more than "
        + str(ATTACHED_RESULT_TOLERANCE)
        + " points (parties swapped, or a candidate of neither party in the top two)",
    )
    ok = rejects.ok
    parts = [
        out[ok].assign(candidate=name, party=party, pct=shares[column][ok]) for column, name, party in ANSWERS
    ]
    accepted = pd.concat(parts)
    accepted["cycle"] = accepted["cycle"].astype("int64")
    accepted["race_id"] = [
        race_key(c, o, s, senate_class=None if pd.isna(k) else k)
        for c, o, s, k in zip(
            accepted["cycle"], accepted["office"], accepted["state"], accepted["senate_class"], strict=True
        )
    ]
    return LoadResult(table.source, layout, table.rows_read, typed_polls(accepted), rejects.frame())


ATTACHED_RESULT_TOLERANCE = 3.0  # percentage points: some attached results are 2-3 points off the count


def _certified_dem_share(results: pd.DataFrame | None) -> dict:
    """(cycle, office, state, Senate class or None) -> the certified Democratic share (percent) of the
    Democratic and Republican votes of the November general (or the jungle primary of a state with
    no general)."""
    if results is None or results.empty:
        return {}
    r = results[results["district"].isna() & results["party"].isin(["DEM", "REP"]) & results["votes"].notna()]
    general = r[r["stage"] == "general"]
    jungle = r[(r["stage"] == "jungle primary") & ~r["race_id"].isin(general["race_id"])]
    r = pd.concat([general, jungle])
    votes = r.pivot_table(index="race_id", columns="party", values="votes", aggfunc="sum")
    if not {"DEM", "REP"} <= set(votes.columns):
        return {}
    share = (100 * votes["DEM"] / (votes["DEM"] + votes["REP"])).dropna()
    first = r.drop_duplicates("race_id").set_index("race_id")
    out = {}
    for race_id, value in share.items():
        row = first.loc[race_id]
        klass = (
            None if row["office"] != "senate" or pd.isna(row["senate_class"]) else int(row["senate_class"])
        )
        out[(int(row["cycle"]), str(row["office"]), str(row["state"]), klass)] = float(value)
    return out


def _share(values: pd.Series, rejects: Rejects, column: str) -> pd.Series:
    pct, bad = parse_number(values, missing=_MISSING)
    text = quoted(values)
    rejects.flag(values.str.strip().isin(_MISSING), column, f"{column} is missing")
    rejects.flag(bad, column, column + " " + text + " is not a number")
    rejects.flag((pct < 0) | (pct > 100), column, column + " " + text + " is outside 0-100")
    return pct
