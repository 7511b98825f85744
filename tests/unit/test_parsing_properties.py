"""Property-based tests (hypothesis) of the loaders' parsing: numbers, dates, the CSV reader, and a whole
538 file with arbitrary values in its fields."""

from __future__ import annotations

import csv
import io
import math
from datetime import date
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecast_pipeline.loaders.common import parse_date, parse_number, read_table
from forecast_pipeline.loaders.registry import load_file
from tests.bad_inputs.make_corpus import HEADER, row

# Text a CSV cell may hold: any printable unicode, commas, quotes, newlines; not NUL or lone surrogates
# (those are covered by the corpus: a NUL or undecodable byte quarantines its line).
cell_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)
SETTINGS = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
FILE_SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(
    st.lists(st.floats(allow_nan=False, allow_infinity=False, width=32), min_size=1, max_size=20),
    st.sampled_from(["", " ", "  "]),
)
def test_numbers_round_trip(values, pad):
    parsed, bad = parse_number(pd.Series([f"{pad}{v!r}{pad}" for v in values], dtype="str"))
    assert not bad.any()
    assert all(
        math.isclose(p, v, rel_tol=1e-12, abs_tol=0) or p == v for p, v in zip(parsed, values, strict=True)
    )


@SETTINGS
@given(st.lists(cell_text, min_size=1, max_size=20))
def test_number_parse_never_raises_and_flags_every_non_number(texts):
    parsed, bad = parse_number(pd.Series(texts, dtype="str"))
    for text, value, flagged in zip(texts, parsed, bad, strict=True):
        if text.strip() == "":
            assert math.isnan(value) and not flagged
        else:
            assert flagged == math.isnan(value)  # a value is either a number or flagged


@SETTINGS
@given(st.lists(st.dates(min_value=date(1969, 1, 1), max_value=date(2068, 12, 31)), min_size=1, max_size=20))
def test_dates_in_every_format_parse_to_the_same_day(days):
    for fmt in (
        lambda d: f"{d.month}/{d.day}/{d.year}",
        lambda d: d.isoformat(),
        lambda d: f"{d.month}/{d.day}/{d.year % 100:02d}",
    ):
        parsed = parse_date(pd.Series([fmt(d) for d in days], dtype="str"))
        assert [p.date() for p in parsed] == days


@SETTINGS
@given(st.lists(cell_text, min_size=1, max_size=10))
def test_date_parse_never_raises(texts):
    parsed = parse_date(pd.Series(texts, dtype="str"))
    assert len(parsed) == len(texts)


@FILE_SETTINGS
@given(
    st.lists(st.lists(cell_text, min_size=3, max_size=3), max_size=15),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.booleans(),
    st.data(),
)
def test_read_table_round_trips_any_text(tmp_path_factory, rows, newline, bom, data):
    rows = [r for r in rows if r != ["", "", ""]]  # an all-empty record is a blank line
    path = tmp_path_factory.mktemp("rt") / "t.csv"
    buf = io.StringIO()
    # The csv writer only quotes the line terminator it writes, so a bare CR in a field of an LF file
    # would be written unquoted (a broken file); quote everything then, as 538 and Excel do.
    breaks = any("\r" in v or "\n" in v for r in rows for v in r)
    quoting = csv.QUOTE_ALL if breaks or data.draw(st.booleans()) else csv.QUOTE_MINIMAL
    writer = csv.writer(buf, lineterminator=newline, quoting=quoting)
    writer.writerow(["a", "b", "c"])
    writer.writerows(rows)
    path.write_bytes((("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8"))
    table = read_table(path, "t.csv")
    assert table.header == ["a", "b", "c"]
    assert table.frame.values.tolist() == rows
    assert table.rows_read == len(rows) and not table.malformed
    assert list(table.line_no) == sorted(table.line_no) and (not rows or table.line_no[0] == 2)


numeric_text = st.one_of(
    cell_text, st.integers(-1000, 5000).map(str), st.floats(allow_nan=True, allow_infinity=True).map(str)
)


@FILE_SETTINGS
@given(st.lists(st.tuples(numeric_text, numeric_text, cell_text, cell_text), min_size=1, max_size=12))
def test_any_field_values_load_without_error_and_reconcile(tmp_path_factory, values):
    """Whatever is in pct, sample_size, answer and pollster, the loader returns, every line is either
    kept or quarantined, and kept lines satisfy the rules."""
    rows = [
        row(
            question_id=str(i), poll_id=str(100 + i), pct=pct, sample_size=n, answer=answer, pollster=pollster
        )
        for i, (pct, n, answer, pollster) in enumerate(values)
    ]
    directory = tmp_path_factory.mktemp("any")
    path = directory / "polls.csv"
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=HEADER, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    result = load_file(Path(path), directory)
    kept = set(result.accepted["line_no"])
    assert result.rows_read == len(rows) == len(kept) + result.rejected_lines
    a = result.accepted
    assert a["pct"].between(0, 100).all()
    assert (a["sample_size"].dropna() > 0).all() and a["sample_size"].dropna().map(math.isfinite).all()
    assert (a["candidate"].str.strip() != "").all() and (a["pollster"].str.strip() != "").all()
    assert result.rejected["reason"].str.len().gt(0).all()
