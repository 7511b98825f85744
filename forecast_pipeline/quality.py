"""Data-quality rules for poll answers and results, used two ways:

* **Quarantine at load time** (``quarantine``): every row a loader accepted is checked against the rules;
  a source line any of whose rows breaks a rule is moved, whole, to the rejected rows with the rule's
  field and a readable reason. Good lines go on. ``rows_read = loaded + rejected`` still holds.
* **pandera schemas on the stored tables** (``forecast_pipeline.schemas.tables``): the same rules become
  dataframe checks of the raw and canonical tables, which Dagster runs as asset checks.

A rule knows the columns it needs; it applies to any frame that has them (a loader's frame, raw.*,
core.*). Rules that need source-native poll and question ids (duplicates, question sums, conflicting
poll fields) only apply to layouts that have them (``NATIVE_ID_LAYOUTS``): the synthesised ids of the
538 column subset group some 2019 hypothetical match-ups into one question, so a sum there is no error.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from forecast_pipeline.loaders.base import REJECT_COLUMNS, LoadResult
from forecast_pipeline.races import NATIONAL, OFFICES, POPULATIONS, USPS

# Characters in a pollster or candidate name: both are unique-index keys in core, and PostgreSQL
# refuses index entries over ~2.7 kB, so one absurd name would otherwise fail a whole load.
TEXT_LIMIT = 200
SPONSOR_LIMIT = 2000  # 538 lists up to ~300 characters of co-sponsors
QUESTION_SUM_LIMIT = 105.0  # percent: answers of one question (rounding puts real ones at up to 103)
SAMPLE_SIZE_LIMIT = 1_000_000  # larger is a typo (the biggest real polls are ~100k online panels)
CYCLE_YEARS_BEFORE = 7  # LEO lists Senate polls up to 7 years before the election (Indiana 1998)
MAX_DISTRICT = 53
NATIVE_ID_LAYOUTS = frozenset({"fte_2018", "fte_2023", "fte_generic"})
PARTY_COLUMN_LAYOUTS = frozenset({"fte_2018", "fte_2023"})  # the source names every answer's party
KNOWN_STATES = frozenset(USPS | {NATIONAL})


@dataclass(frozen=True)
class Rule:
    name: str
    field: str
    description: str  # what a valid row satisfies
    columns: tuple[str, ...]  # the frame must have these for the rule to apply
    bad: Callable[[pd.DataFrame], pd.Series]  # True where the row breaks the rule
    reason: Callable[[pd.DataFrame], pd.Series]  # a readable reason per row
    layouts: frozenset[str] | None = None  # None: every layout
    sources: tuple[str, ...] = field(default=("raw",))  # which stored tables carry the rule

    def applies(self, frame: pd.DataFrame, layout: str | None = None) -> bool:
        if not set(self.columns) <= set(frame.columns):
            return False
        return self.layouts is None or layout is None or layout in self.layouts

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        """Rows breaking the rule, restricted to its layouts when the frame has a layout column."""
        out = np.array(pd.Series(self.bad(frame), index=frame.index).fillna(False), dtype=bool)
        if self.layouts is not None and "layout" in frame.columns:
            out &= frame["layout"].isin(list(self.layouts)).to_numpy()
        return out


def _q(values: pd.Series) -> pd.Series:
    text = (
        values.astype("object").where(values.notna(), None).map(lambda v: "missing" if v is None else repr(v))
    )
    return text.str.slice(0, 60)


def _text(frame: pd.DataFrame, col: str) -> pd.Series:
    return frame[col].astype("object").where(frame[col].notna(), None)


def _blank(frame: pd.DataFrame, col: str) -> pd.Series:
    text = _text(frame, col)
    return text.isna() | (text.astype("str").str.strip() == "")


def _too_long(col: str, limit: int = TEXT_LIMIT) -> Rule:
    return Rule(
        f"{col}_length",
        col,
        f"{col} is at most {limit} characters",
        (col,),
        lambda f: _text(f, col).astype("str").str.len().gt(limit) & f[col].notna(),
        lambda f: (
            col
            + " is "
            + _text(f, col).astype("str").str.len().astype("str")
            + f" characters long (limit {limit})"
        ),
        sources=("raw", "core"),
    )


def _dates(frame: pd.DataFrame, col: str) -> pd.Series:
    return pd.to_datetime(frame[col], errors="coerce")


def _today() -> pd.Timestamp:
    return pd.Timestamp(date.today())


def _cycle_window(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    cycle = pd.to_numeric(frame["cycle"], errors="coerce")
    lo = pd.to_datetime(
        (cycle - CYCLE_YEARS_BEFORE).astype("Int64").astype("str") + "-01-01", errors="coerce"
    )
    hi = pd.to_datetime((cycle + 1).astype("Int64").astype("str") + "-01-31", errors="coerce")
    return lo, hi


def _question_keys(frame: pd.DataFrame) -> list[str]:
    return [c for c in ("source", "poll_id", "question_id", "race_id") if c in frame.columns]


def _question_sum(frame: pd.DataFrame) -> pd.Series:
    return (
        pd.to_numeric(frame["pct"], errors="coerce")
        .groupby([frame[c] for c in _question_keys(frame)], dropna=False)
        .transform("sum")
    )


def _first_line(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    return frame["line_no"].groupby([frame[c] for c in keys], dropna=False).transform("min")


_ANSWER_KEY = ["source", "poll_id", "question_id", "race_id", "candidate"]
_POLL_KEY = ["source", "poll_id", "race_id"]
_POLL_FIELDS = ["pollster", "start_date", "end_date"]


def _duplicate(frame: pd.DataFrame) -> pd.Series:
    return frame.duplicated(_ANSWER_KEY, keep="first")


def _conflict(frame: pd.DataFrame) -> pd.Series:
    first = frame.groupby([frame[c] for c in _POLL_KEY], dropna=False)[_POLL_FIELDS].transform("first")
    differs = pd.Series(False, index=frame.index)
    for col in _POLL_FIELDS:
        differs |= frame[col].astype("str") != first[col].astype("str")
    return differs


def _conflict_reason(frame: pd.DataFrame) -> pd.Series:
    first = frame.groupby([frame[c] for c in _POLL_KEY], dropna=False)[_POLL_FIELDS].transform("first")
    line = _first_line(frame, _POLL_KEY).astype("str")
    return (
        "poll_id "
        + _q(frame["poll_id"])
        + " is used on line "
        + line
        + " for pollster "
        + _q(first["pollster"])
        + " "
        + first["start_date"].astype("str").str.slice(0, 10)
        + " to "
        + first["end_date"].astype("str").str.slice(0, 10)
        + "; this line says pollster "
        + _q(frame["pollster"])
        + " "
        + frame["start_date"].astype("str").str.slice(0, 10)
        + " to "
        + frame["end_date"].astype("str").str.slice(0, 10)
    )


# Rules shared by the poll and result tables.
STATE_KNOWN = Rule(
    "state_known",
    "state",
    "state is a USPS code or US",
    ("state",),
    lambda f: ~f["state"].isin(list(KNOWN_STATES)),
    lambda f: "state " + _q(f["state"]) + " is not a known state",
    sources=("raw", "core"),
)
OFFICE_KNOWN = Rule(
    "office_known",
    "office",
    "office is one of " + ", ".join(OFFICES),
    ("office",),
    lambda f: ~f["office"].isin(list(OFFICES)),
    lambda f: "office " + _q(f["office"]) + " is not a known office",
    sources=("raw", "core"),
)

POLL_RULES: list[Rule] = [
    Rule(
        "candidate_present",
        "candidate",
        "every answer names its candidate",
        ("candidate",),
        lambda f: _blank(f, "candidate"),
        lambda f: pd.Series("candidate is missing", index=f.index),
        sources=("raw", "core"),
    ),
    Rule(
        "pollster_present",
        "pollster",
        "every poll names its pollster",
        ("pollster",),
        lambda f: _blank(f, "pollster"),
        lambda f: pd.Series("pollster is missing", index=f.index),
        sources=("raw", "core"),
    ),
    _too_long("pollster"),
    _too_long("candidate"),
    _too_long("sponsor", SPONSOR_LIMIT),
    Rule(
        "party_present",
        "party",
        "the source names every candidate's party",
        ("party", "candidate"),
        lambda f: _blank(f, "party"),
        lambda f: "candidate " + _q(f["candidate"]) + " has no party",
        layouts=PARTY_COLUMN_LAYOUTS,
    ),
    Rule(
        "duplicate_answer",
        "candidate",
        "a question names each candidate once",
        tuple(_ANSWER_KEY),
        _duplicate,
        lambda f: (
            "poll "
            + _q(f["poll_id"])
            + " question "
            + _q(f["question_id"])
            + " already has an answer for "
            + _q(f["candidate"])
            + " on line "
            + _first_line(f, _ANSWER_KEY).astype("str")
        ),
        layouts=NATIVE_ID_LAYOUTS,
    ),
    Rule(
        "poll_id_conflict",
        "poll_id",
        "one poll_id is one poll (same pollster and dates on every line)",
        (*_POLL_KEY, *_POLL_FIELDS, "line_no"),
        _conflict,
        _conflict_reason,
        layouts=NATIVE_ID_LAYOUTS,
    ),
    Rule(
        "pct_range",
        "pct",
        "pct is a number from 0 to 100",
        ("pct",),
        lambda f: ~pd.to_numeric(f["pct"], errors="coerce").between(0, 100),
        lambda f: "pct " + _q(f["pct"]) + " is outside 0-100",
        sources=("raw", "core"),
    ),
    Rule(
        "question_sum",
        "pct",
        f"the answers of one question sum to at most {QUESTION_SUM_LIMIT:g}",
        ("pct", "poll_id", "question_id"),
        lambda f: _question_sum(f) > QUESTION_SUM_LIMIT,
        lambda f: (
            "the answers of poll "
            + _q(f["poll_id"])
            + " question "
            + _q(f["question_id"])
            + " sum to "
            + _question_sum(f).round(1).astype("str")
            + f" (limit {QUESTION_SUM_LIMIT:g})"
        ),
        layouts=NATIVE_ID_LAYOUTS,
    ),
    Rule(
        "sample_size_positive",
        "sample_size",
        f"sample_size, where given, is a positive number below {SAMPLE_SIZE_LIMIT:,}",
        ("sample_size",),
        lambda f: (
            f["sample_size"].notna()
            & ~pd.to_numeric(f["sample_size"], errors="coerce").between(
                0, SAMPLE_SIZE_LIMIT, inclusive="right"
            )
        ),
        lambda f: (
            "sample_size " + _q(f["sample_size"]) + f" is not a positive number below {SAMPLE_SIZE_LIMIT:,}"
        ),
        sources=("raw", "core"),
    ),
    Rule(
        "dates_present",
        "end_date",
        "start_date and end_date are dates",
        ("start_date", "end_date"),
        lambda f: _dates(f, "start_date").isna() | _dates(f, "end_date").isna(),
        lambda f: pd.Series("start_date or end_date is missing", index=f.index),
        sources=("raw", "core"),
    ),
    Rule(
        "end_after_start",
        "end_date",
        "end_date is on or after start_date",
        ("start_date", "end_date"),
        lambda f: _dates(f, "end_date") < _dates(f, "start_date"),
        lambda f: (
            "end_date "
            + _dates(f, "end_date").astype("str")
            + " is before start_date "
            + _dates(f, "start_date").astype("str")
        ),
        sources=("raw", "core"),
    ),
    Rule(
        "end_not_future",
        "end_date",
        "end_date is not in the future",
        ("end_date",),
        lambda f: _dates(f, "end_date") > _today(),
        lambda f: (
            "end_date "
            + _dates(f, "end_date").astype("str")
            + " is in the future (today is "
            + str(_today().date())
            + ")"
        ),
        sources=("raw", "core"),
    ),
    Rule(
        "created_not_future",
        "created_at",
        "created_at is not in the future",
        ("created_at",),
        lambda f: _dates(f, "created_at") > _today() + pd.Timedelta(days=1),
        lambda f: "created_at " + _dates(f, "created_at").astype("str") + " is in the future",
        sources=("raw", "core"),
    ),
    Rule(
        "end_in_cycle",
        "end_date",
        f"end_date falls between 1 January {CYCLE_YEARS_BEFORE} years before the election year and "
        "31 January after it",
        ("end_date", "cycle"),
        lambda f: (
            (_dates(f, "end_date") < _cycle_window(f)[0]) | (_dates(f, "end_date") > _cycle_window(f)[1])
        ),
        lambda f: (
            "end_date "
            + _dates(f, "end_date").astype("str")
            + " is outside the "
            + f["cycle"].astype("str")
            + " cycle (a two-digit year read in the wrong century?)"
        ),
        sources=("raw", "core"),
    ),
    STATE_KNOWN,
    Rule(
        "district_known",
        "district",
        f"district, where given, is 0-{MAX_DISTRICT}",
        ("district",),
        lambda f: (
            f["district"].notna() & ~pd.to_numeric(f["district"], errors="coerce").between(0, MAX_DISTRICT)
        ),
        lambda f: "district " + _q(f["district"]) + " is not a district number",
        sources=("raw", "core"),
    ),
    Rule(
        "population_known",
        "population",
        f"population, where given, is one of {', '.join(POPULATIONS)}",
        ("population",),
        lambda f: f["population"].notna() & ~f["population"].isin(list(POPULATIONS)),
        lambda f: "population " + _q(f["population"]) + " is not a known population code",
        sources=("raw", "core"),
    ),
    OFFICE_KNOWN,
]

RESULT_RULES: list[Rule] = [
    Rule(
        "candidate_present",
        "candidate",
        "every result line names a candidate or a total",
        ("candidate",),
        lambda f: _blank(f, "candidate"),
        lambda f: pd.Series("candidate is missing", index=f.index),
        sources=("raw", "core"),
    ),
    _too_long("candidate"),
    Rule(
        "pct_range",
        "pct",
        "pct, where given, is 0-100",
        ("pct",),
        lambda f: f["pct"].notna() & ~pd.to_numeric(f["pct"], errors="coerce").between(0, 100),
        lambda f: "pct " + _q(f["pct"]) + " is outside 0-100",
        sources=("raw",),
    ),
    Rule(
        "votes_count",
        "votes",
        "votes, where given, is a count >= 0",
        ("votes",),
        lambda f: f["votes"].notna() & ~(pd.to_numeric(f["votes"], errors="coerce") >= 0),
        lambda f: "votes " + _q(f["votes"]) + " is not a vote count",
        sources=("raw", "core"),
    ),
    STATE_KNOWN,
    OFFICE_KNOWN,
]


def _is_results(frame: pd.DataFrame) -> bool:
    return "votes" in frame.columns


def violations(frame: pd.DataFrame, rules: list[Rule], layout: str | None = None) -> pd.DataFrame:
    """One row per row of ``frame`` that breaks a rule: index, rule, field and reason of the first rule
    it breaks. Rules are checked in order, each on the rows that passed the earlier ones, so a duplicate
    line is reported as a duplicate and does not also push its question's sum over the limit."""
    hit = np.zeros(len(frame), dtype=bool)
    parts = []
    for rule in rules:
        if not rule.applies(frame, layout):
            continue
        rest = frame[~hit]
        if rest.empty:
            break
        new_rest = rule.mask(rest)
        if not new_rest.any():
            continue
        new = np.zeros(len(frame), dtype=bool)
        new[np.flatnonzero(~hit)[new_rest]] = True
        hit |= new
        # reasons are worded from the rows that reached this rule (a duplicate names its first line)
        reasons = np.asarray(pd.Series(rule.reason(rest), index=rest.index), dtype=object)[new_rest]
        parts.append(
            pd.DataFrame({"row": frame.index[new], "rule": rule.name, "field": rule.field, "reason": reasons})
        )
    if not parts:
        return pd.DataFrame(columns=["row", "rule", "field", "reason"])
    return pd.concat(parts, ignore_index=True)


