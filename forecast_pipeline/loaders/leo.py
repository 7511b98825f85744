"""The Upshot LEO Senate model's historical polls -> POLL_ANSWER_COLUMNS.

LEO stores each cycle set as two files: a POLL table (one line per poll: state, dates, n, pollster,
population, partisan flag) and an ANSWERS table (one line per candidate answer, joined on
``answers.poll_id = polls.id``). Two layouts, told apart by the poll table's header (``LAYOUTS``):

* ``leo_polls`` - ``senate_polls.csv`` (1990-2012 without 2010) with ``senate_poll_answers.csv``. The
  answers carry LEO's race slug (``office`` = "ms-senate-class-i"), a ``matchup`` id, the full name
  (``nyt_name``), a surname (``last``) and a ``party`` column that is blank on every candidate line.
* ``leo_polls_2010`` - ``senate_polls_2010.csv`` with ``senate_2010_answers.csv``. The answers carry
  ``office`` = "senate" (no class), the match-up as text ("Reid v. Angle"), ``last_name`` and a party.

Pairing. The registry entry (``KNOWN_FILES``) is the poll table; the loader finds the answers table in
the same directory: ``senate_polls.csv`` -> ``senate_poll_answers.csv`` and ``senate_polls_<tag>.csv`` ->
``senate_<tag>_answers.csv`` (``answers_path``). A missing answers file is a FileNotFoundError naming both
files; an answers file whose header does not fit the poll layout is an UnknownLayoutError.

Accounting. The rows of a LEO load are the ANSWER lines: ``rows_read`` is the answers file's data
lines, each of which is accepted or rejected, so ``rows_read == accepted lines + rejected lines`` holds as
for every other loader. Accepted and rejected rows carry the answers file's key as ``source`` and the
answers file's physical line as ``line_no``, so every (source, line_no) points at a real line. The
LoadResult's own ``source`` is the poll file's key (the registry entry that ingest hashes and records).

* An answer whose poll is missing from the poll table is rejected (field ``poll_id``).
* An answer whose poll line is unusable (bad date, unknown state...) is rejected with the poll line's
  field and reason, prefixed with the poll file's key and line: "poll 123 (<poll file> line 45): ...".
* The poll lines themselves are reported in ``LeoLoadResult.poll_rejected`` (REJECT_COLUMNS, with the
  poll file's key and line numbers): unusable poll lines, and poll lines no answer refers to
  (out_of_scope). They are not rows of the load (they are outside ``rows_read``), so they are not in
  ``rejected``; every unusable poll line that has answers is visible there through its answers' reasons.

Fields:

* office "senate", stage "general", district None.
* cycle: the poll table's ``cycle``; the 2010 table has none, so the even year on or after the end date.
* state: USPS code (``states.abbrev`` / ``state``).
* poll_id: LEO's poll id as written. question_id: ``{poll_id}-{matchup}`` (LEO's match-up id) or, for
  2010, ``{poll_id}-{slugified match-up}`` ("995-murray-v-akers"). One 2010 poll line holds one match-up,
  so LEO lists several match-ups asked in one survey as several polls.
* population: lower-cased; lv / rv / a / v, anything else (blank) None.
* partisan: ``partisan`` / ``partisan_flag`` d/r/i (any case) -> DEM / REP / IND, blank None.
* sample_size: LEO writes 0 for an unknown sample size (433 poll lines): None. Negative is invalid.
* mode: the 2010 ``methodology`` (IVR, RDD, Online...) as written; None for the 1990-2012 table.
* created_at: None. ``date_added`` is when LEO entered the poll into its database (3,190 lines say
  9/17/12, including 1990s polls), not when the poll was published, so it would break the as-of filter.
* candidate: the answers' surname column (``last`` / ``last_name``) as written, so that the core's
  nominee rule (a substring of the certified result's full name) matches; where ``last`` is only a
  suffix ("Jr.", "III" for Bob Casey Jr., Joe Manchin III) the last non-suffix word of ``nyt_name``.
  Generic answers ("Generic Candidate", "Generic D") keep the whole name (party from the file, else None).
* Non-candidate answers (``undecided``, ``other``, ``wont_vote``, ``none/other``) and answers whose
  ``stage`` is not "general" (six primary-question undecided lines) are rejected as out_of_scope.
* party: the file's party where it has one (DEM/REP/OTH; "Dem"/"D"/"Democrat" -> DEM, "Rep"/"R" -> REP,
  "I"/"Ind" -> IND, "Oth" -> OTH). Otherwise (every 1990-2012 candidate line) the party the certified
  results give the candidate in the resolved race: the results' candidates of that race (any stage) with
  the same surname, ignoring write-in lines; a surname shared by candidates of different parties is
  settled by the first name; a candidate not found (primary losers in hypothetical match-ups) gets None.
  Note that the results give the party of the ballot line, e.g. Musgrove's 2008 Mississippi special
  election line is "NPA" (the special was nonpartisan), Lieberman 2006 "OTH".

Senate class (``SenateSeats.resolve``), per question, from the certified Senate results passed as
``results`` (RESULT_COLUMNS; other offices are ignored). The "races" of a state and cycle are the
results' Senate race ids of any stage (general, jungle primary, runoff), so Louisiana's November jungle
primaries count as races:

1. The question's candidate surnames are matched against each race's candidates; a single race with the
   most matches wins. A tie is settled by LEO's slug class if it is one of the tied races.
2. No candidate matches: LEO's slug class (1990-2012 table) if it has one - this keeps races missing
   from the results, such as North Dakota's December 1992 special (class I).
3. Otherwise the state's only Senate race that cycle; with none or several the question's answers are
   rejected (field ``office``) with a reason naming the races.

So the slug class is used unless the names say otherwise: LEO labels one 2012 Connecticut poll
(McMahon v Bysiewicz, poll 24042) class III, McMahon's 2010 race; the names put it in 2012's class I race.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from forecast_pipeline.loaders.base import REJECT_COLUMNS, LoadResult, UnknownLayoutError, source_key
from forecast_pipeline.loaders.common import (
    Rejects,
    Table,
    map_states,
    match_layout,
    none_if_blank,
    parse_date,
    parse_number,
    quoted,
    read_header,
    read_table,
    typed_polls,
)
from forecast_pipeline.races import POPULATIONS, race_key

_POLL_BASE = frozenset({"id", "start_date", "end_date", "sample_size", "population"})
LAYOUTS: dict[str, frozenset[str]] = {
    "leo_polls": _POLL_BASE | {"cycle", "states.abbrev", "pollsters.name", "partisan"},
    "leo_polls_2010": _POLL_BASE | {"state", "pollster", "methodology", "partisan_flag"},
}
ANSWER_LAYOUTS: dict[str, frozenset[str]] = {
    "leo_polls": frozenset({"poll_id", "office", "matchup", "stage", "party", "nyt_name", "pct", "last"}),
    "leo_polls_2010": frozenset({"poll_id", "office", "fte_matchup", "stage", "party", "last_name", "pct"}),
}
# layout -> (state, pollster, partisan, match-up, surname) columns
_COLUMNS = {
    "leo_polls": ("states.abbrev", "pollsters.name", "partisan", "matchup", "last"),
    "leo_polls_2010": ("state", "pollster", "partisan_flag", "fte_matchup", "last_name"),
}
NON_CANDIDATES = frozenset({"undecided", "other", "wont_vote", "none/other", "none", "refused"})
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
_PARTIES = {
    "d": "DEM",
    "dem": "DEM",
    "democrat": "DEM",
    "democratic": "DEM",
    "r": "REP",
    "rep": "REP",
    "republican": "REP",
    "gop": "REP",
    "i": "IND",
    "ind": "IND",
    "independent": "IND",
    "o": "OTH",
    "oth": "OTH",
    "other": "OTH",
}
_SLUG_CLASS = re.compile(r"-senate-class-(?P<roman>i{1,3})$")
_ROMAN = {"i": 1, "ii": 2, "iii": 3}
_POLL_NAME = re.compile(r"^senate_polls(?:_(?P<tag>[^.]+))?\.csv$")
# Results stages that are a race's deciding contests (Senate results hold no party primaries).
RACE_STAGES = ("general", "jungle primary", "runoff")
WRITE_IN = "W"


@dataclass
class LeoLoadResult(LoadResult):
    """A LoadResult whose rows are answer lines, plus the poll table's own problems (see module doc)."""

    answers_source: str = ""
    poll_rejected: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECT_COLUMNS))


