"""538's pollster-ratings poll file (``fivethirtyeight-data/pollster-ratings/2023/raw-polls.csv``) ->
POLL_ANSWER_COLUMNS.

One layout, ``raw_polls_538``. The file lists the polls 538 used to rate pollsters: only polls of the
final 21 days of each race, 1998-2022, one line per poll question, with the poll's percentages of the
race's top two finishers (``cand1_*``, ``cand2_*``) and, attached, the race's result (``cand1_actual``,
``cand2_actual``, ``margin_actual``) and 538's scoring of the poll against it (``error``, ``bias``,
``rightcall``, ``advancedplusminus``). It is the only source of 2016 Senate polls the project has.

One accepted line gives two answer rows: ``cand1_name`` / ``cand1_party`` / ``cand1_pct`` and the same for
cand2. ``cand3_pct`` (the best other candidate in the poll, unnamed) is not a candidate and is not
emitted. The attached result and 538's scores are never loaded as poll fields; ``*_actual`` is read only
to choose between two Senate races of one state and cycle (below).

538's codebook (fivethirtyeight/data, pollster-ratings/README_PRE2024.md) defines candidates 1 and 2 as
the race's top two *finishers*, "regardless of whether or not they were the top two candidates in the
poll", and says a missing ``samplesize`` was estimated by 538 (from the margin of error, similar polls,
else 600): the numbers are kept as written.

Conventions:

* scope: ``type_simple`` Pres-G / Sen-G / Gov-G -> president / senate / governor. House-G and Pres-P
  (presidential primaries) lines are rejected as out_of_scope (field ``type_simple``), and so are the
  open / jungle stages, whose ``type_detail`` code is O or OS (Sen-O, Gov-O, Sen-OS; field
  ``type_detail``): their two named candidates are not one per party.
* stage: a ``type_detail`` code with R (Sen-GR, Sen-GSR, Gov-GR) is a "runoff"; else "general".
* cycle: ``year`` (the election's year: odd-year governor races and specials keep their year).
* state: ``location`` is a USPS code; "US" is the national presidential vote (other offices: rejected);
  538's M1 / M2 / N2 (and ME-1 / ME-2 / NE-2 forms) are the Maine and Nebraska presidential
  congressional districts (race_key ``...-president-ME-2``). Puerto Rico and the Virgin Islands are
  out_of_scope; anything else is rejected as not a known location.
* dates: ``polldate`` (m/d/yyyy) is, per 538's codebook, the poll's *median* field date, not its last
  day. start_date = polldate, end_date = polldate + ``RAW_POLLS_END_LAG_DAYS`` (see there). created_at is
  unknown (NaT).
* sample_size: ``samplesize``; population None (the file has none); mode: ``methodology``; pollster:
  ``pollster``; partisan: "D" -> DEM, "R" -> REP, anything else (blank, "IND", "REP,DEM") None; sponsor
  None.
* ids: ``"raw-" + poll_id`` and ``"raw-q-" + question_id``, 538's own numbers, prefixed so that they are
  unique within this source and never read as 538 poll-file ids.
* Senate class: from the certified Senate results passed as ``results`` (``leo.SenateSeats``): the race
  whose candidates' surnames match the line's two names; else the state's only Senate race that cycle.
  Where a state had two and the names do not decide, the attached result does, as in the Stanford
  loader: the race whose general-election runner-up share of the top two (percent) is within
  ``RESULT_MATCH_TOLERANCE`` of min(cand1_actual, cand2_actual) / (cand1_actual + cand2_actual) * 100, if
  exactly one race does; else the line is rejected as ambiguous (field ``location``).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from forecast_pipeline.loaders.base import LoadResult, source_key
from forecast_pipeline.loaders.common import (
    Rejects,
    match_layout,
    parse_date,
    parse_number,
    quoted,
    read_header,
    read_table,
    typed_polls,
)
from forecast_pipeline.loaders.leo import SenateSeats, senate_classes_by_result
from forecast_pipeline.races import NATIONAL, USPS, race_key

LAYOUTS: dict[str, frozenset[str]] = {
    "raw_polls_538": frozenset(
        {
            "poll_id",
            "question_id",
            "race_id",
            "year",
            "race",
            "location",
            "type_simple",
            "type_detail",
            "pollster",
            "pollster_rating_id",
            "methodology",
            "partisan",
            "polldate",
            "samplesize",
            "cand1_name",
            "cand1_id",
            "cand1_party",
            "cand1_pct",
            "cand2_name",
            "cand2_id",
            "cand2_party",
            "cand2_pct",
            "cand3_pct",
            "margin_poll",
            "electiondate",
            "cand1_actual",
            "cand2_actual",
            "margin_actual",
            "error",
            "bias",
            "rightcall",
            "advancedplusminus",
            "comment",
        }
    )
}
OFFICES = {"Pres-G": "president", "Sen-G": "senate", "Gov-G": "governor"}
ANSWERS = ("cand1", "cand2")
_PARTISAN = {"D": "DEM", "R": "REP"}
_TERRITORIES = frozenset({"PR", "VI", "GU", "AS", "MP"})
# 538 writes the presidential congressional districts as M1 / M2 / N2.
_DISTRICTS = {"M1": ("ME", 1), "M2": ("ME", 2), "N2": ("NE", 2)}
_DISTRICT_FORM = re.compile(r"^(?P<state>ME|NE)-(?P<district>\d+)$")
_DETAIL = re.compile(r"^(?:Pres|Sen|Gov|House)-(?P<code>[A-Z]+)$")

# ``polldate`` is the poll's median field date (538's codebook), so the poll's true last field day is
# unknown and later than polldate: a poll fielded Oct 1-7 has polldate Oct 4. Taking polldate as the
# end date would show such a poll to a forecast dated Oct 4-6, before it finished fielding (look-ahead).
# A conservative end, three days after the median (the half-length of a week-long field period, which
# covers almost all final-weeks polls), keeps a poll out of any forecast made before it could have ended.
# The cost is that a poll reaches the model up to three days later than it really could have.
RAW_POLLS_END_LAG_DAYS = 3


def load_raw_polls(path: Path | str, data_dir: Path | str, results: pd.DataFrame | None = None) -> LoadResult:
    """Load raw-polls.csv. ``results`` (RESULT_COLUMNS) gives the Senate lines their class; without it the
    Senate lines of a state are rejected (the class cannot be resolved), the other lines load."""
    path = Path(path)
    layout = match_layout(path, read_header(path), LAYOUTS)
    table = read_table(path, source_key(path, Path(data_dir)))
    rejects = Rejects(table)
    f = table.frame

    kind = f["type_simple"].str.strip()
    office = kind.map(OFFICES)
    rejects.flag(
        office.isna(),
        "type_simple",
        "type_simple " + quoted(f["type_simple"]) + " is not a general election for president, Senate or "
        "governor (House races and presidential primaries are not modelled)",
        kind="out_of_scope",
    )
    detail = f["type_detail"].str.strip().str.extract(_DETAIL)["code"]
    rejects.flag(
        detail.isna(), "type_detail", "type_detail " + quoted(f["type_detail"]) + " is not a known race type"
    )
    rejects.flag(
        detail.str.startswith("O").fillna(False).astype(bool),
        "type_detail",
        "type_detail " + quoted(f["type_detail"]) + " is an open (jungle / top-two) stage, not modelled",
        kind="out_of_scope",
    )
    stage = np.where(detail.str.contains("R").fillna(False).astype(bool), "runoff", "general")

    state, district = _locations(f["location"], office, rejects)

    cycle, bad_cycle = parse_number(f["year"])
    rejects.flag(
        bad_cycle | cycle.isna() | (cycle % 1 != 0), "year", "year " + quoted(f["year"]) + " is not a year"
    )
    start = parse_date(f["polldate"])
    rejects.flag(start.isna(), "polldate", "polldate " + quoted(f["polldate"]) + " is not a date")
    end = start + pd.Timedelta(days=RAW_POLLS_END_LAG_DAYS)
    n, bad_n = parse_number(f["samplesize"])
    rejects.flag(bad_n, "samplesize", "samplesize " + quoted(f["samplesize"]) + " is not a number")
    rejects.flag(n <= 0, "samplesize", "samplesize " + quoted(f["samplesize"]) + " is not positive")
    pollster = f["pollster"].str.strip()
    rejects.flag(pollster == "", "pollster", "pollster is missing")
    shares = {}
    for cand in ANSWERS:
        rejects.flag(f[f"{cand}_name"].str.strip() == "", f"{cand}_name", f"{cand}_name is missing")
        rejects.flag(f[f"{cand}_party"].str.strip() == "", f"{cand}_party", f"{cand}_party is missing")
        shares[cand] = _share(f[f"{cand}_pct"], rejects, f"{cand}_pct")

    mode = f["methodology"].str.strip()
    partisan = f["partisan"].str.strip().map(_PARTISAN)
    out = pd.DataFrame(
        {
            "source": table.source,
            "line_no": table.line_no,
            "cycle": cycle,
            "office": office,
            "state": state,
            "district": district,
            "stage": stage,
            "poll_id": "raw-" + f["poll_id"].str.strip(),
            "question_id": "raw-q-" + f["question_id"].str.strip(),
            "pollster": pollster,
            "sponsor": pd.Series(np.nan, index=f.index, dtype="str"),
            "partisan": partisan.astype("str").where(partisan.notna()),
            "start_date": start,
            "end_date": end,
            "created_at": pd.Series(pd.NaT, index=f.index, dtype="datetime64[us]"),
            "sample_size": n,
            "population": pd.Series(np.nan, index=f.index, dtype="str"),
            "mode": mode.where(mode != ""),
        }
    )
    first, _ = parse_number(f["cand1_actual"])
    second, _ = parse_number(f["cand2_actual"])
    out["senate_class"] = senate_classes_by_result(
        out,
        rejects,
        SenateSeats(results),
        100 * pd.concat([first, second], axis=1).min(axis=1) / (first + second),
        field="location",
        label="result's runner-up share",
        names=f[["cand1_name", "cand2_name"]],
    )
    ok = rejects.ok
    parts = [
        out[ok].assign(
            candidate=f.loc[ok, f"{cand}_name"].str.strip(),
            party=f.loc[ok, f"{cand}_party"].str.strip(),
            pct=shares[cand][ok],
        )
        for cand in ANSWERS
    ]
    accepted = pd.concat(parts)
    accepted["cycle"] = accepted["cycle"].astype("int64")
    accepted["race_id"] = [
        race_key(c, o, s, district=None if pd.isna(d) else d, senate_class=None if pd.isna(k) else k)
        for c, o, s, d, k in zip(
            accepted["cycle"],
            accepted["office"],
            accepted["state"],
            accepted["district"],
            accepted["senate_class"],
            strict=True,
        )
    ]
    return LoadResult(table.source, layout, table.rows_read, typed_polls(accepted), rejects.frame())


def _locations(values: pd.Series, office: pd.Series, rejects: Rejects) -> tuple[pd.Series, pd.Series]:
    """USPS code (or US) and presidential district of each line; flags the lines it cannot place."""
    text = values.str.strip()
    state = text.where(text.isin(list(USPS) + [NATIONAL]))
    district = pd.Series(pd.NA, index=values.index, dtype="Int64")
    for code, (usps, number) in _DISTRICTS.items():
        hit = text == code
        state[hit], district[hit] = usps, number
    form = text.str.extract(_DISTRICT_FORM)
    hit = form["state"].notna()
    state[hit] = form.loc[hit, "state"]
    district[hit] = form.loc[hit, "district"].astype("int64")
    location = quoted(values)
    rejects.flag(
        text.isin(list(_TERRITORIES)),
        "location",
        "location " + location + " is a territory, not modelled",
        kind="out_of_scope",
    )
    rejects.flag(state.isna(), "location", "location " + location + " is not a known state")
    rejects.flag(
        (state == NATIONAL) & (office != "president"),
        "location",
        "location " + location + " (national) is only valid for president",
    )
    rejects.flag(
        district.notna() & (office != "president"),
        "location",
        "location " + location + " is a congressional district; only presidential districts are modelled",
    )
    return state.astype("str"), district


def _share(values: pd.Series, rejects: Rejects, column: str) -> pd.Series:
    pct, bad = parse_number(values)
    text = quoted(values)
    rejects.flag(values.str.strip() == "", column, f"{column} is missing")
    rejects.flag(bad, column, column + " " + text + " is not a number")
    rejects.flag((pct < 0) | (pct > 100), column, column + " " + text + " is outside 0-100")
    return pct