def quarantine(result: LoadResult) -> LoadResult:
    """Move every source line that breaks a rule from ``accepted`` to ``rejected`` (whole lines, so the
    load still reconciles); return the new LoadResult (same class, same extra attributes)."""
    from forecast_pipeline.loaders.common import raw_json

    accepted = result.accepted
    if accepted.empty:
        return result
    rules = RESULT_RULES if _is_results(accepted) else POLL_RULES
    # Rules are written against a 0..n-1 index so a row is found again by position.
    frame = accepted.reset_index(drop=True)
    found = violations(frame, rules, result.layout)
    if found.empty:
        return result
    bad_rows = frame.loc[found["row"]]
    keys = pd.MultiIndex.from_arrays([bad_rows["source"], bad_rows["line_no"]])
    row_keys = pd.MultiIndex.from_arrays([frame["source"], frame["line_no"]])
    drop = row_keys.isin(keys)
    first = found.assign(
        source=bad_rows["source"].to_numpy(), line_no=bad_rows["line_no"].to_numpy()
    ).drop_duplicates(["source", "line_no"])
    records = frame.loc[first["row"]].astype("object").where(frame.loc[first["row"]].notna(), None)
    new_rejects = pd.DataFrame(
        {
            "source": first["source"].to_numpy(),
            "line_no": first["line_no"].to_numpy().astype("int64"),
            "kind": "invalid",
            "field": first["field"].to_numpy(),
            "reason": first["reason"].to_numpy(),
            "raw": [raw_json({k: v for k, v in rec.items()}) for rec in records.to_dict("records")],
        }
    )[REJECT_COLUMNS]
    rejected = (
        pd.concat([result.rejected, new_rejects], ignore_index=True) if len(result.rejected) else new_rejects
    )
    rejected["line_no"] = rejected["line_no"].astype("int64")
    rejected = rejected.sort_values("line_no", kind="stable").reset_index(drop=True)
    return dataclasses.replace(result, accepted=frame[~drop].reset_index(drop=True), rejected=rejected)