def answers_path(poll_path: Path | str) -> Path:
    """The answers table paired with a LEO poll table (module docstring, "Pairing")."""
    poll_path = Path(poll_path)
    match = _POLL_NAME.match(poll_path.name)
    if not match:
        raise FileNotFoundError(
            f"{poll_path}: cannot tell which LEO answers file pairs with this poll table; poll tables are "
            "named senate_polls.csv (answers senate_poll_answers.csv) or senate_polls_<tag>.csv (answers "
            "senate_<tag>_answers.csv)"
        )
    tag = match["tag"]
    return poll_path.with_name("senate_poll_answers.csv" if tag is None else f"senate_{tag}_answers.csv")


def normalise_party(values: pd.Series) -> pd.Series:
    """Party codes as the sources write them -> DEM / REP / IND / OTH; other codes upper-cased; blank None."""
    text = values.astype("str").str.strip()
    mapped = text.str.lower().map(_PARTIES)
    out = mapped.where(mapped.notna(), text.str.upper())
    return out.where(text != "")


def surname(name: str) -> str:
    """The last word of a name that is not a suffix (Jr., III), as written."""
    words = [w for w in str(name).replace(",", " ").split() if w.lower().rstrip(".") not in _SUFFIXES]
    return words[-1] if words else ""


def _key(name: str) -> str:
    return surname(name).lower()


