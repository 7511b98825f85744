"""Load source files into PostgreSQL: raw rows with provenance, rejects with reasons, then core.

Idempotent by content: a file whose sha256 was already loaded by this ``LOADER_VERSION`` is skipped; a
changed file (or one loaded by another loader version) replaces its previous raw rows in the same
transaction that records the new load.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from forecast_pipeline.faults import pause_point
from forecast_pipeline.loaders.base import (
    POLL_ANSWER_COLUMNS,
    RESULT_COLUMNS,
    BadInputError,
    LoadResult,
    source_key,
)
from forecast_pipeline.loaders.registry import KNOWN_FILES, load_file

RAW_POLL_COLUMNS = ["load_id", "source", "layout", "line_no", "poll_key"] + [
    c for c in POLL_ANSWER_COLUMNS if c not in ("source", "line_no")
]
RAW_RESULT_COLUMNS = ["load_id"] + RESULT_COLUMNS
REJECT_TABLE_COLUMNS = ["load_id", "source", "line_no", "kind", "field", "reason", "raw"]


@dataclass(frozen=True)
class LoadReport:
    source: str
    layout: str
    status: str  # "loaded", "unchanged", or "failed" (the file could not be read; see error)
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    answer_rows: int
    seconds: float
    error: str | None = None


def file_sha256(path: Path) -> str:
    """Content hash of a source: the file, plus its answers file for LEO's two-table layout."""
    from forecast_pipeline.loaders.leo import answers_path
    from forecast_pipeline.loaders.registry import detect_layout

    paths = [path]
    try:
        if detect_layout(path).startswith("leo"):
            paths.append(answers_path(path))
    except BadInputError:
        pass  # hashed alone; loading it will fail with the same message
    h = hashlib.sha256()
    for p in paths:
        with p.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def poll_key(layout: str, source: str, poll_id: str, race_id: str) -> str:
    """Identity of a poll across sources.

    Every 538 file numbers polls from one sequence, so two 538 files that carry poll 71558 carry the
    same poll (stored once, see rebuild_core.sql). Other sources' ids are only unique in their file.
    The race is part of the key because one survey often asks about several races.
    """
    family = "fte" if layout.startswith("fte") else source
    return f"{family}:{poll_id}:{race_id}"


# COPY takes no bind parameters for identifiers, so the statement is built only from this allow-list;
# the data itself travels in the COPY stream, never in the SQL text.
_COPY_TABLES = {
    "raw.results": RAW_RESULT_COLUMNS,
    "raw.poll_answers": RAW_POLL_COLUMNS,
    "ops.rejected_rows": REJECT_TABLE_COLUMNS,
}


def _copy(conn: sa.Connection, table: str, frame: pd.DataFrame, columns: list[str]) -> None:
    if table not in _COPY_TABLES or columns != _COPY_TABLES[table]:
        raise ValueError(f"COPY into {table!r} with columns {columns} is not an allowed target")
    if frame.empty:
        return
    buf = io.StringIO()
    frame[columns].to_csv(buf, index=False, header=False, date_format="%Y-%m-%d %H:%M:%S")
    buf.seek(0)
    cursor = conn.connection.driver_connection.cursor()
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", buf)


# Bump when a loader's output changes for the same file: files loaded by another version are loaded
# again. "2": the Stanford loader rejects races whose attached result contradicts the certified one.
# "3": results_errata.csv replaces three races' partial counts (2006 NJ and WV Senate, 2010 ME governor).
LOADER_VERSION = "3"


