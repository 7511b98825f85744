"""The contract every loader fulfils.

A loader reads one file and returns a :class:`LoadResult`: the rows it could normalise (one row per
poll x question x candidate answer, or per race x candidate for results) and the rows it could not,
each with the reason. Nothing is dropped silently: ``rows_read == len(accepted) + len(rejected)`` where
a "row" is one data line of the source file (rejected rows are counted per source line).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

# Columns of a normalised poll-answer frame, in order. One row per (poll, question, candidate).
POLL_ANSWER_COLUMNS = [
    "source",  # file key, e.g. "simonw-fivethirtyeight-polls/president_polls.csv"
    "line_no",  # 1-based physical line of the data row in the source (header is line 1)
    "cycle",  # int election year
    "office",  # one of races.OFFICES
    "state",  # USPS code, or "US" for national polls
    "district",  # Int64, nullable: House district / ME-NE congressional district
    "senate_class",  # Int64, nullable
    "race_id",  # races.race_key(...)
    "stage",  # "general" / "runoff" / "primary" ...; "general" where the source only has generals
    "poll_id",  # str, source-native id (synthesised stable hash where the source has none)
    "question_id",  # str, source-native id (synthesised where the source has none)
    "pollster",  # str
    "sponsor",  # str, nullable
    "partisan",  # "DEM" / "REP" / "IND" / None: sponsor's partisanship as the source flags it
    "start_date",  # datetime64 (date)
    "end_date",  # datetime64 (date)
    "created_at",  # datetime64, nullable: publication time where the source has it
    "sample_size",  # Float64, nullable
    "population",  # "lv" / "rv" / "a" / "v", nullable when unknown
    "mode",  # str, nullable (e.g. "Live Phone", "Online")
    "candidate",  # str as written in the source (answer / column name)
    "party",  # "DEM" / "REP" / other code, nullable
    "pct",  # Float64 percent 0-100
]

RESULT_COLUMNS = [
    "source",
    "line_no",
    "cycle",
    "office",
    "state",
    "district",
    "senate_class",
    "race_id",
    "special",  # bool
    "stage",  # "general" / "runoff" / "jungle primary" ...
    "candidate",
    "party",
    "votes",
    "pct",
    "winner",
]

# kind: "invalid" (bad value, unparseable) or "out_of_scope" (a real row this project does not model,
# e.g. a party-subgroup crosstab row); raw: the source line's fields as a JSON object string.
REJECT_COLUMNS = ["source", "line_no", "kind", "field", "reason", "raw"]


class BadInputError(ValueError):
    """A file this project cannot read at all. The message names the file and says what is wrong; the
    loaders raise nothing else for bad input, so callers catch this one class and show the message."""


class UnknownLayoutError(BadInputError):
    """The file's header matches no layout this project knows; we refuse to guess."""


class EmptyFileError(UnknownLayoutError):
    """The file has no header line at all."""


class EncodingError(BadInputError):
    """The file is not text in UTF-8 (for example UTF-16, or binary)."""


@dataclass
class LoadResult:
    source: str
    layout: str
    rows_read: int
    accepted: pd.DataFrame
    rejected: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECT_COLUMNS))

    @property
    def rejected_lines(self) -> int:
        return int(self.rejected["line_no"].nunique()) if len(self.rejected) else 0


def source_key(path: Path, data_dir: Path) -> str:
    """The file's path relative to the data directory, with forward slashes."""
    try:
        return path.resolve().relative_to(data_dir.resolve()).as_posix()
    except ValueError:
        return path.name