def _first(name: str) -> str:
    words = str(name).replace(",", " ").split()
    return words[0].lower().rstrip(".") if words else ""


class SenateSeats:
    """The Senate races of each state and cycle in a certified-results frame (RESULT_COLUMNS), for giving
    poll answers a Senate class and a party. ``results`` None = no races known."""

    def __init__(self, results: pd.DataFrame | None) -> None:
        self.known = results is not None
        self.classes: dict[tuple[int, str], list[int]] = {}
        self.names: dict[tuple[int, str, int], set[str]] = {}
        self._parties: dict[tuple[int, str, int], dict[str, list[tuple[str, str]]]] = {}
        self._shares: dict[tuple[int, str, int], float] = {}
        if results is None:
            return
        rows = results[
            (results["office"] == "senate")
            & results["stage"].isin(RACE_STAGES)
            & results["senate_class"].notna()
            & results["candidate"].notna()
        ]
        votes: dict[tuple[int, str, int], dict[str, float]] = {}
        for cycle, state, klass, stage, name, party, count in zip(
            rows["cycle"],
            rows["state"],
            rows["senate_class"],
            rows["stage"],
            rows["candidate"],
            rows["party"],
            rows["votes"],
            strict=True,
        ):
            key = (int(cycle), str(state), int(klass))
            if key not in self.names:
                self.classes.setdefault(key[:2], []).append(key[2])
                self.names[key], self._parties[key], votes[key] = set(), {}, {}
            if pd.isna(party):  # aggregate lines: "Write-in", "Blank", "Overvote"
                continue
            self.names[key].add(_key(name))
            if party != WRITE_IN:
                self._parties[key].setdefault(_key(name), []).append((_first(name), party))
            if stage == "general" and not pd.isna(count):
                votes[key][name] = votes[key].get(name, 0.0) + float(count)
        for key, totals in votes.items():
            top = sorted(totals.values(), reverse=True)[:2]
            if len(top) == 2 and sum(top) > 0:
                self._shares[key] = 100 * top[1] / sum(top)
        for classes in self.classes.values():
            classes.sort()

    def races(self, cycle: int, state: str) -> list[int]:
        return self.classes.get((int(cycle), state), [])

    def resolve(
        self, cycle: int, state: str, names: Iterable[str] = (), hint: int | None = None
    ) -> tuple[int | None, str | None]:
        """(class, None) or (None, reason). ``names``: the question's candidates; ``hint``: the source's
        own class label, if any. See the module docstring for the order of the rules."""
        classes = self.races(cycle, state)
        keys = {_key(n) for n in names} - {""}
        scores = {k: len(keys & self.names.get((int(cycle), state, k), set())) for k in classes}
        best = max(scores.values(), default=0)
        if best > 0:
            top = [k for k, s in scores.items() if s == best]
            if len(top) == 1:
                return top[0], None
            if hint in top:
                return hint, None
            return None, (
                f"the candidates {sorted(names)} match the {state} {cycle} Senate races of "
                f"classes {top} equally"
            )
        if hint is not None:
            return hint, None
        if len(classes) == 1:
            return classes[0], None
        if not self.known:
            return None, "no certified Senate results were given, so the Senate class cannot be resolved"
        if not classes:
            return None, f"the results have no {state} Senate race in {cycle}"
        named = (
            f"the candidates {sorted(names)} match none of them" if keys else "the source names no candidates"
        )
        return None, f"{state} has {len(classes)} Senate races in {cycle} (classes {classes}) and {named}"

    def party(self, cycle: int, state: str, klass: int, name: str) -> str | None:
        """The candidate's party in that race per the results, None when not found or ambiguous."""
        found = self._parties.get((int(cycle), state, int(klass)), {}).get(_key(name), [])
        parties = {p for _, p in found}
        if len(parties) > 1:
            parties = {p for first, p in found if first == _first(name)}
        return parties.pop() if len(parties) == 1 else None

    def loser_share(self, cycle: int, state: str, klass: int) -> float | None:
        """The runner-up's share of the top two candidates' votes in the general election (percent)."""
        return self._shares.get((int(cycle), state, int(klass)))


