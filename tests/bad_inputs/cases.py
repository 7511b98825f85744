"""What each file of the bad-input corpus must do. The tests assert it, and README.md is rendered
from it (test_readme_table_is_current), so the table cannot drift from the behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Case:
    file: str
    what: str  # the kind of bad input
    error: str | None = None  # the named error the whole file raises, or None
    message: str = ""  # a fragment of the error message, or of every quarantine reason
    read: int = 0  # data lines in the file
    kept: int = 0  # lines loaded
    quarantined: dict[int, str] = field(default_factory=dict)  # line -> fragment of its reason


CASES = [
    Case(
        "01_missing_required_column.csv",
        "missing required column (`pct`)",
        "UnknownLayoutError",
        "missing columns ['pct']",
        read=4,
    ),
    Case(
        "02_renamed_required_column.csv",
        "required column renamed (`pct` -> `percent`)",
        "UnknownLayoutError",
        "missing columns ['pct']",
        read=4,
    ),
    Case("03_extra_columns.csv", "extra columns", read=4, kept=4),
    Case(
        "04_wrong_delimiter_semicolon.csv",
        "wrong delimiter (`;`)",
        "UnknownLayoutError",
        "the delimiter is probably ';'",
        read=4,
    ),
    Case("05_utf8_bom.csv", "UTF-8 byte-order mark", read=4, kept=4),
    Case("06_cr_only_line_endings.csv", "CR-only (old Mac) line endings", read=4, kept=4),
    Case(
        "07_latin1_line.csv",
        "wrong encoding on one line (Latin-1 `é`)",
        read=5,
        kept=4,
        quarantined={6: "line is not valid UTF-8 (byte \\xe9)"},
    ),
    Case(
        "08_utf16_file.csv",
        "wrong encoding for the whole file (UTF-16)",
        "EncodingError",
        "the file is UTF-16 (little-endian) text; save it as UTF-8",
        read=4,
    ),
    Case(
        "09_truncated_last_line.csv",
        "truncated last line",
        read=5,
        kept=4,
        quarantined={6: "line has 21 fields, the header has 38"},
    ),
    Case(
        "10_text_in_numeric_fields.csv",
        "text in numeric fields",
        read=6,
        kept=4,
        quarantined={6: "pct 'fifty' is not a number", 7: "sample_size 'n/a' is not a number"},
    ),
    Case(
        "11_nan_sample_size.csv",
        "NaN sample sizes",
        read=6,
        kept=4,
        quarantined={6: "sample_size 'NaN' is not a number", 7: "sample_size 'nan' is not a number"},
    ),
    Case(
        "12_zero_and_negative_sample_size.csv",
        "zero and negative sample sizes",
        read=6,
        kept=4,
        quarantined={6: "sample_size '0' is not positive", 7: "sample_size '-400' is not positive"},
    ),
    Case(
        "13_share_over_100.csv",
        "a share over 100",
        read=5,
        kept=4,
        quarantined={6: "pct '150' is outside 0-100"},
    ),
    Case(
        "14_shares_sum_far_over_100.csv",
        "shares of one question summing to 175",
        read=6,
        kept=4,
        quarantined={6: "question '3' sum to 175.0 (limit 105)", 7: "question '3' sum to 175.0 (limit 105)"},
    ),
    Case(
        "15_end_before_start.csv",
        "end date before start date",
        read=5,
        kept=4,
        quarantined={6: "end_date '10/3/20' is before start_date '10/9/20'"},
    ),
    Case(
        "16_dates_in_future.csv",
        "dates in the future (2099)",
        read=5,
        kept=4,
        quarantined={6: "end_date 2099-10-03 is in the future"},
    ),
    Case(
        "17_two_digit_years_wrong_century.csv",
        "two-digit years read in the wrong century (`10/3/99`)",
        read=5,
        kept=4,
        quarantined={6: "end_date 1999-10-03 is outside the 2020 cycle"},
    ),
    Case(
        "18_unknown_state.csv",
        "unknown state",
        read=6,
        kept=4,
        quarantined={6: "state 'Atlantis' is not a known state", 7: "state 'ZZ' is not a known state"},
    ),
    Case(
        "19_duplicate_poll_ids.csv",
        "duplicate poll ids (a repeated answer; one id for two polls)",
        read=6,
        kept=4,
        quarantined={
            6: "already has an answer for 'Biden' on line 2",
            7: "poll_id '10' is used on line 2 for pollster 'Good Poll'",
        },
    ),
    Case(
        "20_candidate_without_party.csv",
        "a candidate with no party",
        read=5,
        kept=4,
        quarantined={6: "candidate 'Jorgensen' has no party"},
    ),
    Case("21_empty_file.csv", "empty file (0 bytes)", "EmptyFileError", "the file is empty (no header line)"),
    Case("22_header_only.csv", "header only", read=0, kept=0),
    Case(
        "23_missing_candidate_and_pollster.csv",
        "blank candidate and blank pollster",
        read=6,
        kept=4,
        quarantined={6: "candidate is missing", 7: "pollster is missing"},
    ),
    Case(
        "24_very_long_names.csv",
        "very long pollster (5,000) and candidate (300 characters)",
        read=6,
        kept=4,
        quarantined={
            6: "pollster is 5000 characters long (limit 200)",
            7: "candidate is 300 characters long (limit 200)",
        },
    ),
    Case(
        "25_infinite_values.csv",
        "`inf` / `Infinity` in numeric fields",
        read=6,
        kept=4,
        quarantined={6: "pct 'inf' is outside 0-100", 7: "sample_size inf is not a positive number"},
    ),
    Case(
        "26_unparseable_dates.csv",
        "unparseable dates",
        read=6,
        kept=4,
        quarantined={6: "start_date 'someday' is not a date", 7: "end_date '31/31/20' is not a date"},
    ),
    Case(
        "27_economist_bad_rows.csv",
        "Economist wide layout: unknown state, missing share, negative n",
        read=5,
        kept=2,
        quarantined={
            4: "state 'ZZ' is not a known state",
            5: "romney is missing",
            6: "number.of.observations '-5' is not positive",
        },
    ),
    Case(
        "28_results_bad_values.csv",
        "results file: negative votes, text percent",
        read=4,
        kept=2,
        quarantined={4: "votes '-5' is not a vote count", 5: "percent 'fifty' is not a number"},
    ),
    Case(
        "29_generic_ballot_shares.csv",
        "generic ballot: dem + rep = 135, text share",
        read=3,
        kept=1,
        quarantined={3: "question '901' sum to 135.0 (limit 105)", 4: "dem 'forty' is not a number"},
    ),
    Case(
        "30_binary_garbage.csv",
        "binary garbage",
        "EncodingError",
        "the file contains NUL bytes, so it is binary",
    ),
]

HUGE_LINES = 50_000  # the generated file of one repeated row (test_huge_file_of_one_repeated_row)