def _already_loaded(conn: sa.Connection, source: str, sha: str) -> dict | None:
    row = (
        conn.execute(
            sa.text(
                "SELECT layout, rows_read, rows_loaded, rows_rejected, answer_rows FROM ops.load_runs "
                "WHERE source = :s AND sha256 = :h AND status = 'loaded' AND loader_version = :v "
                "ORDER BY load_id DESC LIMIT 1"
            ),
            {"s": source, "h": sha, "v": LOADER_VERSION},
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def _is_results(result: LoadResult) -> bool:
    return "votes" in result.accepted.columns


def store(conn: sa.Connection, result: LoadResult, sha: str) -> int:
    """Write one LoadResult inside the caller's transaction; return the load id."""
    accepted, rejected = result.accepted, result.rejected
    loaded_lines = int(accepted["line_no"].nunique()) if len(accepted) else 0
    load_id = conn.execute(
        sa.text(
            "INSERT INTO ops.load_runs (source, layout, sha256, rows_read, rows_loaded, rows_rejected,"
            " answer_rows, status, loader_version)"
            " VALUES (:s, :l, :h, :r, :ok, :bad, :n, 'running', :v) RETURNING load_id"
        ),
        {
            "v": LOADER_VERSION,
            "s": result.source,
            "l": result.layout,
            "h": sha,
            "r": result.rows_read,
            "ok": loaded_lines,
            "bad": result.rejected_lines,
            "n": len(accepted),
        },
    ).scalar_one()
    if _is_results(result):
        conn.execute(sa.text("DELETE FROM raw.results WHERE source = :s"), {"s": result.source})
        frame = accepted.assign(load_id=load_id)
        _copy(conn, "raw.results", frame, RAW_RESULT_COLUMNS)
    else:
        # Rows of a two-table source (LEO) carry the answers file's name; replace those too.
        sources = sorted({result.source, *map(str, accepted["source"].unique())})
        conn.execute(sa.text("DELETE FROM raw.poll_answers WHERE source = ANY(:s)"), {"s": sources})
        keys = [
            poll_key(result.layout, result.source, str(p), str(r))
            for p, r in zip(accepted["poll_id"], accepted["race_id"], strict=True)
        ]
        frame = accepted.assign(load_id=load_id, layout=result.layout, poll_key=keys)
        _copy(conn, "raw.poll_answers", frame, RAW_POLL_COLUMNS)
    pause_point("ingest:store")
    if len(rejected):
        rej = rejected.assign(load_id=load_id)
        rej["raw"] = [r if isinstance(r, str) else json.dumps(r) for r in rej["raw"]]
        _copy(conn, "ops.rejected_rows", rej, REJECT_TABLE_COLUMNS)
    conn.execute(
        sa.text("UPDATE ops.load_runs SET status = 'loaded', finished_at = now() WHERE load_id = :i"),
        {"i": load_id},
    )
    return load_id


def store_failure(conn: sa.Connection, source: str, sha: str, error: str) -> int:
    """Record a file that could not be read at all: a failed load with zero counts and the message."""
    return conn.execute(
        sa.text(
            "INSERT INTO ops.load_runs (source, layout, sha256, rows_read, rows_loaded, rows_rejected,"
            " answer_rows, status, error, finished_at, loader_version)"
            " VALUES (:s, 'unknown', :h, 0, 0, 0, 0, 'failed', :e, now(), :v) RETURNING load_id"
        ),
        {"s": source, "h": sha, "e": error, "v": LOADER_VERSION},
    ).scalar_one()


def rebuild_core(conn: sa.Connection) -> None:
    from forecast_pipeline.db.migrate import run_script, sql_dir

    run_script(conn, (sql_dir() / "queries" / "rebuild_core.sql").read_text(encoding="utf-8"))


def load_files(
    engine: sa.Engine,
    data_dir: Path,
    files: Iterable[str] | None = None,
    progress: Callable[[LoadReport], None] | None = None,
) -> list[LoadReport]:
    """Load the given files (paths relative to data_dir; default: every known file), then rebuild core.

    Results files go first: the column-subset 538 poll file names candidates by surname only and
    takes their party from the same cycle's certified results.

    A file that cannot be read at all (BadInputError: unknown layout, not UTF-8, empty) does not stop
    the others: it is recorded in ops.load_runs as failed, with its message, and reported with status
    "failed"; the previous version of that file's rows, if any, stays as it was.
    """
    names = list(files) if files is not None else list(KNOWN_FILES)
    missing = [n for n in names if not (data_dir / n).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{len(missing)} data file(s) missing under {data_dir}: {missing[:3]}... "
            "Set FORECAST_DATA_DIR / --source, or run `forecast-pipeline data fetch`."
        )
    names.sort(key=lambda n: 0 if "election-results" in n else 1)
    reports: list[LoadReport] = []
    results_frames: list[pd.DataFrame] = []
    changed = False
    for name in names:
        path = data_dir / name
        t0 = time.perf_counter()
        sha = file_sha256(path)
        source = source_key(path, data_dir)
        with engine.connect() as conn:
            prior = _already_loaded(conn, source, sha)
        needs_results = prior is None or "election-results" in name
        result = None
        if needs_results:
            try:
                result = load_file(path, data_dir, results=_concat(results_frames))
            except BadInputError as exc:
                with engine.begin() as conn:
                    store_failure(conn, source, sha, str(exc))
                reports.append(
                    LoadReport(
                        source, "unknown", "failed", 0, 0, 0, 0, time.perf_counter() - t0, error=str(exc)
                    )
                )
                if progress:
                    progress(reports[-1])
                continue
            if _is_results(result):
                results_frames.append(result.accepted)
        if prior is not None:
            reports.append(
                LoadReport(
                    source,
                    prior["layout"],
                    "unchanged",
                    prior["rows_read"],
                    prior["rows_loaded"],
                    prior["rows_rejected"],
                    prior["answer_rows"],
                    time.perf_counter() - t0,
                )
            )
        else:
            assert result is not None
            with engine.begin() as conn:
                store(conn, result, sha)
            changed = True
            reports.append(
                LoadReport(
                    source,
                    result.layout,
                    "loaded",
                    result.rows_read,
                    int(result.accepted["line_no"].nunique()) if len(result.accepted) else 0,
                    result.rejected_lines,
                    len(result.accepted),
                    time.perf_counter() - t0,
                )
            )
        if progress:
            progress(reports[-1])
    if changed or not _core_populated(engine):
        with engine.begin() as conn:
            rebuild_core(conn)
    return reports


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame | None:
    return pd.concat(frames, ignore_index=True) if frames else None


def _core_populated(engine: sa.Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(sa.text("SELECT EXISTS (SELECT 1 FROM core.races)")).scalar())


def source_conflicts(engine: sa.Engine, sample: int = 20) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Polls carried by more than one source: conflicts per field, a sample of them, and how many
    such polls there are (each is stored once in core.polls, see rebuild_core.sql)."""
    with engine.connect() as conn:
        summary = pd.read_sql(
            sa.text(
                "SELECT source_a, source_b, field, count(*) AS conflicts FROM ops.poll_source_conflicts "
                "GROUP BY source_a, source_b, field ORDER BY source_a, source_b, field"
            ),
            conn,
        )
        rows = pd.read_sql(
            sa.text("SELECT * FROM ops.poll_source_conflicts ORDER BY poll_key, field LIMIT :n"),
            conn,
            params={"n": sample},
        )
        n_polls = conn.execute(sa.text("SELECT count(*) FROM core.polls WHERE n_sources > 1")).scalar_one()
    return summary, rows, int(n_polls)