RESULT_MATCH_TOLERANCE = 0.1  # percentage points


def senate_classes_by_result(
    out: pd.DataFrame,
    rejects: Rejects,
    seats: SenateSeats,
    attached: pd.Series,
    *,
    field: str,
    label: str,
    names: pd.DataFrame | None = None,
) -> pd.Series:
    """The Senate class of each accepted Senate line of ``out`` (cycle, office, state) for a source that
    attaches the race's result to every poll (Stanford, 538's raw-polls): ``seats.resolve`` on the line's
    candidate ``names`` (columns, or none); where the state had several races that cycle and that does not
    decide, the race whose general-election runner-up share of the top two (percent) is within
    ``RESULT_MATCH_TOLERANCE`` of ``attached``, if exactly one is. Unresolved lines are flagged on ``field``,
    the reason naming the attached value as ``label``."""
    klass = pd.Series(pd.NA, index=out.index, dtype="Int64")
    senate = (out["office"] == "senate") & rejects.ok
    reasons = pd.Series("", index=out.index, dtype="str")
    for index in out.index[senate]:
        cycle, state = int(out.at[index, "cycle"]), out.at[index, "state"]
        candidates = () if names is None else tuple(names.loc[index])
        value, reason = seats.resolve(cycle, state, candidates)
        if value is None and len(seats.races(cycle, state)) > 1 and not pd.isna(attached[index]):
            found = [
                k
                for k in seats.races(cycle, state)
                if (share := seats.loser_share(cycle, state, k)) is not None
                and abs(share - attached[index]) <= RESULT_MATCH_TOLERANCE
            ]
            if len(found) == 1:
                value = found[0]
            else:
                reason = (
                    f"{reason}, and the attached {label} {attached[index]:.2f} matches "
                    f"{'none' if not found else 'several'} of them"
                )
        if value is None:
            reasons[index] = reason
        else:
            klass[index] = value
    rejects.flag(senate & (reasons != ""), field, reasons)
    return klass


def load_leo(path: Path | str, data_dir: Path | str, results: pd.DataFrame | None = None) -> LeoLoadResult:
    """Load a LEO poll table and the answers table beside it. ``results`` (RESULT_COLUMNS) gives classes
    and parties; without it the 1990-2012 answers keep LEO's slug class and party None, and the 2010
    answers are rejected (their class cannot be resolved)."""
    path, data_dir = Path(path), Path(data_dir)
    layout = match_layout(path, read_header(path), LAYOUTS)
    answers_file = answers_path(path)
    if not answers_file.is_file():
        raise FileNotFoundError(
            f"{path}: the LEO answers table {answers_file.name} is missing beside it ({answers_file}); "
            f"{path.name} is loaded together with {answers_file.name}"
        )
    try:
        match_layout(answers_file, read_header(answers_file), {layout: ANSWER_LAYOUTS[layout]})
    except UnknownLayoutError as exc:
        raise UnknownLayoutError(f"{path} is a {layout} poll table but its answers table: {exc}") from exc
    polls = read_table(path, source_key(path, data_dir))
    answers = read_table(answers_file, source_key(answers_file, data_dir))
    seats = SenateSeats(results)
    poll_rejects = Rejects(polls)
    poll_fields = _poll_fields(polls, poll_rejects, layout)
    rejects = Rejects(answers)
    out = _answers(answers, rejects, polls, poll_rejects, poll_fields, layout)
    out = _resolve_races(out, rejects, seats)
    poll_rejected = _poll_report(polls, poll_rejects, answers)
    return LeoLoadResult(
        polls.source,
        layout,
        answers.rows_read,
        typed_polls(out),
        rejects.frame(),
        answers_source=answers.source,
        poll_rejected=poll_rejected,
    )


