"""Electorate composition, computed in PostgreSQL (sql/queries/voterfile_composition_*.sql)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa

from forecast_pipeline.db.migrate import sql_dir

QUERIES = {
    "composition_state": "voterfile_composition_state.sql",
    "composition_county": "voterfile_composition_county.sql",
}

# The yardstick of the benchmark: a bare GROUP BY on the same table with the same grouping keys and
# nothing but count(*), results fetched and discarded.
_CELL_KEYS = (
    "state_cd, CASE WHEN ethnic_code = 'HL' THEN 'Hispanic' WHEN race_code = 'W' THEN 'White' "
    "WHEN race_code = 'B' THEN 'Black' ELSE 'Other' END, educ_cd, "
    "CASE WHEN cycle - birth_year < 30 THEN 1 WHEN cycle - birth_year < 45 THEN 2 "
    "WHEN cycle - birth_year < 65 THEN 3 ELSE 4 END, gender_code"
)
BARE_GROUP_BY = {
    "composition_state": f"SELECT {_CELL_KEYS}, count(*) FROM voterfile.voters WHERE cycle = :cycle "
    "GROUP BY 1, 2, 3, 4, 5",
    "composition_county": "SELECT state_cd, county_id, count(*) FROM voterfile.voters WHERE cycle = :cycle "
    "GROUP BY 1, 2",
}


@dataclass(frozen=True)
class AggregateResult:
    table: str
    rows: int
    seconds: float


def query_text(name: str) -> str:
    return (sql_dir() / "queries" / QUERIES[name]).read_text(encoding="utf-8")


def aggregate(
    engine: sa.Engine, cycle: int, tables: tuple[str, ...] = tuple(QUERIES)
) -> list[AggregateResult]:
    """Rebuild the composition tables of `cycle`, each in its own transaction.

    The query runs as CREATE TEMP TABLE ... AS, which PostgreSQL may run with parallel workers
    (INSERT ... SELECT never is); the small result is then inserted in place of the cycle's rows.
    """
    out = []
    for name in tables:
        t0 = time.perf_counter()
        with engine.begin() as conn:
            conn.execute(
                sa.text(f"CREATE TEMP TABLE _agg ON COMMIT DROP AS {query_text(name)}"), {"cycle": cycle}
            )
            conn.execute(sa.text(f"DELETE FROM voterfile.{name} WHERE cycle = :cycle"), {"cycle": cycle})
            rows = conn.execute(sa.text(f"INSERT INTO voterfile.{name} SELECT * FROM _agg")).rowcount
        out.append(AggregateResult(name, int(rows), time.perf_counter() - t0))
    return out


def bare_group_by_seconds(engine: sa.Engine, cycle: int, name: str) -> float:
    """Wall time of the bare GROUP BY (results fetched and discarded)."""
    t0 = time.perf_counter()
    with engine.connect() as conn:
        conn.execute(sa.text(BARE_GROUP_BY[name]), {"cycle": cycle}).fetchall()
    return time.perf_counter() - t0
