"""Shared plumbing for the file loaders: reading CSV lines with their physical line numbers, collecting
rejected lines, and parsing the fields every source has (dates, numbers, states).

Line numbers: ``line_no`` is the physical line on which a record *starts* (header = line 1), counted by
the csv module so that quoted newlines inside a field do not shift later rows. Blank lines are not data
lines: they are skipped and not counted in ``rows_read``.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from forecast_pipeline.loaders.base import (
    POLL_ANSWER_COLUMNS,
    REJECT_COLUMNS,
    RESULT_COLUMNS,
    BadInputError,
    EncodingError,
    UnknownLayoutError,
)
from forecast_pipeline.races import NATIONAL, STATES, USPS

# Places 538 polls and certifies results for that the project does not model (no electoral votes, no
# Senate seats); their rows are real, so they are rejected as out_of_scope, not as invalid.
TERRITORIES = frozenset(
    {
        "Puerto Rico",
        "U.S. Virgin Islands",
        "Guam",
        "American Samoa",
        "Northern Marianas Islands",
        "Northern Mariana Islands",
        "PR",
        "VI",
        "GU",
        "AS",
        "MP",
    }
)

OFFICE_TYPES = {
    "U.S. President": "president",
    "U.S. Senate": "senate",
    "Governor": "governor",
    "U.S. House": "house",
}

_CD = re.compile(r"^(?P<state>.+?) CD-(?P<district>\d+)$")


# A field can legitimately be long (538 notes), and an absurdly long one is quarantined by the quality
# rules with its length in the reason rather than crashing the csv module.
csv.field_size_limit(64 * 1024 * 1024)

_BOMS = {b"\xff\xfe": "UTF-16 (little-endian)", b"\xfe\xff": "UTF-16 (big-endian)"}
_SURROGATE = re.compile("[\udc80-\udcff]")


def open_text(path: Path):
    """Open a data file as UTF-8 text (a UTF-8 BOM is dropped; CR, LF and CRLF line ends all work).

    Bytes that are not UTF-8 do not raise here: they come through as surrogate escapes, so that one
    bad line is quarantined (see ``read_table``) and the other lines still load. A file that is not
    UTF-8 text at all (UTF-16, binary) raises EncodingError."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
    for bom, name in _BOMS.items():
        if head.startswith(bom):
            raise EncodingError(
                f"{path}: the file is {name} text; save it as UTF-8 (CSV UTF-8) and load it again"
            )
    if b"\x00" in head:
        raise EncodingError(
            f"{path}: the file contains NUL bytes, so it is binary or UTF-16/32 text, not UTF-8 CSV"
        )
    return open(path, newline="", encoding="utf-8-sig", errors="surrogateescape")


def printable(text: str) -> str:
    """Text safe to store and show: undecodable bytes as \\xNN, NUL as \\x00."""
    if _SURROGATE.search(text):
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text.replace("\x00", "\\x00")


def raw_json(values: dict | list) -> str:
    """A source line's fields as JSON for ops.rejected_rows (JSONB cannot hold NUL or lone surrogates)."""
    if isinstance(values, dict):
        clean: dict | list = {printable(str(k)): _json_value(v) for k, v in values.items()}
    else:
        clean = [_json_value(v) for v in values]
    return json.dumps(clean, ensure_ascii=False, default=str, allow_nan=False)