def _poll_fields(table: Table, rejects: Rejects, layout: str) -> pd.DataFrame:
    f = table.frame
    state_col, pollster_col, partisan_col, _, _ = _COLUMNS[layout]
    poll_id = f["id"].str.strip()
    rejects.flag(poll_id == "", "id", "id is missing")
    repeated = poll_id.duplicated(keep=False) & (poll_id != "")
    rejects.flag(repeated, "id", "id " + quoted(poll_id) + " appears on more than one poll line")
    states = map_states(f[state_col], national=())
    rejects.flag(
        states.unknown | states.territory | (f[state_col].str.strip() == ""),
        state_col,
        state_col + " " + quoted(f[state_col]) + " is not a known state",
    )
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
    rejects.flag(n < 0, "sample_size", "sample_size " + quoted(f["sample_size"]) + " is negative")
    pollster = f[pollster_col].str.strip()
    rejects.flag(pollster == "", pollster_col, f"{pollster_col} is missing")
    if layout == "leo_polls":
        cycle, bad_cycle = parse_number(f["cycle"])
        rejects.flag(
            bad_cycle | cycle.isna() | (cycle % 1 != 0),
            "cycle",
            "cycle " + quoted(f["cycle"]) + " is not a year",
        )
        mode = pd.Series(np.nan, index=f.index, dtype="str")
    else:
        year = end.dt.year.astype("Int64")
        cycle = (year + year % 2).astype("Float64")
        mode = none_if_blank(f["methodology"])
    population = f["population"].str.strip().str.lower()
    return pd.DataFrame(
        {
            "poll_line": table.line_no,
            "poll_id": poll_id,
            "cycle": cycle,
            "state": states.state,
            "pollster": pollster,
            "partisan": normalise_party(f[partisan_col]),
            "start_date": start,
            "end_date": end,
            "sample_size": n.where(n != 0),
            "population": population.where(population.isin(list(POPULATIONS))),
            "mode": mode,
        }
    )


def _answers(
    table: Table,
    rejects: Rejects,
    polls: Table,
    poll_rejects: Rejects,
    poll_fields: pd.DataFrame,
    layout: str,
) -> pd.DataFrame:
    f = table.frame
    _, _, _, matchup_col, surname_col = _COLUMNS[layout]
    poll_id = f["poll_id"].str.strip()
    rejects.flag(poll_id == "", "poll_id", "poll_id is missing")
    first_line = poll_fields.drop_duplicates("poll_id").set_index("poll_id")["poll_line"]
    poll_line = poll_id.map(first_line)
    rejects.flag(poll_line.isna(), "poll_id", "poll_id " + quoted(poll_id) + f" is not in {polls.source}")
    bad_polls = poll_rejects.frame()
    bad_polls = bad_polls[bad_polls["field"].notna()].drop_duplicates("line_no").set_index("line_no")
    inherited = poll_line.map(bad_polls["reason"])
    for kind in ("out_of_scope", "invalid"):
        for column in bad_polls.loc[bad_polls["kind"] == kind, "field"].unique():
            mask = (
                inherited.notna()
                & (poll_line.map(bad_polls["field"]) == column)
                & (poll_line.map(bad_polls["kind"]) == kind)
            )
            reason = (
                "poll "
                + poll_id
                + " ("
                + polls.source
                + " line "
                + poll_line.astype("Int64").astype("str")
                + "): "
                + inherited
            )
            rejects.flag(mask, column, reason, kind=kind)

    stage = f["stage"].str.strip().str.lower()
    rejects.flag(
        stage != "general",
        "stage",
        "stage " + quoted(f["stage"]) + ": only general-election answers are modelled",
        kind="out_of_scope",
    )
    full = f["nyt_name"].str.strip() if "nyt_name" in f else f[surname_col].str.strip()
    rejects.flag(
        full.str.lower().isin(NON_CANDIDATES) | f[surname_col].str.strip().str.lower().isin(NON_CANDIDATES),
        surname_col,
        "answer " + quoted(full) + " is not a candidate",
        kind="out_of_scope",
    )
    written = f[surname_col].str.strip()
    candidate = written.where(
        ~written.str.lower().str.rstrip(".").isin(_SUFFIXES) & (written != ""), full.map(surname)
    )
    candidate = candidate.where(~full.str.match(r"(?i)generic\b"), full)
    rejects.flag(candidate == "", surname_col, "candidate is missing")
    pct, bad_pct = parse_number(f["pct"])
    rejects.flag(f["pct"].str.strip() == "", "pct", "pct is missing")
    rejects.flag(bad_pct, "pct", "pct " + quoted(f["pct"]) + " is not a number")
    rejects.flag((pct < 0) | (pct > 100), "pct", "pct " + quoted(f["pct"]) + " is outside 0-100")

    matchup = f[matchup_col].str.strip()
    if layout == "leo_polls_2010":
        matchup = matchup.str.lower().str.replace(r"[^a-z0-9]+", "-", regex=True).str.strip("-")
    slug_class = f["office"].str.strip().str.lower().str.extract(_SLUG_CLASS)["roman"].map(_ROMAN)
    out = pd.DataFrame(
        {
            "source": table.source,
            "line_no": table.line_no,
            "poll_line": poll_line,
            "question_id": poll_id + "-" + matchup,
            "candidate": candidate,
            "full_name": full,
            "party": normalise_party(f["party"]),
            "pct": pct,
            "hint": slug_class.astype("Float64"),
        }
    )[rejects.ok]
    out["poll_line"] = out["poll_line"].astype("int64")
    out = out.join(poll_fields.set_index("poll_line"), on="poll_line")
    out["cycle"] = out["cycle"].astype("int64")
    return out


