"""pandera schemas for every raw and canonical table, built from the quality rules.

Each ``TableSpec`` names a table, the query that reads it (joined to the columns its rules need, e.g.
core.polls with its race's cycle and state), the column types, the unique keys and the rules of
``forecast_pipeline.quality`` that apply to it. ``schema(spec)`` turns that into a
``pandera.pandas.DataFrameSchema``: types are coerced and checked per column, keys with ``unique``, and
each rule becomes a row-wise dataframe check named after it. ``validate_table`` runs one against the
database; the Dagster layer builds one asset check per spec from it (``assets/checks.py``).

The loaders quarantine every line that breaks a rule before it is stored, so on a healthy database every
check passes; a failure means data reached a table by another path (a manual insert, a migration, a
loader bug), and the blocking checks stop the forecast from reading it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pandera.pandas as pa
import sqlalchemy as sa

from forecast_pipeline import quality
from forecast_pipeline.quality import POLL_RULES, RESULT_RULES, Rule

_INT = "Int64"
_FLOAT = "float64"
_DATE = "datetime64[ns]"

POLL_SUM_LIMIT = quality.QUESTION_SUM_LIMIT


def _poll_sum(frame: pd.DataFrame) -> pd.Series:
    return pd.to_numeric(frame["pct"], errors="coerce").groupby(frame["poll_key"]).transform("sum")


CORE_ANSWER_RULES = [
    Rule(
        "poll_sum",
        "pct",
        f"the answers of one poll sum to at most {POLL_SUM_LIMIT:g}",
        ("pct", "poll_key"),
        lambda f: _poll_sum(f) > POLL_SUM_LIMIT,
        lambda f: "answers of poll " + f["poll_key"].astype("str") + " sum to " + _poll_sum(f).astype("str"),
        sources=("core",),
    ),
]

RACE_RULES = [
    Rule(
        "cycle_plausible",
        "cycle",
        "cycle is a year from 1976 to 2100",
        ("cycle",),
        lambda f: ~pd.to_numeric(f["cycle"], errors="coerce").between(1976, 2100),
        lambda f: "cycle " + f["cycle"].astype("str") + " is not plausible",
        sources=("core",),
    ),
]


@dataclass(frozen=True)
class TableSpec:
    name: str  # e.g. "core_polls"; the asset check is "<name>_schema"
    table: str  # the table the spec is about
    query: str  # SELECT returning the table's rows with the columns the rules need
    dtypes: dict[str, str]
    unique: list[str]
    rules: list[Rule]
    layer: str  # "raw" or "core": which rules apply (Rule.sources)
    blocking: bool = True  # downstream assets must not run when it fails
    description: str = ""
    required: tuple[str, ...] = field(default=())

    @property
    def check_name(self) -> str:
        return f"{self.name}_schema"


def schema(spec: TableSpec, columns: list[str] | None = None) -> pa.DataFrameSchema:
    """The pandera schema of a table. ``columns`` (the frame's) limits the rules to those it can run."""
    cols = set(columns or spec.dtypes)
    checks = []
    for rule in spec.rules:
        if spec.layer not in rule.sources or not set(rule.columns) <= cols:
            continue
        checks.append(
            pa.Check(
                lambda df, r=rule: pd.Series(~r.mask(df), index=df.index),
                name=rule.name,
                error=f"{rule.name}: {rule.description}",
            )
        )
    return pa.DataFrameSchema(
        # nullable=True throughout: missing values are the rules' business (pandera 0.35 reports every
        # row of a pandas-3 column as not_nullable when one value is missing).
        {c: pa.Column(t, nullable=True, coerce=True, required=True) for c, t in spec.dtypes.items()},
        checks=checks,
        unique=spec.unique or None,
        report_duplicates="exclude_first",
        name=spec.table,
    )


_POLL_DTYPES = {
    "line_no": _INT,
    "cycle": _INT,
    "district": _INT,
    "senate_class": _INT,
    "start_date": _DATE,
    "end_date": _DATE,
    "created_at": _DATE,
    "sample_size": _FLOAT,
    "pct": _FLOAT,
}

TABLE_SPECS: list[TableSpec] = [
    TableSpec(
        "raw_poll_answers",
        "raw.poll_answers",
        "SELECT * FROM raw.poll_answers",
        _POLL_DTYPES,
        ["source", "line_no", "candidate"],
        POLL_RULES,
        "raw",
        description="raw.poll_answers: types, one row per source line and candidate, every poll rule",
    ),
    TableSpec(
        "raw_results",
        "raw.results",
        "SELECT * FROM raw.results",
        {"line_no": _INT, "cycle": _INT, "district": _INT, "votes": _FLOAT, "pct": _FLOAT},
        ["source", "line_no"],
        RESULT_RULES,
        "raw",
        description="raw.results: types, one row per source line, vote counts and shares",
    ),
    TableSpec(
        "core_races",
        "core.races",
        "SELECT * FROM core.races",
        {"cycle": _INT, "district": _INT, "senate_class": _INT},
        ["race_id"],
        [*POLL_RULES, *RACE_RULES],
        "core",
        description="core.races: one row per race, known state and office, plausible cycle",
    ),
    TableSpec(
        "core_polls",
        "core.polls",
        "SELECT p.*, r.cycle, r.state, r.office, r.district, pl.name AS pollster FROM core.polls p "
        "JOIN core.races r USING (race_id) JOIN core.pollsters pl USING (pollster_id)",
        {
            "cycle": _INT,
            "start_date": _DATE,
            "end_date": _DATE,
            "created_at": _DATE,
            "sample_size": _FLOAT,
            "n_sources": _INT,
        },
        ["poll_key"],
        POLL_RULES,
        "core",
        description="core.polls: one row per poll; dates (end >= start, not in the future, within the "
        "cycle), sample size > 0, known population, state and district, pollster present",
    ),
    TableSpec(
        "core_poll_answers",
        "core.poll_answers",
        "SELECT a.poll_key, a.candidate_id, a.pct, k.name AS candidate, k.party "
        "FROM core.poll_answers a JOIN core.candidates k USING (candidate_id)",
        {"candidate_id": _INT, "pct": _FLOAT},
        ["poll_key", "candidate_id"],
        POLL_RULES,
        "core",
        description="core.poll_answers: shares in [0, 100], one answer per poll and candidate, "
        "candidate present",
    ),
    # Not blocking: the 538 column-subset file has no question ids, and its synthesised questions merge
    # two real ones for a handful of polls (five answers of one 2020 Maine poll on the real data); the
    # check shows them in the UI instead of stopping every forecast.
    TableSpec(
        "core_poll_sums",
        "core.poll_answers",
        "SELECT a.poll_key, a.pct, p.source FROM core.poll_answers a JOIN core.polls p USING (poll_key)",
        {"pct": _FLOAT},
        [],
        CORE_ANSWER_RULES,
        "core",
        blocking=False,
        description=f"core.poll_answers: each poll's shares sum to at most {POLL_SUM_LIMIT:g} (warning)",
    ),
    TableSpec(
        "core_candidates",
        "core.candidates",
        "SELECT candidate_id, race_id, name AS candidate, party FROM core.candidates",
        {"candidate_id": _INT},
        ["candidate_id"],
        POLL_RULES,
        "core",
        description="core.candidates: candidate named, name within the length limit",
    ),
    TableSpec(
        "core_results",
        "core.results",
        "SELECT x.*, r.state, r.office FROM core.results x JOIN core.races r USING (race_id)",
        {"candidate_id": _INT, "votes": _FLOAT, "pct": _FLOAT},
        ["race_id", "candidate_id", "stage"],
        RESULT_RULES,
        "core",
        description="core.results: vote counts >= 0, known state and office",
    ),
]


@dataclass
class TableValidation:
    spec: TableSpec
    rows: int
    failures: pd.DataFrame  # check, column, failure_case, index (pandera's failure cases)

    @property
    def passed(self) -> bool:
        return self.failures.empty

    def summary(self) -> pd.DataFrame:
        """Failing rows per check, with one example each."""
        if self.failures.empty:
            return pd.DataFrame(columns=["check", "failing_rows", "example"])
        f = self.failures
        return (
            f.groupby("check", dropna=False)
            .agg(failing_rows=("index", "nunique"), example=("failure_case", lambda v: str(v.iloc[0])[:80]))
            .reset_index()
        )


def validate_frame(spec: TableSpec, frame: pd.DataFrame) -> TableValidation:
    try:
        schema(spec, list(frame.columns)).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return TableValidation(spec, len(frame), exc.failure_cases)
    return TableValidation(
        spec, len(frame), pd.DataFrame(columns=["check", "column", "failure_case", "index"])
    )


def read_table(engine: sa.Engine, spec: TableSpec) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(sa.text(spec.query), conn)


def validate_table(engine: sa.Engine, spec: TableSpec) -> TableValidation:
    return validate_frame(spec, read_table(engine, spec))