def _json_value(value):
    """JSON has no NaN or Infinity (PostgreSQL's jsonb refuses them): NaN -> null, inf -> "inf"."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else float(value) if np.isfinite(value) else str(value)
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return value


def _csv_error(path: Path, line: int, exc: csv.Error) -> BadInputError:
    return BadInputError(f"{path}: line {line} cannot be read as CSV ({exc})")


def read_header(path: Path, delimiter: str = ",") -> list[str]:
    with open_text(path) as fh:
        try:
            header = next(csv.reader(fh, delimiter=delimiter), [])
        except csv.Error as exc:
            raise _csv_error(path, 1, exc) from exc
    bad = [h for h in header if _SURROGATE.search(h) or "\x00" in h]
    if bad:
        raise EncodingError(
            f"{path}: the header is not UTF-8 text ({printable(bad[0])!r}); "
            "save the file as UTF-8 and load it again"
        )
    return header


def match_layout(path: Path, header: Iterable[str], layouts: Mapping[str, frozenset[str]]) -> str:
    """The first layout (in the mapping's order) whose required columns are all in the header."""
    header = list(header)
    cols = set(header)
    for name, required in layouts.items():
        if required <= cols:
            return name
    closest = min(layouts, key=lambda name: len(layouts[name] - cols))
    missing = sorted(layouts[closest] - cols)
    hint = ""
    if len(header) == 1:
        found = [d for d in (";", "\t", "|") if d in header[0]]
        hint = (
            f"; the header is one column, so the delimiter is probably {found[0]!r}, not ','"
            if found
            else "; the header is one column"
        )
    if len(missing) > 12:
        missing = missing[:12] + ["..."]
    raise UnknownLayoutError(
        f"{path}: header matches no known layout; closest is {closest!r}, missing columns {missing}{hint}"
    )


@dataclass
class Table:
    """A CSV file as strings: one frame row per well-formed data line, aligned with ``line_no``."""

    path: Path
    source: str
    header: list[str]
    frame: pd.DataFrame
    line_no: np.ndarray
    rows_read: int
    # (line, fields, reason): lines that cannot be aligned with the header or decoded
    malformed: list[tuple[int, list[str], str]] = field(default_factory=list)


def _line_problem(fields: list[str], n_header: int) -> str | None:
    if len(fields) != n_header:
        return f"line has {len(fields)} fields, the header has {n_header}"
    for value in fields:
        if "\x00" in value:
            return "line contains a NUL character"
        if _SURROGATE.search(value):
            byte = printable(_SURROGATE.search(value).group())
            return (
                f"line is not valid UTF-8 (byte {byte}); the file's encoding is probably Latin-1/Windows-1252"
            )
    return None


def read_table(path: Path, source: str, delimiter: str = ",") -> Table:
    header: list[str] = []
    rows: list[list[str]] = []
    starts: list[int] = []
    malformed: list[tuple[int, list[str], str]] = []
    header = read_header(path, delimiter)
    with open_text(path) as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        next(reader, [])
        next_start = reader.line_num + 1
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise _csv_error(path, next_start, exc) from exc
            start, next_start = next_start, reader.line_num + 1
            if not fields:
                continue
            problem = _line_problem(fields, len(header))
            if problem:
                malformed.append((start, fields, problem))
            else:
                rows.append(fields)
                starts.append(start)
    # Duplicate or empty header names (the Economist's unnamed index column) would collide as columns.
    names = [h if h else f"_col{i}" for i, h in enumerate(header)]
    frame = (
        pd.DataFrame(rows, columns=names, dtype="str")
        if rows
        else pd.DataFrame({n: pd.Series(dtype="str") for n in names})
    )
    return Table(
        path=path,
        source=source,
        header=names,
        frame=frame,
        line_no=np.asarray(starts, dtype="int64"),
        rows_read=len(rows) + len(malformed),
        malformed=malformed,
    )


class Rejects:
    """Collects the first problem found on each line of a Table; later checks skip rejected lines."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.mask = np.zeros(len(table.frame), dtype=bool)
        self._parts: list[pd.DataFrame] = []

    def flag(
        self, mask: pd.Series | np.ndarray, column: str, reason: str | pd.Series, kind: str = "invalid"
    ) -> None:
        new = np.asarray(mask, dtype=bool) & ~self.mask
        if not new.any():
            return
        self.mask |= new
        reasons = reason[new] if isinstance(reason, pd.Series) else reason
        frame = self.table.frame
        raw = [
            raw_json(dict(zip(frame.columns, values, strict=True)))
            for values in frame.loc[new].itertuples(index=False, name=None)
        ]
        self._parts.append(
            pd.DataFrame(
                {
                    "source": self.table.source,
                    "line_no": self.table.line_no[new],
                    "kind": kind,
                    "field": column,
                    "reason": np.asarray(reasons, dtype=object),
                    "raw": raw,
                }
            )
        )

    @property
    def ok(self) -> np.ndarray:
        return ~self.mask

    def frame(self) -> pd.DataFrame:
        parts = list(self._parts)
        if self.table.malformed:
            parts.append(
                pd.DataFrame(
                    {
                        "source": self.table.source,
                        "line_no": [line for line, _, _ in self.table.malformed],
                        "kind": "invalid",
                        "field": None,
                        "reason": [reason for _, _, reason in self.table.malformed],
                        "raw": [
                            raw_json({"fields": [printable(v) for v in f]})
                            for _, f, _ in self.table.malformed
                        ],
                    }
                )
            )
        if not parts:
            return pd.DataFrame(columns=REJECT_COLUMNS)
        out = pd.concat(parts, ignore_index=True)[REJECT_COLUMNS]
        out["line_no"] = out["line_no"].astype("int64")
        return out.sort_values("line_no", kind="stable").reset_index(drop=True)


def quoted(values: pd.Series) -> pd.Series:
    return "'" + values.astype("str") + "'"


def parse_number(values: pd.Series, missing: Iterable[str] = ("",)) -> tuple[pd.Series, pd.Series]:
    """Numbers as float (NaN when missing), and a mask of non-missing values that are not numbers."""
    text = values.str.strip()
    absent = text.isin(list(missing))
    number = pd.to_numeric(text.where(~absent), errors="coerce")
    return number, number.isna() & ~absent


_DATE_FORMATS = (
    (r"\d{1,2}/\d{1,2}/\d{2}", "%m/%d/%y"),  # 538: 11/3/20 (two-digit years 00-68 are 20xx)
    (r"\d{1,2}/\d{1,2}/\d{4}", "%m/%d/%Y"),
    (r"\d{4}-\d{2}-\d{2}", "%Y-%m-%d"),
    (r"\d{1,2}/\d{1,2}/\d{2} \d{1,2}:\d{2}", "%m/%d/%y %H:%M"),
    (r"\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}", "%m/%d/%Y %H:%M"),
)


def parse_date(values: pd.Series, keep_time: bool = False) -> pd.Series:
    """Datetimes (NaT when missing or unparseable), normalised to the day unless keep_time."""
    text = values.str.strip()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    for pattern, fmt in _DATE_FORMATS:
        hit = text.str.fullmatch(pattern)
        if hit.any():
            out.loc[hit] = pd.to_datetime(text[hit], format=fmt, errors="coerce").astype("datetime64[us]")
    iso = text.str.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
    if iso.any():
        # HuffPost's entry times carry a Z: keep them as naive UTC.
        out.loc[iso] = (
            pd.to_datetime(text[iso], format="ISO8601", utc=True, errors="coerce")
            .dt.tz_localize(None)
            .astype("datetime64[us]")
        )
    return out if keep_time else out.dt.normalize()


@dataclass
class States:
    state: pd.Series  # USPS or "US", None where not mapped
    district: pd.Series  # Int64: the N of "Maine CD-N"
    unknown: pd.Series  # bool
    territory: pd.Series  # bool


def map_states(values: pd.Series, national: Iterable[str] = ("",)) -> States:
    """538 full names, USPS codes, "Maine CD-2", and the source's national marker(s) -> USPS / "US"."""
    text = values.str.strip()
    to_usps = {**STATES, **{code: code for code in USPS}, **dict.fromkeys(national, NATIONAL)}
    state = text.map(to_usps)
    district = pd.Series(pd.NA, index=values.index, dtype="Int64")
    cd = text.str.extract(_CD)
    is_cd = cd["state"].notna() & cd["state"].isin(list(STATES))
    state = state.where(~is_cd, cd["state"].map(STATES))
    district.loc[is_cd] = cd.loc[is_cd, "district"].astype("int64")
    territory = text.isin(TERRITORIES)
    unknown = state.isna() & ~territory
    return States(state=state.astype("str"), district=district, unknown=unknown, territory=territory)


def presidential_cycle(dates: pd.Series) -> pd.Series:
    """The presidential election year on or after each date's year (2015 -> 2016, 2016 -> 2016)."""
    year = dates.dt.year.astype("Int64")
    return year + (-year) % 4


def stable_id(prefix: str, *columns: pd.Series) -> pd.Series:
    """A short hash of the given fields, row by row: the same inputs always give the same id."""
    index = columns[0].index
    joined = ["\x1f".join(map(str, row)) for row in zip(*columns, strict=True)]
    return pd.Series(
        [f"{prefix}{hashlib.sha1(j.encode()).hexdigest()[:12]}" for j in joined], index=index, dtype="str"
    )


def none_if_blank(values: pd.Series) -> pd.Series:
    text = values.str.strip()
    return text.where(text != "")


_POLL_DTYPES = {
    "line_no": "int64",
    "cycle": "int64",
    "district": "Int64",
    "senate_class": "Int64",
    "start_date": "datetime64[us]",
    "end_date": "datetime64[us]",
    "created_at": "datetime64[us]",
    "sample_size": "Float64",
    "pct": "Float64",
}
_RESULT_DTYPES = {
    "line_no": "int64",
    "cycle": "int64",
    "district": "Int64",
    "senate_class": "Int64",
    "special": "bool",
    "votes": "Int64",
    "pct": "Float64",
    "winner": "boolean",
}


def _typed(frame: pd.DataFrame, columns: list[str], dtypes: dict[str, str]) -> pd.DataFrame:
    out = frame.reindex(columns=columns)
    for col in columns:
        out[col] = out[col].astype(dtypes.get(col, "str"))
    return out.sort_values("line_no", kind="stable").reset_index(drop=True)


def typed_polls(frame: pd.DataFrame) -> pd.DataFrame:
    """POLL_ANSWER_COLUMNS in order, with the dtypes the contract comments give."""
    return _typed(frame, POLL_ANSWER_COLUMNS, _POLL_DTYPES)


def typed_results(frame: pd.DataFrame) -> pd.DataFrame:
    return _typed(frame, RESULT_COLUMNS, _RESULT_DTYPES)