def _resolve_races(out: pd.DataFrame, rejects: Rejects, seats: SenateSeats) -> pd.DataFrame:
    """Give each question a Senate class, each answer without a party the results' party; reject the
    answers of questions whose class cannot be resolved."""
    questions: dict[tuple[str, int, str], list] = {}
    for index, question, cycle, state, name, hint in zip(
        out.index, out["question_id"], out["cycle"], out["state"], out["full_name"], out["hint"], strict=True
    ):
        entry = questions.setdefault((question, cycle, state), [[], [], set()])
        entry[0].append(index)
        entry[1].append(name)
        if not pd.isna(hint):
            entry[2].add(int(hint))
    klass = pd.Series(pd.NA, index=out.index, dtype="Int64")
    unresolved = pd.Series(False, index=rejects.table.frame.index)
    reasons = pd.Series("", index=rejects.table.frame.index, dtype="str")
    solved: dict[int, int] = {}
    for (_, cycle, state), (indices, names, hints) in questions.items():
        value, reason = seats.resolve(cycle, state, names, hints.pop() if len(hints) == 1 else None)
        if value is None:
            unresolved.loc[indices] = True
            reasons.loc[indices] = reason
        else:
            solved.update(dict.fromkeys(indices, value))
    klass.loc[list(solved)] = list(solved.values())
    rejects.flag(unresolved, "office", reasons)
    out = out.assign(senate_class=klass)[~unresolved.loc[out.index]].copy()
    missing = out["party"].isna()
    if missing.any():
        out.loc[missing, "party"] = [
            seats.party(c, s, k, n)
            for c, s, k, n in zip(
                out.loc[missing, "cycle"],
                out.loc[missing, "state"],
                out.loc[missing, "senate_class"],
                out.loc[missing, "full_name"],
                strict=True,
            )
        ]
    out["office"] = "senate"
    out["stage"] = "general"
    out["district"] = pd.Series(pd.NA, index=out.index, dtype="Int64")
    out["sponsor"] = pd.Series(np.nan, index=out.index, dtype="str")
    out["created_at"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[us]")
    out["race_id"] = [
        race_key(c, "senate", s, senate_class=k)
        for c, s, k in zip(out["cycle"], out["state"], out["senate_class"], strict=True)
    ]
    return out


def _poll_report(polls: Table, poll_rejects: Rejects, answers: Table) -> pd.DataFrame:
    """The poll table's unusable lines, plus its lines that no answer refers to."""
    referenced = set(answers.frame["poll_id"].str.strip())
    orphan = ~polls.frame["id"].str.strip().isin(referenced)
    poll_rejects.flag(
        orphan,
        "id",
        "poll " + quoted(polls.frame["id"]) + " has no answer lines in " + answers.source,
        kind="out_of_scope",
    )
    return poll_rejects.frame()
